"""Interactive work and analysis runs go to separate Celery queues (routed by task name, no broker needed)."""

import re
from pathlib import Path

import pytest

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]
INTERACTIVE = [
    "surveys.tasks.score_pending",
    "common.tasks.flush_outbox",
    "safeguarding.tasks.alert_notify_task",
    "safeguarding.tasks.alerts_escalate",
    "exports.tasks.export_job_task",
    "exports.tasks.export_jobs_cleanup_task",
    "analysis.tasks.rebuild_changed_waves",
]
PROJECT_APPS = ("common", "studies", "safeguarding", "surveys", "schools", "exports", "analysis", "apitokens")
ANALYSIS = ["analysis.tasks.analysis_run_task", "analysis.tasks.prune_superseded_assignments"]


@pytest.fixture(autouse=True, scope="module")
def registered_tasks():
    app.loader.import_default_modules()  # what a worker does at start: every app's tasks module


def queue_of(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


@pytest.mark.parametrize("name", INTERACTIVE)
def test_interactive_tasks_go_to_the_interactive_queue(name):
    assert name in app.tasks
    assert queue_of(name) == "interactive"


@pytest.mark.parametrize("name", ANALYSIS)
def test_analysis_runs_go_to_the_analysis_queue(name):
    assert name in app.tasks
    assert queue_of(name) == "analysis"


def test_every_project_task_is_listed_here():
    ours = {name for name in app.tasks if name.split(".")[0] in PROJECT_APPS}
    assert ours == set(INTERACTIVE + ANALYSIS)


def test_a_task_resent_from_the_outbox_by_name_keeps_its_queue(monkeypatch):
    sent = []
    monkeypatch.setattr(app.amqp, "send_task_message", lambda producer, name, message, **options: sent.append(options))
    app.send_task("analysis.tasks.analysis_run_task", kwargs={"run_id": 1})
    app.send_task("exports.tasks.export_job_task", kwargs={"job_id": 1})
    assert [options["queue"].name for options in sent] == ["analysis", "interactive"]


def test_the_procfile_and_scripts_start_workers_for_both_queues():
    procfile = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if re.match(r"^\w+:", line))
    assert re.search(r"celery -A config worker .*-Q interactive\b", procfile["worker"])
    assert re.search(r"celery -A config worker .*-Q analysis\b", procfile["analysis"])
    assert "warm_analysis" in procfile["release"]
    production = (ROOT / "scripts" / "production.sh").read_text()
    assert "-Q interactive " in production and "-Q analysis " in production and "warm_analysis" in production
    assert re.search(r"-Q interactive,analysis\b", (ROOT / "scripts" / "demo.sh").read_text())
