"""The sandbox as a site would deploy it: secrets from the environment,
PostgreSQL, Redis, HTTPS only. ``docs/deployment.md`` explains every line.

Passes ``python sandbox/manage.py check --deploy --fail-level WARNING
--settings=sandbox.settings.production`` with the environment the docs give.
"""

import os

import django

from .base import *  # noqa: F403


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"Set the environment variable {name}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS] + CORS_ALLOWED_ORIGINS  # noqa: F405
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", f"https://{ALLOWED_HOSTS[0]}")

# Orders, events and sessions in PostgreSQL; every app server shares them.
# Wagtail's database search backend needs it on PostgreSQL (Django 6.1 checks).
INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.postgres"]  # noqa: F405
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": env("PGDATABASE", "shop"),
        "USER": env("PGUSER", "shop"),
        "PASSWORD": env("PGPASSWORD", ""),
        "HOST": env("PGHOST", "127.0.0.1"),
        "PORT": env("PGPORT", "5432"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}

# shop: the order emails run on workers, so the webhook answers Stripe at once:
# django-tasks-db keeps the tasks in PostgreSQL and `manage.py db_worker` runs
# them (docs/deployment.md, "Task workers").
INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Rate-limit counters and the cache in Redis: shared by every app server.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# HTTPS: a proxy in front terminates TLS and sets X-Forwarded-Proto. Only set
# SECURE_PROXY_SSL_HEADER when that proxy always sets (or strips) the header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# shop: how many proxies of yours append to X-Forwarded-For (rate limits).
WAGTAIL_STRIPE_CHECKOUT_TRUSTED_PROXIES = int(env("TRUSTED_PROXIES", "1"))
# shop: live (or test) keys from the environment; the system checks refuse
# missing or malformed ones.
WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = env("STRIPE_SECRET_KEY")
WAGTAIL_STRIPE_CHECKOUT_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET = env_list("STRIPE_WEBHOOK_SECRET")
WAGTAIL_STRIPE_CHECKOUT_STAFF_EMAILS = env_list("SHOP_STAFF_EMAILS")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "shop@localhost")
if django.VERSION >= (6, 1):  # Django 6.1 refuses EMAIL_* beside MAILERS
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": env("EMAIL_HOST", "localhost")},
        }
    }
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST", "localhost")

# One JSON line per record; payment records carry ids and amounts only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "wagtail_stripe_checkout.observability.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}

if os.environ.get("SENTRY_DSN"):
    import sentry_sdk

    from wagtail_stripe_checkout.observability import before_send

    sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], before_send=before_send)
