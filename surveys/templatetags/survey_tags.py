"""Template helpers that read wording from the instrument in the student's language."""

from django import template

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
