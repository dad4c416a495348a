"""A birth-year typo hides the residence years no longer asked; the correction brings them back; scoring ignores them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.engine import score_frame
from scoring.instrument import default_instrument
from surveys.frames import scoring_input
from surveys.models import Response
from tests.surveys.answers import page_answers
from tests.surveys.protocol import Device

pytestmark = pytest.mark.django_db

RESIDENCE = "residence_history"


def test_a_birth_year_typo_then_its_correction_brings_the_residence_years_back(access_code):
    device = Device(access_code.code, start=True)
    device.answer("about", age=13)
    device.answer(RESIDENCE, age=13)
    assert sum(code.startswith("res_") for code in Response.objects.get().answers) == 36

    device.load("about")
    device.send("about", page_answers("about", age=7))  # a typo in the birth year: age 7, years 1..8
    assert sum(code.startswith("res_") for code in Response.objects.get().answers) == 36  # kept, not deleted
    page = device.load(RESIDENCE).content.decode()
    assert 'name="res_child_08"' in page and 'name="res_child_09"' not in page  # hidden
    review = device.client.get(reverse("surveys:review")).content.decode()
    assert "已答 24 / 24 题" in review  # the review counts the 8 years asked (3 x 8 answers), all answered
    device.send(RESIDENCE, page_answers(RESIDENCE, age=7))  # the page of 8 years saved again

    device.load("about")
    device.send("about", page_answers("about", age=13))  # corrected
    page = device.load(RESIDENCE).content.decode()
    assert 'name="res_child_12"' in page
    assert '<option value="2" selected>' in page.split('name="res_father_12"', 1)[1].split("</select>", 1)[0]
    answers = Response.objects.get().answers
    assert [answers[f"res_father_{year:02d}"] for year in range(1, 13)] == [2] * 12


def test_scoring_ignores_answers_for_years_not_asked():
    instrument = default_instrument()
    asked = {**page_answers("about", age=7), **page_answers(RESIDENCE, age=7)}
    hidden = {f"res_{person}_{year:02d}": 3 for person in ("child", "father", "mother") for year in range(9, 13)}
    rows = [
        {"id": 1, "answers": asked, "submitted_at": timezone.now(), "duration_s": 600},
        {"id": 2, "answers": {**asked, **hidden}, "submitted_at": timezone.now(), "duration_s": 600},
    ]
    scores = score_frame(scoring_input(rows, instrument), instrument)
    assert scores.loc[1, "age"] == 7
    residence = [code for code in scores.columns if code.startswith(("mig_", "flag_res", "lb_", "traj"))]
    assert residence, "no residence-derived scores to compare"
    assert scores.loc[1, residence].astype(str).tolist() == scores.loc[2, residence].astype(str).tolist()
    assert scores.loc[2, [f"mig_{year:02d}" for year in range(9, 13)]].isna().all()
    assert scores.loc[2, "mig_08"] == 3
