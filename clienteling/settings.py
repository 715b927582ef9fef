"""Frontline settings: everything comes from the environment, read once, here.

Development needs no variable at all (SQLite and an embedded Redis under ``var/``).
With DEBUG off, the values production cannot guess must be given, or start-up fails
with a message naming the missing variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

from clienteling import embedded_redis, env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env.get_bool("DEBUG", default=True)
PRODUCTION = not DEBUG

DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env.get_str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY, required=PRODUCTION)
if PRODUCTION:
    env.check_secret_key(SECRET_KEY, development_default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.get_list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise env.MissingSetting("ALLOWED_HOSTS must name at least one host when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.get_str("SITE_URL", default="http://127.0.0.1:8000", required=PRODUCTION)
DEMO_PASSWORD = env.get_str("DEMO_PASSWORD", default="frontline-demo")
# Names the service worker's cache, so that a deploy replaces what tablets keep offline.
STATIC_VERSION = env.get_str("RELEASE", default="dev")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "frontline.core",
    "frontline.staff",
    "frontline.customers",
    "frontline.catalog",
    "frontline.orders",
    "frontline.demo",
    "frontline.notifications",
    "frontline.sync",
    "frontline.actions",
    "frontline.followups",
    "frontline.recommendations",
    "frontline.sentiment",
    "frontline.surveys",
    "frontline.privacy",
    "frontline.appointments",
    "frontline.tablet",
    "frontline.outreach",
]

MIDDLEWARE = [
    "frontline.core.middleware.RequestLogMiddleware",
    # Pages and (in development) static files travel compressed: a store's Wi-Fi is slow. First,
    # as Django's docs place it, so that it sees every other middleware's body; it leaves what
    # is already compressed alone (whitenoise's precompressed files in production) and pads each
    # answer with random bytes against BREACH, beside the CSRF token's per-response masking.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "frontline.staff.time_zones.StoreTimeZoneMiddleware",
    "frontline.staff.languages.StoreLanguageMiddleware",
    # After authentication: it records refusals of personal-data routes with the staff member.
    "frontline.privacy.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After authentication and sessions: a locked tablet's session gets the lock screen only.
    "frontline.tablet.locking.TabletLockMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "clienteling.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "clienteling.asgi.application"
AUTH_USER_MODEL = "staff.User"
LOGIN_URL = "login"
# Django's model backend, refusing accounts locked out after repeated failures (staff.lockout).
AUTHENTICATION_BACKENDS = ["frontline.staff.lockout.LockoutModelBackend"]
# LOGIN_LOCKOUT_FAILURES failed sign-ins to one account within LOGIN_LOCKOUT_SECONDS lock it
# until that window ends: 10 in 15 minutes stops guessing (the per-minute rate limit alone
# lets 150 through in that time) without locking out someone who mistypes a few times.
LOGIN_LOCKOUT_FAILURES = env.get_int("LOGIN_LOCKOUT_FAILURES", 10, minimum=1)
LOGIN_LOCKOUT_SECONDS = env.get_int("LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)
# Shared tablets: TABLET_PIN_FAILURES wrong PINs for one staff member lock their PIN for
# TABLET_PIN_LOCKOUT_SECONDS (or until they sign in with their password); an Idempotency-Key
# and the answer it got are kept IDEMPOTENCY_KEY_HOURS, far longer than a tablet stays offline.
TABLET_PIN_FAILURES = env.get_int("TABLET_PIN_FAILURES", 5, minimum=1)
TABLET_PIN_LOCKOUT_SECONDS = env.get_int("TABLET_PIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)
IDEMPOTENCY_KEY_HOURS = env.get_int("IDEMPOTENCY_KEY_HOURS", 24, minimum=1)
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"

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
                "frontline.core.context_processors.navigation",
                "frontline.core.javascript_text.javascript_text",
                "frontline.tablet.context_processors.tablet",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# PostgreSQL in production; SQLite under var/ when DATABASE_URL is not set. Under ASGI every
# request may run on a different thread, so persistent connections (CONN_MAX_AGE) would leak:
# PostgreSQL uses psycopg's pool instead, which Django 5.1+ manages per process.
DATABASE_URL = env.get_str("DATABASE_URL", required=PRODUCTION)
if DATABASE_URL:
    default_database = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
else:
    default_database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "db.sqlite3"),
    }
if default_database["ENGINE"] == "django.db.backends.postgresql":
    default_database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.get_int("DATABASE_POOL_MIN", 2, minimum=0),
        "max_size": env.get_int("DATABASE_POOL_MAX", 10, minimum=1),
        # How long a request waits for a free connection. Short, so that an outage shows as
        # a quick error (and a 503 on /healthz/) rather than requests piling up.
        "timeout": env.get_int("DATABASE_POOL_TIMEOUT", 5, minimum=1),
    }
    # Statements sent with server-side binding (only the hottest reads, see
    # frontline.core.batching) are prepared after a few runs on a connection, so PostgreSQL
    # stops planning them per request. Django turns this off by default for the sake of
    # transaction-mode poolers that cannot keep prepared statements (PgBouncer before 1.21):
    # behind one of those, set DATABASE_PREPARED_STATEMENTS=0.
    if env.get_bool("DATABASE_PREPARED_STATEMENTS", True):
        default_database["OPTIONS"]["prepare_threshold"] = 5
elif default_database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE transactions take the
    # write lock up front instead of failing half-way with "database is locked".
    default_database.setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DATABASES = {"default": default_database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery ------------------------------------------------
REDIS_URL: str = env.get_str("REDIS_URL", required=PRODUCTION) or embedded_redis.ensure_running(
    VAR_DIR / "redis"
)
if not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} is not a redis:// URL.")

# Cache, channel layer and Celery share the one database REDIS_URL names, each under its own
# key prefix; REDIS_PREFIX lets several Frontline instances (or test runs) share a server.
REDIS_PREFIX = env.get_str("REDIS_PREFIX", default="frontline")
# Parallel test processes (pytest-xdist names each in PYTEST_XDIST_WORKER, and the servers and
# workers a test starts inherit it) share one Redis: each keeps its keys apart, so one test's
# cache.clear() or rate limits never reach another's.
if os.environ.get("PYTEST_XDIST_WORKER"):
    REDIS_PREFIX = f"{REDIS_PREFIX}-{os.environ['PYTEST_XDIST_WORKER']}"

CACHES = {
    "default": {
        "BACKEND": "frontline.core.cache.NamespacedRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{REDIS_PREFIX}:cache",
    }
}

# The channel layer is channels_redis's pub/sub one: a group message is published once and
# fanned out inside each server process, where the queueing layer stores one copy per socket
# and pops them one by one. Measured with tests/bench/bench_notification_fanout.py at 300
# sockets on a busy machine: bare fan-out 113 -> 19 ms, commit-to-socket p50 273 -> 149 ms, and
# nothing lost where the queueing layer lost 50 of 2,400 messages; re-measured at 1,000 sockets
# on two uvicorn workers (the benchmark's retail load plus 20 broadcasts to all), the queueing
# layer lost 868 of 24,804 copies, pub/sub none. Pub/sub is at-most-once,
# which costs nothing here: notifications live in the database and every client catches up on
# (re)connect. CHANNEL_LAYER=redis selects the queueing layer.
CHANNEL_LAYER = env.get_str("CHANNEL_LAYER", default="pubsub")
if CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_PREFIX}:channels"},
        }
    }
elif CHANNEL_LAYER == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": f"{REDIS_PREFIX}:channels",
                # This layer drops group messages past capacity without a word; notifications
                # are persisted and caught up on reconnect, but a generous capacity keeps it rare.
                "capacity": 1500,
                "expiry": 60,
                "group_expiry": 86400,
            },
        }
    }
else:
    raise ImproperlyConfigured(f"CHANNEL_LAYER={CHANNEL_LAYER!r}: use pubsub or redis.")

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# A task still running when the visibility timeout passes is delivered again (Celery #5935);
# keep it well above the hard time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 60 * 60,
    "global_keyprefix": f"{REDIS_PREFIX}:celery:",
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks: each domain adds its entries in its own block below; beat's
# DatabaseScheduler copies them into django-celery-beat's admin-editable tables when it starts.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "worker-heartbeat": {
        "task": "frontline.core.tasks.record_worker_heartbeat_task",
        "schedule": 60,
    },
}
# --- Recommended actions and product recommendations (frontline.actions) -----------------
# Thresholds of the rules; see frontline/actions/conf.py for every key and its default.
ACTIONS: dict[str, object] = {}
# Dotted paths of ``handler(outcome) -> url | None`` called when an associate accepts an action
# (the follow-ups domain plugs in here: accepting plans the follow-up the action names).
ACTIONS_ACCEPT_HANDLERS: list[str] = [
    "frontline.followups.automation.followup_from_accepted_action",
]
CELERY_BEAT_SCHEDULE["actions-nightly-batch"] = {
    "task": "frontline.actions.tasks.compute_actions_batch_task",
    "schedule": crontab(hour=2, minute=30),
}
CELERY_BEAT_SCHEDULE["recommendations-nightly-similarities"] = {
    "task": "frontline.recommendations.tasks.recompute_product_similarities_task",
    "schedule": crontab(hour=1, minute=30),
}

# --- Follow-ups (frontline.followups) ---------------------------------------------------
# Thresholds of the automatic follow-ups; see frontline/followups/automation.py (FollowUpRules).
FOLLOWUPS: dict[str, object] = {}
CELERY_BEAT_SCHEDULE["followups-remind"] = {
    "task": "frontline.followups.tasks.remind_followups_task",
    "schedule": 300.0,
    "options": {"expires": 290},
}
CELERY_BEAT_SCHEDULE["followups-from-rules"] = {
    "task": "frontline.followups.tasks.create_followups_from_rules_task",
    "schedule": 900.0,
    "options": {"expires": 880},
}

CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = env.get_bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Catalog: holds and stock -----------------------------------------------------------
# Dotted path of the class that confirms stock live with the ERP before a hold (a
# frontline.catalog.confirmation.StockConfirmer); empty: holds rely on the synced figure.
CATALOG_STOCK_CONFIRMER = env.get_str("CATALOG_STOCK_CONFIRMER", default="")
CATALOG_STOCK_CONFIRMER_URL = env.get_str("CATALOG_STOCK_CONFIRMER_URL", default="")
# The associate is waiting: a slower ERP answer is not worth having.
CATALOG_STOCK_CONFIRM_TIMEOUT = env.get_int("CATALOG_STOCK_CONFIRM_TIMEOUT_SECONDS", 2, minimum=1)
# Callables (dotted paths) called with watch= and stock= when a watched size is back in stock:
# the seam for recommended next actions.
CATALOG_BACK_IN_STOCK_HOOKS: list[str] = [
    "frontline.actions.services.actions_refresh_after_back_in_stock"
]
CELERY_BEAT_SCHEDULE["catalog-expire-holds"] = {
    "task": "frontline.catalog.tasks.expire_holds_task",
    "schedule": 60.0,
    "options": {"expires": 55},
}
CELERY_BEAT_SCHEDULE["catalog-warn-expiring-holds"] = {
    "task": "frontline.catalog.tasks.warn_expiring_holds_task",
    "schedule": 300.0,
    "options": {"expires": 290},
}

RATELIMIT_VIEW = "frontline.core.views.rate_limited"
# Requests per client address to each public page that has no tighter limit of its own (the
# health check, the PWA's files, the sign-in and password-reset pages, the API's description,
# a booking's links): a floor under every route reached without signing in.
PUBLIC_RATE = env.get_str("PUBLIC_RATE", default="120/m")

# --- Appointments: the public booking page (frontline.appointments) ---------------------
# Customers may move or cancel a session online until this many hours before it starts.
APPOINTMENTS_CHANGE_CUTOFF_HOURS = env.get_int("APPOINTMENTS_CHANGE_CUTOFF_HOURS", 12, minimum=0)
# How long the signed reschedule/cancel link of an e-mail works; every reminder brings a new one.
APPOINTMENTS_MANAGE_LINK_DAYS = env.get_int("APPOINTMENTS_MANAGE_LINK_DAYS", 30, minimum=1)
# Booking attempts per address: generous for a family on one connection, slow for a bot.
APPOINTMENTS_BOOKING_RATE = env.get_str("APPOINTMENTS_BOOKING_RATE", default="10/m")
APPOINTMENTS_BROWSE_RATE = env.get_str("APPOINTMENTS_BROWSE_RATE", default="120/m")
# STUN/TURN servers for the video sessions, as the browser's RTCPeerConnection takes them (JSON),
# e.g. [{"urls": "stun:stun.example.com"}, {"urls": "turn:turn.example.com",
# "username": "u", "credential": "p"}]. None: browsers on the same network still connect;
# across the internet most need at least STUN, and some (strict NAT) a TURN relay.
APPOINTMENTS_ICE_SERVERS = env.get_json_list("APPOINTMENTS_ICE_SERVERS")
CELERY_BEAT_SCHEDULE["appointments-reminders"] = {
    "task": "frontline.appointments.tasks.queue_booking_reminders_task",
    "schedule": 300.0,
    "options": {"expires": 290},
}

# --- Outreach: messages to customers (frontline.outreach) -------------------------------
# E-mail goes through Django's e-mail backend (EMAIL_URL). SMS and WhatsApp go through the
# provider adapter: "twilio" (Twilio's Messages API) or "log" (development: written to the log).
OUTREACH_SMS_BACKEND = env.get_str("OUTREACH_SMS_BACKEND", default="log")
if OUTREACH_SMS_BACKEND not in {"twilio", "log"}:
    raise ImproperlyConfigured(f"OUTREACH_SMS_BACKEND={OUTREACH_SMS_BACKEND!r}: use twilio or log.")
TWILIO_API_URL = env.get_str("TWILIO_API_URL", default="https://api.twilio.com")
TWILIO_ACCOUNT_SID = env.get_str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.get_str(
    "TWILIO_AUTH_TOKEN", default="", required=OUTREACH_SMS_BACKEND == "twilio"
)
if OUTREACH_SMS_BACKEND == "twilio" and not TWILIO_ACCOUNT_SID:
    raise env.MissingSetting("TWILIO_ACCOUNT_SID is required with OUTREACH_SMS_BACKEND=twilio.")
TWILIO_SMS_FROM = env.get_str("TWILIO_SMS_FROM", default="")
TWILIO_WHATSAPP_FROM = env.get_str("TWILIO_WHATSAPP_FROM", default="")
TWILIO_TIMEOUT_SECONDS = env.get_int("TWILIO_TIMEOUT_SECONDS", 10, minimum=1)
# The public base URL the provider calls back (status callbacks, inbound messages) and signs:
# behind a proxy it must be the address the provider uses. SITE_URL by default.
OUTREACH_WEBHOOK_BASE_URL = env.get_str("OUTREACH_WEBHOOK_BASE_URL", default=SITE_URL)
# Replies to e-mails are addressed reply+<token>@OUTREACH_REPLY_DOMAIN; empty: replies are
# matched by In-Reply-To and the sender's address only.
OUTREACH_REPLY_DOMAIN = env.get_str("OUTREACH_REPLY_DOMAIN", default="")
# The shared secret the mail relay signs inbound e-mail posts with (HMAC-SHA256, hex).
OUTREACH_INBOUND_EMAIL_SECRET = env.get_str("OUTREACH_INBOUND_EMAIL_SECRET", default="")
# No SMS or WhatsApp between these hours in the customer's time zone ("HH:MM-HH:MM").
OUTREACH_QUIET_HOURS = env.get_str("OUTREACH_QUIET_HOURS", default="21:00-09:00")
# Frequency caps per customer: messages a day (any purpose), marketing messages a week.
OUTREACH_MESSAGES_PER_DAY = env.get_int("OUTREACH_MESSAGES_PER_DAY", 3, minimum=1)
OUTREACH_MARKETING_PER_WEEK = env.get_int("OUTREACH_MARKETING_PER_WEEK", 2, minimum=0)
# Attempts per message, and the backoff between them (doubling from the base, capped).
OUTREACH_MAX_ATTEMPTS = env.get_int("OUTREACH_MAX_ATTEMPTS", 6, minimum=1)
OUTREACH_RETRY_BASE_SECONDS = env.get_int("OUTREACH_RETRY_BASE_SECONDS", 30, minimum=1)
OUTREACH_RETRY_CAP_SECONDS = env.get_int("OUTREACH_RETRY_CAP_SECONDS", 3600, minimum=1)
# A claim older than this is taken to belong to a worker that died; the message is retried
# with the same idempotency key.
OUTREACH_CLAIM_LEASE_SECONDS = env.get_int("OUTREACH_CLAIM_LEASE_SECONDS", 300, minimum=1)
# How the brand signs its messages (unsubscribe confirmations name it).
OUTREACH_BRAND_NAME = env.get_str("OUTREACH_BRAND_NAME", default="Frontline")
OUTREACH_WEBHOOK_RATE = env.get_str("OUTREACH_WEBHOOK_RATE", default="600/m")
CELERY_BEAT_SCHEDULE["outreach-dispatch"] = {
    "task": "frontline.outreach.tasks.dispatch_due_messages_task",
    "schedule": 30.0,
    "options": {"expires": 25},
}

# --- Privacy: retention and erasure (frontline.privacy) ---------------------------------
# Interactions older than this many days keep their kind, channel, date and sentiment and
# lose their text (a nightly job). Three years by default: personal data is kept no longer
# than it serves (GDPR art. 5(1)(e)), and three years after the last contact is what the
# CNIL's reference for customer management allows for marketing use; long enough for
# associates to remember a returning customer. A brand with another policy sets its own;
# 0 keeps everything.
INTERACTION_RETENTION_DAYS = env.get_int("INTERACTION_RETENTION_DAYS", 3 * 365, minimum=0)
# Interactions per transaction: small enough to keep locks short, large enough to be quick.
INTERACTION_RETENTION_CHUNK = env.get_int("INTERACTION_RETENTION_CHUNK", 1000, minimum=1)
CELERY_BEAT_SCHEDULE["privacy-interaction-retention"] = {
    "task": "frontline.privacy.tasks.apply_interaction_retention_task",
    "schedule": crontab(hour=3, minute=15),
}
# Erasure steps confirmed once sync sees the system deleted its record.
CELERY_BEAT_SCHEDULE["privacy-erasure-confirmations"] = {
    "task": "frontline.privacy.tasks.collect_erasure_confirmations_task",
    "schedule": crontab(minute=40),
}
# --- Sentiment (frontline.sentiment) ----------------------------------------------------------
# The learned model is trained on the brand's rated feedback every night, and used only when it
# beats the shipped lexicon on the held-out share.
# A local transformer/ONNX model read in place of the lexicon (model.onnx, tokenizer.json and
# config.json in this directory; frontline/sentiment/local_model.py). Needs the [onnx] extra.
# Empty: the lexicon. Nothing is ever downloaded.
SENTIMENT_ONNX_DIR = env.get_str("SENTIMENT_ONNX_DIR", default="")
CELERY_BEAT_SCHEDULE["sentiment-nightly-retrain"] = {
    "task": "frontline.sentiment.tasks.retrain_sentiment_model_task",
    "schedule": crontab(hour=1, minute=0),
}
# --- Surveys (frontline.surveys): one question, 0-10, after a purchase or an appointment ------
SURVEY_LINK_DAYS = env.get_int("SURVEY_LINK_DAYS", 14, minimum=1)
# Nobody is asked twice within this many days, whatever they bought.
SURVEY_QUIET_DAYS = env.get_int("SURVEY_QUIET_DAYS", 30, minimum=0)
SURVEY_AFTER_PURCHASE_HOURS = env.get_int("SURVEY_AFTER_PURCHASE_HOURS", 24, minimum=0)
SURVEY_ANSWER_RATE = env.get_str("SURVEY_ANSWER_RATE", default="10/m")
SURVEY_VIEW_RATE = env.get_str("SURVEY_VIEW_RATE", default="60/m")
CELERY_BEAT_SCHEDULE["surveys-after-purchases"] = {
    "task": "frontline.surveys.tasks.send_purchase_surveys_task",
    "schedule": crontab(minute=20),
}

# --- Sync with CRM and ERP (frontline.sync) ---------------------------------------------
# Where file-drop sources keep their inbox/ and archive/ folders, one folder per source.
SYNC_ROOT = Path(env.get_str("SYNC_ROOT", default=str(VAR_DIR / "sync")))
# Records per page (a page lands in one transaction with its cursor).
SYNC_PAGE_SIZE = env.get_int("SYNC_PAGE_SIZE", 5000, minimum=1)
# Webhook calls per sending address (Shopify, Salesforce send bursts after a bulk edit).
SYNC_WEBHOOK_RATE = env.get_str("SYNC_WEBHOOK_RATE", default="600/m")
# File-drop CSV files of customers or orders at least this big land through the PostgreSQL
# fast path (COPY + set-wise SQL, one page per file); smaller drops go page by page.
SYNC_FAST_PATH_MIN_BYTES = env.get_int("SYNC_FAST_PATH_MIN_BYTES", 1 << 20, minimum=0)
# A fast-path load of at least this many rows into a table that holds no more rows than the
# load brings (an initial load, say) drops the table's secondary indexes and foreign keys and
# rebuilds them once at the end, in the same transaction (frontline.core.bulk_load). Never for
# small incremental runs: the rebuild costs in proportion to the whole table and locks it.
SYNC_BULK_REBUILD_MIN_ROWS = env.get_int("SYNC_BULK_REBUILD_MIN_ROWS", 100_000, minimum=0)
# A run's lease on its source/entity; renewed every page, so it only has to outlast one page.
SYNC_LEASE_SECONDS = env.get_int("SYNC_LEASE_SECONDS", 15 * 60, minimum=1)
# Hard limit of a sync task; must stay below the broker's visibility timeout (2 h).
SYNC_TASK_TIME_LIMIT = env.get_int("SYNC_TASK_TIME_LIMIT", 60 * 60, minimum=120)
SYNC_HTTP_TIMEOUT = env.get_int("SYNC_HTTP_TIMEOUT", 20, minimum=1)
SYNC_HTTP_ATTEMPTS = env.get_int("SYNC_HTTP_ATTEMPTS", 6, minimum=1)
# Exponential backoff with jitter starts here (seconds) and never waits longer than the cap.
SYNC_HTTP_BACKOFF = float(env.get_str("SYNC_HTTP_BACKOFF", default="1.0"))
SYNC_HTTP_BACKOFF_CAP = env.get_int("SYNC_HTTP_BACKOFF_CAP", 60, minimum=1)
# A run's live progress reaches the managers' run pages at most once per this many seconds.
SYNC_PROGRESS_PUSH_SECONDS = float(env.get_str("SYNC_PROGRESS_PUSH_SECONDS", default="1.0"))
# Which source's value of a customer field wins when sources disagree, best first, e.g.
# "phone=pos,crm,ecommerce;email=crm,ecommerce". A field not named here (and a source not named
# for it) takes the newest non-empty value; an empty value never erases one.
CUSTOMER_FIELD_PRIORITY = env.get_priorities("CUSTOMER_FIELD_PRIORITY")
# The currency of brand-wide figures (a customer's net spend); each order keeps its own.
BRAND_CURRENCY = env.get_str("BRAND_CURRENCY", default="GBP")

# --- Sessions, security -----------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 12 * 60 * 60  # one shift
# A write queued on an offline tablet is sent at most this long after it was written (a
# shift, as the offline copies): older ones are dropped by the tablet and refused by the
# server, their words shown to the associate. Never longer than an Idempotency-Key is kept,
# or a late replay of a write that went through could go through again.
OFFLINE_WRITE_MAX_AGE_SECONDS = env.get_int(
    "OFFLINE_WRITE_MAX_AGE_SECONDS", SESSION_COOKIE_AGE, minimum=60
)
if OFFLINE_WRITE_MAX_AGE_SECONDS > IDEMPOTENCY_KEY_HOURS * 60 * 60:
    raise ImproperlyConfigured(
        f"OFFLINE_WRITE_MAX_AGE_SECONDS={OFFLINE_WRITE_MAX_AGE_SECONDS} is longer than "
        f"IDEMPOTENCY_KEY_HOURS={IDEMPOTENCY_KEY_HOURS} hours: keys must outlive queued writes."
    )
# A session that sent nothing for this long is signed out on the server (a shared tablet left
# on a counter, or locked and forgotten); the tablet lock (TabletPolicy) comes sooner and keeps
# the session for a PIN. See frontline.tablet.locking.
SESSION_IDLE_MINUTES = env.get_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads nothing from it: the token is rendered into hx-headers
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HTTPS only: plain HTTP is redirected, and browsers are told to remember it for a year
    # (set SECURE_HSTS_SECONDS=0 while trying a new domain out). The health check stays
    # reachable over HTTP for load balancers that probe without TLS.
    SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.get_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Submitting a domain to the browsers' HSTS preload list is its owner's (irreversible) act,
    # not a setting's: Django's reminder about it is silenced.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Scripts, styles, fonts and connections only from Frontline itself (htmx is vendored, the API
# docs are served from sidecar files): an injected <script> or inline handler does not run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        # The sentiment trend's bars are sized by a style attribute; attributes run no code.
        "style-src-attr": [csp.UNSAFE_INLINE],
        # Product images may come from the brand's image CDN.
        "img-src": [csp.SELF, "data:", "https:"],
        "connect-src": [csp.SELF],  # 'self' covers the same-origin websocket (CSP 3)
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- E-mail -----------------------------------------------------------------------------
EMAIL_URL = env.get_str("EMAIL_URL")
if EMAIL_URL:
    parsed_email = urlsplit(EMAIL_URL)
    if parsed_email.scheme not in {"smtp", "smtps", "submission"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL={EMAIL_URL!r}: use smtp://, smtps:// or submission://"
        )
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = parsed_email.hostname or "localhost"
    EMAIL_PORT = (
        parsed_email.port or {"smtp": 25, "smtps": 465, "submission": 587}[parsed_email.scheme]
    )
    EMAIL_HOST_USER = unquote(parsed_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(parsed_email.password or "")
    EMAIL_USE_SSL = parsed_email.scheme == "smtps"
    EMAIL_USE_TLS = parsed_email.scheme == "submission"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL", default="Frontline <frontline@localhost>")

# --- Notifications (frontline.notifications) --------------------------------------------
# Web Push is on when both VAPID keys are set (base64url, as `manage.py vapid_keys` prints).
VAPID_PUBLIC_KEY = env.get_str("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env.get_str("VAPID_PRIVATE_KEY")
# The contact push services may write to (mailto: or https:); DEFAULT_FROM_EMAIL when unset.
VAPID_SUBJECT = env.get_str("VAPID_SUBJECT", default="")
# The worker POSTs to the endpoints browsers give: push services are https only, and accepting
# anything else would let a staff account aim the worker at internal addresses.
WEB_PUSH_ENDPOINT_SCHEMES = ("https",)

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
# Staff pages speak their store's language (Store.language, kept in the session at sign-in);
# pages without a signed-in staff member (sign-in, booking) follow the browser's.
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# In development whitenoise serves straight from the source folders (no collectstatic), also
# under uvicorn, where Django's runserver static handler does not exist.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "frontline.staff.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "frontline.core.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_RATES": {"login": "10/min", "public": "30/min"},
    "EXCEPTION_HANDLER": "frontline.core.api.api_exception_handler",
    # JSON in as well as out: one request format to document, validate and test. (The token
    # endpoint keeps DRF's form parsers for devices that sign in with a plain form post.)
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Frontline API",
    "DESCRIPTION": "The clienteling API behind the associate app.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page is served from our own static files: stores' networks may block CDNs.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # frontline.core.converters.IdConverter, documented with its bounds.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    # Choice sets that share a field name with another domain's get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "FollowUpReasonEnum": "frontline.followups.models.Reason",
        "FollowUpStatusEnum": "frontline.followups.models.Status",
        "OutreachChannelEnum": "frontline.outreach.models.Channel",
        "MessageStatusEnum": "frontline.outreach.models.Status",
        "PurposeEnum": "frontline.customers.models.ConsentPurpose",
    },
}

# --- Logging: one JSON object a line in production, readable lines in development -------
LOG_LEVEL = env.get_str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
    },
    # E-mail addresses and phone numbers are masked in every line (frontline.privacy.masking).
    "filters": {"personal_data": {"()": "frontline.privacy.masking.PersonalDataLogFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["personal_data"],
            "formatter": "json" if env.get_bool("LOG_JSON", default=PRODUCTION) else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's own "django" handlers, which would print every error a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "frontline": {"level": LOG_LEVEL, "propagate": True},
        # One line per request; quiet in development unless asked for with LOG_REQUESTS=1.
        "frontline.requests": {
            "level": "INFO" if env.get_bool("LOG_REQUESTS", default=PRODUCTION) else "WARNING"
        },
    },
}
