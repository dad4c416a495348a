"""Runs for a paper, on the researchers' pages: pin and unpin a run, its reproduction report (HTML, PDF).

``?lang=zh-hans|en`` renders the report in that language (default: the
page's); ``?download=1`` sends the HTML as a file.
"""

import re
from contextlib import contextmanager
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .pinning import PinError, analysis_run_pin, analysis_run_unpin
from .reproduction import headers, report_lines, reproduction_pdf, run_reproduction
from .views import _run_for, _succeeded

LANGUAGES = ("zh-hans", "en")
REPORT_CSS = Path(__file__).resolve().parent.parent / "static" / "analysis" / "reproduction.css"


@login_required
@require_POST
def run_pin(request, pk: int):
    run = _run_for(request, pk)
    try:
        analysis_run_pin(run=run, user=request.user)
    except PinError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Run #%(id)s is pinned: exports of wave %(wave)s use it until it is unpinned.") % {"id": run.pk, "wave": run.wave})
    return redirect("analysis:run_report", pk=run.pk)


@login_required
@require_POST
def run_unpin(request, pk: int):
    run = analysis_run_unpin(run=_run_for(request, pk))
    messages.info(request, _("Run #%(id)s is no longer pinned: exports use the latest run.") % {"id": run.pk})
    return redirect("analysis:run_report", pk=run.pk)


def _language(request) -> str:
    asked = request.GET.get("lang")
    return asked if asked in LANGUAGES else translation.get_language()


@contextmanager
def _reproduction_in_asked_language(request, pk: int):
    """The succeeded run ``pk``, the report's language and the run's reproduction in it; the body of the
    ``with`` runs in that language too, so that the page or PDF built there matches the reproduction."""
    run = _succeeded(request, pk)
    language = _language(request)
    with translation.override(language):
        yield run, language, run_reproduction(run)


@login_required
def run_reproduction_report(request, pk: int):
    with _reproduction_in_asked_language(request, pk) as (run, language, reproduction):
        response = render(
            request,
            "analysis/reproduction.html",
            {
                "run": run,
                "reproduction": reproduction,
                "sections": reproduction.sections(),
                "headers": headers(),
                "lines": report_lines(reproduction),
                "report_language": language,
                "report_languages": LANGUAGES,
            },
        )
    if request.GET.get("download"):
        response.content = _self_contained(response.content.decode())
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-reproduction-{language}.html"'
    return response


def _self_contained(html: str) -> str:
    """A downloaded report has no site to fetch its stylesheet from (and no CSP): the link becomes the sheet itself."""
    link = re.compile(r'<link rel="stylesheet" href="[^"]*reproduction[^"]*\.css">')
    return link.sub(lambda _match: "<style>" + REPORT_CSS.read_text(encoding="utf-8") + "</style>", html, count=1)


@login_required
def run_reproduction_pdf(request, pk: int):
    with _reproduction_in_asked_language(request, pk) as (run, language, reproduction):
        title = _("Reproduction report: run #%(id)s of wave %(wave)s") % {"id": run.pk, "wave": run.wave}
        content = reproduction_pdf(reproduction, title=title, lines=report_lines(reproduction))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-reproduction-{language}.pdf"'
    return response
