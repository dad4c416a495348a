"""What the reference README states, read from its text at test time (never copied into code)."""

import re

from tests.paths import REFERENCE_DIR

PHRASES = {
    "family_disruption": r"family disruption ([\d,]+)",
    "res_unknown": r"residence not remembered ([\d,]+)",
    "res_inconsistent": r"inconsistent residence ([\d,]+)",
    "straightline": r"straight-lining ([\d,]+)",
    "speeding": r"speeding \([^)]*\) ([\d,]+)",
    "missing_covariates": r"missing covariates of the resilience models ([\d,]+)",
    "analytic": r"analytic sample ([\d,]+)",
    "median": r"median duration, ([\d.]+) s",
}


def readme_flow() -> dict[str, float]:
    """Rows dropped by each cleaning rule, the analytic sample and the median duration of cohort_1500."""
    text = " ".join((REFERENCE_DIR / "README.md").read_text(encoding="utf-8").split())
    found = {}
    for key, pattern in PHRASES.items():
        match = re.search(pattern, text)
        assert match, f"the reference README no longer states {key!r}"
        number = float(match.group(1).replace(",", ""))
        found[key] = int(number) if number.is_integer() and key != "median" else number
    return found
