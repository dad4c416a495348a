"""The pages, the API and the management commands offer the same choices, from one source each."""

import argparse

from django.core.management import load_command_class

from analysis.api import AnalysisRunStartSerializer
from analysis.core.costs import COST_METHODS
from analysis.core.models import ROBUST_SE
from analysis.core.pipeline import STUDIES
from analysis.core.psm import LINKS
from analysis.core.trajectories import ALGORITHMS
from analysis.core.ward import WARD_METHODS
from analysis.views import RunStartForm
from exports.api import ExportStartSerializer
from exports.engine import FORMATS, LAYOUTS, PANELS, STATA_VERSIONS
from exports.forms import ExportForm
from scoring.instrument import LANGUAGES


def command_choices(app: str, name: str) -> dict:
    parser = argparse.ArgumentParser()
    load_command_class(app, name).add_arguments(parser)
    return {action.dest: tuple(action.choices) for action in parser._actions if action.choices}


def form_values(form, field: str) -> tuple:
    return tuple(value for value, _label in form.base_fields[field].choices)


def serializer_values(serializer, field: str) -> set:
    found = serializer().fields[field]
    return set(getattr(found, "child", found).choices)


def test_export_choices():
    cli = command_choices("exports", "export_responses")
    assert form_values(ExportForm, "format") == FORMATS == cli["format"]
    assert form_values(ExportForm, "layout") == LAYOUTS == cli["layout"]
    assert form_values(ExportForm, "panel") == PANELS and cli["panel"] == PANELS[1:]
    assert form_values(ExportForm, "stata_version") == STATA_VERSIONS == cli["stata_version"]
    assert form_values(ExportForm, "lang") == LANGUAGES == cli["lang"]
    for field, values in (("format", FORMATS), ("layout", LAYOUTS), ("panel", PANELS[1:]), ("stata_version", STATA_VERSIONS),
                          ("lang", LANGUAGES)):
        assert serializer_values(ExportStartSerializer, field) == set(values)


def test_analysis_choices():
    cli = command_choices("analysis", "run_analysis")
    assert set(form_values(RunStartForm, "study")) == set(STUDIES) == set(cli["models"])
    assert set(form_values(RunStartForm, "robust_se")) == set(ROBUST_SE)
    assert form_values(RunStartForm, "psm_link") == LINKS == cli["psm_link"]
    for field, values in (("models", STUDIES), ("method", WARD_METHODS), ("costs", COST_METHODS), ("algorithm", ALGORITHMS),
                          ("robust_se", ROBUST_SE), ("psm_link", LINKS)):
        assert serializer_values(AnalysisRunStartSerializer, field) == set(values)
