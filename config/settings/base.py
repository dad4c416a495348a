"""Settings shared by every environment, read from environment variables.

With nothing set, the app runs on an embedded default: SQLite under ``var/``
and a Celery broker kept in files under ``var/broker`` (kombu's filesystem
transport), so one machine needs no service at all.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "common",
    "studies",
    "safeguarding",
    "surveys",
    "schools",
    "analysis",
    "exports",
    "apitokens",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.api_language.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "schools.middleware.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two saves of the
    # same response never interleave their read-modify-write; WAL lets pages
    # read while a submission writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read replica (optional, e.g. a PostgreSQL streaming standby): when
# DATABASE_REPLICA_URL is set, exports and analysis runs read the responses
# from it (``surveys.frames.wave_responses``); every write, the students' pages
# and the staff pages stay on the primary. No database router: the one read
# that is large and can lag a few seconds says so explicitly.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
ANALYTICS_DATABASE = "replica" if "replica" in DATABASES else "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Staff sign-in (schools.middleware, README "Staff sign-in"). Axes checks every password sign-in
# first: after AXES_FAILURE_LIMIT wrong passwords for one user name from one address, that pair
# is locked out for the cool-off time (another address, e.g. the school's, is not).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "schools.account_views.locked_out"
AXES_VERBOSE = False
# Second factor (TOTP, django-otp): required for these roles and for superusers; optional for the others.
OTP_REQUIRED_ROLES = env.list("OTP_REQUIRED_ROLES", default=["study_admin", "counsellor", "school_admin"])
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Survey platform")
# A signed-in staff member is signed out after this many minutes without a request of their own.
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=30)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Typed snapshots of waves that analysis runs read (surveys/snapshot.py): a cache local to each worker.
SNAPSHOT_DIR = Path(env.str("SNAPSHOT_DIR", default=str(VAR_DIR / "snapshots")))
MEDIA_URL = "media/"
# Stored files (export bundles) are readable by the app's user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# A page of the questionnaire is small; anything much larger is not a student's.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Proxies in front of the app that append the client's address to X-Forwarded-For
# (a load balancer: 1). 0 = the app is reached directly and REMOTE_ADDR is the client.
# Access-code throttling and the API's rate limits key on the address found this way.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Celery: the embedded default keeps messages in files, so a worker on the
# same machine runs tasks without a broker service. Not eager: tasks really
# leave the request.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A request that queues a task waits at most about a second for a broker that is down;
# the task then goes to the outbox (surveys.dispatch) instead of failing the request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = TIME_ZONE
# Two queues, so that an export or an alert e-mail never waits behind an
# analysis run: "interactive" (scoring retries, safeguarding alerts and
# e-mails, exports, the outbox flush, beat's small periodic tasks) and
# "analysis" (analysis runs). Routed by task name, so a task resent from the
# outbox by name goes to the same queue. Procfile: `worker` consumes
# interactive, `analysis` consumes analysis; the demo's one worker both.
CELERY_TASK_DEFAULT_QUEUE = "interactive"
CELERY_TASK_ROUTES = {
    "analysis.tasks.analysis_run_task": {"queue": "analysis"},
    "analysis.tasks.prune_superseded_assignments": {"queue": "analysis"},  # bulk deletes: never ahead of an alert
    "analysis.tasks.*": {"queue": "interactive"},  # the periodic check only starts runs
    "exports.tasks.*": {"queue": "interactive"},
    "common.tasks.*": {"queue": "interactive"},
    "safeguarding.tasks.*": {"queue": "interactive"},
    "surveys.tasks.*": {"queue": "interactive"},
}
# Debounced rebuilds (analysis.services.waves_needing_rebuild): a changed wave is
# rebuilt once its data has been quiet this long, or once its oldest unseen
# change has waited the maximum delay.
ANALYSIS_REBUILD_QUIET_SECONDS = env.int("ANALYSIS_REBUILD_QUIET_SECONDS", default=300)
ANALYSIS_REBUILD_MAX_DELAY_SECONDS = env.int("ANALYSIS_REBUILD_MAX_DELAY_SECONDS", default=1800)

from config.api_docs import API_DESCRIPTION  # noqa: E402
from config.api_rates import ANON_RATE, USER_RATE  # noqa: E402

# The API (config/api_*.py): personal tokens first (401 then says "WWW-Authenticate: Bearer"), DRF's
# tokens and the session beside them; one error format; English unless Accept-Language asks otherwise.
# Rates (config/api_rates.py): sized for a full pull of 1,000,000 rows in an hour.
REST_FRAMEWORK = {
    # Tokens first, so that an anonymous request gets 401 with ``WWW-Authenticate: Bearer``.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apitokens.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api_pagination.PageNumberPages",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend", "config.api_filters.DeclaredOrderingFilter"],
    "ORDERING_PARAM": "ordering",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": ANON_RATE, "user": USER_RATE},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Survey platform API",
    "DESCRIPTION": API_DESCRIPTION,
    "VERSION": "1",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.api_schema.add_error_responses"],
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc served from this site (no CDN: schools' networks and the CSP allow only 'self').
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status": name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "ResponseStatusEnum": "surveys.models.Response.Status",
        "AnalysisRunStatusEnum": "analysis.models.AnalysisRun.Status",
        "ExportJobStatusEnum": "exports.models.ExportJob.Status",
        "AlertStatusEnum": "safeguarding.models.Alert.Status",
        "AnalysisModelsEnum": "analysis.api.MODELS",
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="survey@localhost")

# Safeguarding alerts nobody acknowledged go to the study administrators after this many minutes.
ALERT_ESCALATION_MINUTES = env.int("ALERT_ESCALATION_MINUTES", default=24 * 60)

# The instrument a new wave answers unless another version is chosen.
DEFAULT_INSTRUMENT_VERSION = "1"
# Active time between two saves counts up to this many seconds (a page left open is not work).
ACTIVE_TIME_CAP_S = env.int("ACTIVE_TIME_CAP_S", default=600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

