"""The staff pages' and safeguarding's tests share one world: a study with two schools, classes, children and one
user per role, plus another school and another study (who must see nothing of ours)."""

from dataclasses import dataclass

import pytest

from studies.models import Role
from tests.factories import (
    MembershipFactory,
    RespondentFactory,
    SchoolClassFactory,
    SchoolFactory,
    StudyFactory,
    UserFactory,
    WaveFactory,
)


@dataclass
class World:
    study: object
    wave: object
    class_a1: object
    class_a2: object
    class_b1: object
    kids_a1: list
    kids_b1: list
    users: dict
    other_study: object


@pytest.fixture(autouse=True)
def _mail_task_runs_inline(monkeypatch):
    """The counsellor's e-mail is a Celery task; tests run it in-process instead of queueing it."""
    from safeguarding.tasks import alert_notify_task

    monkeypatch.setattr(alert_notify_task, "delay", lambda alert_id: alert_notify_task.apply(args=[alert_id]))


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def world(db):
    study = StudyFactory(code="mig", help_resources="Hotline 12355 (youth helpline)")
    other_study = StudyFactory(code="other")
    wave = WaveFactory(study=study, code="2026-1")
    school_a, school_b = SchoolFactory(study=study, code="A", name="School A"), SchoolFactory(study=study, code="B")
    class_a1 = SchoolClassFactory(school=school_a, code="7-1")
    class_a2 = SchoolClassFactory(school=school_a, code="7-2")
    class_b1 = SchoolClassFactory(school=school_b, code="7-1")
    kids_a1 = [
        RespondentFactory(school_class=class_a1, seat_number=seat, display_name=f"Kid{seat}", pid=f"A1-{seat:02d}")
        for seat in (1, 2, 3, 4)
    ]
    RespondentFactory(school_class=class_a2, seat_number=1, display_name="OtherClassKid", pid="A2-01")
    kids_b1 = [RespondentFactory(school_class=class_b1, seat_number=1, display_name="OtherSchoolKid", pid="B1-01")]
    other_school = SchoolFactory(study=other_study, code="X")
    users = {
        "teacher": MembershipFactory(role=Role.TEACHER, school_class=class_a1, user=UserFactory(username="teacher")).user,
        "teacher_other_class": MembershipFactory(
            role=Role.TEACHER, school_class=class_a2, user=UserFactory(username="teacher2")
        ).user,
        "counsellor": MembershipFactory(
            role=Role.COUNSELLOR, school=school_a, study=study, user=UserFactory(username="counsellor", first_name="Ms Li")
        ).user,
        "counsellor_other_school": MembershipFactory(
            role=Role.COUNSELLOR, school=school_b, study=study, user=UserFactory(username="counsellor_b")
        ).user,
        "school_admin": MembershipFactory(
            role=Role.SCHOOL_ADMIN, school=school_a, study=study, user=UserFactory(username="schooladmin")
        ).user,
        "researcher": MembershipFactory(role=Role.RESEARCHER, study=study, user=UserFactory(username="researcher")).user,
        "study_admin": MembershipFactory(role=Role.STUDY_ADMIN, study=study, user=UserFactory(username="studyadmin")).user,
        "other_study_admin": MembershipFactory(
            role=Role.STUDY_ADMIN, study=other_study, user=UserFactory(username="otheradmin")
        ).user,
        "other_study_counsellor": MembershipFactory(
            role=Role.COUNSELLOR, school=other_school, study=other_study, user=UserFactory(username="othercounsellor")
        ).user,
        "no_role": UserFactory(username="norole"),
    }
    return World(study, wave, class_a1, class_a2, class_b1, kids_a1, kids_b1, users, other_study)
