"""The cleaning flow of the wave pages and the API, counted from grouped rows, equals the export's flow."""

import pytest

from exports.engine import ExportOptions, export_write, wave_flow
from scoring.cleaning import CLEANING_RULES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("skip", [(), ("speeding",), tuple(name for name, _ in CLEANING_RULES)])
def test_flow_equals_the_exports_flow(reference_wave, tmp_path, skip):
    rules = {rule: False for rule in skip}
    result = export_write(wave=reference_wave, options=ExportOptions(cleaned=True, rules=rules), path=tmp_path / "c.csv")
    assert wave_flow(wave=reference_wave, rules=rules) == result.flow


def test_flow_of_an_empty_wave():
    from tests.factories import WaveFactory

    flow = wave_flow(wave=WaveFactory())
    assert flow[0] == {"rule": "raw", "flag": "", "enabled": None, "dropped": 0, "remaining": 0}
    assert flow[-1]["remaining"] == 0
