from django import template

from safeguarding.wording import rule_text, rules_text

register = template.Library()
register.filter("rule_text", rule_text)
register.filter("rules_text", rules_text)
