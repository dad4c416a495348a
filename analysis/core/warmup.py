"""Compile every numba kernel of the analysis core before the first run needs it.

The kernels are compiled with ``cache=True``: the machine code lands in
numba's on-disk cache (``NUMBA_CACHE_DIR`` when set, else ``__pycache__``
beside the sources) and later processes load it instead of compiling (15-20 s
on the first run after a deploy otherwise). :func:`warm_kernels` goes through
the public entry point a run uses (``cluster_trajectories``) on a tiny random
cohort, with the exact path under both Ward methods and with CLARA, so the
kernels are compiled for exactly the argument types a real run passes; then
the OM lane kernel against many targets (CLARA's medoids come a few at a time)
and the pair-at-a-time kernels on sequences too long for the lane kernel.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
from numba.core.registry import CPUDispatcher

from analysis.core import clara, distances, quality, ward
from analysis.core.costs import constant_costs
from analysis.core.sequences import N_STATES
from analysis.core.trajectories import TrajectoryParams, cluster_trajectories
from analysis.core.ward import WARD_METHODS

KERNEL_MODULES: tuple[ModuleType, ...] = (distances, ward, quality, clara)
WARM_ROWS = 120
LONG_REPEATS = 4  # 48 years


def numba_kernels() -> dict[str, CPUDispatcher]:
    """Every numba-compiled function of the analysis core, by qualified name."""
    return {
        f"{module.__name__}.{name}": value
        for module in KERNEL_MODULES
        for name, value in vars(module).items()
        if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__
    }


def inlined(kernel: CPUDispatcher) -> bool:
    """Compiled into its callers only (``inline="always"``): no cache entry of its own."""
    return kernel.targetoptions.get("inline") == "always"


def cache_entries(kernel: CPUDispatcher) -> list[Path]:
    """The kernel's index files in numba's on-disk cache (one per source version and Python)."""
    module = kernel.py_func.__module__.rsplit(".", 1)[-1]
    cache = kernel._cache  # type: ignore[attr-defined]  # numba's dispatcher keeps its cache private
    return sorted(Path(cache.cache_path).glob(f"{module}.{kernel.py_func.__qualname__}-*.nbi"))


def warm_kernels(rows: int = WARM_ROWS, random_state: int = 0) -> dict[str, bool]:
    """Run the clustering entry point on ``rows`` random sequences; returns kernel -> has a cache entry.

    Inlined kernels are left out (they live in their callers' entries). A
    kernel that only other kernels call is loaded with them from the cache and
    shows no signature of its own in this process, so the cache is what counts.
    """
    sequences = np.random.default_rng(random_state).integers(1, N_STATES + 1, size=(rows, 12))
    for method in WARD_METHODS:
        cluster_trajectories(sequences, TrajectoryParams(k_range=(2, 4), method=method, algorithm="exact"))
    cluster_trajectories(sequences, TrajectoryParams(k_range=(2, 4), algorithm="clara"))
    distances.om_distances_to(sequences, sequences[: distances.LANES], constant_costs(), 1.0)  # lanes, many targets
    long = np.tile(sequences[:8], (1, LONG_REPEATS))  # too long for 64-bit keys
    distances.om_distances(long, constant_costs(), 1.0)
    distances.om_distances_to(long, long[:2], constant_costs(), 1.0)
    return {name: bool(cache_entries(kernel)) for name, kernel in numba_kernels().items() if not inlined(kernel)}
