"""The CJK font check: an Error under the production settings, a Warning elsewhere, silent with a font."""

from pathlib import Path

import pytest
from django.test import override_settings

from common import checks, fonts

PRODUCTION = override_settings(SETTINGS_MODULE="config.settings.production", DEBUG=False)
LOCAL = override_settings(SETTINGS_MODULE="config.settings.local", DEBUG=True)


@pytest.fixture
def no_fonts(monkeypatch):
    monkeypatch.setattr(fonts, "PDF_CJK_FONTS", [(Path("/nonexistent/font.ttc"), 0)])
    monkeypatch.setattr(fonts, "PLOT_CJK_FONTS", ("No Such CJK Font",))


def test_silent_when_the_fonts_are_installed():
    if not (checks.pdf_font_found() and checks.plot_font_found()):
        pytest.fail("fonts-noto-cjk is not installed (make test installs it)")
    with PRODUCTION:
        assert checks.cjk_fonts_check() == []


def test_an_error_in_production(no_fonts):
    with PRODUCTION:
        [message] = checks.cjk_fonts_check()
    assert message.id == "common.E001" and message.is_serious()
    assert "PDF" in message.msg and "plots" in message.msg and "fonts-noto-cjk" in message.hint


def test_a_warning_elsewhere(no_fonts):
    with LOCAL:
        [message] = checks.cjk_fonts_check()
    assert message.id == "common.W001" and not message.is_serious()


def test_registered_with_django(no_fonts):
    from django.core.checks import run_checks

    with PRODUCTION:
        assert "common.E001" in {message.id for message in run_checks()}
