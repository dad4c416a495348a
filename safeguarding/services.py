"""Writes of safeguarding: distress alerts, their notification, follow-up and escalation; guardians' consent.

Every function is keyword-only and named ``<entity>_<action>``; views, the API,
Celery tasks and the admin call these, never the models directly.
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import audit_record
from common.errors import NotAllowed
from common.outbox import enqueue
from studies.models import Membership, Respondent, Role, Wave

from .models import Alert, AlertFollowUp, GuardianConsent, SafeguardingRule
from .wording import rules_text

logger = logging.getLogger(__name__)


def _rule_met(rule: SafeguardingRule, answers: dict, scores: dict) -> bool:
    value = (scores if rule.source == SafeguardingRule.Source.SCORE else answers).get(rule.code)
    try:
        return value is not None and float(value) >= rule.threshold
    except (TypeError, ValueError):
        return False


def safeguarding_check(*, response) -> Alert | None:
    """Check the study's rules on a submitted response; raise an alert and notify the counsellor.

    ``response`` is a survey response read with its respondent, class, school, wave and score
    (``surveys.services.response_safeguard``, called after scoring and by the sweep: a failure
    here never fails a submission). Idempotent: one alert per child and wave.
    """
    if not response.is_submitted:
        return None
    study_id = response.respondent.study_id
    score = getattr(response, "score", None)
    scores = score.values if score is not None else {}
    rules = list(SafeguardingRule.objects.filter(study_id=study_id, is_active=True))
    met = [
        {"rule": rule.pk, "name": rule.name, "code": rule.code, "threshold": rule.threshold}
        for rule in rules
        if _rule_met(rule, response.answers, scores)
    ]
    if not met:
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                study_id=study_id,
                school=response.school_class.school,
                school_class=response.school_class,
                respondent=response.respondent,
                wave=response.wave,
                response=response,
                rules=met,
            )
    except IntegrityError:  # raised already (a re-check): keep the first
        return Alert.objects.get(respondent=response.respondent, wave=response.wave)
    logger.info("safeguarding alert %s raised for response %s", alert.pk, response.pk)
    # E-mail from a worker, never in the student's request; with the broker down it waits in the outbox.
    enqueue("safeguarding.tasks.alert_notify_task", alert_id=alert.pk)
    return alert


def alerts_notify_pending(*, older_than_s: int = 60) -> int:
    """Alerts whose e-mail was never sent (broker or mail server down): send now."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    count = 0
    for alert in Alert.objects.filter(notified_at__isnull=True, created_at__lte=cutoff).iterator(chunk_size=100):
        count += alert_notify(alert=alert) > 0
    return count


def _counsellor_emails(alert: Alert) -> list[str]:
    return list(
        Membership.objects.filter(role=Role.COUNSELLOR, study_id=alert.study_id, school_id=alert.school_id)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )


def _study_admin_emails(alert: Alert) -> list[str]:
    return list(
        Membership.objects.filter(role=Role.STUDY_ADMIN, study_id=alert.study_id)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )


def _alert_message(alert: Alert, *, escalated: bool) -> tuple[str, str]:
    respondent = alert.respondent
    # Escalations go to study administrators, who never see names (names never meet answers).
    seat = _("seat %(seat)s") % {"seat": respondent.seat_number or "?"}
    who = seat if escalated else (respondent.display_name or seat)
    subject = (_("Escalated: a student needs follow-up") if escalated else _("A student needs follow-up"))
    body = _(
        "%(who)s, class %(klass)s (%(school)s), met a safeguarding rule on the questionnaire (%(rules)s).\n"
        "Please acknowledge the alert and record your follow-up in the counsellor's queue."
    ) % {
        "who": who,
        "klass": alert.school_class,
        "school": alert.school,
        "rules": rules_text(alert.rules),
    }
    return subject, body


def alert_notify(*, alert: Alert) -> int:
    """E-mail the counsellors of the child's school (study administrators if the school has none)."""
    alert = Alert.objects.select_related("respondent", "school", "school_class").get(pk=alert.pk)
    if alert.notified_at is not None:  # a retried task: once is enough
        return 0
    recipients = _counsellor_emails(alert)
    escalated = False
    if not Membership.objects.filter(role=Role.COUNSELLOR, school_id=alert.school_id).exists():
        recipients, escalated = _study_admin_emails(alert), True
        Alert.objects.filter(pk=alert.pk, escalated_at__isnull=True).update(escalated_at=timezone.now())
    if not recipients:
        logger.warning("alert %s: nobody to notify by e-mail", alert.pk)
        Alert.objects.filter(pk=alert.pk).update(notified_at=timezone.now())
        return 0
    subject, body = _alert_message(alert, escalated=escalated)
    try:
        sent = send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # the in-app queue shows the alert; the sweep retries; escalation follows if nobody acknowledges
        logger.exception("alert %s: e-mail failed", alert.pk)
        return 0
    Alert.objects.filter(pk=alert.pk).update(notified_at=timezone.now())
    return sent


def alert_acknowledge(*, alert: Alert, user) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == Alert.Status.OPEN:
            alert.status = Alert.Status.ACKNOWLEDGED
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = user
            alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
            audit_record(actor=user, action="alert.acknowledge", target=f"alert {alert.pk}", study=alert.study)
    return alert


def alert_follow_up_add(*, alert: Alert, user, note: str, close: bool = False) -> AlertFollowUp:
    """Record what was done; recording a follow-up acknowledges the alert, ``close`` closes it."""
    with transaction.atomic():
        alert = alert_acknowledge(alert=alert, user=user)
        follow_up = AlertFollowUp.objects.create(alert=alert, author=user, note=note, close=close)
        if close and alert.status != Alert.Status.CLOSED:
            Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.CLOSED)
        audit_record(
            actor=user, action="alert.follow_up", target=f"alert {alert.pk}", study=alert.study, details={"close": close}
        )
    return follow_up


def escalation_minutes(study) -> int:
    policy = getattr(study, "policy", None)
    if policy is not None and policy.escalation_minutes:
        return policy.escalation_minutes
    return settings.ALERT_ESCALATION_MINUTES


def alerts_escalate(*, now=None) -> int:
    """Alerts still open after their study's escalation time go to the study administrators (once)."""
    now = now or timezone.now()
    candidates = Alert.objects.filter(status=Alert.Status.OPEN, escalated_at__isnull=True).select_related(
        "study__policy", "respondent", "school", "school_class", "study"
    )
    count = 0
    for alert in candidates.iterator(chunk_size=200):
        if alert.created_at > now - timedelta(minutes=escalation_minutes(alert.study)):
            continue
        if not Alert.objects.filter(pk=alert.pk, escalated_at__isnull=True).update(escalated_at=now):
            continue  # another worker took it
        count += 1
        audit_record(actor=None, action="alert.escalate", target=f"alert {alert.pk}", study=alert.study)
        recipients = _study_admin_emails(alert)
        if recipients:
            subject, body = _alert_message(alert, escalated=True)
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
            except Exception:
                logger.exception("alert %s: escalation e-mail failed", alert.pk)
    return count


def consent_record(*, actor, respondent: Respondent, wave: Wave, decision: str) -> GuardianConsent:
    """The school received the guardian's paper form (consent given or refused)."""
    if decision not in (GuardianConsent.Decision.GIVEN, GuardianConsent.Decision.REFUSED):
        raise NotAllowed("decision")
    consent, _ = GuardianConsent.objects.update_or_create(
        respondent=respondent,
        wave=wave,
        defaults={
            "method": GuardianConsent.Method.PAPER,
            "decision": decision,
            "recorded_by": actor,
            "decided_at": timezone.now(),
        },
    )
    audit_record(
        actor=actor, action="consent.record", target=f"respondent {respondent.pk}", study=wave.study, details={"decision": decision}
    )
    return consent


def consent_link_create(*, actor, respondent: Respondent, wave: Wave) -> GuardianConsent:
    """A link for the guardian to decide online (the school sends it); a decided consent keeps its decision."""
    consent, created = GuardianConsent.objects.get_or_create(
        respondent=respondent,
        wave=wave,
        defaults={"method": GuardianConsent.Method.LINK, "token": secrets.token_urlsafe(24), "recorded_by": actor},
    )
    if not consent.token:
        consent.token = secrets.token_urlsafe(24)
        consent.save(update_fields=["token"])
    return consent


def consent_link_decide(*, consent: GuardianConsent, decision: str) -> GuardianConsent:
    if decision not in (GuardianConsent.Decision.GIVEN, GuardianConsent.Decision.REFUSED):
        raise NotAllowed("decision")
    consent.decision = decision
    consent.method = GuardianConsent.Method.LINK
    consent.decided_at = timezone.now()
    consent.save(update_fields=["decision", "method", "decided_at"])
    audit_record(
        actor=None,
        action="consent.guardian_link",
        target=f"respondent {consent.respondent_id}",
        study=consent.wave.study,
        details={"decision": decision},
    )
    return consent
