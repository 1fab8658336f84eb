"""Several app servers on this machine against one PostgreSQL and one Redis,
with the offline Stripe stand-in as its own process: what the two-process
test (``tests/test_two_processes.py``) and the load script run.

Like production (DEBUG off, shared database, cache and sessions) but over plain
http on loopback with test keys, so the checks that refuse a loopback or http
Stripe API base without DEBUG are silenced here, and only here.
"""

import os

import django

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "sandbox-cluster-on-loopback-only")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# Wagtail's database search backend needs it on PostgreSQL (Django 6.1 checks).
INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.postgres"]  # noqa: F405
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("SANDBOX_PG_NAME", "wsc_cluster"),
        "USER": os.environ.get("SANDBOX_PG_USER", "postgres"),
        "HOST": os.environ.get("SANDBOX_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("SANDBOX_PG_PORT", "5432"),
        "CONN_MAX_AGE": 60,
    }
}
# SANDBOX_TASKS=db: the emails go to django-tasks-db for `manage.py db_worker`
# (run migrate with it set too); otherwise they are sent in the request.
if os.environ.get("SANDBOX_TASKS") == "db":
    INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("SANDBOX_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "KEY_PREFIX": "wsc-cluster",
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Emails as files, so that a test can count what every process sent.
_mail_dir = os.environ.get("SANDBOX_EMAIL_DIR", "/tmp/wsc-cluster-mail")  # noqa: S108
if django.VERSION >= (6, 1):  # Django 6.1 refuses EMAIL_* beside MAILERS
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": _mail_dir},
        }
    }
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = _mail_dir

WAGTAIL_STRIPE_CHECKOUT_API_BASE = os.environ["SANDBOX_STRIPE_API_BASE"]
WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = "sk_test_" + "sandboxcluster0000000000"
WAGTAIL_STRIPE_CHECKOUT_PUBLISHABLE_KEY = "pk_test_" + "sandboxcluster0000000000"
WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET = os.environ["SANDBOX_WEBHOOK_SECRET"]
WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {
    group: os.environ[f"SANDBOX_RATE_{group.upper()}"]
    for group in ("checkout", "cart", "result")
    if os.environ.get(f"SANDBOX_RATE_{group.upper()}")
}
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(  # noqa: F405
    "/".join(WAGTAIL_STRIPE_CHECKOUT_API_BASE.split("/")[:3])
)
SILENCED_SYSTEM_CHECKS = ["wagtail_stripe_checkout.E010", "wagtail_stripe_checkout.E011"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "wagtail_stripe_checkout.observability.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
