"""The cleaning flow: from scored responses to the analytic sample.

Pure pandas (no Django import). The rules run in the order of the
specification; each counts only the rows that no earlier rule dropped. Every
rule can be switched off; a disabled rule drops nothing and is reported as
disabled, so the flow of counts always lists all six rules.

A flag that is missing (``<NA>``) counts as not raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["CLEANING_RULES", "CleaningResult", "clean", "rule_settings"]

# (rule name, flag column), in the order the specification applies them.
CLEANING_RULES: tuple[tuple[str, str], ...] = (
    ("family_disruption", "flag_family_disruption"),
    ("res_unknown", "flag_res_unknown"),
    ("res_inconsistent", "flag_res_inconsistent"),
    ("straightline", "flag_straightline"),
    ("speeding", "flag_speeding"),
    ("missing_covariates", "flag_missing_covariates"),
)
RAW = "raw"
FLOW_COLUMNS = ("rule", "flag", "enabled", "dropped", "remaining")
# Their types in a data package (``datapackage.json``); ``enabled`` is written 0/1.
FLOW_TYPES = {"rule": "string", "flag": "string", "enabled": "integer", "dropped": "integer", "remaining": "integer"}


@dataclass
class CleaningResult:
    """Outcome of :func:`clean`.

    ``mask``: bool Series on the scored frame's index, True = kept (analytic).
    ``flow``: one dict per rule, in order: ``rule``, ``flag``, ``enabled``,
    ``dropped`` (rows this rule dropped among those still kept) and
    ``remaining`` (rows kept after it). ``raw``: rows before any rule.
    """

    mask: pd.Series
    flow: list[dict] = field(default_factory=list)
    raw: int = 0

    @property
    def analytic(self) -> int:
        """Rows kept after every enabled rule."""
        return int(self.mask.sum())

    @property
    def rules(self) -> dict[str, bool]:
        """The rule switches used, ``{rule: enabled}``."""
        return {step["rule"]: step["enabled"] for step in self.flow}

    def flow_frame(self) -> pd.DataFrame:
        """The flow as a table: a first ``raw`` row (count before cleaning), then one row per rule."""
        head = {"rule": RAW, "flag": None, "enabled": None, "dropped": 0, "remaining": self.raw}
        frame = pd.DataFrame([head, *self.flow], columns=list(FLOW_COLUMNS))
        frame["dropped"] = frame["dropped"].astype("int64")
        frame["remaining"] = frame["remaining"].astype("int64")
        return frame


def rule_settings(rules: Mapping[str, bool] | None = None) -> dict[str, bool]:
    """Complete switches ``{rule: enabled}``; every rule is on unless switched off.

    Keys may be rule names or flag columns; an unknown key is an error.
    """
    settings = {name: True for name, _ in CLEANING_RULES}
    by_flag = {flag: name for name, flag in CLEANING_RULES}
    for key, enabled in (rules or {}).items():
        name = by_flag.get(key, key)
        if name not in settings:
            raise ValueError(f"unknown cleaning rule: {key!r} (known: {', '.join(settings)})")
        settings[name] = bool(enabled)
    return settings


def clean(scored: pd.DataFrame, rules: Mapping[str, bool] | None = None) -> CleaningResult:
    """Apply the cleaning rules in order to a scored frame (output of ``score_wave``).

    The frame needs the flag column of every enabled rule (``flag_speeding``
    comes from ``score_wave``, not ``score_frame``); a disabled rule's column
    may be absent.
    """
    settings = rule_settings(rules)
    missing = [flag for name, flag in CLEANING_RULES if settings[name] and flag not in scored.columns]
    if missing:
        raise KeyError(f"the scored frame lacks the flag columns: {', '.join(missing)}")
    keep = pd.Series(True, index=scored.index, dtype=bool)
    flow = []
    for name, flag in CLEANING_RULES:
        dropped = 0
        if settings[name]:
            raised = scored[flag].fillna(0).astype(bool)
            hit = keep & raised
            dropped = int(hit.sum())
            keep &= ~raised
        flow.append(
            {"rule": name, "flag": flag, "enabled": settings[name], "dropped": dropped, "remaining": int(keep.sum())}
        )
    return CleaningResult(mask=keep.rename("analytic"), flow=flow, raw=len(scored))
