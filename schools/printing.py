"""Access-code slips as PDF (fpdf2), with a CJK font when the system has one (Debian's fonts-noto-cjk)."""


from django.utils.translation import gettext as _
from fpdf import FPDF

from common.fonts import latin1, pdf_font

COLUMNS, ROWS = 2, 6
SLIP_W, SLIP_H = 95, 45  # mm, on A4 with 10 mm margins


def slips_pdf(*, school: str, school_class: str, wave: str, slips: list[dict], entry_url: str) -> bytes:
    """Twelve cut-out slips per A4 page: seat, name (stays in the school), code, where to enter it."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    family = pdf_font(pdf)
    text = (lambda value: value) if family == "cjk" else latin1
    for index, slip in enumerate(slips):
        position = index % (COLUMNS * ROWS)
        if position == 0:
            pdf.add_page()
        x = 10 + (position % COLUMNS) * SLIP_W
        y = 10 + (position // COLUMNS) * SLIP_H
        pdf.set_draw_color(150)
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.rect(x, y, SLIP_W, SLIP_H)
        pdf.set_font(family, size=9)
        pdf.set_xy(x + 4, y + 3)
        seat = _("Seat %(seat)s") % {"seat": slip["seat"] or "-"}
        pdf.cell(SLIP_W - 8, 5, text(f"{school} {school_class} · {wave} · {seat}"))
        if slip.get("name"):
            pdf.set_xy(x + 4, y + 9)
            pdf.cell(SLIP_W - 8, 5, text(slip["name"]))
        pdf.set_font(family, size=22)
        pdf.set_xy(x + 4, y + 16)
        pdf.cell(SLIP_W - 8, 12, slip["code"], align="C")
        pdf.set_font(family, size=9)
        pdf.set_xy(x + 4, y + 31)
        pdf.cell(SLIP_W - 8, 5, text(_("Open %(url)s and type the code.") % {"url": entry_url}))
        pdf.set_xy(x + 4, y + 36)
        pdf.cell(SLIP_W - 8, 5, text(_("Keep this slip private.")))
    if not slips:
        pdf.add_page()
        pdf.set_font(family, size=12)
        pdf.cell(0, 10, text(_("No access codes yet.")))
    return bytes(pdf.output())
