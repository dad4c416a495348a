"""Safeguarding rules in the reader's language, for the counsellor's queue and the alert e-mail.

A rule's name is free text typed by the study administrator (often English in a demo); the
condition it checks (a score or an answer at or above a threshold) is said in the reader's language,
with the dictionary's term for the code when there is one.
"""

from django.utils.translation import gettext as _

from common.labels import label


def rule_text(rule: dict) -> str:
    """``{"name", "code", "threshold"}`` of a met rule -> "抑郁总分 ≥ 24 (Depression score 24 or more)"."""
    threshold = rule.get("threshold")
    if isinstance(threshold, float) and threshold.is_integer():
        threshold = int(threshold)
    condition = _("%(what)s at or above %(threshold)s") % {"what": label(rule.get("code", "")), "threshold": threshold}
    name = rule.get("name") or ""
    return f"{condition} ({name})" if name and name != rule.get("code") else condition


def rules_text(rules: list[dict]) -> str:
    return _("; ").join(rule_text(rule) for rule in rules)
