"""agentdesk settings: one module, configured from the environment (see README "Configuration")."""

import math
import os
import re
import secrets
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

import dj_database_url
import django_stubs_ext
import phonenumbers
from django.core.exceptions import ImproperlyConfigured

# Django's generic classes (ModelAdmin[Contact], QuerySet[Team], …) subscriptable at run time,
# as their type hints are written (mypy disallows bare generics).
django_stubs_ext.monkeypatch()

# ------------------------------------------------------------------ reading the environment
# Every setting below is read through these: a malformed value stops the process at start
# with ImproperlyConfigured naming the variable, instead of being taken as a default.
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def _env(name: str) -> str | None:
    """The variable's value, stripped; None when unset or blank (the default applies)."""
    value = os.environ.get(name, "").strip()
    return value or None


def env_str(name: str, default: str, *, choices: Collection[str] | None = None) -> str:
    value = _env(name)
    if value is None:
        return default
    if choices is not None and value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: use one of {', '.join(sorted(choices))}")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value: use 1 or 0")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} is below the minimum of {minimum}")
    return number


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None
    if not math.isfinite(number) or number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number of at least {minimum:g}")
    return number


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# ------------------------------------------------------------------ the settings

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("AGENTDESK_DATA_DIR", str(BASE_DIR / "var")))


def private_data_dir() -> Path:
    """The data directory, readable by the service's own user only (0700). A directory an
    operator prepared for the service under another owner is left as they set it."""
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    if DATA_DIR.stat().st_uid == os.getuid():
        DATA_DIR.chmod(0o700)
    return DATA_DIR


def private_file(path: Path) -> Path:
    """`path` created if missing, and in any case readable by the service's user only (0600)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    return path


def _secret_key() -> str:
    """SECRET_KEY from the environment; on a single embedded machine, a generated key kept
    in the data directory so sessions survive restarts without a secret in the repository."""
    key = env_str("SECRET_KEY", "")
    if key:
        return key
    key_file = private_data_dir() / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return private_file(key_file).read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# LCM: "embedded" routes envelopes to the bundled simulator in-process; otherwise an http(s) URL
# that accepts each envelope as a JSON POST.
LCM_URL = env_str("LCM_URL", "embedded")
if LCM_URL != "embedded" and not LCM_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"LCM_URL={LCM_URL!r}: use 'embedded' or an http(s):// URL")
# The bundled simulator's app is installed where it answers: in-process with LCM_URL=embedded,
# or in the process serving it over HTTP (`manage.py lcmsim` sets LCM_SIMULATOR=1).
LCM_SIMULATOR = env_bool("LCM_SIMULATOR", LCM_URL == "embedded")
# Demo mode (`make run` sets AGENTDESK_DEMO=1): `serve` and `seed_demo` create the demo users
# (known password) and the simulator may serve with DEBUG off. Never set it in production.
DEMO_MODE = env_bool("AGENTDESK_DEMO", False)
# The operator chose the bundled simulator on purpose (demo mode, or LCM_SIMULATOR=1 given);
# otherwise LCM_URL=embedded with DEBUG off is refused by a system check (agentdesk.E001).
LCM_SIMULATOR_CHOSEN = DEMO_MODE or env_bool("LCM_SIMULATOR", False)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "csp",
    "axes",
    "agentdesk.liveaccess",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    # Bottom to top: each app imports only from the ones listed before it (README "Layout").
    "agentdesk.jobs",
    "agentdesk.retiredkeys",
    "agentdesk.lcm",
    "agentdesk.teams",
    *(["agentdesk.lcmsim"] if LCM_SIMULATOR else []),
    "agentdesk.compliance",
    "agentdesk.desk",
    "agentdesk.monitor",
    "agentdesk.dialler",
    "agentdesk.webhooks",
    "agentdesk.dncsync",
    "agentdesk.metrics",
    "agentdesk.demo",
    "agentdesk.language",
]

# Django's middlewares as shipped. Their hooks are synchronous, so under ASGI each runs in a
# thread: measured, +0.9 ms of CPU per POST action (5.0 -> 5.9 ms); the agent page acts over its
# socket, which passes no middleware, and posts only while the socket is down.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "agentdesk.dialler.middleware.api_errors_as_json",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "agentdesk.language.middleware.language_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# axes' backend first: it refuses locked-out logins before any password is checked, on every
# form that authenticates (the login page and /admin/login/).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "agentdesk.urls"
ASGI_APPLICATION = "agentdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agentdesk.language.context_processors.ui_text",
                "agentdesk.compliance.context_processors.simulated_clock",
            ],
        },
    },
]

# Database: an embedded SQLite file unless DATABASE_URL names another (PostgreSQL in scaled mode).
_default_sqlite = f"sqlite:///{DATA_DIR / 'agentdesk.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_sqlite))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    private_data_dir()
    _sqlite_file = Path(DATABASES["default"]["NAME"])
    if _sqlite_file.parent == DATA_DIR:
        # SQLite gives new -wal and -shm files the database file's mode.
        for _path in (_sqlite_file, *_sqlite_file.parent.glob(_sqlite_file.name + "-*")):
            private_file(_path)
    # IMMEDIATE transactions take the write lock up front, so concurrent writers queue on the
    # busy timeout instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-agentdesk.sqlite3")}
    # Keep each thread's connection: opening one (and its PRAGMAs) per ORM call cost a fifth
    # of a worker's CPU under load.
    DATABASES["default"]["CONN_MAX_AGE"] = None
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A bounded pool per worker: every concurrent request or socket runs its ORM work in a
    # thread, and one connection per thread would exhaust the server's max_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": 2,
            "max_size": env_int("DATABASE_POOL_SIZE", 20, minimum=2),
            "timeout": 30,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (CSV imports, …): django-tasks with its database backend, so queued work is
# in the same database as everything else and survives restarts; `manage.py jobs_worker` runs
# them (`serve` starts one). See docs/jobs.md.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# How often each job runner looks for work a killed runner left behind, and how long a job
# may go without a heartbeat before it counts as left behind.
JOBS_SWEEP_SECONDS = env_float("JOBS_SWEEP_SECONDS", 10.0, minimum=0.1)
JOBS_STALE_SECONDS = env_float("JOBS_STALE_SECONDS", 30.0, minimum=1.0)
# The job runner's niceness: on a machine it shares with web workers, agents' pages come first.
JOBS_NICE = env_int("JOBS_NICE", 10, minimum=0)
# The outcome agentdesk closes a retired LCM contact with when LCM hands it out (docs/lcm.md).
# A callback may be booked at most this many days ahead (docs/wrapup.md).
CALLBACK_MAX_DAYS_AHEAD = env_int("CALLBACK_MAX_DAYS_AHEAD", 30, minimum=1)
# How long the contact's business fields and numbers read from LCM are kept per dial attempt.
CONTACT_DETAILS_CACHE_SECONDS = env_int("CONTACT_DETAILS_CACHE_SECONDS", 300, minimum=0)
LCM_RETIRED_OUTCOME_ID = env_int("LCM_RETIRED_OUTCOME_ID", 9, minimum=1)
# Rows a CSV import sends to LCM at once on PostgreSQL (SQLite imports one at a time).
IMPORT_CONCURRENCY = env_int("IMPORT_CONCURRENCY", 8, minimum=1)
IMPORT_BATCH_SIZE = min(env_int("IMPORT_BATCH_SIZE", 100, minimum=1), 1000)

# Channel layer: in-process unless REDIS_URL points at Redis (scaled mode, several workers).
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Shared by every worker when Redis is there (login throttling, LCM reference data); one
# long-lived connection pool per worker (agentdesk/serving/rediscache.py).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "agentdesk.serving.rediscache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# An agent counts as connected while a worker holding their page renews it; a killed worker's
# agents go offline after this many seconds (renewed every third of it).
PRESENCE_TTL_SECONDS = env_float("PRESENCE_TTL_SECONDS", 60.0, minimum=1.0)

LCM_TIMEOUT_SECONDS = env_float("LCM_TIMEOUT_SECONDS", 5.0, minimum=0.1)
LCM_SOURCE = env_str("LCM_SOURCE", "agentdesk")
# Circuit breaker: after this many transport failures in a row, stop calling LCM for this
# many seconds (then let one call test it).
LCM_BREAKER_FAILURES = env_int("LCM_BREAKER_FAILURES", 3, minimum=1)
LCM_BREAKER_SECONDS = env_float("LCM_BREAKER_SECONDS", 10.0)
# Which call the Reserved button makes: the Non-PEWC GetReservedContactOD or the newer
# Manual Dial widget call GetReservedManualDialContact.
LCM_RESERVED_SUBTOPIC = env_str(
    "LCM_RESERVED_SUBTOPIC",
    "GetReservedContactOD",
    choices={"GetReservedContactOD", "GetReservedManualDialContact"},
)

# Webhooks (docs/webhooks.md): how long to wait for a receiver, how many attempts before
# giving up, and the wait after the first failure (four times longer after each next one).
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 5.0, minimum=0.1)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
WEBHOOK_RETRY_SECONDS = env_float("WEBHOOK_RETRY_SECONDS", 30.0, minimum=0.1)
# Networks webhooks may reach besides the public internet (comma-separated CIDR, e.g. a CRM on
# 10.1.2.0/24); loopback, link-local, private and unspecified addresses are refused otherwise.
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", "")
try:
    from agentdesk.webhooks.destinations import parse_networks as _parse_webhook_networks

    _parse_webhook_networks(WEBHOOK_ALLOWED_NETWORKS)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
# Do-not-call numbers appended to LCM (AddCompliance): first wait after a failure (then four
# times longer each time, at most an hour), and refusals in a row before giving up.
DNC_LCM_RETRY_SECONDS = env_float("DNC_LCM_RETRY_SECONDS", 30.0, minimum=0.1)
DNC_LCM_MAX_REFUSALS = env_int("DNC_LCM_MAX_REFUSALS", 5, minimum=1)

# Live connections (docs/deploy.md, "Live connection limits"): sockets one login session and
# one user may hold open in one worker process, and frames one socket may send (a burst, then
# a steady rate). Over a limit the socket gets an error frame and is closed (code 4429).
SOCKETS_PER_SESSION = env_int("SOCKETS_PER_SESSION", 10, minimum=1)
SOCKETS_PER_USER = env_int("SOCKETS_PER_USER", 20, minimum=1)
SOCKET_FRAMES_PER_SECOND = env_float("SOCKET_FRAMES_PER_SECOND", 10.0, minimum=0.1)
SOCKET_FRAME_BURST = env_int("SOCKET_FRAME_BURST", 30, minimum=1)
# Sockets one login session may open a second (after a burst of SOCKET_CONNECT_BURST): the
# caps above count open sockets only, and one session opening and closing them in a loop
# made every connect's resync and presence announcement slow everyone.
SOCKET_CONNECTS_PER_SECOND = env_float("SOCKET_CONNECTS_PER_SECOND", 2.0, minimum=0.1)
SOCKET_CONNECT_BURST = env_int("SOCKET_CONNECT_BURST", 30, minimum=1)

# Who may read /metrics without logging in: comma-separated addresses or networks (CIDR).
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
try:
    from agentdesk.metrics.access import parse_networks

    parse_networks(METRICS_ALLOWED_NETWORKS)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

# Compliance: freeze the moment calling hours are judged at (an ISO date-time with its offset),
# for training rooms, drills and tests; empty means the real time. Never set it in production.
_compliance_clock = env_str("COMPLIANCE_CLOCK", "")
try:
    COMPLIANCE_CLOCK = datetime.fromisoformat(_compliance_clock) if _compliance_clock else None
except ValueError as exc:
    raise ImproperlyConfigured(
        "COMPLIANCE_CLOCK must be an ISO date-time like 2026-11-23T03:00:00+00:00"
    ) from exc
if COMPLIANCE_CLOCK is not None and COMPLIANCE_CLOCK.tzinfo is None:
    raise ImproperlyConfigured("COMPLIANCE_CLOCK needs a UTC offset, e.g. +00:00")
# How long a worker keeps campaign policies and preview limits in memory (0: read every time).
COMPLIANCE_CACHE_SECONDS = env_float("COMPLIANCE_CACHE_SECONDS", 10.0)
# How long a worker remembers that nobody watches a team's monitor (0: ask on every action).
MONITOR_UNWATCHED_SECONDS = env_float("MONITOR_UNWATCHED_SECONDS", 1.0)
# How long an idle agent's rendered page fragments are kept in the shared cache for the resync
# of a reconnecting page (0: render every resync).
DESK_RENDER_CACHE_SECONDS = env_float("DESK_RENDER_CACHE_SECONDS", 43200.0)
# How long an agent page's websocket handshake (session, user, agent profile) is kept in the
# shared cache after it was read, so a page reconnecting meanwhile skips the database (0: off).
SOCKET_HANDSHAKE_CACHE_SECONDS = env_float("SOCKET_HANDSHAKE_CACHE_SECONDS", 600.0, minimum=0.0)
# How often a team's monitor charts are redrawn at most while its agents act (0: every change).
MONITOR_CHARTS_SECONDS = env_float("MONITOR_CHARTS_SECONDS", 3.0)
# Whether a worker draws the monitor charts in a process of its own (monitor/drawing.py): a
# drawing then never holds the worker's interpreter from its agents. Off: in the worker.
MONITOR_CHARTS_PROCESS = env_bool("MONITOR_CHARTS_PROCESS", True)
# How an ambiguous numeric date in an LCM answer ("02/03/2024 16:00") is read: "month-first"
# (as the vendor's answer samples) or "day-first" (as CreateContact's documented format).
LCM_DATE_ORDER = env_str("LCM_DATE_ORDER", "month-first", choices={"month-first", "day-first"})
# Key casing where the vendor's parameter tables and samples disagree (docs/lcm.md):
# "tables" sends UserId and NumberOfContactsRequired "1"; "samples" UserID and
# NumberofContactsRequired 1.
LCM_REQUEST_STYLE = env_str("LCM_REQUEST_STYLE", "tables", choices={"tables", "samples"})
# The region (ISO 3166, e.g. "US") national phone numbers from LCM are read in when the
# contact's time zone does not name a country; also the agents' home region for formatting.
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "US", choices=phonenumbers.SUPPORTED_REGIONS)
# The simulator releases a contact an agent has held (fetched, not closed) this long.
LCMSIM_HOLD_SECONDS = env_float("LCMSIM_HOLD_SECONDS", 1800.0, minimum=1.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Request bodies over these sizes are answered 413 before they are read into memory
# (agentdesk/serving/bodylimit.py): the CSV upload under /imports/ has its own limit, every other
# route the general one.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 1024 * 1024, minimum=1024)
CSV_UPLOAD_MAX_BYTES = env_int("CSV_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:page"
LOGOUT_REDIRECT_URL = "login"

# Pages speak English or German: the user's saved choice, else the language cookie, else the
# browser's Accept-Language (agentdesk/language/choice.py). Translations: agentdesk/locale
# (docs/translations.md).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "agentdesk" / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "staticfiles")))
# Workers serve /static/ themselves (asgi.py), straight from the app and project folders, so
# a fresh checkout works without collectstatic; deployments may collect to STATIC_ROOT and
# serve from a proxy instead.

# HTTPS hardening, switched on from the environment when served over HTTPS (docs/deploy.md).
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Database sessions that also close a session's websockets when the session is deleted (a
# different user logging in from the same browser, a key cycled), not only on logout.
SESSION_ENGINE = "agentdesk.liveaccess.session_store"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    # Behind a proxy that terminates TLS and sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp, docs/deploy.md "Content-Security-Policy"): scripts, styles
# and everything else only from this site; no inline script, handler or style. Who may show
# agentdesk in a frame (an agent desktop that embeds it) is CSP_FRAME_ANCESTORS: space-separated
# sources such as 'self' or https://desktop.example.com; default 'none' (no one).
# (Not named CSP_*: django-csp 4 takes settings of that name for its old format.)
FRAME_ANCESTORS = env_str("CSP_FRAME_ANCESTORS", "'none'").split()
_FRAME_SOURCE = re.compile(
    r"^('none'|'self'|[A-Za-z][A-Za-z0-9+.-]*:"
    r"|([A-Za-z][A-Za-z0-9+.-]*://)?[A-Za-z0-9*.[\]:-]+(:[0-9*]+)?(/[^\s;,']*)?)$"
)
if not FRAME_ANCESTORS or not all(_FRAME_SOURCE.match(s) for s in FRAME_ANCESTORS):
    raise ImproperlyConfigured(
        "CSP_FRAME_ANCESTORS must be 'none', or sources such as 'self' https://desktop.example.com"
    )
if "'none'" in FRAME_ANCESTORS and len(FRAME_ANCESTORS) > 1:
    raise ImproperlyConfigured("CSP_FRAME_ANCESTORS: 'none' cannot be combined with other sources")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # the live connection (ws:/wss: to this host)
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": FRAME_ANCESTORS,
    },
}
# The older X-Frame-Options says the same to browsers without CSP; it can only say DENY or
# SAMEORIGIN, so it is left out when other sites may frame agentdesk.
if FRAME_ANCESTORS == ["'none'"]:
    X_FRAME_OPTIONS = "DENY"
elif FRAME_ANCESTORS == ["'self'"]:
    X_FRAME_OPTIONS = "SAMEORIGIN"
else:
    MIDDLEWARE.remove("django.middleware.clickjacking.XFrameOptionsMiddleware")

# Login throttling (django-axes, see agentdesk/accounts/login.py): failures per username (and per
# username + address) before a pause; the bare address, shared by everyone behind a proxy, gets
# a far more generous limit.
LOGIN_FAILURES_ALLOWED = env_int("LOGIN_FAILURES_ALLOWED", 5, minimum=1)
LOGIN_ADDRESS_FAILURES_ALLOWED = env_int("LOGIN_ADDRESS_FAILURES_ALLOWED", 100, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# How many reverse proxies sit in front of the workers; 0: X-Forwarded-For is never read.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_HANDLER = "agentdesk.accounts.login.LoginAttempts"
AXES_FAILURE_LIMIT = "agentdesk.accounts.login.failure_limit"
AXES_COOLOFF_TIME = "agentdesk.accounts.login.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "agentdesk.accounts.login.normalized_username"
AXES_CLIENT_IP_CALLABLE = "agentdesk.accounts.clientip.client_address"
AXES_LOCKOUT_CALLABLE = "agentdesk.accounts.login.lockout_response"
# Only the user's own attempts are forgotten (the address is no lockout key on its own).
AXES_RESET_ON_SUCCESS = True
# No "AXES: BEGIN version …" banner on every manage.py command and worker start; lockouts
# and failed logins are still logged.
AXES_VERBOSE = False

LOG_LEVEL = env_str("LOG_LEVEL", "INFO", choices={"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
