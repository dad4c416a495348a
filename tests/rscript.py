"""R as a test oracle: run an R script on data the test made, read back what it wrote.

R is a test-only dependency (Debian's ``r-base-core`` and ``r-cran-*``,
installed by ``make test``). Inputs go to CSV files in a temporary folder,
the script reads them by name (``read.csv("x.csv")``) and writes its results
as CSV or JSON-free plain text files that the test reads back at full precision
(``write.csv(..., digits = 17)`` is not an R option: use
``write.table(format(x, digits = 17))`` or ``sprintf("%.17g")``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

RSCRIPT = os.environ.get("RSCRIPT", "Rscript")


def r_available(*packages: str) -> bool:
    """Whether Rscript runs and has every package named."""
    if shutil.which(RSCRIPT) is None:
        return False
    probe = "; ".join(f"suppressPackageStartupMessages(library({p}))" for p in packages) or "invisible(1)"
    return subprocess.run([RSCRIPT, "-e", probe], capture_output=True).returncode == 0


def require_r(*packages: str) -> None:
    """Fail under CI (R is part of the toolchain there); skip elsewhere when R is missing."""
    if r_available(*packages):
        return
    message = f"R with {', '.join(packages) or 'base'} not found: make test installs r-base-core and r-cran-*"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_r(script: str, inputs: dict[str, pd.DataFrame | np.ndarray] | None = None, *, timeout: float = 600) -> Path:
    """Run ``script`` in a fresh folder holding ``inputs`` as ``NAME.csv``; return that folder.

    Arrays are written without header or index at 17 significant digits, frames
    with a header and no index. The folder stays until the interpreter exits, so
    the caller can read what R wrote.
    """
    folder = Path(tempfile.mkdtemp(prefix="rtest-"))
    for name, data in (inputs or {}).items():
        path = folder / f"{name}.csv"
        if isinstance(data, pd.DataFrame):
            data.to_csv(path, index=False, float_format="%.17g")
        else:
            np.savetxt(path, np.asarray(data), delimiter=",", fmt="%.17g")
    (folder / "script.R").write_text(script, encoding="utf-8")
    result = subprocess.run([RSCRIPT, "--vanilla", "script.R"], cwd=folder, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"Rscript failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return folder
