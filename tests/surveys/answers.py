"""A complete, valid set of page posts for the questionnaire, built from the instrument."""

from django.utils import timezone

from scoring.instrument import default_instrument


def page_answers(section: str, *, age: int = 13, parent_away: int = 1) -> dict:
    """Valid answers for every item of ``section`` that applies to a child of ``age``."""
    instrument = default_instrument()
    today = timezone.localdate()
    answers = {}
    for code in instrument.section(section).items:
        variable = instrument[code]
        if code == "birth_year":
            answers[code] = today.year - age - (1 if today.month < 1 else 0)
        elif code == "birth_month":
            answers[code] = 1  # born on 1 January: completed years = year difference
        elif code == "parent_away":
            answers[code] = parent_away
        elif code.startswith("res_"):
            year = int(code[-2:])
            if year <= min(12, age + 1):
                answers[code] = 2 if code.startswith("res_father") else 1  # left behind by the father: LB1
        elif variable.options:
            answers[code] = variable.options[len(variable.options) // 2].code
        elif variable.value_range:
            answers[code] = variable.value_range[0]
    return answers


def sections() -> list[str]:
    return [section.code for section in default_instrument().sections]
