"""envopt settings: one module, every value from the environment with a safe default.

ENVOPT_ENV=development (the default) runs on a bare machine: SQLite, a file-system
Celery broker and e-mail written to files, all under var/. ENVOPT_ENV=production
requires SECRET_KEY and ALLOWED_HOSTS and turns on the HTTPS hardening that
``manage.py check --deploy`` asks for. The README's environment table lists every
variable read here.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from envopt.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENVOPT_ENV = env_str("ENVOPT_ENV", "development")
if ENVOPT_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("ENVOPT_ENV must be 'development' or 'production'")
PRODUCTION = ENVOPT_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when ENVOPT_ENV=production")
    # Development: generate once and keep it, so sessions survive a restart.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when ENVOPT_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Public base URL used in e-mails (links to the tracking page, the department portal).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # The admin, with its default site requiring a verified second factor for staff.
    "core.twofactor_apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # Our apps, in import order: each imports only those above it.
    "core",
    "liaison",
    "complaints",
    "casework",
    "inspections",
    "approvals",
    "appraisal",
    "reports",
    # Wiring: roles and demo data, which span every app.
    "envopt.setup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before CSRF: the CSRF check reads the body, uploads included.
    "core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): which second factor (if any) this session has passed.
    "django_otp.middleware.OTPMiddleware",
    # Staff (and, by setting, department users) reach nothing but the login, the second-factor
    # pages and logout until their session is verified.
    "core.middleware.TwoFactorRequiredMiddleware",
    # Who is acting, for the record of granted roles and permissions.
    "core.middleware.AccessAuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "envopt.urls"
WSGI_APPLICATION = "envopt.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves the web process, the worker and beat at once:
    # WAL and immediate transactions keep them from tripping over each other's locks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DB_JIT", False):
    # PostgreSQL's JIT compiles any query its planner costs high, such as the dashboard's
    # quarter aggregates over every case: 1.7 s of compiling for a 0.6 s query (EXPLAIN ANALYZE,
    # 100k cases). Our queries are short; compiling never pays back. DB_JIT=1 turns it on.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also the store of rate-limit counters) -----------------------------
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    _cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
elif CACHE_URL.startswith("locmem://"):
    _cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
elif CACHE_URL in ("", "file://") or CACHE_URL.startswith("file://"):
    _location = CACHE_URL.removeprefix("file://") or str(VAR_DIR / "cache")
    _cache = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": _location}
else:
    raise ImproperlyConfigured("CACHE_URL must start with redis://, rediss://, locmem:// or file://")
CACHES = {"default": {**_cache, "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "envopt")}}

# --- Celery --------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcasts (pidbox) write here; kombu's default is ./control in the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis re-delivers an unacknowledged task after the visibility timeout; it must
    # outlast the longest task and every countdown we use (we use no long ETAs).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Mail and sweeps get their own queues, so a backlog of one never delays the other.
CELERY_TASK_ROUTES = {
    "core.tasks.outbox_send": {"queue": "mail"},
    "core.tasks.outbox_send_batch": {"queue": "mail"},
    "core.tasks.outbox_sweep": {"queue": "sweeps"},
    "core.tasks.escalation_sweep": {"queue": "sweeps"},
    "reports.tasks.*": {"queue": "sweeps"},
}
# Never let a web request hang on a broker that is down: the outbox sweep sends later.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# --- E-mail --------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
else:
    # So a demo user can read what was sent: one .log file per connection.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "envopt@localhost")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Internationalisation ------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media files ----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence is private: it lives outside any served directory and is only
# streamed by views that check permissions.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Public intake: uploads, proof of work, rate limits ------------------------------
INTAKE_MAX_FILES = env_int("INTAKE_MAX_FILES", 5)
INTAKE_MAX_FILE_SIZE = env_int("INTAKE_MAX_FILE_MB", 10) * 1024 * 1024
INTAKE_MAX_TOTAL_SIZE = env_int("INTAKE_MAX_TOTAL_MB", 25) * 1024 * 1024
# Whole request bodies above this are refused before they are read (files included).
MAX_REQUEST_BODY_SIZE = INTAKE_MAX_TOTAL_SIZE + 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = INTAKE_MAX_FILES * 2
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
# Proof of work instead of a CAPTCHA: works offline, asks nothing of the user.
INTAKE_POW_ENABLED = env_bool("INTAKE_POW_ENABLED", True)
INTAKE_POW_DIFFICULTY = env_int("INTAKE_POW_DIFFICULTY", 16)
INTAKE_RATE_LIMITS_ENABLED = env_bool("INTAKE_RATE_LIMITS_ENABLED", True)
INTAKE_SUBMIT_RATE = env_str("INTAKE_SUBMIT_RATE", "10/h")
INTAKE_TRACK_RATE = env_str("INTAKE_TRACK_RATE", "30/h")
INTAKE_SUPPLEMENT_RATE = env_str("INTAKE_SUPPLEMENT_RATE", "20/h")
# Working days within which the centre decides whether to accept a complaint (shown to the
# complainant on the tracking page as the next step's expected date).
INTAKE_ACCEPTANCE_DAYS = env_int("INTAKE_ACCEPTANCE_DAYS", 5)
# How many proxies of ours stand in front of the app: the client is the address that many
# places from the right of X-Forwarded-For (the left part can be forged by the client).
RATE_LIMIT_TRUSTED_PROXIES = env_int("RATE_LIMIT_TRUSTED_PROXIES", 0)
# Tracking codes are stored as HMAC-SHA256 under this key; rotating SECRET_KEY must not
# orphan every code already handed out, so it can be set on its own.
TRACKING_CODE_KEY = env_str("TRACKING_CODE_KEY", "") or f"tracking:{SECRET_KEY}"
# The centre's own public contacts (its hotline, its e-mail): the identity check and redaction
# leave these alone in texts released to departments; everybody else's numbers are removed.
IDENTITY_CHECK_ALLOWED = env_list("IDENTITY_CHECK_ALLOWED", [])

# --- Outbox, escalation ladder, notification reports -------------------------------
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 6)
OUTBOX_MESSAGE_ID_DOMAIN = env_str("OUTBOX_MESSAGE_ID_DOMAIN", "envopt.local")
# Seconds to wait before attempt n+1 (the last value repeats).
OUTBOX_BACKOFF_SECONDS = [
    int(v) for v in env_list("OUTBOX_BACKOFF_SECONDS", ["60", "300", "1800", "7200", "21600"])
]
# The figures still counted from their tables (the efficiency assessment, the dashboard's
# inspections) are computed at most this long ago; their pages say when. The dashboard's case
# and complaint figures are live (reports.live_sums).
DASHBOARD_FIGURES_SECONDS = env_int("DASHBOARD_FIGURES_SECONDS", 600)
# The public figures (/figures/, no login) serve a copy of the live figures at most this old, so
# that anonymous visits cost no database read of their own; 0 reads live at every visit.
PUBLIC_FIGURES_SECONDS = env_int("PUBLIC_FIGURES_SECONDS", 60)
LADDER_REMIND_DAYS_BEFORE = env_int("LADDER_REMIND_DAYS_BEFORE", 2)
LADDER_ESCALATE_DAYS_AFTER = env_int("LADDER_ESCALATE_DAYS_AFTER", 3)
NOTIFICATION_REPLY_DAYS = env_int("NOTIFICATION_REPLY_DAYS", 10)
# How far one extension request (延期申请) may move a referral's due date, in working days.
EXTENSION_MAX_WORKING_DAYS = env_int("EXTENSION_MAX_WORKING_DAYS", 60)

# Inspections of enterprises (涉企检查). How many inspections one department may make of one
# enterprise in a calendar year by its risk class before the commission must approve; the window
# in days within which another department's inspection makes a cross inspection; the day annual
# plans are due (MM-DD); working days to record an outcome after entry; how many ratings a
# department must have before it sees their aggregate.
INSPECTION_YEARLY_CAP = {
    "A": env_int("INSPECTION_CAP_A", 1),
    "B": env_int("INSPECTION_CAP_B", 2),
    "C": env_int("INSPECTION_CAP_C", 3),
    "D": env_int("INSPECTION_CAP_D", 4),
}
INSPECTION_CROSS_WINDOW_DAYS = env_int("INSPECTION_CROSS_WINDOW_DAYS", 30)
INSPECTION_PLAN_DUE = env_str("INSPECTION_PLAN_DUE", "03-31")
INSPECTION_OUTCOME_WORKING_DAYS = env_int("INSPECTION_OUTCOME_WORKING_DAYS", 5)
INSPECTION_RATINGS_MIN_AGGREGATE = env_int("INSPECTION_RATINGS_MIN_AGGREGATE", 5)
# The enterprise's page behind its supervision code, per client address (as the tracking page);
# how many days back an inspector may register an entry against a filing; the key of the codes'
# keyed hash (derived from SECRET_KEY when empty, apart from the tracking codes' key).
INSPECTION_PAGE_RATE = env_str("INSPECTION_PAGE_RATE", "60/h")
INSPECTION_ENTRY_WINDOW_DAYS = env_int("INSPECTION_ENTRY_WINDOW_DAYS", 7)
SUPERVISION_CODE_KEY = env_str("SUPERVISION_CODE_KEY", "")

# Electronic supervision of approvals (电子监察). Working days a department has to answer a red
# signal with its correction (on the ladder); how many working days before the promised limit
# the yellow prompt comes; the most records one batch may push to the ingest endpoint.
APPROVAL_CORRECTION_WORKING_DAYS = env_int("APPROVAL_CORRECTION_WORKING_DAYS", 3)
APPROVAL_PROMPT_WORKING_DAYS = env_int("APPROVAL_PROMPT_WORKING_DAYS", 1)
APPROVAL_BATCH_MAX = env_int("APPROVAL_BATCH_MAX", 1000)
# Openness checks (政务公开): working days a unit has to rectify a failed checklist item (on the ladder).
OPENNESS_RECTIFICATION_WORKING_DAYS = env_int("OPENNESS_RECTIFICATION_WORKING_DAYS", 10)
# The centre reviews a department's report within this many working days (its own ladder).
REPORT_REVIEW_DAYS = env_int("REPORT_REVIEW_DAYS", 5)
# Who hears of reviews the centre itself has let run late (督办 of the centre's own work).
LADDER_CENTRE_LEADER_EMAIL = env_str("LADDER_CENTRE_LEADER_EMAIL", "")
# The conduct hotline (行风热线), shown on the public pages when set. Being the centre's own
# number, list it in IDENTITY_CHECK_ALLOWED as well.
CONDUCT_HOTLINE_NUMBER = env_str("CONDUCT_HOTLINE_NUMBER", "")

# --- Authentication ------------------------------------------------------------
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:landing"
LOGOUT_REDIRECT_URL = "home"
# django-axes first: it refuses a locked-out client before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A working day, then log in again (with the second factor).
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 8) * 3600

# Second factor (django-otp): TOTP for every staff account, and for department users when
# TWO_FACTOR_DEPARTMENTS is on. Backup codes (otp_static) for a lost phone.
TWO_FACTOR_DEPARTMENTS = env_bool("TWO_FACTOR_DEPARTMENTS", False)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "envopt")
# The admin lists devices but never shows their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Lockout (django-axes) on every login path: the password form and the second-factor step.
# A client is one username from one address, the address read exactly as the rate limits read
# it (RATE_LIMIT_TRUSTED_PROXIES), so a forged X-Forwarded-For changes nothing.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "core.views.lockout"
# A correct password alone does not clear the count: only a completed second factor does
# (core.views), or the second-factor step could be retried forever between logins.
AXES_RESET_ON_SUCCESS = False

# --- REST framework ------------------------------------------------------------
# Tokens (django-rest-knox) are stored as digests and expire; staff issue them in the admin or
# with `manage.py api_token_create`, and the token is shown once.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 720)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
REST_FRAMEWORK = {
    # Token first: an unauthenticated request is answered 401 with a WWW-Authenticate challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Generous for the service halls' systems that push approval records; tight for strangers.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
    },
    # The client address as the rate limits read it: this many places from the right of XFF.
    "NUM_PROXIES": RATE_LIMIT_TRUSTED_PROXIES,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "envopt API",
    "DESCRIPTION": "Cases, complaints, referrals, departments and the case timeline. The same visibility "
    "as the staff workplace and the department portal.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served by the app itself (intranet deployments: no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a field named "kind": each choice set gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ReferralKindEnum": "casework.models.Referral.Kind",
        "RecommendationKindEnum": "casework.models.Recommendation.Kind",
        "InspectionKindEnum": "inspections.models.Inspection.Kind",
        "InspectionFlagKindEnum": "inspections.models.InspectionFlag.Kind",
        "ApprovalItemKindEnum": "approvals.models.ApprovalItem.Kind",
        "ApprovalSignalKindEnum": "approvals.models.ApprovalSignal.Kind",
        "ApprovalSignalStatusEnum": "approvals.models.ApprovalSignal.Status",
        "ApprovalWhereEnum": "approvals.models.Where",
        "ActivityKindEnum": "inspections.models.ActivityKind",
        "ActivityFlagKindEnum": "inspections.models.ActivityFlag.Kind",
        "ActivityFilingStatusEnum": "inspections.models.ActivityFiling.Status",
        "ActivityFlagStatusEnum": "inspections.models.ActivityFlag.Status",
        "AppraisalCampaignStatusEnum": "appraisal.models.Campaign.Status",
        "AppraisalQuestionKindEnum": "appraisal.models.Question.Kind",
        "OpennessFindingStatusEnum": "appraisal.models.OpennessFinding.Status",
        "AssociationKindEnum": "liaison.models.Association.Kind",
    },
}

# --- Security ------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # /healthz is probed over plain HTTP by the load balancer and compose.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy on every HTML page: scripts and styles only from our own origin
# (or an inline block carrying this response's nonce), nothing framed, nothing embedded.
# A script injected through user text cannot run even if escaping were ever missed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "frame-src": [SELF],
    }
}

# --- Logging -------------------------------------------------------------------
# One line per record on standard error: JSON (the default in production: one object a line with
# time, level, logger, message, request_id and, in a worker, task_id and task_name) or plain text
# (the default in development). Every line passes the redaction filter first (core/logs.py):
# no secret path, tracking code, phone number, e-mail, ID or credit code reaches the output.
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'plain'")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "core.logs.plain_formatter"},
        "json": {"()": "core.logs.json_formatter"},
    },
    "filters": {
        "context": {"()": "core.logs.LogContextFilter"},
        "redact": {"()": "core.logs.RedactingFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console and mail handlers write without our filters: everything goes
        # through the root's handler instead (development's runserver lines too).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # SQL with its parameters (what the forms sent) is never logged, whatever LOG_LEVEL says.
        "django.db.backends": {"level": "INFO"},
        # django-guid says at INFO whether each request brought an id: noise.
        "django_guid": {"level": "WARNING"},
    },
}

# --- Operations: delivery, outages, exports, observability, retention, mailbox, stack ---------

# --- Outbox delivery ---
# How long a worker holds an e-mail it is sending (core.outbox); a row still "sending" after
# that is sent again (same Message-ID) by the next sweep. It must outlast one SMTP conversation,
# several times EMAIL_TIMEOUT.
OUTBOX_SEND_LEASE_SECONDS = env_int("OUTBOX_SEND_LEASE_SECONDS", 300)

# --- Outages: broker and cache ---
# A request never waits on Redis (the broker and the cache) longer than these, and never fails
# because it is down: publishing happens after commit and gives up (the sweeps catch up), rate
# limits and single-use marks fall back to the database, the figures are read from their last
# stored copy (README, "When Redis is down"). After a failure a process leaves Redis alone for
# the pause, so only one request per process and pause waits out a timeout.
# The broker: one connection attempt, no retries; CELERY_BROKER_CONNECTION_TIMEOUT (above) bounds
# the connect, CELERY_BROKER_SOCKET_TIMEOUT the publish on a connection that stalls.
CELERY_BROKER_SOCKET_TIMEOUT = env_int("CELERY_BROKER_SOCKET_TIMEOUT", 3)
BROKER_OUTAGE_PAUSE_SECONDS = env_int("BROKER_OUTAGE_PAUSE_SECONDS", 30)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            # kombu retries a failed connect every 2 s until its timeout (3 s became 6 s): no.
            "max_retries": 0,
            "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
            "socket_timeout": CELERY_BROKER_SOCKET_TIMEOUT,
        }
    )
# The cache: every call (connect included) gives up after CACHE_SOCKET_TIMEOUT seconds.
CACHE_SOCKET_TIMEOUT = float(env_str("CACHE_SOCKET_TIMEOUT", "0.5"))
CACHE_OUTAGE_PAUSE_SECONDS = env_int("CACHE_OUTAGE_PAUSE_SECONDS", 10)
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "core.cache_backends.GuardedRedisCache"
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": CACHE_SOCKET_TIMEOUT,
        "socket_timeout": CACHE_SOCKET_TIMEOUT,
    }
# The API's throttles count in the database while the cache is down (core/throttling.py).
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "core.throttling.AnonRateThrottle",
    "core.throttling.UserRateThrottle",
]

# --- Background exports ---
# Exports run as Celery jobs (core.exports); the admin lists each user's own under "Exports".
# How long a finished export's download link works; the sweep then removes the file.
EXPORT_LINK_HOURS = env_int("EXPORT_LINK_HOURS", 24)
# Rows written between two progress records (and lease renewals): the writer's memory bound.
EXPORT_BATCH_ROWS = env_int("EXPORT_BATCH_ROWS", 2000)
# A running job that has not reported progress for this long belongs to a dead worker: it runs again.
EXPORT_LEASE_SECONDS = env_int("EXPORT_LEASE_SECONDS", 300)
EXPORT_MAX_ATTEMPTS = env_int("EXPORT_MAX_ATTEMPTS", 3)
# A million cases take minutes, more than the default task limit: the export task has its own.
EXPORT_TIME_LIMIT = env_int("EXPORT_TIME_LIMIT", 3600)
CELERY_TASK_ROUTES["core.tasks.export_job_sweep_task"] = {"queue": "sweeps"}

# --- Observability ---
# Logs: LOG_FORMAT and LOGGING above. Request ids: django-guid, from a well-formed X-Request-ID
# (core.middleware.RequestIdHeaderMiddleware drops any other) or a new one, returned in the
# response's X-Request-ID and carried to Celery tasks in their headers.
from django_guid.integrations import CeleryIntegration as GuidCeleryIntegration  # noqa: E402

INSTALLED_APPS += ["django_guid", "django_prometheus"]
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdHeaderMiddleware",
    "django_guid.middleware.guid_middleware",
    # Log lines and error reports written while a form is answered lose the identity it sent.
    "core.middleware.CurrentRequestMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    # Worker logging is configured from LOGGING by envopt/celery.py, not by django-guid.
    "INTEGRATIONS": [GuidCeleryIntegration(use_django_logging=False)],
}
# Prometheus at /metrics (core/metrics.py): only from these addresses or networks (read as the
# rate limits read the client address), or with "Authorization: Bearer METRICS_TOKEN"; 404 (403
# for a wrong token) to anybody else.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [] if PRODUCTION else ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# The Celery queues' lengths are read from the Redis broker with this timeout; past it they are
# left out of the scrape.
METRICS_BROKER_TIMEOUT_MS = env_int("METRICS_BROKER_TIMEOUT_MS", 500)
# The tasks whose last run's duration /metrics shows (recorded by the worker in the cache).
METRICS_SWEEP_TASKS = env_list(
    "METRICS_SWEEP_TASKS",
    [
        "core.tasks.outbox_sweep",
        "core.tasks.escalation_sweep",
        "approvals.tasks.signals_sweep_task",
        "appraisal.campaigns.tasks.appraisal_sweep_task",
        "reports.tasks.live_figures_fold",
        "reports.tasks.notification_reports_prepare_previous_month",
        "inspections.plans_tasks.inspection_plans_open_current_year",
    ],
)
PROMETHEUS_EXPORT_MIGRATIONS = False
if PRODUCTION:
    # Scraped over plain HTTP inside the deployment's network, as /healthz is probed.
    SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics$"]
# Sentry (core/error_reporting.py), only when SENTRY_DSN is set; identity is scrubbed from events.
SENTRY_DSN = env_str("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", ENVOPT_ENV)
SENTRY_RELEASE = env_str("SENTRY_RELEASE", "")
SENTRY_TRACES_SAMPLE_RATE = float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0)
if SENTRY_DSN:
    from core.error_reporting import sentry_init  # noqa: E402

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# --- Retention and purge of personal data ---
# How long each kind of personal data is kept (core.retention; README "Retention and purge of
# personal data"). 0 keeps the kind for good; a period below the kind's safe minimum (1 year,
# 30 days) makes the purge refuse to run unless forced.
RETENTION_IDENTITY_YEARS = env_int("RETENTION_IDENTITY_YEARS", 5)
RETENTION_EVIDENCE_YEARS = env_int("RETENTION_EVIDENCE_YEARS", 5)
RETENTION_IDENTITY_VIEWS_YEARS = env_int("RETENTION_IDENTITY_VIEWS_YEARS", 6)
RETENTION_APPRAISAL_INVITATION_DAYS = env_int("RETENTION_APPRAISAL_INVITATION_DAYS", 90)
RETENTION_OUTBOX_DAYS = env_int("RETENTION_OUTBOX_DAYS", 180)
RETENTION_LOGIN_RECORDS_DAYS = env_int("RETENTION_LOGIN_RECORDS_DAYS", 180)

# --- Complaint mailbox ---
# Complaints by e-mail (complaints/mailbox/): the mailbox the commission publishes, read over IMAP
# by a beat job every few minutes and by `manage.py fetch_complaint_mail`. Unset host: nothing runs.
COMPLAINT_MAILBOX_HOST = env_str("COMPLAINT_MAILBOX_HOST", "")
# "ssl" (IMAPS, port 993), "starttls" (port 143, upgraded) or "none" (loopback tests only).
COMPLAINT_MAILBOX_SECURITY = env_str("COMPLAINT_MAILBOX_SECURITY", "ssl").lower()
COMPLAINT_MAILBOX_PORT = env_int(
    "COMPLAINT_MAILBOX_PORT", 993 if COMPLAINT_MAILBOX_SECURITY == "ssl" else 143
)
COMPLAINT_MAILBOX_USER = env_str("COMPLAINT_MAILBOX_USER", "")
COMPLAINT_MAILBOX_PASSWORD = env_str("COMPLAINT_MAILBOX_PASSWORD", "")
# The published address (loop protection: mail from it is never answered); default: the user
# when it is an address.
COMPLAINT_MAILBOX_ADDRESS = env_str(
    "COMPLAINT_MAILBOX_ADDRESS", COMPLAINT_MAILBOX_USER if "@" in COMPLAINT_MAILBOX_USER else ""
)
COMPLAINT_MAILBOX_FOLDER = env_str("COMPLAINT_MAILBOX_FOLDER", "INBOX")
COMPLAINT_MAILBOX_PROCESSED_FOLDER = env_str("COMPLAINT_MAILBOX_PROCESSED_FOLDER", "Complaints-processed")
COMPLAINT_MAILBOX_AUTOMATIC_FOLDER = env_str("COMPLAINT_MAILBOX_AUTOMATIC_FOLDER", "Complaints-automatic")
COMPLAINT_MAILBOX_FAILED_FOLDER = env_str("COMPLAINT_MAILBOX_FAILED_FOLDER", "Complaints-failed")
# Larger messages are not downloaded (their size is read first): recorded, moved to the failed folder.
COMPLAINT_MAILBOX_MAX_MESSAGE_SIZE = env_int("COMPLAINT_MAILBOX_MAX_MESSAGE_MB", 40) * 1024 * 1024
COMPLAINT_MAILBOX_BATCH = env_int("COMPLAINT_MAILBOX_BATCH", 200)
COMPLAINT_MAILBOX_TIMEOUT = env_int("COMPLAINT_MAILBOX_TIMEOUT", 30)
# Automatic replies (the tracking code) to one sender address at most this often.
COMPLAINT_MAILBOX_REPLY_RATE = env_str("COMPLAINT_MAILBOX_REPLY_RATE", "3/h")


# --- Production stack and backups ---
# Where `manage.py backup` writes its archives when given no directory (a volume in the stack).
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))

# --- End of operations ---
