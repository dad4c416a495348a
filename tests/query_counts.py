"""A study whose rows can be multiplied, and the number of queries one page or list costs.

The query-count tests measure a page with a few rows, add many more rows of
every kind (children in the class, responses and scores, codes, consents,
alerts, classes and schools, waves with analysis runs and exports, audit
events, withdrawn children) and measure again: the numbers must be equal.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.models import AuditEvent
from exports.models import ExportJob
from safeguarding.models import Alert, GuardianConsent
from studies.models import Role
from surveys.models import AnswerChange, Response, Score
from tests.factories import (
    AccessCodeFactory,
    AnalysisRunFactory,
    MembershipFactory,
    RespondentFactory,
    ResponseFactory,
    SchoolClassFactory,
    SchoolFactory,
    StudyFactory,
    UserFactory,
    WaveFactory,
)


def queries_of(client, url: str) -> int:
    """Database queries of one GET of ``url`` (after a first one that warms sessions and caches); must be 200."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        reply = client.get(url)
    assert reply.status_code == 200, (url, reply.status_code, reply.content[:300])
    return len(queries)


def study_world():
    """One study, wave, school and class, one account per role, and one row of every kind."""
    study = StudyFactory(code="qc")
    wave = WaveFactory(study=study, code="qc-main")
    school_class = SchoolClassFactory(school=SchoolFactory(study=study, code="A"), code="7-1")
    users = {
        "teacher": MembershipFactory(role=Role.TEACHER, school_class=school_class, user=UserFactory(username="qc-teacher")).user,
        "school_admin": MembershipFactory(
            role=Role.SCHOOL_ADMIN, school=school_class.school, study=study, user=UserFactory(username="qc-schooladmin")
        ).user,
        "counsellor": MembershipFactory(
            role=Role.COUNSELLOR, school=school_class.school, study=study, user=UserFactory(username="qc-counsellor")
        ).user,
        "researcher": MembershipFactory(role=Role.RESEARCHER, study=study, user=UserFactory(username="qc-researcher")).user,
        "study_admin": MembershipFactory(role=Role.STUDY_ADMIN, study=study, user=UserFactory(username="qc-studyadmin")).user,
    }
    world = SimpleNamespace(
        study=study, wave=wave, school_class=school_class, users=users, pid=None, alert=None, run=None, response=None
    )
    grow(world, 1)
    return world


def _child(world, school_class, wave, index: int, *, status: str | None):
    """A child with a code, and a response of ``status`` (scored when submitted; None: not started)."""
    now = timezone.now()
    child = RespondentFactory(school_class=school_class, study=world.study, display_name=f"Kid {index}")
    AccessCodeFactory(respondent=child, wave=wave)
    GuardianConsent.objects.create(respondent=child, wave=wave, method="paper", decision="given", decided_at=now)
    if status is None:
        return child, None
    response = ResponseFactory(
        respondent=child, wave=wave, status=status, answers={"gender": 1 + index % 2, "rsca01": 3},
        started_at=now, last_activity_at=now, current_section="" if status == "submitted" else "family",
        submitted_at=now if status == "submitted" else None, duration_s=900 + index if status == "submitted" else None,
    )
    if status == "submitted":
        Score.objects.create(response=response, values={"dep": 10 + index, "flag_missing": 0}, instrument_version=response.instrument_version)
    return child, response


def grow(world, n: int) -> None:
    """Add ``n`` rows of every kind, in the teacher's class and school and elsewhere in the study."""
    statuses = ("submitted", "draft", None)
    author = world.users["researcher"]
    for index in range(n):
        status = statuses[index % 3] if n > 1 else "submitted"
        child, response = _child(world, world.school_class, world.wave, index, status=status)
        if response is not None and status == "submitted":
            alert = Alert.objects.create(
                study=world.study, school=world.school_class.school, school_class=world.school_class, respondent=child,
                wave=world.wave, response=response, rules=[{"name": "dep", "code": "dep"}],
            )
            world.alert = world.alert or alert
            world.pid = world.pid or child.pid
            world.response = world.response or response
        if world.response is not None:  # the history of one child's answers grows too
            AnswerChange.objects.create(
                response=world.response, code="rsca01", old_value=index % 5, new_value=(index + 1) % 5,
                changed_at=timezone.now(), revision=index + 1, source="page",
            )
        # another class in another school, with a child who answered and raised an alert
        elsewhere = SchoolClassFactory(school=SchoolFactory(study=world.study))
        other, other_response = _child(world, elsewhere, world.wave, index, status="submitted")
        Alert.objects.create(
            study=world.study, school=elsewhere.school, school_class=elsewhere, respondent=other, wave=world.wave,
            response=other_response, rules=[{"name": "dep", "code": "dep"}], status="acknowledged",
        )
        # a withdrawn child
        RespondentFactory(school_class=elsewhere, study=world.study, withdrawn_at=timezone.now())
        # another wave, with a run (succeeded, failed) and exports
        wave = WaveFactory(study=world.study)
        run = AnalysisRunFactory(wave=wave, status="succeeded", created_by=author, finished_at=timezone.now(), results_json='{"notes": []}')
        AnalysisRunFactory(wave=world.wave, status="failed", created_by=author, error="boom")
        world.run = world.run or run
        ExportJob.objects.create(wave=wave, options={"cleaned": True, "format": "csv", "layout": "wide"}, status="done",
                                 created_by=author, analysis_run=run, flow=[{"rule": "raw", "remaining": 1}])
        ExportJob.objects.create(study=world.study, options={"panel": "long", "format": "csv"}, status="failed", created_by=author)
        AuditEvent.objects.create(actor=author, actor_name=author.username, action="export.start", target=f"x {index}", study=world.study)
    assert Response.objects.filter(wave=world.wave).exists()


def assert_queries_do_not_grow(client, role: str, url, n: int = 20) -> None:
    """``url(world)`` asked by the study's ``role``: as many queries with 1 row of every kind as with ``n + 1``."""
    world = study_world()
    client.force_login(world.users[role])  # both steps: password and second factor (tests/conftest.py)
    few = queries_of(client, url(world))
    grow(world, n)
    many = queries_of(client, url(world))
    assert many == few, f"{url(world)}: {few} queries with 1 row of every kind, {many} with {n + 1}"
