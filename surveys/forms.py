"""Forms of the phone questionnaire, built from the instrument: one per section.

Field names are the dictionary's item codes, so a posted page maps straight
onto the stored answers. Items that steer the questionnaire (the birth date,
which sets the years of the residence history, and the items a follow-up
depends on) are required; every other item may be skipped, as the assent
screen promises.
"""

import copy
import json
import weakref

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from scoring.instrument import RESIDENCE_PERSONS, Instrument, Variable

from .access_codes import normalise_access_code

ROUTING_ITEMS = ("birth_year", "birth_month")
RESIDENCE_SECTION = "residence_history"


def required_items(instrument: Instrument) -> set[str]:
    """The items a page cannot be saved without: the birth date and the items a follow-up depends on."""
    return set(ROUTING_ITEMS) | instrument.steering_items


class AccessCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Access code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "inputmode": "text"}
        ),
    )

    def clean_code(self) -> str:
        return normalise_access_code(self.cleaned_data["code"])


class AssentForm(forms.Form):
    agree = forms.BooleanField(label=_("I understand and want to take part"), required=True)


def page_item_codes(instrument: Instrument, section: str, age: int | None) -> list[str]:
    """The items a page shows: all of its section's, but only the years lived in the residence history."""
    items = instrument.section(section).items
    if section != RESIDENCE_SECTION:
        return list(items)
    years = instrument.residence_years_asked(age)
    return [code for code in items if _residence_year(code) in years]


# Per instrument object (an instrument is built once per process and version): (code, required, lang) -> field.
_prototypes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _field_prototype(instrument: Instrument, code: str, required: bool, lang: str) -> forms.Field:
    """Built once per instrument and language: each form gets a deep copy, as Django copies a form's base fields."""
    built = _prototypes.setdefault(instrument, {})
    key = (code, required, lang)
    if key not in built:
        with translation.override(lang):  # the error messages are kept: in the page's language, whatever is active
            built[key] = _field_for(instrument[code], required, lang)
    return built[key]


def _field_for(variable: Variable, required: bool, lang: str) -> forms.Field:
    """The form field of one item; its error messages name the question (a page has many)."""
    label = variable.text(lang)
    question = {"question": label}
    errors = {
        "required": _("Please answer this question: %(question)s") % question,
        "invalid_choice": _("Please choose one of the answers to: %(question)s") % question,
        "invalid": _("Please give a number for: %(question)s") % question,
    }
    common = {"label": label, "required": required, "error_messages": errors}
    if variable.options:
        choices = [(option.code, option.text(lang)) for option in variable.options]
        widget = forms.Select if variable.section == RESIDENCE_SECTION else forms.RadioSelect
        if widget is forms.Select:
            choices = [("", "—"), *choices]
        return forms.TypedChoiceField(choices=choices, coerce=int, empty_value=None, widget=widget, **common)
    if variable.value_range:
        low, high = variable.value_range
        values = range(high, low - 1, -1) if variable.code == "birth_year" else range(low, high + 1)
        return forms.TypedChoiceField(
            choices=[("", "—"), *((value, value) for value in values)], coerce=int, empty_value=None, **common
        )
    return forms.IntegerField(**common)


class SectionForm(forms.Form):
    """The items of one section; the residence history asks only the years the child has lived."""

    def __init__(self, *args, instrument: Instrument, section: str, lang: str, age: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.section = instrument.section(section)
        self.lang = lang
        self.age = age
        self.years = instrument.residence_years_asked(age) if section == RESIDENCE_SECTION else range(0)
        required = required_items(instrument)
        for code in page_item_codes(instrument, section, age):
            self.fields[code] = copy.deepcopy(_field_prototype(instrument, code, code in required, lang))

    def clean(self):
        cleaned = super().clean()
        for code in self.fields:
            if not self.instrument[code].is_asked(cleaned, self.age):
                cleaned[code] = None  # a follow-up that does not apply is not an answer
        return cleaned

    def answers(self) -> dict:
        """The page's answers by item code; unanswered items are None (cleared)."""
        return {code: self.cleaned_data.get(code) for code in self.fields}

    def valid_answers(self) -> dict:
        """The answers that passed validation (a save without validation: the language switch)."""
        return {code: self.cleaned_data[code] for code in self.fields if code in self.cleaned_data}

    def shown(self, answers: dict) -> dict:
        """The stored values this page displays: what a save of the page is based on."""
        return {code: answers.get(code) for code in self.fields}

    def mark_conflicts(self, conflicts: dict) -> None:
        """Show, beside each item another device changed meanwhile, both answers: this page's and the saved one."""
        for code, (mine, saved) in conflicts.items():
            if code in self.fields:
                variable = self.instrument[code]
                self[code].conflict = {"mine": _value_text(variable, mine, self.lang), "saved": _value_text(variable, saved, self.lang)}

    def residence_rows(self):
        """(year, from_age, to_age, [child, father, mother] bound fields) for the template."""
        rows = []
        for year in self.years:
            fields = [self[Instrument.residence_code(person, year)] for person in RESIDENCE_PERSONS]
            rows.append({"year": year, "from_age": year - 1, "to_age": year, "fields": fields})
        return rows

    def item_fields(self):
        """Bound fields with the variable they ask, for the generic section template."""
        return [(self[code], self.instrument[code]) for code in self.fields]


def _value_text(variable: Variable, value, lang: str) -> str:
    if value is None:
        return str(_("(no answer)"))
    if variable.options and value in variable.option_codes:
        return variable.option_text(value, lang)
    return str(value)


def encode_shown(shown: dict) -> str:
    """The hidden field that carries what a page showed (also posted by the no-script form)."""
    return json.dumps(shown, separators=(",", ":"), sort_keys=True)


def decode_shown(text: str | None) -> dict | None:
    """What a posted page showed, or None when missing or malformed."""
    try:
        shown = json.loads(text or "")
    except ValueError:
        return None
    return valid_shown(shown)


def valid_shown(shown) -> dict | None:
    """What a page showed, as sent in a queued save's JSON: item code -> int or None, else None."""
    if not isinstance(shown, dict):
        return None
    if not all(isinstance(value, int) and not isinstance(value, bool) or value is None for value in shown.values()):
        return None
    return shown


def _residence_year(code: str) -> int:
    return int(code.rsplit("_", 1)[1])
