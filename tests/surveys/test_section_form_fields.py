"""Section forms reuse each item's field built once per instrument and language, without sharing state."""

from django.utils import translation

from scoring.instrument import default_instrument
from surveys.forms import RESIDENCE_SECTION, SectionForm, page_item_codes


def test_two_forms_of_one_page_never_share_a_field():
    instrument = default_instrument()
    first = SectionForm(instrument=instrument, section="about", lang="zh-hans")
    second = SectionForm(instrument=instrument, section="about", lang="zh-hans")
    code = next(iter(first.fields))
    assert first.fields[code] is not second.fields[code]
    first.fields[code].widget.attrs["data-marked"] = "1"
    assert "data-marked" not in second.fields[code].widget.attrs


def test_error_messages_speak_the_page_language_whatever_is_active():
    instrument = default_instrument()
    with translation.override("en"):
        chinese = SectionForm({}, instrument=instrument, section="about", lang="zh-hans")
        chinese.is_valid()
    with translation.override("zh-hans"):
        english = SectionForm({}, instrument=instrument, section="about", lang="en")
        english.is_valid()
    assert any("请回答" in message for messages in chinese.errors.values() for message in messages)
    assert any("Please answer" in message for messages in english.errors.values() for message in messages)


def test_the_residence_page_shows_only_the_years_lived():
    instrument = default_instrument()
    codes = page_item_codes(instrument, RESIDENCE_SECTION, age=3)
    assert codes == list(SectionForm(instrument=instrument, section=RESIDENCE_SECTION, lang="en", age=3).fields)
    assert len(codes) < len(page_item_codes(instrument, RESIDENCE_SECTION, age=12))
