"""Terms of the analysis report and plots in the user's language.

The analysis core names things in English (column names, cluster names, model terms, cleaning rules,
flow steps, plot axes); the pages, CSV-free views and plots translate them when they are shown. The
msgids are the core's own names, so a new term shows in English until it is added here and to the
catalogue (``locale/``).
"""

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

TERMS = {
    'non-migration': _('non-migration'),
    'migration': _('migration'),
    'left-behind by single parent': _('left-behind by single parent'),
    'left-behind by both parents': _('left-behind by both parents'),
    'transition': _('transition'),
    'traj_cluster': _('traj_cluster'),
    'traj_label': _('traj_label'),
    'n': _('n'),
    'k': _('k'),
    'term': _('term'),
    'coef': _('coef'),
    'se': _('se'),
    'p': _('p'),
    't': _('t'),
    'rule': _('rule'),
    'flag': _('flag'),
    'enabled': _('enabled'),
    'dropped': _('dropped'),
    'remaining': _('remaining'),
    'variable': _('variable'),
    'level': _('level'),
    'item': _('item'),
    'items': _('items'),
    'loading': _('loading'),
    'communality': _('communality'),
    'alpha': _('alpha'),
    'scale': _('scale'),
    'method': _('method'),
    'att': _('att'),
    'treated': _('treated'),
    'control': _('control'),
    'n_treated': _('n_treated'),
    'n_controls': _('n_controls'),
    'controls_matched': _('controls_matched'),
    'treated_on_support': _('treated_on_support'),
    'treated_off_support': _('treated_off_support'),
    'unmatched_difference': _('unmatched_difference'),
    'unmatched_se': _('unmatched_se'),
    'covariate_set': _('covariate_set'),
    'Total': _('Total'),
    'ages 1-12': _('ages 1-12'),
    'share': _('share'),
    'NM': _('NM'),
    'MG': _('MG'),
    'LB1': _('LB1'),
    'LB2': _('LB2'),
    'raw': _('raw'),
    'speeding': _('speeding'),
    'straightline': _('straightline'),
    'res_unknown': _('res_unknown'),
    'res_inconsistent': _('res_inconsistent'),
    'family_disruption': _('family_disruption'),
    'missing_covariates': _('missing_covariates'),
    'flag_speeding': _('flag_speeding'),
    'flag_straightline': _('flag_straightline'),
    'flag_res_unknown': _('flag_res_unknown'),
    'flag_res_inconsistent': _('flag_res_inconsistent'),
    'flag_family_disruption': _('flag_family_disruption'),
    'flag_missing_covariates': _('flag_missing_covariates'),
    'constant': _('constant'),
    'girl': _('girl'),
    'age': _('age'),
    'grade': _('grade'),
    'urban': _('urban'),
    'ethnic minority': _('ethnic minority'),
    'only child': _('only child'),
    'has siblings': _('has siblings'),
    'economic status': _('economic status'),
    'parent-child relation': _('parent-child relation'),
    "parents' relation": _("parents' relation"),
    'neighbourhood relation': _('neighbourhood relation'),
    'academic rank': _('academic rank'),
    'health better': _('health better'),
    'classmates friendly': _('classmates friendly'),
    'mother: junior high': _('mother: junior high'),
    'mother: senior high or above': _('mother: senior high or above'),
    'father: junior high': _('father: junior high'),
    'father: senior high or above': _('father: senior high or above'),
    'both parents': _('both parents'),
    'father only': _('father only'),
    'mother only': _('mother only'),
    'closeness with classmates': _('closeness with classmates'),
    'number of best friends': _('number of best friends'),
    'satisfaction with head teacher': _('satisfaction with head teacher'),
    'satisfaction with peers': _('satisfaction with peers'),
    'school belonging': _('school belonging'),
    "teacher's attitude": _("teacher's attitude"),
    'Boy': _('Boy'),
    'Girl': _('Girl'),
    'I board at school': _('I board at school'),
    'I live at home': _('I live at home'),
    'not boarding': _('not boarding'),
    'Non-rural (urban) hukou': _('Non-rural (urban) hukou'),
    'Rural (agricultural) hukou': _('Rural (agricultural) hukou'),
    'Friendly': _('Friendly'),
    'Not friendly': _('Not friendly'),
    'better': _('better'),
    'worse': _('worse'),
    'two or more children': _('two or more children'),
    'primary or less': _('primary or less'),
    'junior high': _('junior high'),
    'senior high or above': _('senior high or above'),
    'gender': _('gender'),
    'boarding': _('boarding'),
    'siblings': _('siblings'),
    'health': _('health'),
    'hukou': _('hukou'),
    'classmates': _('classmates'),
    "mother's education": _("mother's education"),
    "father's education": _("father's education"),
    'resilience': _('resilience'),
    'individual power': _('individual power'),
    'supportive power': _('supportive power'),
    'family economic status': _('family economic status'),
    'nearest': _('nearest'),
    'radius': _('radius'),
    'kernel': _('kernel'),
    'rsca': _('rsca'),
    'dep': _('dep'),
    'tatt': _('tatt'),
    'year of life': _('year of life'),
    'k (number of clusters)': _('k (number of clusters)'),
    'coefficient (95% CI); filled: p < .05': _('coefficient (95% CI); filled: p < .05'),
    'no clustered respondents': _('no clustered respondents'),
    'adj. R²': _('adj. R²'),
}
# Study B's model names: main_<code> and interaction_<code>.
MODEL_CODES = {
    "belong": "school belonging",
    "best_friends": "number of best friends",
    "closeness": "closeness with classmates",
    "peer_sat": "satisfaction with peers",
    "tatt": "teacher's attitude",
    "tsat": "satisfaction with head teacher",
}
SUFFIXES = {", mean (SD)": _("mean (SD)"), ", %": "%"}
_MODEL = re.compile(r"model(\d)( \(ages 4-12\))?")


def label(value):
    """``value`` in the user's language when it is a known term (or made of known terms); else as is."""
    if not isinstance(value, str) or not value:
        return value
    if value in TERMS:
        return str(TERMS[value])
    if " × " in value:
        return " × ".join(label(part) for part in value.split(" × "))
    for suffix, translated in SUFFIXES.items():
        if value.endswith(suffix) and value[: -len(suffix)] in TERMS:
            return f"{label(value[: -len(suffix)])}, {translated}"
    if match := _MODEL.fullmatch(value):
        name = gettext("model %(n)s") % {"n": match.group(1)}
        return f"{name} ({gettext('ages 4-12')})" if match.group(2) else name
    kind, _sep, code = value.partition("_")
    if code in MODEL_CODES and kind in ("main", "interaction"):
        heading = gettext("main effects") if kind == "main" else gettext("interactions")
        return f"{heading}: {label(MODEL_CODES[code])}"
    if kind == "moderation" and code in ("economic", "pcr"):
        return gettext("moderation by %(name)s") % {"name": label("economic status" if code == "economic" else "parent-child relation")}
    return value
