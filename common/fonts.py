"""CJK fonts for the PDFs (fpdf2: access-code slips, the reproduction report) and the plots (matplotlib).

Debian's fonts-noto-cjk gives both; ``common.checks`` says so at start-up when none is installed.
"""

from pathlib import Path

from fpdf import FPDF

PDF_CJK_FONTS = [
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),  # index 2: Simplified Chinese
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
]
PLOT_CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei")


def pdf_font(pdf: FPDF) -> str:
    """Register the first CJK font found with ``pdf``; its family name ("helvetica" without one)."""
    for path, index in PDF_CJK_FONTS:
        if path.exists():
            pdf.add_font("cjk", "", str(path), collection_font_number=index)
            return "cjk"
    return "helvetica"


def latin1(text: str) -> str:
    """What a PDF without a CJK font can print: other characters become "?"."""
    return text.encode("latin-1", "replace").decode("latin-1")


def cjk_font_names() -> list[str]:
    """The CJK fonts matplotlib finds (Debian's fonts-noto-cjk gives Noto Sans CJK SC)."""
    from matplotlib import font_manager  # matplotlib loads only where plots or the start-up check need it

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in PLOT_CJK_FONTS if name in installed]
