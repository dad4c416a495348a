"""An import writes the answer history too: every imported answer, once, with source ``import``."""

import pandas as pd
import pytest
from django.core.management import call_command

from surveys.models import AnswerChange, Response

pytestmark = pytest.mark.django_db


def test_imported_answers_are_in_the_history_once(reference_dir, tmp_path):
    cohort = pd.read_csv(reference_dir / "cohort_1500.csv", dtype=str, keep_default_na=False).head(5)
    path = tmp_path / "five.csv"
    cohort.to_csv(path, index=False)
    for _ in range(2):  # importing a file twice changes nothing, the history included
        call_command("import_responses", str(path), study="A", wave="2021-01")
    written = sum(len(answers) for answers in Response.objects.values_list("answers", flat=True))
    assert written > 5 * 50
    assert AnswerChange.objects.count() == written
    assert set(AnswerChange.objects.values_list("source", "old_value").distinct()) == {("import", None)}
    response = Response.objects.first()
    history = dict(AnswerChange.objects.filter(response=response).values_list("code", "new_value"))
    assert history == response.answers
