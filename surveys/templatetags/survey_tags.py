"""Template helpers that read wording from the instrument in the student's language."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from scoring.instrument import RESIDENCE_PERSONS

register = template.Library()


@register.simple_tag
def ui_text(instrument, key, lang):
    return instrument.text(key, lang)


@register.simple_tag
def year_title(instrument, lang, year, from_age, to_age):
    return instrument.text("ui:year_of_life", lang, "{n}").format(n=year, from_age=from_age, to_age=to_age)


@register.simple_tag
def person_label(instrument, lang, index):
    person = RESIDENCE_PERSONS[index]
    return instrument.text(f"ui:{person}", lang, person)


@register.filter
def section_title(section, lang):
    return section.text(lang)


@register.filter
def section_intro(section, lang):
    return section.intro_text(lang)


@register.simple_tag
def choice_input(field):
    """A radio group or a select for a choice field, built in Python.

    Rendering every option through Django's widget templates cost tens of
    milliseconds on the longer pages; this builds the same markup directly.
    """
    name = field.html_name
    selected = field.value()
    selected = "" if selected in (None, "") else str(selected)
    choices = field.field.choices
    if field.field.widget.input_type == "radio":
        parts = [
            f'<label class="option"><input type="radio" name="{name}" value="{escape(value)}" id="id_{name}_{index}"'
            f'{" checked" if str(value) == selected else ""}><span>{escape(label)}</span></label>'
            for index, (value, label) in enumerate(choices)
        ]
        return mark_safe(f'<div class="options">{"".join(parts)}</div>')
    options = "".join(
        f'<option value="{escape(value)}"{" selected" if str(value) == selected else ""}>{escape(label)}</option>'
        for value, label in choices
    )
    label = escape(field.label)  # the select's accessible name: it sits under a legend, not a label, on most pages
    return mark_safe(f'<select name="{name}" id="{field.auto_id}" aria-label="{label}">{options}</select>')
