"""WSGI entry point (gunicorn config.wsgi).

The URL configuration (and with it the views, pandas and the scoring engine)
is loaded here, not on the first request: with ``gunicorn --preload`` every
worker starts warm, so the first students of a class do not wait for imports.

Everything loaded so far (Django, pandas, numpy, scipy, the views: millions of
objects that live as long as the process) is then frozen out of the garbage
collector's reach (``gc.freeze``): a full collection, triggered every few
requests of a page that builds thousands of objects (a study administrator's
2,000 classes), no longer walks the whole heap (measured: 500-600 ms pauses,
the p95 of such a page; ``benchmarks/bench_staff_pages.py``). With ``--preload``
the frozen objects also stay shared between the workers (copy-on-write).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - import every view now
gc.collect()
gc.freeze()
