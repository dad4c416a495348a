"""Issuing and revoking access codes."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from studies.models import Wave

from .access_codes import generate_access_code
from .models import AccessCode

ATTEMPTS = 5


def access_codes_issue(*, wave: Wave, respondents) -> list[AccessCode]:
    """One active code per respondent for the wave; respondents who hold one keep it.

    Codes are drawn at random and written in one batch; the rare collision with
    an existing code fails the batch, which is drawn again (never shared).
    """
    holding = set(AccessCode.objects.filter(wave=wave, revoked_at__isnull=True).values_list("respondent_id", flat=True))
    needing = [respondent for respondent in respondents if respondent.pk not in holding]
    for _ in range(ATTEMPTS):
        codes = [AccessCode(code=generate_access_code(), wave=wave, respondent=respondent) for respondent in needing]
        if len({code.code for code in codes}) < len(codes):
            continue
        try:
            with transaction.atomic():
                return AccessCode.objects.bulk_create(codes, batch_size=1000)
        except IntegrityError:
            continue
    raise RuntimeError("could not draw unique access codes")


@transaction.atomic
def access_code_reissue(*, access_code: AccessCode) -> AccessCode:
    """Revoke a code (a lost slip) and give its student a new one; the answers stay with the student."""
    AccessCode.objects.filter(pk=access_code.pk).update(revoked_at=timezone.now())
    return access_codes_issue(wave=access_code.wave, respondents=[access_code.respondent])[0]
