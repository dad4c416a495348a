"""rescore re-derives every score of a wave from the stored answers."""

import pytest
from django.core.management import call_command

from surveys.models import Score

pytestmark = pytest.mark.django_db


def test_rescore_restores_scores_from_answers(reference_dir, capsys):
    call_command("import_responses", str(reference_dir / "cohort_1500.csv"), study="A", wave="2021-01")
    original = dict(Score.objects.values_list("response_id", "values"))
    Score.objects.filter(pk__in=list(Score.objects.values_list("pk", flat=True)[:50])).update(values={"rsca": 0})
    call_command("rescore", wave="2021-01")
    assert "1500 responses re-scored" in capsys.readouterr().out
    assert dict(Score.objects.values_list("response_id", "values")) == original


def test_rescore_of_an_unknown_wave_is_a_clear_error():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no wave 'nope'"):
        call_command("rescore", wave="nope")
