"""Staff sessions: signed out after a time without activity, and a second factor before any page or
session-authenticated API call for the roles that need one (``schools.scoping.second_factor_required``).

Students never sign in (their questionnaire session carries no user), so both rules apply to staff only.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import user_has_device

from common.audit import audit_record
from studies import scoping

LAST_SEEN = "staff_last_seen"
# Written at most this often (seconds): a session save per request is not needed for a 30-minute rule.
LAST_SEEN_RESOLUTION = 30
# Reachable before the second factor: signing in and out, setting up or entering the code, switching language.
OPEN_PATHS = ("/accounts/", "/i18n/", "/static/")


def passive(view):
    """Mark a view whose requests are not the user's activity (a page's own polling): they do not extend the session."""
    view.staff_session_passive = True
    return view


def second_factor_step(user) -> str | None:
    """What a signed-in user still has to do: ``"verify"`` a code, ``"setup"`` a device, or nothing (None)."""
    if user.is_verified():
        return None
    if user_has_device(user, confirmed=True):
        return "verify"
    if scoping.second_factor_required(user):
        return "setup"
    return None


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "X-Requested-With" in request.headers


class StaffSessionMiddleware:
    """After ``OTPMiddleware``: idle expiry first, then the second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if self._idle_expired(request):
                return self._signed_out(request)
            step = None if request.path.startswith(OPEN_PATHS) else second_factor_step(user)
            if step is not None:
                return self._second_factor(request, step)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.user.is_authenticated and not getattr(view_func, "staff_session_passive", False):
            now, last = int(time.time()), request.session.get(LAST_SEEN)
            if last is None or now - last >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN] = now
        return None

    @staticmethod
    def _idle_expired(request) -> bool:
        last = request.session.get(LAST_SEEN)
        return last is not None and time.time() - last > settings.STAFF_SESSION_IDLE_MINUTES * 60

    @staticmethod
    def _signed_out(request):
        audit_record(actor=request.user, action="sign_out.idle", target=request.user.get_username())
        logout(request)
        message = _("You were signed out after %(minutes)s minutes without activity. Please sign in again.") % {
            "minutes": settings.STAFF_SESSION_IDLE_MINUTES
        }
        if _wants_json(request):
            return JsonResponse({"detail": message}, status=401)
        messages.info(request, message)
        return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def _second_factor(request, step: str):
        if _wants_json(request):
            detail = _("Enter the code of your authenticator app on the sign-in page first.")
            return JsonResponse({"detail": detail, "code": f"second_factor_{step}"}, status=403)
        return redirect(f"{reverse('account:' + ('two_factor_verify' if step == 'verify' else 'two_factor_setup'))}?{urlencode({'next': request.get_full_path()})}")
