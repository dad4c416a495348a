"""A small world for the API: study A (two respondents, one submitted and scored) and study B, users by role."""

from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from surveys.services import response_score
from tests.factories import (
    AccessCodeFactory,
    MembershipFactory,
    RespondentFactory,
    ResponseFactory,
    SchoolClassFactory,
    UserFactory,
    WaveFactory,
)

SECRET_NAME = "王小明"


@pytest.fixture
def world(db):
    klass = SchoolClassFactory(school__study__code="A")
    study = klass.school.study
    wave = WaveFactory(study=study, code="2021-01")
    child = RespondentFactory(school_class=klass, display_name=SECRET_NAME, pid="PA0001")
    response = ResponseFactory(
        respondent=child, wave=wave, status="submitted", duration_s=1500, answers={"gender": 1, "rsca01": 4, "birth_year": 2009}
    )
    response.submitted_at = response.started_at = timezone.now()
    response.save()
    response_score(response=response)
    pupil = RespondentFactory(school_class=klass, display_name="李四", pid="PA0002")
    code = AccessCodeFactory(respondent=pupil, wave=wave)
    other_class = SchoolClassFactory(school__study__code="B")
    other_wave = WaveFactory(study=other_class.school.study, code="2022-01")
    other = ResponseFactory(respondent=RespondentFactory(school_class=other_class, pid="PB0001"), wave=other_wave, status="submitted")
    users = {
        "researcher": MembershipFactory(user=UserFactory(username="res-a"), role="researcher", study=study).user,
        "study_admin": MembershipFactory(user=UserFactory(username="admin-a"), role="study_admin", study=study).user,
        "teacher": MembershipFactory(user=UserFactory(username="teacher-a"), role="teacher", school_class=klass).user,
        "counsellor": MembershipFactory(user=UserFactory(username="couns-a"), role="counsellor", school=klass.school).user,
        "school_admin": MembershipFactory(user=UserFactory(username="sadmin-a"), role="school_admin", school=klass.school).user,
        "researcher_b": MembershipFactory(
            user=UserFactory(username="res-b"), role="researcher", study=other_class.school.study
        ).user,
        "nobody": UserFactory(username="nobody"),
    }
    return SimpleNamespace(
        study=study, wave=wave, klass=klass, child=child, response=response, pupil=pupil, code=code,
        other_wave=other_wave, other_response=other, users=users,
    )


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(world):
    return lambda role: token_client(world.users[role] if role else None)
