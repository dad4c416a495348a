"""Rebuilds are debounced: a burst of submissions triggers one run, a steady stream one run per maximum delay.

Time is controlled by passing ``now`` to the service (the scheduled task passes none: the current time).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from analysis import services
from analysis.models import AnalysisRun
from analysis.services import waves_needing_rebuild, waves_rebuild_changed
from surveys.models import Response
from tests.factories import AnalysisRunFactory, ResponseFactory, WaveFactory

pytestmark = pytest.mark.django_db

QUIET = timedelta(minutes=5)
MAX_DELAY = timedelta(minutes=30)


@pytest.fixture(autouse=True)
def windows(settings, monkeypatch):
    settings.ANALYSIS_REBUILD_QUIET_SECONDS = QUIET.total_seconds()
    settings.ANALYSIS_REBUILD_MAX_DELAY_SECONDS = MAX_DELAY.total_seconds()
    monkeypatch.setattr(services, "_dispatch", lambda run_id: None)


def submit(wave, at):
    """A submission at ``at``: the response, and the wave's change stamp as the score writer leaves it."""
    ResponseFactory(wave=wave, status=Response.Status.SUBMITTED, submitted_at=at)
    wave.data_changed_at = at
    wave.save(update_fields=["data_changed_at"])


def finish_active_runs(wave, at):
    """The worker finishes the wave's active run, having seen the data as it was when it started."""
    for run in AnalysisRun.objects.filter(wave=wave, status__in=AnalysisRun.ACTIVE):
        AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.SUCCEEDED, finished_at=at)


def beat(wave, at) -> int:
    """One scheduled check at ``at``: how many runs it started for ``wave`` (the run then finishes at once)."""
    started = [run for run in waves_rebuild_changed(now=at) if run.wave_id == wave.pk]
    for run in started:
        AnalysisRun.objects.filter(pk=run.pk).update(data_changed_at=wave.data_changed_at, created_at=at)
    finish_active_runs(wave, at)
    return len(started)


def test_a_wave_still_receiving_submissions_waits_for_a_quiet_period():
    now = timezone.now()
    wave = WaveFactory()
    submit(wave, now - timedelta(minutes=4))
    submit(wave, now - timedelta(minutes=1))
    assert waves_needing_rebuild(now=now) == []
    assert waves_needing_rebuild(now=now + QUIET) == [wave]


def test_a_burst_of_submissions_triggers_one_run():
    start = timezone.now()
    wave = WaveFactory()
    AnalysisRunFactory(wave=wave, data_changed_at=start - timedelta(days=2), finished_at=start - timedelta(days=2))
    wave.data_changed_at = start - timedelta(days=2)
    wave.save(update_fields=["data_changed_at"])
    runs = 0
    # 300 submissions over 15 minutes, the beat every 10 minutes throughout and for an hour after
    for second in range(0, 900, 3):
        submit(wave, start + timedelta(seconds=second))
        if second % 600 == 0:
            runs += beat(wave, start + timedelta(seconds=second))
    for minutes in range(20, 80, 10):
        runs += beat(wave, start + timedelta(minutes=minutes))
    assert runs == 1
    assert AnalysisRun.objects.filter(wave=wave, trigger="schedule").count() == 1


def test_a_steady_stream_is_still_rebuilt_after_the_maximum_delay():
    start = timezone.now()
    wave = WaveFactory()
    AnalysisRunFactory(wave=wave, data_changed_at=start - timedelta(days=1), finished_at=start - timedelta(days=1))
    rebuilt_at = []
    # a submission every minute for two hours, never quiet; the beat every 10 minutes
    for minute in range(0, 121):
        at = start + timedelta(minutes=minute)
        submit(wave, at)
        if minute % 10 == 5 and beat(wave, at):
            rebuilt_at.append(minute)
    assert len(rebuilt_at) >= 3
    gaps = [later - earlier for earlier, later in zip(rebuilt_at, rebuilt_at[1:])]
    # each run waits for the maximum delay from the first change it has not seen, give or take one beat
    assert all(MAX_DELAY.total_seconds() / 60 <= gap <= MAX_DELAY.total_seconds() / 60 + 10 for gap in gaps)
    assert rebuilt_at[0] >= MAX_DELAY.total_seconds() / 60


def test_a_change_without_a_new_submission_counts_from_the_change():
    now = timezone.now()
    wave = WaveFactory()
    ResponseFactory(wave=wave, status=Response.Status.SUBMITTED, submitted_at=now - timedelta(days=3))
    AnalysisRunFactory(wave=wave, data_changed_at=now - timedelta(days=2), finished_at=now - timedelta(days=2))
    wave.data_changed_at = now - timedelta(minutes=1)  # e.g. re-scored after a rule change
    wave.save(update_fields=["data_changed_at"])
    assert waves_needing_rebuild(now=now) == []
    assert waves_needing_rebuild(now=now + QUIET) == [wave]


def test_the_windows_come_from_the_settings(settings):
    now = timezone.now()
    wave = WaveFactory()
    submit(wave, now - timedelta(seconds=30))
    assert waves_needing_rebuild(now=now) == []
    settings.ANALYSIS_REBUILD_QUIET_SECONDS = 10
    assert waves_needing_rebuild(now=now) == [wave]
