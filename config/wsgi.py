"""WSGI entry point (gunicorn config.wsgi).

The URL configuration (and with it the views, pandas and the scoring engine)
is loaded here, not on the first request: with ``gunicorn --preload`` every
worker starts warm, so the first students of a class do not wait for imports.
"""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - import every view now
