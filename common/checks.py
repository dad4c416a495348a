"""System check: a CJK font for the PDF slips (fpdf2) and the analysis plots (matplotlib).

Without one the slips print "????" and the plots draw boxes, silently. Production settings (DEBUG
off) fail the check (``manage.py check --deploy`` and every start-up); elsewhere it warns. Debian:
``apt-get install fonts-noto-cjk``.
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import fonts

HINT = "Install a CJK font: apt-get install fonts-noto-cjk (Debian/Ubuntu)."


def pdf_font_found() -> bool:
    return any(path.exists() for path, _index in fonts.PDF_CJK_FONTS)


def plot_font_found() -> bool:
    return bool(fonts.cjk_font_names())


def _production() -> bool:
    return not settings.DEBUG and str(getattr(settings, "SETTINGS_MODULE", "")).endswith(".production")


@register(Tags.compatibility, deploy=False)
def cjk_fonts_check(app_configs=None, **kwargs):
    missing = [what for what, found in (("PDF access-code slips", pdf_font_found), ("analysis plots", plot_font_found)) if not found()]
    if not missing:
        return []
    message = f"No CJK font found for the {' and the '.join(missing)}: Chinese text would print as '????'."
    if _production():
        return [Error(message, hint=HINT, id="common.E001")]
    return [Warning(message, hint=HINT, id="common.W001")]
