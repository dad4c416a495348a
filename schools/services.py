"""Writes of the schools app: audit, safeguarding alerts, consent, withdrawal, codes by class, memberships.

Every function is keyword-only and named ``<entity>_<action>``; views, the API,
Celery tasks and the admin call these, never the models directly.
"""

import logging
import secrets
from datetime import timedelta

import django_otp
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from surveys.dispatch import enqueue
from surveys.models import AccessCode, Respondent, Response, SchoolClass, Wave
from surveys.scores import waves_data_changed
from surveys.services_codes import access_code_reissue, access_codes_issue

from .models import Alert, AlertFollowUp, AuditEvent, GuardianConsent, Membership, Role, SafeguardingRule
from .wording import rules_text

logger = logging.getLogger(__name__)


class NotAllowed(Exception):
    """The action does not apply to this row (e.g. deleting the answers of a child who has not withdrawn)."""


# --- Audit -------------------------------------------------------------------------------------------


def audit_record(*, actor, action: str, target="", details=None, study=None) -> AuditEvent:
    """One line of the audit log. ``target`` is a short description or an object (stored as text)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_name=actor.get_username() if is_user else "",
        action=action[:60],
        target=str(target)[:200],
        study=study,
        details=details or {},
    )


def audit_alert_views(*, actor, alerts) -> None:
    """Who viewed which alert: one event per alert shown (queue, detail page or API)."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                actor_name=actor.get_username(),
                action="alert.view",
                target=f"alert {alert.pk}",
                study_id=alert.study_id,
                details={"alert": alert.pk, "school": alert.school_id},
            )
            for alert in alerts
        ]
    )


# --- Safeguarding ------------------------------------------------------------------------------------


def _rule_met(rule: SafeguardingRule, answers: dict, scores: dict) -> bool:
    value = (scores if rule.source == SafeguardingRule.Source.SCORE else answers).get(rule.code)
    try:
        return value is not None and float(value) >= rule.threshold
    except (TypeError, ValueError):
        return False


def safeguarding_check(*, response: Response) -> Alert | None:
    """Check the study's rules on a submitted response; raise an alert and notify the counsellor.

    Called by ``surveys.services.response_submit`` after scoring (which wraps it:
    a failure here never fails a submission). Idempotent: one alert per child and wave.
    """
    if not response.is_submitted:
        return None
    response = Response.objects.select_related("respondent", "school_class__school", "wave").get(pk=response.pk)
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
    enqueue("schools.tasks.alert_notify_task", alert_id=alert.pk)
    return alert


def alerts_notify_pending(*, older_than_s: int = 60) -> int:
    """Alerts whose e-mail was never sent (broker or mail server down): send now."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    count = 0
    for alert in Alert.objects.filter(notified_at__isnull=True, created_at__lte=cutoff).iterator(chunk_size=100):
        count += alert_notify(alert=alert) > 0
    return count


def safeguarding_sweep(*, hours: int = 48) -> int:
    """Check recent submissions again (scored late after a scoring failure, or a check that failed).

    Run with the escalation task; idempotent (one alert per child and wave).
    Imported responses are history, not a child in front of a screen: not checked.
    """
    since = timezone.now() - timedelta(hours=hours)
    studies = SafeguardingRule.objects.filter(is_active=True).values("study_id")
    pending = (
        Response.objects.filter(
            status=Response.Status.SUBMITTED,
            submitted_at__gte=since,
            respondent__study__in=studies,
            respondent__withdrawn_at__isnull=True,
        )
        .exclude(source="import")
        .exclude(respondent__alerts__wave_id=models.F("wave_id"))
    )
    raised = 0
    for response in pending.iterator(chunk_size=500):
        try:
            raised += safeguarding_check(response=response) is not None
        except Exception:
            logger.exception("safeguarding sweep: response %s", response.pk)
    return raised


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


# --- Consent, withdrawal and deletion ----------------------------------------------------------------


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


@transaction.atomic
def respondent_withdraw(*, actor, respondent: Respondent) -> Respondent:
    """The child or guardian stops: out of every export and analysis; codes revoked; answers kept until deleted."""
    now = timezone.now()
    if respondent.withdrawn_at is None:
        respondent.withdrawn_at = now
        respondent.save(update_fields=["withdrawn_at"])
        AccessCode.objects.filter(respondent=respondent, revoked_at__isnull=True).update(revoked_at=now)
        audit_record(actor=actor, action="respondent.withdraw", target=f"pid {respondent.pid}", study=respondent.study)
    return respondent


@transaction.atomic
def respondent_answers_delete(*, actor, respondent: Respondent) -> int:
    """Delete a withdrawn child's answers and scores (study administrator), leaving a record that it was done."""
    if respondent.withdrawn_at is None:
        raise NotAllowed("only a withdrawn respondent's answers can be deleted")
    responses = Response.objects.filter(respondent=respondent)
    rows = list(responses.values_list("wave_id", "wave__code"))
    waves = [code for _, code in rows]
    deleted = len(waves)
    responses.delete()
    waves_data_changed(wave_ids=[wave_id for wave_id, _ in rows])
    audit_record(
        actor=actor,
        action="respondent.answers_delete",
        target=f"pid {respondent.pid}",
        study=respondent.study,
        details={"responses": deleted, "waves": waves},
    )
    return deleted


# --- Memberships (permission changes) ----------------------------------------------------------------


def membership_create(*, actor, user, role: str, study, school=None, school_class=None) -> Membership:
    membership = Membership(user=user, role=role, study=study, school=school, school_class=school_class)
    membership.full_clean()
    membership.save()
    audit_record(
        actor=actor,
        action="membership.create",
        target=str(membership),
        study=study,
        details={"user": user.pk, "role": role, "school": membership.school_id, "class": membership.school_class_id},
    )
    return membership


def membership_delete(*, actor, membership: Membership) -> None:
    audit_record(
        actor=actor,
        action="membership.delete",
        target=str(membership),
        study=membership.study,
        details={"user": membership.user_id, "role": membership.role},
    )
    membership.delete()


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


# --- The class roster ----------------------------------------------------------------------------------


def _new_pid(study) -> str:
    return f"{study.code[:8].upper()}-{secrets.token_hex(4).upper()}"


def respondents_add(*, actor, school_class: SchoolClass, students: list[tuple[int | None, str]]) -> list[Respondent]:
    """Add children to a class roster: a seat number and an optional display name each; a random pid each.

    A seat already taken in the class is skipped (the roster keeps its child).
    """
    study = school_class.school.study
    taken = set(Respondent.objects.filter(school_class=school_class).values_list("seat_number", flat=True))
    added = []
    with transaction.atomic():
        for seat, name in students:
            if seat is not None and seat in taken:
                continue
            for _attempt in range(5):
                try:
                    with transaction.atomic():
                        added.append(
                            Respondent.objects.create(
                                study=study, school_class=school_class, seat_number=seat, display_name=name[:100], pid=_new_pid(study)
                            )
                        )
                    break
                except IntegrityError:
                    continue
            taken.add(seat)
        audit_record(
            actor=actor, action="roster.add", target=f"class {school_class.pk}", study=study, details={"added": len(added)}
        )
    return added
