"""Reads of safeguarding: the alert queue scoped by role, the help a student sees, guardians' consent."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from studies import scoping
from studies.models import Membership, Role, Wave

from .models import Alert, GuardianConsent


def alerts_visible(user) -> QuerySet:
    """Safeguarding alerts: counsellors of the child's school and study administrators of the study."""
    if user.is_superuser:
        return Alert.objects.all()
    memberships = scoping.memberships_of(user)
    return Alert.objects.filter(
        Q(school__in=memberships.filter(role=Role.COUNSELLOR).values("school_id"))
        | Q(study__in=memberships.filter(role=Role.STUDY_ADMIN).values("study_id"))
    )


def alerts_queue(*, user, status: str | None = None):
    alerts = alerts_visible(user).select_related("respondent", "school", "school_class", "wave", "acknowledged_by")
    if status:
        alerts = alerts.filter(status=status)
    return alerts.order_by("status", "-created_at")


def alert_get(*, user, alert_id: int) -> Alert:
    alert = get_object_or_404(
        alerts_visible(user).select_related("respondent", "school", "school_class", "wave", "study"), pk=alert_id
    )
    return alerts_named(user=user, alerts=[alert])[0]


def alerts_named(*, user, alerts) -> list[Alert]:
    """The alerts with the child's display name kept only where the user sees names (counsellors);
    for study administrators the child is a seat number in a class. The name is blanked in memory only."""
    alerts = list(alerts)
    named = set(scoping.studies_with_names(user).values_list("pk", flat=True))
    for alert in alerts:
        if alert.study_id not in named:
            alert.respondent.display_name = ""
    return alerts


def response_help(*, response, lang: str) -> dict | None:
    """What a student sees after submitting answers that raised an alert: the study's help resources.

    Counsellors are named by their full name, never by their log-in name; one
    without a name is "the school counsellor" (``has_counsellor``).
    """
    alert = Alert.objects.filter(respondent_id=response.respondent_id, wave_id=response.wave_id).first()
    if alert is None:
        return None
    users = [
        membership.user
        for membership in Membership.objects.filter(role=Role.COUNSELLOR, school_id=alert.school_id).select_related("user")
    ]
    return {
        "text": response.wave.study.help_text(lang),
        "counsellors": [user.get_full_name() for user in users if user.get_full_name()],
        "has_counsellor": bool(users),
    }


def consent_allows_answering(*, respondent_id: int, wave: Wave) -> bool:
    """With a study that requires it, a child answers only once a guardian's consent is given."""
    policy = getattr(wave.study, "policy", None)
    if policy is None or not policy.require_guardian_consent:
        return True
    return GuardianConsent.objects.filter(
        respondent_id=respondent_id, wave=wave, decision=GuardianConsent.Decision.GIVEN
    ).exists()


def consent_by_token(*, token: str) -> GuardianConsent:
    consent = GuardianConsent.objects.select_related("respondent__school_class__school", "wave__study").filter(token=token).first()
    if consent is None or not token:
        raise Http404
    return consent
