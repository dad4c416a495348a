"""Reads of the schools app, built on the scoped querysets of ``schools.scoping`` (the one place of scoping).

A roster row carries progress only (status, section reached, last activity,
consent): never answers or scores.
"""

from dataclasses import dataclass
from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from safeguarding.models import Alert, GuardianConsent
from studies import scoping
from studies.instruments import instrument_for
from studies.models import Respondent, Role, SchoolClass, Study, Wave
from surveys.models import AccessCode, Response


class Status:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


STATUS_LABELS = {
    Status.NOT_STARTED: _("not started"),
    Status.IN_PROGRESS: _("in progress"),
    Status.SUBMITTED: _("submitted"),
    Status.WITHDRAWN: _("withdrawn"),
}
CONSENT_LABELS = {"": _("not recorded"), "pending": _("link sent"), "given": _("given"), "refused": _("refused")}


@dataclass
class RosterRow:
    respondent_id: int
    seat_number: int | None
    display_name: str
    status: str
    section: str  # code of the section reached (in progress)
    section_title: str
    section_position: int | None
    last_activity_at: datetime | None
    consent: str  # pending | given | refused | "" (nothing recorded)
    consent_method: str
    consent_token: str | None
    code: str | None  # the active access code
    needs_follow_up: bool | None  # None: the study does not show it to teachers

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def consent_label(self):
        return CONSENT_LABELS.get(self.consent, self.consent)


@dataclass
class Roster:
    school_class: SchoolClass
    wave: Wave
    rows: list[RosterRow]
    sections: int

    @property
    def counts(self) -> dict[str, int]:
        counts = {Status.NOT_STARTED: 0, Status.IN_PROGRESS: 0, Status.SUBMITTED: 0, Status.WITHDRAWN: 0}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def expected(self) -> int:
        return len(self.rows) - self.counts[Status.WITHDRAWN]

    @property
    def completion(self) -> int:
        """Percentage of the children still in the study who submitted."""
        return round(100 * self.counts[Status.SUBMITTED] / self.expected) if self.expected else 0

    @property
    def unfinished(self) -> list[RosterRow]:
        return [row for row in self.rows if row.status in (Status.NOT_STARTED, Status.IN_PROGRESS)]


def roster_class_get(*, user, class_id: int) -> SchoolClass:
    return get_object_or_404(scoping.classes_on_roster(user).select_related("school__study"), pk=class_id)


def roster_wave_get(*, school_class: SchoolClass, wave_id: int) -> Wave:
    return get_object_or_404(Wave.objects.select_related("study", "instrument"), pk=wave_id, study=school_class.school.study)


def roster_get(*, user, school_class: SchoolClass, wave: Wave, lang: str = "zh-hans") -> Roster:
    """Every child of the class (scoped by role) with their progress on ``wave``: four queries."""
    respondents = list(
        scoping.respondents_on_roster(user)
        .filter(school_class=school_class)
        .order_by("seat_number", "display_name", "pk")
        .values("pk", "seat_number", "display_name", "withdrawn_at")
    )
    ids = [respondent["pk"] for respondent in respondents]
    responses = {
        row["respondent_id"]: row
        for row in Response.objects.filter(wave=wave, respondent_id__in=ids).values(
            "respondent_id", "status", "current_section", "started_at", "last_activity_at"
        )
    }
    consents = {
        row["respondent_id"]: row
        for row in GuardianConsent.objects.filter(wave=wave, respondent_id__in=ids).values(
            "respondent_id", "decision", "method", "token"
        )
    }
    codes = dict(
        AccessCode.objects.filter(wave=wave, respondent_id__in=ids, revoked_at__isnull=True).values_list(
            "respondent_id", "code"
        )
    )
    show_follow_up = _follow_up_visible(user, wave.study)
    show_names = scoping.sees_names(user, wave.study)
    flagged = set()
    if show_follow_up:
        flagged = set(
            Alert.objects.filter(wave=wave, respondent_id__in=ids)
            .exclude(status=Alert.Status.CLOSED)
            .values_list("respondent_id", flat=True)
        )
    instrument = instrument_for(wave.instrument)
    positions = {section.code: (index + 1, section.text(lang)) for index, section in enumerate(instrument.sections)}
    rows = []
    for respondent in respondents:
        response = responses.get(respondent["pk"])
        consent = consents.get(respondent["pk"], {})
        section, status = "", Status.NOT_STARTED
        if respondent["withdrawn_at"] is not None:
            status = Status.WITHDRAWN
        elif response and response["status"] == Response.Status.SUBMITTED:
            status = Status.SUBMITTED
        elif response and response["started_at"] is not None:
            status, section = Status.IN_PROGRESS, response["current_section"]
        position, title = positions.get(section, (None, ""))
        if status == Status.IN_PROGRESS and section and position is None:  # the review page
            position, title = len(positions) + 1, ""
        rows.append(
            RosterRow(
                respondent_id=respondent["pk"],
                seat_number=respondent["seat_number"],
                display_name=respondent["display_name"] if show_names else "",
                status=status,
                section=section,
                section_title=title,
                section_position=position,
                last_activity_at=response["last_activity_at"] if response else None,
                consent=consent.get("decision", ""),
                consent_method=consent.get("method", ""),
                consent_token=consent.get("token"),
                code=codes.get(respondent["pk"]) if status != Status.WITHDRAWN else None,
                needs_follow_up=(respondent["pk"] in flagged) if show_follow_up else None,
            )
        )
    return Roster(school_class=school_class, wave=wave, rows=rows, sections=len(positions) + 1)


def _follow_up_visible(user, study: Study) -> bool:
    """Study-wide staff and school administrators always; teachers only if the study allows it."""
    if user.is_superuser or scoping.roles_of(user, study) & {Role.STUDY_ADMIN, Role.SCHOOL_ADMIN}:
        return True
    return scoping.teachers_see_follow_up(study)


def roster_respondent_get(*, user, school_class: SchoolClass, respondent_id: int) -> Respondent:
    return get_object_or_404(
        scoping.respondents_on_roster(user).select_related("study"), pk=respondent_id, school_class=school_class
    )


def classes_for_dashboard(*, user) -> list[dict]:
    """The classes whose rosters the user manages (a study administrator: every class of the study, thousands):
    pk, code, and the names shown (``str()`` of the class and of its school), as plain rows, not model objects."""
    rows = (
        scoping.classes_on_roster(user)
        .order_by("school__study", "school", "code")
        .values_list("pk", "code", "name", "school__code", "school__name")
    )
    return [
        {"pk": pk, "code": code, "label": name or code, "school": school_name or school_code}
        for pk, code, name, school_code, school_name in rows
    ]


def roster_size(*, school_class: SchoolClass) -> int:
    return Respondent.objects.filter(school_class=school_class, withdrawn_at__isnull=True).count()


def waves_for_class(*, school_class: SchoolClass):
    return Wave.objects.filter(study=school_class.school.study).order_by("-created_at", "-code")


def history_study_get(*, user, study_id: int) -> Study:
    return get_object_or_404(scoping.history_studies(user), pk=study_id)


def respondent_history(*, user, study: Study, pid: str) -> dict:
    """One child across waves by pid: class, status, dates and derived scores; no name, no answers."""
    respondent = get_object_or_404(
        Respondent.objects.filter(study__in=scoping.history_studies(user)).select_related("school_class__school"),
        study=study,
        pid=pid,
    )
    waves = (
        Response.objects.filter(respondent=respondent)
        .select_related("wave", "school_class__school")
        .order_by("wave__created_at", "wave__code")
        .values("wave__code", "school_class__code", "school_class__school__code", "status", "submitted_at", "score__values")
    )
    return {"respondent": respondent, "waves": list(waves)}


def respondents_search(*, user, study: Study, pid: str = "", limit: int = 50):
    respondents = Respondent.objects.filter(study__in=scoping.history_studies(user), study=study)
    if pid:
        respondents = respondents.filter(pid__icontains=pid)
    return respondents.select_related("school_class__school").order_by("pid")[:limit]


def administered_study_get(*, user, study_id: int) -> Study:
    return get_object_or_404(scoping.administered_studies(user), pk=study_id)


def withdrawn_respondents(*, study: Study):
    return (
        Respondent.objects.filter(study=study, withdrawn_at__isnull=False)
        .select_related("school_class__school")
        .order_by("-withdrawn_at")
    )


def audit_events(*, user, action: str = "", limit: int = 500):
    events = scoping.audit_events_visible(user).select_related("study")
    if action:
        events = events.filter(action__startswith=action)
    return events[:limit]
