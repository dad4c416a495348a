"""Users with roles, and one real analysis run of the reference cohort shared by a module."""

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from studies.models import Membership
from tests.paths import REFERENCE_DIR

WAVE = "2021-01"


def user_with_role(username: str, role: str | None, study=None, school_class=None):
    user = get_user_model().objects.create_user(username=username, password="pw-not-used")
    if role:
        Membership.objects.create(
            user=user,
            role=role,
            study=study,
            school=school_class.school if school_class else None,
            school_class=school_class,
        )
    return user


@pytest.fixture
def make_user(db):
    return user_with_role


@pytest.fixture(scope="module")
def cohort_run(django_db_setup, django_db_blocker, tmp_path_factory):
    """cohort_1500 imported as study A, wave 2021-01, and analysed once by ``run_analysis`` (the real pipeline).

    Committed outside the tests' transactions, removed when the module is done.
    """
    from analysis.models import AnalysisRun
    from studies.models import Respondent, Study, Wave
    from surveys.models import Response

    json_path = tmp_path_factory.mktemp("analysis") / "run.json"
    with django_db_blocker.unblock():
        call_command("import_responses", str(REFERENCE_DIR / "cohort_1500.csv"), study="A", wave=WAVE)
        call_command("run_analysis", wave=WAVE, study="A", json=str(json_path))
        wave = Wave.objects.select_related("study", "instrument").get(study__code="A", code=WAVE)
        run = AnalysisRun.objects.get(wave=wave)
    yield SimpleNamespace(wave=wave, run=run, json_path=json_path)
    with django_db_blocker.unblock():  # children first: classes are protected by respondents and responses
        AnalysisRun.objects.filter(wave__study__code="A").delete()
        Response.objects.filter(wave__study__code="A").delete()
        Respondent.objects.filter(study__code="A").delete()
        Study.objects.filter(code="A").delete()
