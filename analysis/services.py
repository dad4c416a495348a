"""Analysis runs: start, execute, cancel, and the periodic rebuild of changed waves.

The numbers come from the pure pipeline (``analysis.core.pipeline``); this
module records what a run read and produced. Rules:

* at most one queued-or-running run per wave (a partial unique constraint):
  starting while one is active returns the active run;
* a worker claims a run by incrementing ``attempt``; every later write is
  conditional on that attempt and on the run still running, so a cancelled
  run, or a run taken over after its worker was lost, never writes results;
* results and assignments are written in one transaction when the run
  succeeds; a failed or cancelled run leaves the previous succeeded run the
  latest one (the one shown and exported).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import pandas as pd
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone

from analysis.core.costs import COST_METHODS
from analysis.core.models import ROBUST_SE
from analysis.core.pipeline import SEQUENCE_COLUMNS, STUDIES, run_analysis
from analysis.core.psm import LINKS, MatchingOptions
from analysis.core.trajectories import ALGORITHMS, TrajectoryParams
from analysis.core.ward import WARD_METHODS
from common.errors import error_reference_logged
from common.outbox import enqueue
from scoring.cleaning import CLEANING_RULES
from studies.instruments import instrument_for
from studies.models import Wave
from surveys.models import Response
from surveys.snapshot import wave_frame_from_snapshot

from .models import AnalysisAssignment, AnalysisRun

logger = logging.getLogger(__name__)

# The version reported when the code is not a git checkout.
CODE_VERSION = "analysis-1.0"
DEFAULT_PARAMETERS = {
    "study": "both",
    "k": None,
    "k_range": [2, 10],
    "years": [1, 12],
    "method": "ward.D",
    "costs": "TRATE",
    "algorithm": "auto",
    "cleaning_rules": {},
    # standard errors beside the classical ones, in every model (ROBUST_SE: "HC1", "cluster" by school)
    "robust_se": ["HC1", "cluster"],
    "psm_link": "logit",  # the study's; psmatch2's default is probit
    "psm_ties": True,  # psmatch2's ties: equally near controls share the weight
    "psm_bootstrap": 0,  # bootstrap resamples for PSM standard errors (0: analytical SEs only)
}
MAX_BOOTSTRAP = 2000
# A running run beats every HEARTBEAT_S from a thread of its worker; one whose
# heartbeat is older than STALE_AFTER lost its worker (killed, out of memory).
HEARTBEAT_S = 20
STALE_AFTER = timedelta(seconds=120)
# A queued run no worker picked up for this long is given up (a new one can start).
QUEUED_STALE_AFTER = timedelta(seconds=6 * 3600)


def _stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "ANALYSIS_STALE_AFTER_S", STALE_AFTER.total_seconds()))


def _queued_stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "ANALYSIS_QUEUED_STALE_AFTER_S", QUEUED_STALE_AFTER.total_seconds()))
MAX_ATTEMPTS = 3
PROGRESS_INTERVAL_S = 1.0


class RunStopped(Exception):
    """The run was cancelled or taken over by another attempt: stop without writing."""


class RunBusy(Exception):
    """The run is running in a live worker (e.g. a re-delivered message): try again later."""

    def __init__(self, retry_after: float):
        super().__init__(f"run is running elsewhere; retry in {retry_after:.0f} s")
        self.retry_after = retry_after


# --------------------------------------------------------------------------
# Parameters, fingerprints, versions (no database)


def analysis_parameters_clean(parameters: dict | None = None) -> dict:
    """Defaults filled in and every value checked; raises ``ValueError`` with a readable message."""
    values = {**DEFAULT_PARAMETERS, **{key: value for key, value in (parameters or {}).items() if value is not None}}
    unknown = set(values) - set(DEFAULT_PARAMETERS)
    if unknown:
        raise ValueError(f"unknown parameters: {', '.join(sorted(unknown))}")
    if values["study"] not in STUDIES:
        raise ValueError(f"study must be one of {', '.join(STUDIES)}")
    try:
        values["years"] = [int(year) for year in _pair(values["years"])]
        values["k_range"] = [int(k) for k in _pair(values["k_range"])]
        values["k"] = None if values["k"] in (None, "") else int(values["k"])
    except (TypeError, ValueError):
        raise ValueError("k, k_range and years must be whole numbers (years as 1-12)") from None
    low, high = values["years"]
    if not 1 <= low < high <= 12:
        raise ValueError("years must satisfy 1 <= first < last <= 12")
    if values["method"] not in WARD_METHODS:
        raise ValueError(f"method must be one of {', '.join(WARD_METHODS)}")
    if values["costs"] not in COST_METHODS:
        raise ValueError(f"costs must be one of {', '.join(COST_METHODS)}")
    if values["algorithm"] not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}")
    robust = values["robust_se"]
    if isinstance(robust, str):
        robust = [part for part in robust.replace(",", " ").split() if part]
    if not isinstance(robust, (list, tuple)) or set(robust) - set(ROBUST_SE):
        raise ValueError(f"robust_se lists some of {', '.join(ROBUST_SE)}")
    values["robust_se"] = [kind for kind in ROBUST_SE if kind in robust]
    if values["psm_link"] not in LINKS:
        raise ValueError(f"psm_link must be one of {', '.join(LINKS)}")
    values["psm_ties"] = _boolean(values["psm_ties"], "psm_ties")
    try:
        values["psm_bootstrap"] = int(values["psm_bootstrap"])
    except (TypeError, ValueError):
        raise ValueError("psm_bootstrap must be a whole number") from None
    if not 0 <= values["psm_bootstrap"] <= MAX_BOOTSTRAP:
        raise ValueError(f"psm_bootstrap must be between 0 and {MAX_BOOTSTRAP}")
    rules = {name for name, _ in CLEANING_RULES}
    if not isinstance(values["cleaning_rules"], dict) or set(values["cleaning_rules"]) - rules:
        raise ValueError(f"cleaning_rules maps rule names ({', '.join(sorted(rules))}) to true/false")
    values["cleaning_rules"] = {name: bool(on) for name, on in values["cleaning_rules"].items()}
    trajectory_params(values).validate()
    return values


def _boolean(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false")


def matching_options(parameters: dict) -> MatchingOptions:
    return MatchingOptions(
        link=parameters["psm_link"], ties=parameters["psm_ties"], bootstrap=parameters["psm_bootstrap"]
    )


def _pair(value) -> list:
    if isinstance(value, str):
        value = value.replace("..", "-").split("-")
    value = list(value)
    if len(value) != 2:
        raise ValueError("a range has two ends")
    return value


def trajectory_params(parameters: dict) -> TrajectoryParams:
    return TrajectoryParams(
        k=parameters["k"],
        k_range=tuple(parameters["k_range"]),
        method=parameters["method"],
        costs=parameters["costs"],
        years=tuple(parameters["years"]),
        algorithm=parameters["algorithm"],
    )


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the frame as CSV (columns, order and values): equal data, equal fingerprint."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """``git describe`` of the checkout when there is one, else the package's version constant."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    return described[:100] or CODE_VERSION


def assignments_frame(frame: pd.DataFrame, result) -> pd.DataFrame:
    """Per pid: traj_cluster, traj_label and sequence of the clustered rows (A), tatt of the modelled rows (B)."""
    columns = ["traj_cluster", "traj_label", "sequence", "tatt"]
    by_pid = frame.set_index("pid")
    parts = []
    if len(result.assignments):
        clustered = result.assignments.set_index("pid")[["traj_cluster", "traj_label"]]
        statuses = by_pid.loc[clustered.index, SEQUENCE_COLUMNS].apply(pd.to_numeric, errors="coerce")
        clustered = clustered.assign(
            sequence=["".join(str(int(code)) for code in row) for row in statuses.to_numpy()]
        )
        parts.append(clustered)
    factor = result.tables.get("b_tatt")
    if factor is not None:
        scores = factor.scores.dropna()
        parts.append(pd.DataFrame({"tatt": scores.to_numpy()}, index=pd.Index(frame.loc[scores.index, "pid"], name="pid")))
    if not parts:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="pid"))
    combined = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    return combined.reindex(columns=columns)


# --------------------------------------------------------------------------
# Start, cancel, stale runs


def analysis_run_start(
    *, wave: Wave, parameters: dict | None = None, user=None, trigger: str = "user", dispatch: bool = True
) -> tuple[AnalysisRun, bool]:
    """Queue a run of ``wave`` (dispatched to Celery after commit); returns ``(run, created)``.

    When a run of the wave is already queued or running, that run is returned with ``created`` False.
    """
    parameters = analysis_parameters_clean(parameters)
    runs_fail_stale(wave=wave)
    try:
        with transaction.atomic():
            # Row lock on the wave where the database has them; the constraint decides on SQLite.
            Wave.objects.select_for_update().filter(pk=wave.pk).first()
            active = AnalysisRun.objects.filter(wave=wave, status__in=AnalysisRun.ACTIVE).first()
            if active is not None:
                return active, False
            run = AnalysisRun.objects.create(
                wave=wave,
                parameters=parameters,
                instrument_version=wave.instrument.version,
                data_changed_at=Wave.objects.filter(pk=wave.pk).values_list("data_changed_at", flat=True).first(),
                code_version=code_version(),
                created_by=user if user is not None and user.is_authenticated else None,
                trigger=trigger,
                message="Queued",
            )
    except IntegrityError:  # another request created the active run between our read and our insert
        return AnalysisRun.objects.get(wave=wave, status__in=AnalysisRun.ACTIVE), False
    if dispatch:
        _dispatch(run.pk)
    return run, True


def _dispatch(run_id: int) -> None:
    """Send the run to a worker after commit; with the broker down it waits in the outbox."""
    enqueue("analysis.tasks.analysis_run_task", run_id=run_id)


def analysis_run_cancel(*, run: AnalysisRun) -> AnalysisRun:
    """Stop a queued or running run; its worker notices at its next progress report and writes nothing."""
    AnalysisRun.objects.filter(pk=run.pk, status__in=AnalysisRun.ACTIVE).update(
        status=AnalysisRun.Status.CANCELLED, finished_at=timezone.now(), message="Cancelled"
    )
    run.refresh_from_db()
    return run


def runs_fail_stale(*, wave: Wave | None = None) -> int:
    """Mark failed the runs whose worker was lost (no heartbeat) or that no worker ever picked up."""
    now = timezone.now()
    runs = AnalysisRun.objects.filter(
        Q(status=AnalysisRun.Status.RUNNING, heartbeat_at__lt=now - _stale_after())
        | Q(status=AnalysisRun.Status.QUEUED, created_at__lt=now - _queued_stale_after())
    )
    if wave is not None:
        runs = runs.filter(wave=wave)
    return runs.update(
        status=AnalysisRun.Status.FAILED,
        failure=AnalysisRun.Failure.WORKER_LOST,
        error="No worker reported on this run for too long (worker lost or no worker running).",
        finished_at=now,
    )


# --------------------------------------------------------------------------
# Execute


def analysis_run_execute(*, run_id: int, on_progress: Callable[[float, str], None] | None = None) -> AnalysisRun:
    """Claim the run, read the wave, run the pipeline and store the results (or the failure).

    Returns the run as stored. Does not raise for a failing pipeline (the run
    is marked failed); raises ``RunBusy`` when a live worker runs it already.
    """
    attempt = _claim(run_id)
    run = AnalysisRun.objects.select_related("wave__instrument").get(pk=run_id)
    if attempt is None:
        return run
    try:
        with _heartbeat(run_id, attempt):
            _execute(run, attempt, on_progress)
    except RunStopped:
        logger.info("analysis run %s stopped (cancelled or taken over)", run_id)
    except SoftTimeLimitExceeded:
        _finish_failed(run_id, attempt, AnalysisRun.Failure.TIME_LIMIT, "The run exceeded its time limit.")
    except Exception:
        shown = error_reference_logged(logger, "The analysis failed; the administrators can look it up in the log.", f"analysis run {run_id} failed")
        _finish_failed(run_id, attempt, AnalysisRun.Failure.ERROR, shown)
    run.refresh_from_db()
    return run


@contextmanager
def _heartbeat(run_id: int, attempt: int):
    """Beat from a thread while the run executes, so a long stage is never taken for a lost worker."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(HEARTBEAT_S):
                _owned(run_id, attempt).update(heartbeat_at=timezone.now())
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=beat, name=f"analysis-run-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def _claim(run_id: int) -> int | None:
    """The attempt number when this worker now owns the run; None when there is nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        run = AnalysisRun.objects.select_for_update().get(pk=run_id)
        if run.status == AnalysisRun.Status.RUNNING:
            age = now - (run.heartbeat_at or run.started_at or run.created_at)
            if age < _stale_after():
                raise RunBusy((_stale_after() - age).total_seconds() + 1)
            if run.attempt >= MAX_ATTEMPTS:
                _fail_lost(run_id, now)
                return None
        elif run.status != AnalysisRun.Status.QUEUED:
            return None
        attempt = run.attempt + 1
        AnalysisRun.objects.filter(pk=run_id).update(
            status=AnalysisRun.Status.RUNNING,
            attempt=attempt,
            worker=f"{socket.gethostname()}:{os.getpid()}"[:200],
            started_at=now,
            heartbeat_at=now,
            progress=0.0,
            message="Started" if attempt == 1 else "Restarted after a lost worker",
            error="",
            failure="",
        )
        return attempt


def _fail_lost(run_id: int, now) -> None:
    AnalysisRun.objects.filter(pk=run_id).update(
        status=AnalysisRun.Status.FAILED,
        failure=AnalysisRun.Failure.WORKER_LOST,
        error=f"The worker was lost {MAX_ATTEMPTS} times.",
        finished_at=now,
    )


def _owned(run_id: int, attempt: int):
    return AnalysisRun.objects.filter(pk=run_id, attempt=attempt, status=AnalysisRun.Status.RUNNING)


def _execute(run: AnalysisRun, attempt: int, on_progress) -> None:
    wave = run.wave
    # The change stamp from the database the rows come from (the replica, when
    # configured), read before them: the data read is at least that recent, and
    # a change the replica has not applied yet is stamped later (a new rebuild).
    changed_at = Wave.objects.using(settings.ANALYTICS_DATABASE).filter(pk=wave.pk).values_list("data_changed_at", flat=True).get()
    instrument = instrument_for(wave.instrument)
    frame = wave_frame_from_snapshot(wave, instrument)  # JSON decoded only for rows scored since the last run
    if not _owned(run.pk, attempt).update(
        data_changed_at=changed_at,
        data_fingerprint=frame_fingerprint(frame),
        rows_read=len(frame),
        instrument_version=wave.instrument.version,
        heartbeat_at=timezone.now(),
    ):
        raise RunStopped
    parameters = analysis_parameters_clean(run.parameters)  # runs stored before an option existed get its default
    result = run_analysis(
        frame,
        instrument=instrument,
        params=trajectory_params(parameters),
        cleaning_rules=parameters.get("cleaning_rules") or None,
        study=parameters["study"],
        progress=ProgressWriter(run.pk, attempt, echo=on_progress),
        robust=parameters["robust_se"],
        matching=matching_options(parameters),
        fatal=(RunStopped, SoftTimeLimitExceeded),
    )
    assignments = assignments_frame(frame, result)
    now = timezone.now()
    with transaction.atomic():
        if not _owned(run.pk, attempt).update(
            status=AnalysisRun.Status.SUCCEEDED,
            results_json=json.dumps(result.to_dict()),
            timings={stage: round(seconds, 4) for stage, seconds in result.timings.items()},
            progress=1.0,
            message=parts_summary(result.parts),
            finished_at=now,
            heartbeat_at=now,
        ):
            raise RunStopped
        AnalysisAssignment.objects.bulk_create(
            [
                AnalysisAssignment(
                    run_id=run.pk,
                    pid=pid,
                    traj_cluster=None if pd.isna(row.traj_cluster) else int(row.traj_cluster),
                    traj_label="" if pd.isna(row.traj_label) else str(row.traj_label),
                    sequence="" if pd.isna(row.sequence) else str(row.sequence),
                    tatt=None if pd.isna(row.tatt) else float(row.tatt),
                )
                for pid, row in zip(assignments.index, assignments.itertuples(index=False))
            ],
            batch_size=2000,
        )


def parts_summary(parts: dict[str, dict]) -> str:
    """The run's closing message: done, or done with how many parts failed or were skipped."""
    failed = sum(part["status"] == "failed" for part in parts.values())
    skipped = sum(part["status"] == "skipped" for part in parts.values())
    if not failed and not skipped:
        return "Done"
    return f"Done with {failed} of {len(parts)} parts failed and {skipped} skipped (see the report)"


def _finish_failed(run_id: int, attempt: int, failure: str, error: str) -> None:
    _owned(run_id, attempt).update(
        status=AnalysisRun.Status.FAILED, failure=failure, error=error[-20000:], finished_at=timezone.now()
    )


@dataclass
class ProgressWriter:
    """The pipeline's progress callback: writes fraction and message to the run row, throttled.

    Raises ``RunStopped`` inside the pipeline when the run is no longer this attempt's (cancelled).
    """

    run_id: int
    attempt: int
    interval_s: float = PROGRESS_INTERVAL_S
    echo: Callable[[float, str], None] | None = None
    _last: float = float("-inf")

    def __call__(self, fraction: float, message: str) -> None:
        if self.echo:
            self.echo(fraction, message)
        now = time.monotonic()
        if now - self._last < self.interval_s and fraction < 1.0:
            return
        self._last = now
        if not _owned(self.run_id, self.attempt).update(
            progress=round(float(fraction), 4), message=str(message)[:200], heartbeat_at=timezone.now()
        ):
            raise RunStopped


# --------------------------------------------------------------------------
# Periodic rebuild


# A burst of submissions triggers one run: a changed wave is rebuilt once its
# data has been quiet for ANALYSIS_REBUILD_QUIET_SECONDS, or once its oldest
# unseen change has waited ANALYSIS_REBUILD_MAX_DELAY_SECONDS (a wave receiving
# a steady stream is still rebuilt that often). Beat checks every 10 minutes.
REBUILD_QUIET_S = 300
REBUILD_MAX_DELAY_S = 1800


def rebuild_quiet() -> timedelta:
    return timedelta(seconds=getattr(settings, "ANALYSIS_REBUILD_QUIET_SECONDS", REBUILD_QUIET_S))


def rebuild_max_delay() -> timedelta:
    return timedelta(seconds=getattr(settings, "ANALYSIS_REBUILD_MAX_DELAY_SECONDS", REBUILD_MAX_DELAY_S))


def waves_changed():
    """Open waves whose data changed after the data seen by their last finished run (or with no run).

    Runs given up because their worker was lost do not count: their wave is
    rebuilt. Each wave carries ``last_seen`` (the data its last run saw).
    """
    finished = (
        AnalysisRun.objects.filter(
            wave=OuterRef("pk"),
            status__in=[AnalysisRun.Status.SUCCEEDED, AnalysisRun.Status.FAILED, AnalysisRun.Status.CANCELLED],
        )
        .exclude(failure=AnalysisRun.Failure.WORKER_LOST)
        .order_by("-created_at", "-id")
    )
    waves = (
        Wave.objects.filter(is_open=True, data_changed_at__isnull=False)
        .exclude(analysis_runs__status__in=AnalysisRun.ACTIVE)
        .annotate(last_seen=Subquery(finished.values("data_changed_at")[:1]))
        .select_related("instrument", "study")
    )
    return [wave for wave in waves if wave.last_seen is None or wave.data_changed_at > wave.last_seen]


def wave_pending_since(wave: Wave) -> datetime:
    """When the wave's oldest change not seen by its last run happened (one aggregate query).

    That is the first submission after the data the last run saw; a change
    that is no submission (re-scoring, an import, a withdrawal) counts from
    ``data_changed_at``.
    """
    submitted = Response.objects.filter(wave=wave, status=Response.Status.SUBMITTED)
    if wave.last_seen is not None:
        submitted = submitted.filter(submitted_at__gt=wave.last_seen)
    first = submitted.aggregate(first=Min("submitted_at"))["first"]
    return min(first, wave.data_changed_at) if first is not None else wave.data_changed_at


def waves_needing_rebuild(*, now: datetime | None = None):
    """Changed open waves (:func:`waves_changed`) due now: quiet long enough, or waiting too long."""
    now = now or timezone.now()
    due = []
    for wave in waves_changed():
        if wave.data_changed_at <= now - rebuild_quiet() or wave_pending_since(wave) <= now - rebuild_max_delay():
            due.append(wave)
    return due


def waves_rebuild_changed(*, now: datetime | None = None) -> list[AnalysisRun]:
    """Start a run of every changed open wave that is due (parameters of its last success).

    Due: its data has been quiet for a while, or its oldest unseen change has
    waited the maximum delay (see :func:`waves_needing_rebuild`).
    """
    runs_fail_stale()
    started = []
    for wave in waves_needing_rebuild(now=now):
        last = (
            AnalysisRun.objects.filter(wave=wave, status=AnalysisRun.Status.SUCCEEDED)
            .order_by("-finished_at", "-id")
            .values_list("parameters", flat=True)
            .first()
        )
        try:
            parameters = analysis_parameters_clean(last)
        except ValueError:
            parameters = analysis_parameters_clean()
        run, created = analysis_run_start(wave=wave, parameters=parameters, trigger="schedule")
        if created:
            started.append(run)
    return started
