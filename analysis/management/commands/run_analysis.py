"""python manage.py run_analysis --wave W [--k K] [--years 1-12] [--se cluster,HC1] [--psm-link logit|probit]
[--psm-no-ties] [--psm-bootstrap B] [--json OUT.json]"""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from analysis.core.pipeline import STUDIES
from analysis.core.psm import LINKS
from analysis.models import AnalysisRun
from analysis.selectors import run_assignments, run_parts
from analysis.services import analysis_run_execute, analysis_run_start
from surveys.selectors import NotFound, wave_get


class Command(BaseCommand):
    help = (
        "Run the analysis of a wave in this process and store it like any other run "
        "(the latest succeeded run is the one shown and exported)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--wave", required=True)
        parser.add_argument("--study", help="needed when the wave code exists in several studies")
        parser.add_argument("--k", type=int, help="number of clusters (default: chosen by the largest ASW)")
        parser.add_argument("--years", default="1-12", help="years of life clustered, e.g. 1-12")
        parser.add_argument("--models", choices=STUDIES, default="both", help="Study A, Study B or both")
        parser.add_argument(
            "--se", default="HC1,cluster",
            help="standard errors besides the classical ones: HC1, cluster (by school), both (default) or none",
        )
        parser.add_argument("--psm-link", choices=LINKS, default="logit", help="propensity model")
        parser.add_argument(
            "--psm-no-ties", action="store_true", help="keep exactly k nearest neighbours (no psmatch2 ties)"
        )
        parser.add_argument("--psm-bootstrap", type=int, default=0, help="bootstrap resamples for PSM standard errors")
        parser.add_argument("--json", dest="json_path", help="write the run and its results to this JSON file")

    def handle(self, *args, wave, study, k, years, models, json_path, **options):
        try:
            wave_obj = wave_get(code=wave, study=study)
        except NotFound as error:
            raise CommandError(str(error)) from error
        try:
            run, created = analysis_run_start(
                wave=wave_obj,
                parameters={
                    "k": k,
                    "years": years,
                    "study": models,
                    "robust_se": "" if options["se"] == "none" else options["se"],
                    "psm_link": options["psm_link"],
                    "psm_ties": not options["psm_no_ties"],
                    "psm_bootstrap": options["psm_bootstrap"],
                },
                trigger="command",
                dispatch=False,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if not created:
            raise CommandError(f"run #{run.pk} of wave {wave_obj} is {run.status}: wait for it or cancel it")
        self.stdout.write(f"run #{run.pk} of wave {wave_obj}")
        run = analysis_run_execute(run_id=run.pk, on_progress=self._progress())
        if run.status != AnalysisRun.Status.SUCCEEDED:
            last_line = (run.error or run.status).strip().splitlines()[-1:] or [run.status]
            raise CommandError(f"run #{run.pk} {run.status}: {last_line[0]}")
        if json_path:
            self._write_json(run, json_path)
        for part in run_parts(run):
            if part["status"] != "ok":
                self.stderr.write(f"{part['name']}: {part['status']}: {part['message']}")
        trajectory = (run.results or {}).get("trajectory") or {}
        self.stdout.write(
            f"run #{run.pk} succeeded: {run.rows_read} rows read, k={trajectory.get('k', '-')}, "
            f"{run.assignments.exclude(traj_cluster=None).count()} respondents clustered, "
            f"{sum(run.timings.values()):.1f} s" + (f"; results in {json_path}" if json_path else "")
        )

    def _progress(self):
        last = {"at": 0.0}

        def report(fraction: float, message: str) -> None:
            now = time.monotonic()
            if now - last["at"] >= 2 or fraction >= 1:
                last["at"] = now
                self.stderr.write(f"{fraction:6.1%}  {message}")

        return report

    def _write_json(self, run: AnalysisRun, path: str) -> None:
        assignments = run_assignments(run).drop(columns="sequence")
        payload = {
            "run": {
                "id": run.pk,
                "study": run.wave.study.code,
                "wave": run.wave.code,
                "status": run.status,
                "parameters": run.parameters,
                "instrument_version": run.instrument_version,
                "data_fingerprint": run.data_fingerprint,
                "rows_read": run.rows_read,
                "data_changed_at": run.data_changed_at,
                "code_version": run.code_version,
                "timings": run.timings,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
            },
            "results": run.results,
            "assignments": assignments.astype(object).where(assignments.notna(), None).to_dict("records"),
        }
        with open(path, "w", encoding="utf-8") as out:
            json.dump(payload, out, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
