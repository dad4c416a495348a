"""A succeeded run of a synthetic Study A cohort, stored as the service stores one (results only, no pipeline mock)."""

import json
from functools import lru_cache

from django.utils import timezone

from analysis.models import AnalysisRun
from scoring.instrument import default_instrument

BUNDLED = default_instrument()  # the bundled instrument (a wave's own version in the app)


@lru_cache(maxsize=2)
def synthetic_results(n: int, seed: int = 1) -> str:
    """The real pipeline (both studies) on ``synthetic_cohort(n)`` scored by the engine, as stored JSON."""
    from analysis.core.pipeline import run_analysis
    from analysis.core.synthetic import synthetic_cohort
    from scoring.engine import score_wave

    raw = synthetic_cohort(n, seed=seed)
    return json.dumps(run_analysis(raw.join(score_wave(raw)), instrument=BUNDLED, study="both").to_dict())


def stored_run(wave, n: int) -> AnalysisRun:
    now = timezone.now()
    return AnalysisRun.objects.create(
        wave=wave, status=AnalysisRun.Status.SUCCEEDED, parameters={"study": "both"}, rows_read=n,
        instrument_version=wave.instrument.version, data_fingerprint="f" * 64, code_version="test",
        progress=1.0, results_json=synthetic_results(n), started_at=now, finished_at=now,
    )
