"""The reference cohort imported once per module (study A, wave 2021-01), and users with roles."""


import pandas as pd
import pytest
from django.core.management import call_command

from scoring.cleaning import CLEANING_RULES
from tests.paths import REFERENCE_DIR
from tests.reference import readme_flow  # noqa: F401 - used by the modules here

WAVE = "2021-01"


def reference_flow(skip=()) -> dict[str, int]:
    """The flow computed independently from the reference's scored flags (pandas, in the spec's order)."""
    scored = pd.read_csv(REFERENCE_DIR / "cohort_1500_scored.csv", dtype={"pid": str})
    keep = pd.Series(True, index=scored.index)
    flow = {}
    for rule, flag in CLEANING_RULES:
        if rule in skip:
            flow[rule] = 0
            continue
        hit = keep & scored[flag].fillna(0).astype(bool)
        flow[rule] = int(hit.sum())
        keep &= ~hit
    flow["analytic"] = int(keep.sum())
    flow["raw"] = len(scored)
    return flow


def _delete_study(code: str) -> None:
    """Bottom up: a class is protected while responses and respondents point at it."""
    from studies.models import Respondent, Study
    from surveys.models import Response

    Response.objects.filter(wave__study__code=code).delete()
    Respondent.objects.filter(study__code=code).delete()
    Study.objects.filter(code=code).delete()


@pytest.fixture(scope="module")
def reference_wave(django_db_setup, django_db_blocker):
    from studies.models import Wave

    with django_db_blocker.unblock():
        _delete_study("A")
        call_command("import_responses", str(REFERENCE_DIR / "cohort_1500.csv"), study="A", wave=WAVE)
        wave = Wave.objects.select_related("study", "instrument").get(study__code="A", code=WAVE)
    yield wave
    with django_db_blocker.unblock():
        _delete_study("A")


@pytest.fixture
def researcher(db, reference_wave):
    from tests.factories import MembershipFactory, UserFactory

    return MembershipFactory(user=UserFactory(username="researcher-a"), role="researcher", study=reference_wave.study).user


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
