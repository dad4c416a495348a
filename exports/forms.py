from django import forms
from django.utils.translation import gettext_lazy as _

from scoring.cleaning import CLEANING_RULES
from scoring.instrument import LANGUAGES

from .engine import FORMATS, LAYOUTS, PANELS, STATA_VERSIONS

# The labels of the choices; their values, in order, are the export engine's (surveys.exports), which the
# API and the export_responses command offer too.
FORMAT_LABELS = {
    "csv": _("CSV (UTF-8, opens in Excel)"), "xlsx": _("Excel"), "dta": _("Stata (.dta)"), "sav": _("SPSS (.sav)"),
    "zsav": _("SPSS, compressed (.zsav)"),
}
STATA_VERSION_LABELS = {118: _("118: Stata 14 and later"), 119: _("119: Stata 15 and later")}
PANEL_LABELS = {
    "": _("This wave only"),
    "long": _("Every wave of the study, long panel: one row per pid and wave"),
    "wide": _("Every wave of the study, wide panel: one row per pid, columns _w1, _w2..."),
}
LAYOUT_LABELS = {
    "wide": _("Wide: one row per response"),
    "long": _("Long: residence history, one row per respondent and year"),
    "sequences": _("Sequences: pid and mig_01..mig_12 (TraMineR seqdef)"),
}
LANGUAGE_NAMES = {"zh-hans": "简体中文", "en": "English"}  # each in its own language, as language menus show them
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
    format = forms.ChoiceField(label=_("Format"), choices=[(value, FORMAT_LABELS[value]) for value in FORMATS])
    stata_version = forms.TypedChoiceField(
        label=_("Stata release"),
        choices=[(value, STATA_VERSION_LABELS[value]) for value in STATA_VERSIONS],
        coerce=int,
        initial=118,
        required=False,
        empty_value=118,
    )
    panel = forms.ChoiceField(label=_("Waves"), choices=[(value, PANEL_LABELS[value]) for value in PANELS], required=False)
    layout = forms.ChoiceField(label=_("Layout"), choices=[(value, LAYOUT_LABELS[value]) for value in LAYOUTS])
    hash_pid = forms.BooleanField(label=_("Replace pid by a salted hash (for sharing outside the team)"), required=False)
    lang = forms.ChoiceField(label=_("Language of labels"), choices=[(value, LANGUAGE_NAMES[value]) for value in LANGUAGES])

    def clean(self):
        data = super().clean()
        if data.get("panel") and data.get("layout") != "wide":
            self.add_error("layout", _("A panel is made of the waves' wide rows: choose the wide layout."))
        return data

    def options(self) -> dict:
        data = self.cleaned_data
        return {
            "cleaned": data["cleaned"],
            "rules": {name: name in data["rules"] for name, _flag in CLEANING_RULES},
            "format": data["format"],
            "layout": data["layout"],
            "hash_pid": data["hash_pid"],
            "lang": data["lang"],
            "panel": data["panel"],
            "stata_version": data["stata_version"],
        }
