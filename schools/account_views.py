"""Staff sign-in's second step: set up an authenticator app (TOTP, with a QR code) and enter its code.

Signing in with a password is Django's ``LoginView`` (django-axes locks a user name out after repeated
failures from one address); ``schools.middleware`` sends a signed-in user here until the second factor
is done, for the roles that need one or whoever set one up.
"""

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import services
from .forms import OneTimeCodeForm
from .middleware import second_factor_step


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/staff/"


def _secret(device) -> str:
    """The key as the base32 text an app accepts when typed in, in groups of four."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Scan the QR code (or type the key) into an authenticator app, then enter its first code."""
    step = second_factor_step(request.user)
    if step == "verify":
        return redirect(f"{reverse('account:two_factor_verify')}?{request.GET.urlencode()}")
    if request.user.is_verified():
        return render(request, "registration/two_factor_setup.html", {"done": True, "next": _next(request)})
    device = services.totp_device_start(user=request.user)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            messages.success(request, _("Two-step sign-in is set up."))
            return redirect(_next(request))
        form.add_error("token", _("This code is not right. Check the time of your phone and try the next code."))
    context = {"form": form, "secret": _secret(device), "next": _next(request), "required": step == "setup"}
    return render(request, "registration/two_factor_setup.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def two_factor_qr(request):
    """The QR code of the device being set up, as an SVG image (never cached; nothing once it is confirmed)."""
    device = request.user.totpdevice_set.filter(confirmed=False).order_by("pk").first()
    if device is None:
        raise Http404
    buffer = io.BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The second step of signing in: the current code of the user's authenticator app."""
    if second_factor_step(request.user) != "verify":
        return redirect(_next(request))
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.second_factor_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(_next(request))
        form.add_error("token", _("This code is not right, or too many codes were tried: wait a moment and enter the next code."))
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)}, status=400 if form.errors else 200)


def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers to a locked-out sign-in (``AXES_LOCKOUT_CALLABLE``): 429 and when to try again."""
    from django.conf import settings

    cool_off = settings.AXES_COOLOFF_TIME
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None}
    return render(request, "registration/locked_out.html", context, status=429)
