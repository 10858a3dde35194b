"""One settings module, read from the environment (see README "Configuration")."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
# pytest sets PYTEST_VERSION; the suite then keeps its files apart from the real data dir.
TESTING = "PYTEST_VERSION" in os.environ
DATA_DIR = Path(os.environ.get("HANJI_DATA_DIR", "var/test" if TESTING else "var")).resolve()


def _test_worker_apart() -> None:
    """Under `pytest -n N` (pytest-xdist) each worker keeps its own data dir (SQLite file,
    spools, media) and Redis database, so one worker's `cache.clear()` or view fold never
    touches another's. Written back to the environment, so every process a test starts reads
    the same; a child that inherits them does not split again."""
    global DATA_DIR
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not TESTING or not worker or os.environ.get("HANJI_TEST_WORKER") == worker:
        return
    number = int("".join(c for c in worker if c.isdigit()) or 0)
    DATA_DIR = DATA_DIR / worker
    os.environ.update(HANJI_TEST_WORKER=worker, HANJI_DATA_DIR=str(DATA_DIR))
    if url := os.environ.get("REDIS_URL"):
        parts = urlsplit(url)
        db = int(parts.path.strip("/") or 0)
        os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{(db + number) % 16}"))


_test_worker_apart()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into the data dir."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")

HANJI_BASE_URL = os.environ.get(
    "HANJI_BASE_URL", "http://testserver" if TESTING else "http://127.0.0.1:8000"
).rstrip("/")
HANJI_BASE_HOST = (urlsplit(HANJI_BASE_URL).hostname or "127.0.0.1").lower()
# Hosts that mean "the instance itself" (not one publication's own domain).
HANJI_INSTANCE_HOSTS = {HANJI_BASE_HOST, "localhost", "127.0.0.1", "[::1]", "testserver"}
# Publications are reached by custom domains and <slug>.<base domain>, so the host is
# validated by hanji.publications.middleware (unknown hosts get a 404), not by Django.
ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = [HANJI_BASE_URL] if HANJI_BASE_URL.startswith("http") else []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_tasks_db",
    "hanji.core",
    "hanji.publications",
    "hanji.posts",
    "hanji.subscribers",
    "hanji.sending",
    "hanji.search",
    "hanji.analytics",
    "hanji.site",
    "hanji.studio",
    "hanji.engagement",
    "hanji.memberships",
    # Only for its static files (the ProseMirror editor the studio loads).
    "django_prose_editor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the page cache: a cached page gets a policy (and a nonce) of its own.
    "hanji.core.csp.ContentSecurityPolicyMiddleware",
    "hanji.publications.middleware.PublicationMiddleware",
    # Answers view beacons of readers without a session before the page cache and sessions.
    "hanji.engagement.beacon.BeaconMiddleware",
    "hanji.core.pagecache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hanji.core.middleware.PublicationLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signs out a session of a two-factor account that skipped the second factor.
    "hanji.studio.accounts.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hanji.urls"
WSGI_APPLICATION = "hanji.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hanji.publications.context_processors.publication",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'hanji.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Each server thread keeps its connection: opening one (with the PRAGMAs below) cost
    # about 1 ms of CPU per request under load, a fifth of an uncached page (bench/pages.py).
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["OPTIONS"] = {
        # Writers wait for each other (IMMEDIATE + busy timeout) instead of failing with
        # "database is locked"; WAL lets readers go on while one writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("TEST", {})
    if name := os.environ.get("HANJI_TEST_DATABASE_NAME"):
        DATABASES["default"]["TEST"]["NAME"] = name
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and rate limits ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get(
                "HANJI_CACHE_PREFIX", "hanji-test" if TESTING else "hanji"
            ),
        }
    }
else:
    # Shared by every process on the machine (web workers and the task worker), so an
    # invalidation made by one is seen by all; see docs/decisions.md.
    CACHES = {
        "default": {
            "BACKEND": "hanji.core.pagecache.FileCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
HANJI_PAGE_CACHE_SECONDS = int(os.environ.get("HANJI_PAGE_CACHE_SECONDS", "600"))
# HANJI_PAGE_CACHE=0 turns the anonymous page cache off (to measure or debug rendering).
HANJI_PAGE_CACHE = env_bool("HANJI_PAGE_CACHE", True)

# --- studio -----------------------------------------------------------------------------------
# Visitors may create an account and a publication ("start your own newsletter").
HANJI_ALLOW_SIGNUPS = env_bool("HANJI_ALLOW_SIGNUPS", False)
# Every outbound connection a user chose (link previews, a publication's own transport, its
# email-service API URL) may reach private and loopback addresses only when the operator says
# so (an intranet install); off by default. HANJI_FETCH_ALLOW_PRIVATE is the older name.
HANJI_ALLOW_PRIVATE_NETWORKS = env_bool(
    "HANJI_ALLOW_PRIVATE_NETWORKS", env_bool("HANJI_FETCH_ALLOW_PRIVATE", False)
)
HANJI_FETCH_ALLOW_PRIVATE = HANJI_ALLOW_PRIVATE_NETWORKS
# Payment providers' API addresses: only ever changed to point at a local fake (tests, bench).
HANJI_STRIPE_API_BASE = os.environ.get("HANJI_STRIPE_API_BASE", "")
HANJI_PORTONE_API_BASE = os.environ.get("HANJI_PORTONE_API_BASE", "")
# PortOne's browser SDK (requestIssueBillingKey), loaded on the checkout page.
HANJI_PORTONE_BROWSER_SDK = os.environ.get(
    "HANJI_PORTONE_BROWSER_SDK", "https://cdn.portone.io/v2/browser-sdk.js"
)
# The publication (slug) the instance's own host serves at `/`; empty: the first one made.
HANJI_ROOT_PUBLICATION = os.environ.get("HANJI_ROOT_PUBLICATION", "").strip().lower()
# Days the per-visitor rows behind "unique visitors a day" are kept (the day totals stay).
HANJI_ANALYTICS_RAW_DAYS = int(os.environ.get("HANJI_ANALYTICS_RAW_DAYS", "2") or 2)
# DNS servers for custom-domain verification ("host:port", comma-separated); empty = the system's.
HANJI_DNS_NAMESERVERS = [
    s.strip() for s in os.environ.get("HANJI_DNS_NAMESERVERS", "").split(",") if s.strip()
]
# Behind a reverse proxy, the header that carries the client's address (e.g. X-Real-IP, set by
# the proxy itself); without it every reader shares the proxy's address in rate limits and
# view counting. Only name a header the proxy always overwrites: clients can send any header.
HANJI_TRUSTED_PROXY_HEADER = os.environ.get("HANJI_TRUSTED_PROXY_HEADER", "").strip()
if HANJI_TRUSTED_PROXY_HEADER and not HANJI_TRUSTED_PROXY_HEADER.startswith("HTTP_"):
    HANJI_TRUSTED_PROXY_HEADER = "HTTP_" + HANJI_TRUSTED_PROXY_HEADER.upper().replace("-", "_")

# --- background work ----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "HANJI_TASKS_BACKEND",
            # The suite runs tasks in-line unless a test asks for real workers.
            "django.tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        ),
        "QUEUES": ["default", "sending"],
    }
}

# Periodic jobs the worker runs ("dotted.path.to.function": every N seconds). Each app adds
# its own line; the worker keeps the last run of each in the database, so a restart neither
# skips nor repeats one.
HANJI_PERIODIC_JOBS: dict[str, int] = {
    "hanji.posts.actions.publish_due_posts": 30,
    "hanji.engagement.counting.fold_views": 15,
    "hanji.engagement.actions.enqueue_comment_digests": 3600,
    "hanji.subscribers.reminders.send_advertising_consent_reminders": 86400,
    "hanji.subscribers.counts.recount_all": 86400,
    "hanji.sending.actions.start_due_sends": 15,
    "hanji.publications.actions.check_pending_domains": 600,
    "hanji.memberships.renewals.run_due_renewals": 600,
}

# --- email ----------------------------------------------------------------------------------
# EMAIL_URL selects the transport (see hanji.core.email_url); empty means the built-in outbox.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
HANJI_DEFAULT_FROM_EMAIL = os.environ.get("HANJI_FROM_EMAIL", f"noreply@{HANJI_BASE_HOST}")
DEFAULT_FROM_EMAIL = HANJI_DEFAULT_FROM_EMAIL
SERVER_EMAIL = HANJI_DEFAULT_FROM_EMAIL
from hanji.core.email_url import mailers_from_env  # noqa: E402

MAILERS = mailers_from_env(EMAIL_URL)
# Email services call /e/hooks/<service>/tracking/ with bounces and complaints. A service is
# heard only once its proof is set (hanji.sending.hooks, docs/security.md): Postmark the shared
# secret (basic auth, "user:password", then required of every service), Mailgun its webhook
# signing key, SendGrid its verification key, Amazon SES the SNS topics below.
ANYMAIL = {
    name: value
    for name, value in {
        "WEBHOOK_SECRET": os.environ.get("HANJI_WEBHOOK_SECRET", ""),
        "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("HANJI_MAILGUN_WEBHOOK_SIGNING_KEY", ""),
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": os.environ.get(
            "HANJI_SENDGRID_WEBHOOK_KEY", ""
        ),
    }.items()
    if value
}
# Amazon SNS topics (ARNs, comma-separated) whose signed messages carry SES events for us.
HANJI_SNS_TOPIC_ARNS = [
    arn.strip() for arn in os.environ.get("HANJI_SNS_TOPIC_ARNS", "").split(",") if arn.strip()
]

# --- auth, sessions, security ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "studio:login"
LOGIN_REDIRECT_URL = "studio:dashboard"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 180
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE = HANJI_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Hanji's own cookies (likes, visitor) follow SESSION_COOKIE_SECURE: hanji.core.cookies.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# No page is meant to be framed; a view that must be (a studio preview) says so with
# @xframe_options_sameorigin.
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SECURE_HSTS_SECONDS = int(os.environ.get("HANJI_HSTS_SECONDS", "0"))
    # Forms already need the proxy's X-Forwarded-Proto (CSRF compares the https origin), so
    # redirecting plain http costs nothing more; /healthz stays reachable for load balancers.
    SECURE_SSL_REDIRECT = env_bool("HANJI_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS is the operator's choice (HANJI_HSTS_SECONDS): publications answer on custom domains
# that belong to their creators, and an HSTS header cannot be taken back once browsers have
# it, so Hanji does not send one by default and `check --deploy` does not warn about it.
SILENCED_SYSTEM_CHECKS = ["security.W004"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Seoul"

# --- files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("HANJI_MEDIA_DIR", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
HANJI_SERVE_MEDIA = env_bool("HANJI_SERVE_MEDIA", True)

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HANJI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
