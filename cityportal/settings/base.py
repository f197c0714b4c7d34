"""Settings shared by every environment; each value that differs between deployments comes from
the environment (see .env.example). local.py, test.py and production.py adjust this base."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.utils.translation import gettext_lazy as _
from django_guid.integrations import CeleryIntegration

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- applications -----------------------------------------------------------------------------

INSTALLED_APPS = [
    "modeltranslation",  # before admin, so translated fields get their admin widgets
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_guid",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "allauth.mfa",
    # CityPortal: the project package holds the cross-cutting models (idempotency, heartbeats).
    "cityportal.apps.CityPortalConfig",
    "cityportal.notifications",
    "identity",
    "services",
    "payments",
    "complaints",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "cityportal.logging.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "cityportal.urls"
WSGI_APPLICATION = "cityportal.wsgi.application"
AUTH_USER_MODEL = "identity.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cityportal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------

# PostgreSQL in production and CI; a SQLite file under var/ is the embedded default for the demo.
# An empty variable counts as unset, as compose files and CI often leave them.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'cityportal.sqlite3'}"
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the demo worker writes; IMMEDIATE takes the write lock
    # at BEGIN so two writers queue instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Persistent connections are the single biggest win on this stack (docs/benchmarks.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ------------------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    _SHARED_CACHE = {
        "BACKEND": "cityportal.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="cityportal"),
    }
    # `runs`: the routing and deciding runs' requests (cityportal/runs.py), which the web sets
    # and the worker clears: it must be shared by every process.
    CACHES = {"default": _SHARED_CACHE, "runs": _SHARED_CACHE}
    # Sessions (and the X-Session-Token behind every citizen request) are read from the shared
    # cache and written through to the database: two queries fewer per API request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # The demo's web and worker are two processes: the runs' requests live in files.
        "runs": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "runs"),
        },
    }

# --- authentication ---------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, reading the account's person with it (identity/backends.py).
    "identity.backends.ModelBackend",
    "identity.backends.AuthenticationBackend",
    # Agency roles (Membership) grant admin permissions: identity/roles.py.
    "identity.roles.RolePermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
HEADLESS_ONLY = False
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_TOKEN_STRATEGY = "cityportal.api.authentication.SessionTokens"  # noqa: S105 - a class

# --- internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("th", _("Thai")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "th", "zh-hans")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
# Everything is stored in UTC; a jurisdiction carries its own zone for display and calendars.
TIME_ZONE = "UTC"
USE_TZ = True

# --- static and media -------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- email ------------------------------------------------------------------------------------

# consolemail:// (default), filemail:///path/to/dir or smtp+tls://user:password@host:587
vars().update(environ.Env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CityPortal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- field encryption -------------------------------------------------------------------------

# Fernet keys, newest first: the first encrypts, all of them decrypt (key rotation).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# The HMAC key of the blind indexes that find encrypted numbers (national IDs, card numbers).
# Changing it means re-indexing every row (manage.py rotate_field_keys --reindex).
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="")

# The population registry adapter (identity/registry.py): the database-backed one holds the
# demo records; a deployment names its adapter for the government's registry service.
POPULATION_REGISTRY_ADAPTER = env.str(
    "POPULATION_REGISTRY_ADAPTER", default="identity.registry.DatabaseRegistry"
)

# Payment providers: name → adapter class (payments/providers). The sandbox behaves like a real
# provider (hosted checkout, signed webhooks, scripted outcomes) and is the demo's default.
PAYMENT_PROVIDERS = {
    "sandbox": "payments.providers.sandbox.SandboxProvider",
    "stripe": "payments.providers.stripe.StripeProvider",
}
PAYMENT_DEFAULT_PROVIDER = env.str("PAYMENT_DEFAULT_PROVIDER", default="sandbox")
PAYMENT_RETURN_URL = env.str("PAYMENT_RETURN_URL", default="")
# Provider settlement files (CSV) dropped here are reconciled daily: <inbox>/<provider>/<date>….csv
SETTLEMENT_INBOX = env.path("SETTLEMENT_INBOX", default=VAR_DIR / "settlements")
SANDBOX_WEBHOOK_SECRET = env.str("SANDBOX_WEBHOOK_SECRET", default="sandbox-webhook-secret")
STRIPE_API_KEY = env.str("STRIPE_API_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")

# --- REST API ---------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cityportal.api.authentication.SessionTokenAuthentication",
        "identity.api.authentication.ApiClientAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "cityportal.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON_RATE", default="60/min"),
        "user": env.str("THROTTLE_USER_RATE", default="600/min"),
        # Anonymous complaints, per client address (DRF ScopedRateThrottle).
        "complaints_anonymous": env.str("THROTTLE_ANONYMOUS_COMPLAINTS_RATE", default="10/hour"),
    },
    # How many reverse proxies stand in front of the web processes; the client IP is read from
    # X-Forwarded-For only that far back, so a client cannot forge its own address.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "cityportal.api.errors.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "cityportal.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CityPortal API",
    "DESCRIPTION": (
        "One API for a city's or a province's public services: identity, the service catalogue "
        "and applications, payments and complaints. Errors are RFC 9457 problem details "
        "(application/problem+json) with a stable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc are served from our own static files, not a third-party CDN: the
    # docs work offline and citizens' browsers are not sent to another host.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {
        "CredentialStatusEnum": "identity.models.Credential.Status",
        "NationalIdSchemeEnum": "identity.national_id.Scheme",
        "BillStatusEnum": "payments.models.Bill.Status",
        "PaymentStatusEnum": "payments.api.payments_.PUBLIC_STATUSES",
        "ApplicationStatusEnum": "services.models.Application.Status",
        "ServiceStatusEnum": "services.models.Service.Status",
        "LevelOfAssuranceEnum": "identity.models.LevelOfAssurance",
        "ComplaintStatusEnum": "complaints.models.Complaint.Status",
        "ContactPreferenceEnum": "complaints.models.Complaint.ContactPreference",
        "CitizenComplaintActionEnum": "complaints.api.serializers.CITIZEN_ACTIONS",
        "StaffComplaintActionEnum": "complaints.permissions.HANDLING_ACTIONS",
        # Applications' allowed_actions (services/api/applications.py: applicant's and staff's),
        # named here because complaints also have fields called allowed_actions.
        "AllowedActionsEnum": ["edit", "submit", "withdraw", "pay", "request_review", "review"],
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cityportal.api.schema.add_problem_components",
    ],
}

# Evidence uploads (services): the largest file a citizen may upload.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# Tasks queued (by name, with bill_id) when a bill raised by a service is paid.
PAYMENTS_SERVICE_BILL_PAID_TASKS = ["services.payment_tasks.fee_paid_task"]

# Complaints: photos per report and their size; the rating window after resolution; a result
# score below this reopens the case for rework; reporters of complaints closed this long ago
# are anonymised.
COMPLAINTS_PHOTOS_MAX = env.int("COMPLAINTS_PHOTOS_MAX", default=5)
COMPLAINTS_PHOTO_MAX_BYTES = env.int("COMPLAINTS_PHOTO_MAX_BYTES", default=8 * 1024 * 1024)
COMPLAINTS_RATING_WINDOW = timedelta(days=env.int("COMPLAINTS_RATING_WINDOW_DAYS", default=7))
COMPLAINTS_REWORK_BELOW_RESULT = env.int("COMPLAINTS_REWORK_BELOW_RESULT", default=3)
COMPLAINTS_ANONYMISE_AFTER = timedelta(days=env.int("COMPLAINTS_ANONYMISE_AFTER_DAYS", default=365))
# Open data shows locations rounded to this many decimal places (3 ≈ 110 m).
COMPLAINTS_PUBLIC_LOCATION_DECIMALS = env.int("COMPLAINTS_PUBLIC_LOCATION_DECIMALS", default=3)
# How often a process asks whether a jurisdiction's categories, questions, districts or routing
# rules changed (complaints/routing.py): an admin edit reaches intake and routing within this.
COMPLAINTS_CATALOGUE_RECHECK_SECONDS = env.float(
    "COMPLAINTS_CATALOGUE_RECHECK_SECONDS", default=1.0
)
# How long a process reuses a service it read for a submission (services/actions/applications.py):
# an admin edit (a suspension, a new form, other evidence) reaches submissions within this.
SERVICES_CATALOGUE_RECHECK_SECONDS = env.float("SERVICES_CATALOGUE_RECHECK_SECONDS", default=1.0)

# How long a stored Idempotency-Key answer is replayed before the key may be used afresh.
IDEMPOTENCY_KEY_TTL = timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))
# A request still "in progress" after this long died with its process; its key may be taken over.
IDEMPOTENCY_LOCK_TIMEOUT = timedelta(seconds=env.int("IDEMPOTENCY_LOCK_SECONDS", default=120))

# --- request id -------------------------------------------------------------------------------

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "UUID_FORMAT": "string",
    # Tasks carry the request id of the request that queued them, so their log lines join up.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)],
}

# --- Celery -----------------------------------------------------------------------------------

# With REDIS_URL (production, CI) the broker is Redis. Without it (the embedded demo default) a
# serverless filesystem transport under var/ lets a real worker and beat run with nothing else
# installed. CELERY_TASK_ALWAYS_EAGER runs tasks in-process instead (tests without Redis).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
# No result backend by default: no task's return value is ever read (every task ignores its
# result), and a backend costs each enqueue a result object and its bookkeeping.
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_KEY_PREFIX = env.str("CELERY_KEY_PREFIX", default="")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # An unacknowledged message is handed to another worker after this long. Every task here
        # finishes well inside CELERY_TASK_TIME_LIMIT and no task is scheduled with a countdown
        # longer than this (periodic work belongs to beat), so 15 minutes redelivers work lost
        # with a dead worker without ever running a healthy task twice; the sweepers re-queue
        # stuck rows sooner than that.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
        "global_keyprefix": CELERY_KEY_PREFIX,
    }
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": CELERY_KEY_PREFIX}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(hours=24)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# One message at a time per worker process: no task waits behind a slow one it was handed early.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks are written to be idempotent, so a message is acknowledged only after the task ran and is
# redelivered when a worker dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# How long a routing or deciding run waits for more rows, once it has taken all there were,
# before it ends (cityportal/runs.py): under load, the next submissions join the run instead of
# queueing a new one.
DRAIN_RUN_LINGER_SECONDS = env.float("DRAIN_RUN_LINGER_SECONDS", default=0.25)
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 120
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("approvals", "routing", "payments", "notifications", "default")
CELERY_TASK_ROUTES = {
    "services.*": {"queue": "approvals"},
    # Telling reporters and followers is not routing: it must not queue behind (or slow) it.
    "complaints.tasks.announce_complaint_events_task": {"queue": "notifications"},
    "complaints.tasks.*": {"queue": "routing"},
    "payments.*": {"queue": "payments"},
    "cityportal.notifications.tasks.*": {"queue": "notifications"},
}
# Celery closes the database connection around every task unless told to reuse it; reuse roughly
# triples worker throughput (docs/benchmarks.md); cityportal/celery.py drops broken ones per task.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=200)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- logging ----------------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")  # "json" in production
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "correlation_id": "request_id",
            },
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Requests are logged once, by cityportal.access; Django's own line would repeat it.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django_guid": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- admin ------------------------------------------------------------------------------------

ADMIN_URL = env.str("ADMIN_URL", default="admin/")

# --- accounts (django-allauth) ----------------------------------------------------------------

# Citizens sign up and log in from the app through allauth's headless API (/_allauth/app/v1/…,
# then X-Session-Token on /api/v1/); staff use allauth's pages under /accounts/ to reach the
# admin. identity/adapters.py holds CityPortal's side: phone numbers, SMS, person records.
ACCOUNT_ADAPTER = "identity.adapters.AccountAdapter"
MFA_ADAPTER = "identity.adapters.MFAAdapter"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "mfa_index"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email", "phone"}
# An account is opened with an email address, a phone number (E.164), or both. allauth's checks
# require "email*" here because verification by code needs mandatory verification; the sign-up
# form relaxes it to "email or phone" and an account without email skips the email stage
# (identity.adapters.EmailOrPhoneSignupForm and EmailVerificationStage).
ACCOUNT_SIGNUP_FIELDS = ["email*", "phone", "password1*"]
ACCOUNT_SIGNUP_FORM_CLASS = "identity.adapters.EmailOrPhoneSignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True  # one address per account, replaced only by a verified one
# Sign-up, login and reset answer alike whether or not an account exists; the owner of an
# existing address or number is told by mail or SMS instead.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CityPortal] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
# Counted in the Django cache, which is Redis (shared by every process) when REDIS_URL is set.
# A per-account budget ("key") stops guessing one password from many addresses; the per-IP one
# stops spraying many accounts from one. An account over its budget gets 429.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/15m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/30s/key",
    "verify_phone": "1/30s/key,3/m/ip",
    "reset_password": "20/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "change_password": "5/m/user",
    "change_phone": "1/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
# Client IPs for those limits are read as many proxies back as the API's throttling reads them.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("NUM_PROXIES", default=0)

# Where text messages go: a class with send(*, to, body). Default: the log, numbers masked and
# codes shown only with DEBUG on (identity.adapters.LogSmsSender).
SMS_SENDER = env.str("SMS_SENDER", default="identity.adapters.LogSmsSender")

# MFA: authenticator apps (TOTP), recovery codes and passkeys (WebAuthn), which also log in on
# their own. Staff must use one to reach the admin (identity.middleware).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="CityPortal")
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side, for phone clocks that drift
# Browsers allow WebAuthn on http:// only for localhost: turn this on for local development only.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)

# The app's own screens that allauth links to from its mails (headless clients).
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": f"{FRONTEND_URL}/account/verify-email/{{key}}",
    "account_reset_password": f"{FRONTEND_URL}/account/password/reset",
    "account_reset_password_from_key": f"{FRONTEND_URL}/account/password/reset/key/{{key}}",
    "account_signup": f"{FRONTEND_URL}/account/signup",
}

MIDDLEWARE = [
    *MIDDLEWARE,
    "identity.middleware.RateLimitedMiddleware",
    "identity.middleware.StaffMfaRequiredMiddleware",
]
