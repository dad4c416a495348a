"""python manage.py warm_analysis: compile the analysis core's numba kernels into the on-disk cache (release step)."""

import os
import time

from django.core.management.base import BaseCommand

from analysis.core.warmup import inlined, numba_kernels, warm_kernels


class Command(BaseCommand):
    help = (
        "Compile every numba kernel of the analysis core on a tiny cohort so that the on-disk cache "
        "(NUMBA_CACHE_DIR) is filled and no analysis run pays the compilation. Run it in the release step."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        cached = warm_kernels()
        seconds = time.perf_counter() - started
        inline = sum(inlined(kernel) for kernel in numba_kernels().values())
        missing = sorted(name for name, present in cached.items() if not present)
        where = os.environ.get("NUMBA_CACHE_DIR") or "__pycache__ beside the sources"
        self.stdout.write(
            f"{len(cached) - len(missing)} of {len(cached)} numba kernels compiled or loaded from the cache "
            f"in {seconds:.1f} s ({inline} more inlined into them); cache: {where}"
        )
        if missing:
            self.stderr.write(f"not reached by the warm-up (compiled on first use): {', '.join(missing)}")
