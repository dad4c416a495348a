"""Writes of the school pages: codes by class, and the staff's own sign-in and second factor.

Every function is keyword-only and named ``<entity>_<action>``; views, the API,
Celery tasks and the admin call these, never the models directly.
"""

import django_otp
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.audit import audit_record
from common.errors import NotAllowed
from studies.models import Respondent, SchoolClass, Wave
from surveys.models import AccessCode
from surveys.services_codes import access_code_reissue, access_codes_issue

# --- Waves, codes and the roster ---------------------------------------------------------------------


def class_wave_start(*, actor, school_class: SchoolClass, wave: Wave) -> list[AccessCode]:
    """Start a wave for a class: every child still on the roster gets a code (holders keep theirs)."""
    if wave.study_id != school_class.school.study_id:
        raise NotAllowed("the wave belongs to another study")
    respondents = list(Respondent.objects.filter(school_class=school_class, withdrawn_at__isnull=True))
    issued = access_codes_issue(wave=wave, respondents=respondents)
    audit_record(
        actor=actor,
        action="codes.issue",
        target=f"class {school_class.pk} wave {wave.code}",
        study=wave.study,
        details={"issued": len(issued)},
    )
    return issued


def respondent_code_reissue(*, actor, respondent: Respondent, wave: Wave) -> AccessCode:
    """A lost slip: revoke the child's code and issue a new one; the answers stay."""
    if respondent.withdrawn_at is not None:
        raise NotAllowed("withdrawn")
    current = AccessCode.objects.filter(respondent=respondent, wave=wave, revoked_at__isnull=True).first()
    if current is None:
        code = access_codes_issue(wave=wave, respondents=[respondent])[0]
    else:
        code = access_code_reissue(access_code=current)
    audit_record(actor=actor, action="codes.reissue", target=f"respondent {respondent.pk}", study=wave.study)
    return code


def respondent_code_revoke(*, actor, respondent: Respondent, wave: Wave) -> int:
    revoked = AccessCode.objects.filter(respondent=respondent, wave=wave, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_record(actor=actor, action="codes.revoke", target=f"respondent {respondent.pk}", study=wave.study)
    return revoked


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def sign_in_record(*, user, request=None) -> None:
    audit_record(actor=user, action="sign_in", target=user.get_username(), details={"client": _client(request)})


def sign_in_failure_record(*, username: str, request=None) -> None:
    """A wrong password or a locked-out attempt (the actor is unknown: the user name tried is the target)."""
    locked_out = bool(getattr(request, "axes_locked_out", False))
    audit_record(
        actor=None,
        action="sign_in.failed",
        target=username[:150],
        details={"client": _client(request), "locked_out": locked_out},
    )


# --- Second factor (TOTP) ----------------------------------------------------------------------------


def totp_device_start(*, user):
    """The user's device being set up (unconfirmed until a first code is entered): one, reused on reload."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=_("authenticator app"), confirmed=False)


def totp_device_confirm(*, request, device, token: str) -> bool:
    """Confirm a new device with its first code; the session then counts as verified (audited)."""
    if not device.verify_is_allowed()[0] or not device.verify_token(token):
        audit_record(actor=request.user, action="second_factor.setup_failed", target=request.user.get_username())
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    device.user.totpdevice_set.filter(confirmed=False).delete()
    django_otp.login(request, device)
    audit_record(actor=request.user, action="second_factor.setup", target=request.user.get_username(), details={"client": _client(request)})
    return True


def second_factor_verify(*, request, token: str) -> bool:
    """A code at sign-in, checked against the user's confirmed devices (throttled by django-otp; audited)."""
    device = django_otp.match_token(request.user, token)
    if device is None:
        audit_record(actor=request.user, action="sign_in.second_factor_failed", target=request.user.get_username(), details={"client": _client(request)})
        return False
    django_otp.login(request, device)
    audit_record(actor=request.user, action="sign_in.second_factor", target=request.user.get_username(), details={"client": _client(request)})
    return True
