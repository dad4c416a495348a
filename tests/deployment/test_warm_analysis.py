"""``manage.py warm_analysis`` (the release step) fills numba's on-disk cache for every kernel of the analysis core."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.core.warmup import inlined, numba_kernels

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_command_leaves_a_cache_entry_for_every_kernel(tmp_path):
    cache = tmp_path / "numba"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(
        [sys.executable, "manage.py", "warm_analysis"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    modified = {path: path.stat().st_mtime_ns for path in cache.rglob("*.nbc")}
    assert f"cache: {cache}" in done.stdout
    assert "not reached" not in done.stderr
    index = {path.name.split("-")[0] for path in cache.rglob("*.nbi")}
    code = {path.name.split("-")[0] for path in cache.rglob("*.nbc")}
    expected = {name.removeprefix("analysis.core.") for name, kernel in numba_kernels().items() if not inlined(kernel)}
    assert expected and expected <= index and expected <= code
    # a second process (a worker after the release) loads every kernel from the cache and compiles none
    again = subprocess.run(
        [sys.executable, "manage.py", "warm_analysis"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0 and "not reached" not in again.stderr, again.stderr
    assert f"{len(expected)} of {len(expected)} numba kernels" in again.stdout
    assert {path: path.stat().st_mtime_ns for path in cache.rglob("*.nbc")} == modified
