"""Researchers' pages: the run list, a run's report, its tables as CSV and its plots as PNG/SVG.

Signed-in researchers and study administrators of the run's study only
(``schools.scoping``); everyone else signed in gets 403.
"""

import pandas as pd
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from analysis.core.models import ROBUST_SE
from analysis.core.pipeline import STUDIES
from analysis.core.psm import LINKS
from common.labels import label
from studies.models import Wave
from studies.permissions import researcher_required, study_wide_required

from . import plots
from .models import AnalysisRun
from .selectors import (
    REPORT_ORDER,
    cluster_sequences,
    model_table_names,
    model_terms,
    run_latest_succeeded,
    run_parts,
    run_tables,
    runs_visible,
    waves_analysable,
)
from .services import analysis_run_cancel, analysis_run_start

PLOT_CACHE_S = 24 * 3600
# The labels of the choices whose values the analysis core fixes (analysis.core: STUDIES, ROBUST_SE).
STUDY_LABELS = {"both": gettext_lazy("Study A and B"), "A": gettext_lazy("Study A"), "B": gettext_lazy("Study B")}
ROBUST_SE_LABELS = {"cluster": gettext_lazy("clustered by school"), "HC1": gettext_lazy("heteroskedasticity-robust (HC1)")}
SEQUENCE_PLOTS = ("sequence_index", "state_distribution")


class RunStartForm(forms.Form):
    study = forms.ChoiceField(
        label=gettext_lazy("Models"),
        choices=[(study, STUDY_LABELS[study]) for study in sorted(STUDIES, key=lambda study: study != "both")],
        initial="both",
    )
    k = forms.IntegerField(
        label=gettext_lazy("Number of clusters"), min_value=2, max_value=20, required=False,
        help_text=gettext_lazy("Empty: chosen by the largest ASW."),
    )
    years = forms.RegexField(
        label=gettext_lazy("Years of life"), regex=r"^\s*\d{1,2}\s*-\s*\d{1,2}\s*$", initial="1-12",
        error_messages={"invalid": gettext_lazy("Write the years as first-last, e.g. 1-12.")},
    )
    robust_se = forms.MultipleChoiceField(
        label=gettext_lazy("Standard errors besides the classical ones"),
        choices=[(kind, ROBUST_SE_LABELS[kind]) for kind in sorted(ROBUST_SE, key=lambda kind: kind != "cluster")],
        initial=["cluster", "HC1"], required=False, widget=forms.CheckboxSelectMultiple,
    )
    psm_link = forms.ChoiceField(
        label=gettext_lazy("Propensity model"), choices=[(link, link) for link in LINKS], initial="logit",
        required=False,
    )
    psm_bootstrap = forms.IntegerField(
        label=gettext_lazy("Bootstrap resamples for PSM"), min_value=0, max_value=2000, initial=0, required=False,
        help_text=gettext_lazy("0: analytical standard errors only."),
    )

    def parameters(self) -> dict:
        data = self.cleaned_data
        return {
            "study": data["study"],
            "k": data["k"],
            "years": data["years"].replace(" ", ""),
            "robust_se": list(data["robust_se"]),
            "psm_link": data["psm_link"] or "logit",
            "psm_bootstrap": data["psm_bootstrap"] or 0,
        }


def _run_for(request, pk: int) -> AnalysisRun:
    run = get_object_or_404(AnalysisRun.objects.select_related("wave__study", "wave__instrument", "created_by"), pk=pk)
    study_wide_required(request.user, run.wave.study)
    return run


def _succeeded(request, pk: int) -> AnalysisRun:
    run = _run_for(request, pk)
    if run.status != AnalysisRun.Status.SUCCEEDED:
        raise Http404(_("This run has no results."))
    return run


@researcher_required
def run_list(request):
    waves = list(waves_analysable(request.user))
    runs = list(runs_visible(request.user).defer("results_json")[:200])  # the list shows no results
    latest = {}
    for run in runs:
        if run.status == AnalysisRun.Status.SUCCEEDED:
            current = latest.get(run.wave_id)
            if current is None or (run.finished_at, run.pk) > (current.finished_at, current.pk):
                latest[run.wave_id] = run
    for wave in waves:
        wave.latest_run = latest.get(wave.pk)
        wave.active_run = next((run for run in runs if run.wave_id == wave.pk and run.is_active), None)
    return render(
        request,
        "analysis/run_list.html",
        {
            "waves": waves,
            "runs": runs,
            "latest_ids": {run.pk for run in latest.values()},
            "form": RunStartForm(),
            "any_active": any(run.is_active for run in runs),
        },
    )


@login_required
@require_POST
def run_start(request, wave_id: int):
    wave = get_object_or_404(Wave.objects.select_related("study", "instrument"), pk=wave_id)
    study_wide_required(request.user, wave.study)
    form = RunStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect("analysis:run_list")
    try:
        run, created = analysis_run_start(wave=wave, parameters=form.parameters(), user=request.user)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("analysis:run_list")
    if created:
        messages.success(request, _("Run #%(id)s of wave %(wave)s queued.") % {"id": run.pk, "wave": wave})
    else:
        messages.info(request, _("Run #%(id)s of this wave is already %(status)s.") % {"id": run.pk, "status": run.get_status_display()})
    return redirect("analysis:run_report", pk=run.pk)


@login_required
@require_POST
def run_cancel(request, pk: int):
    run = analysis_run_cancel(run=_run_for(request, pk))
    messages.info(request, _("Run #%(id)s: %(status)s.") % {"id": run.pk, "status": run.get_status_display()})
    return redirect("analysis:run_report", pk=run.pk)


@login_required
def run_report(request, pk: int):
    run = _run_for(request, pk)
    context = {"run": run, "latest": run_latest_succeeded(run.wave), "parts": run_parts(run)}
    if run.status == AnalysisRun.Status.SUCCEEDED:
        tables = run_tables(run)
        context.update(
            {
                "tables": [_html_table(table) for name, table in tables.items() if name in REPORT_ORDER],
                "downloads": [table for name, table in tables.items() if name not in REPORT_ORDER],
                "model_plots": [(name, label(name)) for name in model_table_names(run)],
                "has_clusters": bool((run.results or {}).get("trajectory")),
                "trajectory": (run.results or {}).get("trajectory"),
                "notes": (run.results or {}).get("notes") or [],
            }
        )
    return render(request, "analysis/run_report.html", context)


def _html_table(table) -> dict:
    """Header and rows of a report table; in the models layout, SE rows and statistic rows are marked."""
    frame = table.shown
    models = table.layout == "models" and "row" in frame.columns
    columns = [column for column in frame.columns if not (models and column == "row")]
    rows = []
    for record in frame.to_dict("records"):
        kind = record.get("row", "") if models else ""
        rows.append({"kind": kind, "cells": [label(_cell(record[column])) for column in columns]})
    headers = [label(str(column)) for column in columns]
    robust = models and any(row["kind"].startswith("se_") for row in rows)
    return {"name": table.name, "title": table.title, "columns": headers, "rows": rows, "layout": table.layout, "robust": robust}


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


@login_required
def run_table_csv(request, pk: int, name: str):
    run = _succeeded(request, pk)
    table = run_tables(run).get(name)
    if table is None:
        raise Http404(_("No such table."))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-{name}.csv"'
    # A byte-order mark, so that Excel reads UTF-8 (as the exports do).
    response.write(table.frame.to_csv(index=False, na_rep="").encode("utf-8-sig"))
    return response


@login_required
def run_plot(request, pk: int, name: str):
    run = _succeeded(request, pk)
    fmt = request.GET.get("format", "png")
    if fmt not in plots.FORMATS:
        raise Http404(_("Plots are PNG or SVG."))
    key = f"analysis-plot:{run.pk}:{name}:{fmt}:{get_language()}"
    content = cache.get(key)
    if content is None:
        content = plots.render(_figure(run, name), fmt)
        cache.set(key, content, PLOT_CACHE_S)
    response = HttpResponse(content, content_type=plots.FORMATS[fmt])
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-{name}.{fmt}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _figure(run: AnalysisRun, name: str):
    results = run.results or {}
    if name in SEQUENCE_PLOTS:
        sequences, clusters, names = cluster_sequences(run)
        if not len(sequences):
            raise Http404(_("This run has no trajectory clusters."))
        draw = plots.sequence_index_plot if name == "sequence_index" else plots.state_distribution_plot
        return draw(sequences, clusters, names, title=f"{run.wave} #{run.pk}", tr=label)
    if name in ("quality", "sensitivity_quality"):
        trajectory = results.get("trajectory" if name == "quality" else "sensitivity_trajectory")
        if not trajectory:
            raise Http404(_("This run has no trajectory clusters."))
        title = f"{run.wave} · {_('Cluster quality by k')}"
        return plots.quality_plot(trajectory.get("quality") or [], chosen_k=trajectory.get("k"), title=title, tr=label)
    if name.startswith("coef-"):
        terms = model_terms(run, name.removeprefix("coef-"))
        if terms is not None:
            return plots.coefficient_plot(terms.to_dict("records"), title=label(name.removeprefix("coef-")), tr=label)
    raise Http404(_("No such plot."))
