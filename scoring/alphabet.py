"""The sequence alphabet: the four family migration statuses of ``mig_01``..``mig_12``, in one place.

Codes and short names are the options of ``mig_XX`` in the data dictionary
(``1=NM non-migrant|...``; a test checks they agree), the names are the
analysis' cluster names (spec README, "Trajectory clusters"), which are also
the msgids of their Chinese labels (``analysis/labels.py``, ``locale/``), and
one palette colours the report's plots and the R loader's TraMineR sequences
(``seqdef(cpal = ...)``), so a researcher's own plots look like the report's. Used by the scoring engine, the analysis core, the plots, the exports
and the synthetic generator. Plain Python: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.instrument import RESIDENCE_YEARS

SEQUENCE_YEARS = RESIDENCE_YEARS  # years of life 1..12: mig_01..mig_12


@dataclass(frozen=True)
class State:
    code: int  # the value of mig_XX
    short: str  # NM, MG, LB1, LB2 (mig_seq's letters)
    name: str  # the cluster name in English, e.g. "non-migration" (a msgid of the zh-hans catalogue)
    colour: str  # in the report's plots and the R loader's palette


@dataclass(frozen=True)
class SequenceAlphabet:
    states: tuple[State, ...]
    transition: str = "transition"  # the name of a cluster without a dominant status

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(state.code for state in self.states)

    @property
    def shorts(self) -> tuple[str, ...]:
        return tuple(state.short for state in self.states)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(state.name for state in self.states)

    @property
    def colours(self) -> tuple[str, ...]:
        return tuple(state.colour for state in self.states)

    @property
    def cluster_names(self) -> tuple[str, ...]:
        """Every name a trajectory cluster can have, in the canonical order (statuses, then transition)."""
        return (*self.names, self.transition)

    def __len__(self) -> int:
        return len(self.states)

    def by_short(self, short: str) -> State:
        return next(state for state in self.states if state.short == short)


MIGRATION_STATUSES = SequenceAlphabet(
    states=(
        State(1, "NM", "non-migration", "#4C72B0"),
        State(2, "MG", "migration", "#DD8452"),
        State(3, "LB1", "left-behind by single parent", "#55A868"),
        State(4, "LB2", "left-behind by both parents", "#C44E52"),
    )
)
NM, MG, LB1, LB2 = MIGRATION_STATUSES.codes


def mig_column(year: int, suffix: str = "") -> str:
    """The status column of a year of life: ``mig_01``; ``suffix`` for a wide panel's wave (``_w2``)."""
    return f"mig_{year:02d}{suffix}"


def mig_columns(suffix: str = "", years=SEQUENCE_YEARS) -> list[str]:
    """``mig_01``..``mig_12`` (or the given years), with an optional wave suffix."""
    return [mig_column(year, suffix) for year in years]
