"""The default wording file: complete, consistent with the dictionary, overridable."""

from __future__ import annotations

import csv
import io
import re

import pytest

from scoring.instrument import DEFAULT_DICTIONARY, DEFAULT_WORDING, LANGUAGES, load_instrument, read_wording

SECTIONS = (
    "about",
    "parents_now",
    "residence_history",
    "rsca",
    "depression",
    "family_resources",
    "school_resources",
)
UI_KEYS = (
    "ui:assent_title",
    "ui:assent_body",
    "ui:help_title",
    "ui:help_body",
    "ui:thanks_title",
    "ui:thanks_body",
    "ui:review_title",
    "ui:same_as_previous",
    "ui:year_of_life",
    "ui:child",
    "ui:father",
    "ui:mother",
)
CHOICE_TYPES = ("choice", "likert5")


@pytest.fixture(scope="module")
def raw_rows() -> list[dict]:
    text = DEFAULT_WORDING.read_bytes().decode("utf-8")  # must be valid UTF-8
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == ["key", "zh-hans", "en"]
    rows = list(reader)
    for row in rows:
        assert None not in row, f"row with extra fields: {row}"
        assert all(value is not None for value in row.values()), f"row with missing fields: {row}"
    return rows


@pytest.fixture(scope="module")
def wording() -> dict:
    return read_wording(DEFAULT_WORDING)


@pytest.fixture(scope="module")
def instrument():
    return load_instrument()


@pytest.fixture(scope="module")
def dictionary() -> dict[str, dict]:
    with DEFAULT_DICTIONARY.open(encoding="utf-8-sig", newline="") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


def both(entry: dict) -> bool:
    return all(entry.get(lang, "").strip() for lang in LANGUAGES)


def test_keys_are_unique_and_texts_trimmed(raw_rows):
    keys = [row["key"] for row in raw_rows]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates
    for row in raw_rows:
        for column, value in row.items():
            assert value == value.strip(), f"{row['key']} {column}: surrounding whitespace"


def test_every_item_has_question_text(instrument, wording):
    items = instrument.items
    assert len(items) > 100
    missing = [v.code for v in items if not both(wording.get(v.code, {}))]
    assert not missing
    for variable in items:
        assert variable.text("zh-hans") == wording[variable.code]["zh-hans"]
        assert variable.text("en") == wording[variable.code]["en"]


def test_every_option_has_a_label(instrument, wording):
    missing = []
    for variable in instrument.items:
        if variable.type not in CHOICE_TYPES:
            continue
        assert variable.options, variable.code
        for option in variable.options:
            if not both(wording.get(f"{variable.code}={option.code}", {})):
                missing.append(f"{variable.code}={option.code}")
    assert not missing


def test_every_section_has_title_and_intro(instrument, wording):
    assert {section.code for section in instrument.sections} == set(SECTIONS)
    for section in instrument.sections:
        assert both(section.title), section.code
        assert both(section.intro), section.code
    assert "7" in wording["section:depression:intro"]["zh-hans"]
    assert "7 days" in wording["section:depression:intro"]["en"]
    assert "家长" in wording["section:residence_history:intro"]["zh-hans"] or "爸爸妈妈" in wording[
        "section:residence_history:intro"
    ]["zh-hans"]
    assert "parent" in wording["section:residence_history:intro"]["en"]


def test_ui_texts(wording):
    missing = [key for key in UI_KEYS if not both(wording.get(key, {}))]
    assert not missing
    for lang in LANGUAGES:
        template = wording["ui:year_of_life"][lang]
        assert set(re.findall(r"{(\w+)}", template)) == {"n", "from_age", "to_age"}
        assert template.format(n=3, from_age=2, to_age=3)


def test_no_key_outside_the_dictionary(wording, dictionary):
    unknown = []
    for key in wording:
        if key.startswith("ui:"):
            continue
        if key.startswith("section:"):
            name = key.split(":")[1]
            if name not in SECTIONS or key not in (f"section:{name}", f"section:{name}:intro"):
                unknown.append(key)
            continue
        code, sep, option = key.partition("=")
        row = dictionary.get(code)
        if row is None or row["kind"] != "item":
            unknown.append(key)
            continue
        if sep:
            if row["type"] not in CHOICE_TYPES:
                unknown.append(key)
                continue
            codes = {part.partition("=")[0] for part in row["options"].split("|")}
            if option not in codes:
                unknown.append(key)
    assert not unknown


def test_residence_wording_names_the_year_and_the_person(wording):
    for year in range(1, 13):
        child, father, mother = (wording[f"res_{p}_{year:02d}"] for p in ("child", "father", "mother"))
        for entry in (child, father, mother):
            assert f"第{year}年" in entry["zh-hans"]
        assert "爸爸" in father["zh-hans"] and "father" in father["en"]
        assert "妈妈" in mother["zh-hans"] and "mother" in mother["en"]
        assert "爸爸" not in child["zh-hans"] and "妈妈" not in child["zh-hans"]
    assert "2岁到3岁" in wording["res_child_03"]["zh-hans"]
    assert wording["res_father_05=9"]["zh-hans"] == "去世、失踪或离异"


def test_rsca_items_are_distinct(instrument):
    items = [v for v in instrument.items if v.section == "rsca"]
    assert len(items) == 27
    for lang in LANGUAGES:
        texts = [v.text(lang) for v in items]
        assert len(set(texts)) == 27


def test_partial_override_changes_only_that_text(tmp_path, instrument):
    override = tmp_path / "licensed.csv"
    override.write_text(
        "key,zh-hans,en\n"
        'rsca01,授权题目一（测试）,"Licensed item one, for the test"\n'
        "rsca01=3,中立（测试）,\n",
        encoding="utf-8",
    )
    changed = load_instrument(wording=override)

    assert changed["rsca01"].text("zh-hans") == "授权题目一（测试）"
    assert changed["rsca01"].text("en") == "Licensed item one, for the test"
    # A language left empty in the override keeps the default text.
    assert changed["rsca01"].option_text(3, "zh-hans") == "中立（测试）"
    assert changed["rsca01"].option_text(3, "en") == instrument["rsca01"].option_text(3, "en")
    assert changed.fingerprint != instrument.fingerprint

    for variable in instrument.items:
        if variable.code == "rsca01":
            continue
        for lang in LANGUAGES:
            assert changed[variable.code].text(lang) == variable.text(lang)
            for option in variable.options:
                assert changed[variable.code].option_text(option.code, lang) == option.text(lang)
    for section in instrument.sections:
        for lang in LANGUAGES:
            assert changed.section(section.code).text(lang) == section.text(lang)
            assert changed.section(section.code).intro_text(lang) == section.intro_text(lang)
    for key in UI_KEYS:
        for lang in LANGUAGES:
            assert changed.text(key, lang) == instrument.text(key, lang)
