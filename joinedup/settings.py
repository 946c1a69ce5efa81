"""Settings for Joined Up, read from environment variables.

Development is the default: an embedded SQLite database, debug pages and e-mail printed
to the console. Set ``JOINEDUP_ENVIRONMENT=production`` to switch on the production
safeguards (secure cookies, HSTS, HTTPS redirect); production then refuses to start
without ``SECRET_KEY`` and ``ALLOWED_HOSTS``. See docs/operations.md for every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


ENVIRONMENT = os.environ.get("JOINEDUP_ENVIRONMENT", "development")
IS_PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION)

if IS_PRODUCTION:
    try:
        SECRET_KEY = os.environ["SECRET_KEY"]
    except KeyError as missing:
        raise ImproperlyConfigured("SECRET_KEY must be set in production") from missing
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")
else:
    # Only ever used on a developer's machine; production refuses to start without its own.
    SECRET_KEY = os.environ.get(
        "SECRET_KEY", "development-only-key-not-for-production-6c1f0b7e1c2a4d9f8e3b"
    )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "joinedup.accounts",
    "joinedup.partnerships",
    "joinedup.children",
    "joinedup.casework",
    "joinedup.referrals",
    "joinedup.toolkit",
    "joinedup.sharing",
    "joinedup.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "joinedup.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "joinedup.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

if IS_PRODUCTION:
    # In production WhiteNoise serves the collected, fingerprinted static files; in
    # development runserver (and in tests the live server) serves them from the source.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "joinedup.urls"
WSGI_APPLICATION = "joinedup.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "joinedup.navigation.navigation",
                "joinedup.accounts.context_processors.notifications",
            ],
            "builtins": ["joinedup.templatetags.joinedup"],
        },
    }
]

# The embedded SQLite file is the newcomer's default; production and CI set DATABASE_URL
# (for example postgres://postgres@127.0.0.1:5432/joinedup).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions stop concurrent writers failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.Practitioner"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

# NCSC password guidance: length and a deny-list of common passwords, no composition
# rules and no forced expiry (they push people towards weaker, predictable passwords).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "joinedup.accounts.validators.ServiceWordsValidator"},
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

# Sessions: an idle timeout renewed on every request, plus an absolute limit enforced by
# SessionTimeoutMiddleware, so a shared or forgotten computer does not stay signed in.
SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30")))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS", "10")))
SESSION_COOKIE_AGE = int(SESSION_IDLE_TIMEOUT.total_seconds())
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Two-factor authentication (TOTP via django-otp).
OTP_TOTP_ISSUER = "Joined Up"
OTP_TOTP_THROTTLE_FACTOR = 1

# Sign-in throttling and lockout (django-axes). Failures are counted two ways and either
# count reaching the limit locks sign-in for the cool-off time (an administrator can unlock
# an account sooner):
#   "username"   — guessing one account's password, from however many addresses;
#   "ip_address" — one address trying passwords across many accounts ("spraying").
# The combined form [["username", "ip_address"]] would stop neither: an attacker could
# rotate addresses against one account, or try one password against every account.
# The price is that people sharing one address (an office behind one gateway) share the
# address count. A successful sign-in clears only that person's own failures from that
# address (accounts.services.record_sign_in), not the whole address's, so a valid account
# cannot be used to wipe out the count of guesses at someone else's account.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_LOCKOUT_CALLABLE = "joinedup.accounts.views.locked_out"
AXES_VERBOSE = False
# The client address comes from REMOTE_ADDR unless the service runs behind reverse proxies
# that append to X-Forwarded-For: then set this to how many there are, or every sign-in
# would appear to come from the proxy's address and share one failure count.
AXES_TRUSTED_PROXY_COUNT = int(os.environ.get("AXES_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "joinedup.accounts.throttling.client_ip_address"

# Content-Security-Policy: no inline script or style anywhere; the one inline script
# GOV.UK Frontend needs carries a per-request nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading commits the whole registrable domain and every subdomain to HTTPS in
        # browsers' built-in lists; councils usually run services on a shared domain, so it
        # is opt-in (SECURE_HSTS_PRELOAD=true) and Django's reminder is silenced.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Joined Up <noreply@joinedup.invalid>")
# GOV.UK Notify (EMAIL_BACKEND=joinedup.accounts.notify_email_backend.EmailBackend): the
# service's API key and an email template with ((subject)) and ((body)) (docs/operations.md).
GOVUK_NOTIFY_API_KEY = os.environ.get("GOVUK_NOTIFY_API_KEY", "")
GOVUK_NOTIFY_TEMPLATE_ID = os.environ.get("GOVUK_NOTIFY_TEMPLATE_ID", "")

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Splink warns about every comparison level a small training set lacks; the
        # matching benchmark, not the log, is where model quality is judged.
        "splink": {"level": "ERROR"},
        # WeasyPrint (paper copies) logs every layout step of every PDF at INFO.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# How long opening a child's record with a stated reason (outside any relationship) lasts.
STATED_REASON_ACCESS = timedelta(hours=int(os.environ.get("STATED_REASON_ACCESS_HOURS", "4")))

# Child-index search throttling (children/search_throttle.py): each practitioner may search
# this many times in any window of this many minutes; then searching waits (HTTP 429).
SEARCH_RATE_LIMIT = int(os.environ.get("SEARCH_RATE_LIMIT", "40"))
SEARCH_RATE_WINDOW = timedelta(minutes=int(os.environ.get("SEARCH_RATE_WINDOW_MINUTES", "10")))

# Agency feeds: the largest file accepted, and whether an upload is imported in a background
# thread (the embedded default needs no broker) or inside the request.
FEED_MAX_BYTES = int(os.environ.get("FEED_MAX_BYTES", str(10 * 1024 * 1024)))
FEEDS_RUN_IN_BACKGROUND = env_bool("FEEDS_RUN_IN_BACKGROUND", True)

# NHS numbers beginning 999 are test numbers that belong to no real child. They count as
# matching evidence only where every child is made up (development and the demo area); in
# production they are imported marked not valid, so they can never link two children.
ALLOW_TEST_NHS_NUMBERS = env_bool("ALLOW_TEST_NHS_NUMBERS", not IS_PRODUCTION)

# How many children, practitioners and so on a listing page shows.
PAGE_SIZE = 25

# Casework: an episode closed this many days ago or less still counts as recent, so
# starting another assessment is refused in favour of contacting its lead professional.
EPISODE_RECENT_DAYS = int(os.environ.get("EPISODE_RECENT_DAYS", "90"))
# A closed episode can be reopened (with a reason) for this many days after closing.
EPISODE_REOPEN_DAYS = int(os.environ.get("EPISODE_REOPEN_DAYS", "90"))

# Retention (docs/child-index.md): a child's record is archived at 18 and purged this many
# years after it was archived, by `manage.py apply_retention` (scheduled daily).
RETENTION_PURGE_AFTER_YEARS = int(os.environ.get("RETENTION_PURGE_AFTER_YEARS", "6"))

# Casework reviews (docs/casework.md): the first team review is due this many weeks after
# the episode opens, then every REVIEW_INTERVAL_WEEKS after the last review held.
FIRST_REVIEW_WEEKS = int(os.environ.get("FIRST_REVIEW_WEEKS", "4"))
REVIEW_INTERVAL_WEEKS = int(os.environ.get("REVIEW_INTERVAL_WEEKS", "6"))

# Services directory (docs/services-directory.md): an entry last checked more than this many
# days ago is stale, flagged to its maintainers (the "My services" page, flag_stale_services).
DIRECTORY_STALE_AFTER_DAYS = int(os.environ.get("DIRECTORY_STALE_AFTER_DAYS", "180"))

# Referrals (docs/referrals.md). The ping-pong list shows a child referred repeatedly with
# no service starting: PINGPONG_DECLINES or more declined referrals, or referrals to
# services of PINGPONG_CHAIN_AGENCIES or more different agencies, within PINGPONG_WINDOW_DAYS.
PINGPONG_DECLINES = int(os.environ.get("PINGPONG_DECLINES", "3"))
PINGPONG_CHAIN_AGENCIES = int(os.environ.get("PINGPONG_CHAIN_AGENCIES", "3"))
PINGPONG_WINDOW_DAYS = int(os.environ.get("PINGPONG_WINDOW_DAYS", "90"))
# Referrals as FHIR (joinedup/referrals/fhir.py): the identifier system of this installation's
# referral references (R000123). Set it to a URL your area owns, so references from two
# installations can never be confused.
FHIR_IDENTIFIER_SYSTEM = os.environ.get(
    "FHIR_IDENTIFIER_SYSTEM", "https://joinedup.example/referral"
)

# The address of this Joined Up in links sent by email (notifications, digests), such as
# https://joinedup.example.org. Empty: emails carry paths only.
SITE_URL = os.environ.get("SITE_URL", "")

# Emergency ("break-glass") access to a child's record lasts this many hours
# (docs/security.md); the partnership's data protection leads are told at once.
BREAK_GLASS_HOURS = int(os.environ.get("BREAK_GLASS_HOURS", "4"))
# Sharing without consent (docs/security.md): the decider's supervisor confirms the
# decision within this many hours, or it is escalated to the data protection leads.
SHARING_DECISION_CONFIRM_HOURS = int(os.environ.get("SHARING_DECISION_CONFIRM_HOURS", "24"))
