"""No template holds code that the production Content Security Policy refuses.

``script-src 'self'`` and ``style-src 'self'`` run only files served by the site: an inline
``<script>`` without ``src``, an ``on*=`` handler, a ``style=`` attribute or a ``<style>`` block
would be silently ignored in production. Behaviour lives in ``static/**.js`` (``data-*``
attributes), looks in ``static/**.css``.
"""

import re

import pytest

from tests.paths import ROOT

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
INLINE = {
    "inline <script> without src": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "on* event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "style= attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"""(?:href|action|src)\s*=\s*["']?\s*javascript:""", re.I),
}


def inline_code(text: str) -> list[str]:
    """Each kind of inline code found in a template's text, with its line number."""
    found = []
    for kind, pattern in INLINE.items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"line {line}: {kind}: {match.group(0)[:80]}")
    return found


def test_templates_found():
    assert len(TEMPLATES) > 30
    assert any(path.parts[-2] == "student" for path in TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(path.relative_to(ROOT / "templates")) for path in TEMPLATES])
def test_no_inline_code(path):
    assert inline_code(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        "<script type=\"module\">x()</script>",
        '<form method="post" onsubmit="return confirm(\'x\')">',
        '<button class="link" onclick="window.print()">',
        '<div class="bar" style="width: 93%">',
        "<style>body{margin:0}</style>",
        '<a href="javascript:void(0)">',
    ],
)
def test_the_grep_catches_inline_code(snippet):
    assert inline_code(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/staff/confirm.js" defer></script>',
        '<form method="post" data-confirm="Withdraw?">',
        '<link rel="stylesheet" href="/static/analysis/report.css">',
        '<progress max="100" value="93">93%</progress>',
        "<p>the online style guide</p>",
    ],
)
def test_the_grep_lets_files_and_data_attributes_pass(snippet):
    assert inline_code(snippet) == []
