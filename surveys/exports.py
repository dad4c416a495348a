"""Exports of a wave: wide, one row per submitted response, dictionary order, option codes as values."""

from dataclasses import dataclass

import pandas as pd

from scoring.cleaning import CleaningResult, clean

from .frames import typed_for_export, wave_frame
from .instruments import instrument_for
from .models import Wave


@dataclass
class WaveExport:
    frame: pd.DataFrame  # typed, de-identified (pid only), columns in dictionary order
    cleaning: CleaningResult | None


def wave_export(*, wave: Wave, cleaned: bool = False, rules: dict | None = None, extra: pd.DataFrame | None = None) -> WaveExport:
    """The wave's submitted responses; with ``cleaned``, only the analytic rows, with the flow of counts."""
    instrument = instrument_for(wave.instrument)
    frame = wave_frame(wave, instrument, extra=extra)
    result = clean(frame, rules=rules) if cleaned else None
    if result is not None:
        frame = frame[result.mask.to_numpy()]
    return WaveExport(frame=typed_for_export(frame, instrument), cleaning=result)


def write_csv(export: WaveExport, path) -> None:
    """UTF-8 with a byte-order mark, so that Excel shows Chinese text correctly; empty for missing."""
    export.frame.to_csv(path, index=False, na_rep="", encoding="utf-8-sig")
