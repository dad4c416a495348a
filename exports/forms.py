from django import forms
from django.utils.translation import gettext_lazy as _

from scoring.cleaning import CLEANING_RULES

RULE_LABELS = {
    "family_disruption": _("Family disruption (a parent's death, disappearance or divorce)"),
    "res_unknown": _("Residence not remembered or missing"),
    "res_inconsistent": _("Inconsistent residence"),
    "straightline": _("Straight-lining (all resilience answers identical)"),
    "speeding": _("Speeding (below a third of the wave's median time)"),
    "missing_covariates": _("Missing covariates of the resilience models"),
}


class ExportForm(forms.Form):
    cleaned = forms.BooleanField(label=_("Cleaned (analytic) data set"), required=False, initial=True)
    rules = forms.MultipleChoiceField(
        label=_("Cleaning rules applied, in this order"),
        choices=[(name, RULE_LABELS.get(name, name)) for name, _flag in CLEANING_RULES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=[name for name, _flag in CLEANING_RULES],
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", _("CSV (UTF-8, opens in Excel)")), ("xlsx", _("Excel")), ("dta", _("Stata (.dta)")), ("sav", _("SPSS (.sav)"))],
    )
    layout = forms.ChoiceField(
        label=_("Layout"),
        choices=[
            ("wide", _("Wide: one row per response")),
            ("long", _("Long: residence history, one row per respondent and year")),
            ("sequences", _("Sequences: pid and mig_01..mig_12 (TraMineR seqdef)")),
        ],
    )
    hash_pid = forms.BooleanField(label=_("Replace pid by a salted hash (for sharing outside the team)"), required=False)
    lang = forms.ChoiceField(label=_("Language of value labels"), choices=[("zh-hans", "简体中文"), ("en", "English")])

    def options(self) -> dict:
        data = self.cleaned_data
        return {
            "cleaned": data["cleaned"],
            "rules": {name: name in data["rules"] for name, _flag in CLEANING_RULES},
            "format": data["format"],
            "layout": data["layout"],
            "hash_pid": data["hash_pid"],
            "lang": data["lang"],
        }
