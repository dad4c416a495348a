"""The reproduction report of a run: its results beside the published figures of Study A and B.

The figures and their sources are data (``analysis/published/*.csv``, read by
``analysis.core.reproduction``); this module labels the comparison in the
active language and lays it out for the page (HTML) and as a PDF (fpdf2,
with the CJK font the access-code slips use).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from fpdf import FPDF
from fpdf.fonts import FontFace

from common.fonts import latin1, pdf_font

from .core.reproduction import load_published, reproduction_summary, reproduction_table
from .models import AnalysisRun

PUBLISHED_DIR = Path(__file__).resolve().parent / "published"

STUDIES = {
    "A": gettext_lazy("Study A: migration trajectories and resilience (N = 8,453)"),
    "B": gettext_lazy("Study B: school support and depression (N = 605)"),
}
SECTIONS = {
    "cluster_shares": gettext_lazy("Trajectory clusters: share of children (%)"),
    "model1": gettext_lazy("Model 1: resilience on trajectory clusters"),
    "model4": gettext_lazy("Model 4: with controls, economic status and parent-child relation"),
    "interactions": gettext_lazy("Interactions (moderation)"),
    "psm": gettext_lazy("Propensity score matching: ATT"),
    "model2": gettext_lazy("Model 2: depression on parental migration, with controls"),
    "main_effects": gettext_lazy("School measures: main effects"),
}


@dataclass
class Reproduction:
    run: AnalysisRun
    table: pd.DataFrame
    summary: dict[str, int]

    def sections(self) -> list[dict]:
        """Study -> section -> rows of formatted cells, in the data files' order."""
        out = []
        for (study, section), rows in self.table.groupby(["study", "section"], sort=False):
            out.append(
                {
                    "study": study,
                    "study_title": str(STUDIES.get(study, study)),
                    "title": str(SECTIONS.get(section, section)),
                    "rows": [_cells(row) for row in rows.itertuples(index=False)],
                }
            )
        return out

    def sources(self) -> list[str]:
        return list(dict.fromkeys(self.table["source"]))


def run_reproduction(run: AnalysisRun) -> Reproduction:
    table = reproduction_table(run.results or {}, load_published(PUBLISHED_DIR))
    return Reproduction(run=run, table=table, summary=reproduction_summary(table))


def _number(value, digits: int = 3) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _with_se(value, se) -> str:
    text = _number(value)
    return f"{text} ({_number(se)})" if text and _number(se) else text


def _yes_no(value) -> str:
    if value is None:
        return "–"
    return _("yes") if value else _("no")


def _significance(value) -> str:
    if value is None:
        return "–"
    return _("significant") if value else _("not significant")


def _cells(row) -> dict:
    return {
        "label": _(row.label),
        "ours": _with_se(row.ours, row.ours_se) or "–",
        "ours_significant": _significance(row.ours_significant),
        "published": _with_se(row.published, row.published_se) or "–",
        "published_significant": _significance(row.published_significant),
        "difference": _number(row.difference) or "–",
        "difference_in_se": _number(row.difference_in_se, 2) or "–",
        "sign_agrees": _yes_no(row.sign_agrees),
        "significance_agrees": _yes_no(row.significance_agrees),
        "agrees": row.sign_agrees is not False and row.significance_agrees is not False,
    }


def headers() -> list[str]:
    return [
        _("Figure"), _("Ours (SE)"), _("Ours: p < 0.05"), _("Published (SE)"), _("Published: significant"),
        _("Difference"), _("Difference / published SE"), _("Same sign"), _("Same significance"),
    ]


CELL_KEYS = [
    "label", "ours", "ours_significant", "published", "published_significant", "difference", "difference_in_se",
    "sign_agrees", "significance_agrees",
]
HEADINGS = FontFace(emphasis="", fill_color=(230, 230, 230))  # no bold: the CJK font has one face
WIDTHS = [62, 30, 24, 30, 26, 22, 26, 18, 22]  # mm, landscape A4 within 10 mm margins


def reproduction_pdf(reproduction: Reproduction, *, title: str, lines: list[str]) -> bytes:
    """The report as a landscape A4 PDF (tables per study and section, then the sources)."""
    pdf = FPDF(orientation="L", format="A4", unit="mm")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=12)
    family = pdf_font(pdf)
    text = (lambda value: str(value)) if family == "cjk" else (lambda value: latin1(str(value)))
    pdf.add_page()
    pdf.set_font(family, size=14)
    pdf.multi_cell(0, 7, text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    for line in lines:
        pdf.multi_cell(0, 5, text(line), new_x="LMARGIN", new_y="NEXT")
    study = None
    for section in reproduction.sections():
        if section["study"] != study:
            study = section["study"]
            pdf.ln(3)
            pdf.set_font(family, size=12)
            pdf.multi_cell(0, 7, text(section["study_title"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=10)
        pdf.multi_cell(0, 6, text(section["title"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=7.5)
        with pdf.table(
            col_widths=WIDTHS, text_align="LEFT", line_height=4, first_row_as_headings=True, headings_style=HEADINGS
        ) as table:
            header = table.row()
            for cell in headers():
                header.cell(text(cell))
            for cells in section["rows"]:
                row = table.row()
                for key in CELL_KEYS:
                    row.cell(text(cells[key]))
        pdf.ln(2)
    pdf.set_font(family, size=10)
    pdf.multi_cell(0, 6, text(_("Sources of the published figures")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=7.5)
    for source in reproduction.sources():
        pdf.multi_cell(0, 4, text(source), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def report_lines(reproduction: Reproduction) -> list[str]:
    """The report's head: which run, on what data, and the summary counts."""
    run, summary = reproduction.run, reproduction.summary
    return [
        _("Run #%(id)s of wave %(wave)s, finished %(finished)s; data fingerprint %(fingerprint)s; code %(code)s.")
        % {
            "id": run.pk,
            "wave": run.wave,
            "finished": timezone.localtime(run.finished_at).strftime("%Y-%m-%d %H:%M") if run.finished_at else "–",
            "fingerprint": run.data_fingerprint[:16] or "–",
            "code": run.code_version or "–",
        },
        _("%(compared)s of %(figures)s published figures found in the run. Same sign: %(signs_agree)s of %(signs_compared)s; "
          "same significance: %(significance_agrees)s of %(significance_compared)s; within 2 published SEs: %(within_2_se)s of %(with_se)s.")
        % summary,
        _("Significance: ours two-sided p < 0.05; published as stated in the paper, else |estimate / SE| >= 1.96."),
    ]
