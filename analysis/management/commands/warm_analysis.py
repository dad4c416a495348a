"""python manage.py warm_analysis: compile the analysis core's numba kernels into the on-disk cache (release step)."""

import os
import time

from django.core.management.base import BaseCommand

from analysis.core.warmup import numba_kernels, warm_kernels


class Command(BaseCommand):
    help = (
        "Compile every numba kernel of the analysis core on a tiny cohort so that the on-disk cache "
        "(NUMBA_CACHE_DIR) is filled and no analysis run pays the compilation. Run it in the release step."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        compiled = warm_kernels()
        seconds = time.perf_counter() - started
        inlined = {name for name, kernel in numba_kernels().items() if kernel.targetoptions.get("inline") == "always"}
        missing = sorted(name for name, count in compiled.items() if not count and name not in inlined)
        where = os.environ.get("NUMBA_CACHE_DIR") or "__pycache__ beside the sources"
        self.stdout.write(
            f"{sum(1 for count in compiled.values() if count)} numba kernels compiled or loaded in {seconds:.1f} s "
            f"({len(inlined)} inlined into them); cache: {where}"
        )
        if missing:
            self.stderr.write(f"not reached by the warm-up (compiled on first use): {', '.join(missing)}")
