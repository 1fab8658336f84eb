"""Settings for the package's own test suite.

WSC_DB=postgres runs against PostgreSQL (127.0.0.1:5432, database ``test``
unless WSC_PG_* say otherwise); WSC_CACHE=redis puts the cache and sessions in
Redis. The default is SQLite and the local-memory cache. Tasks run at once
(the immediate backend); WSC_TASKS=db queues them in the database for
django-tasks-db's ``db_worker``, and WSC_EMAIL_DIR writes emails there as files
(the worker test runs such a worker with both).
"""

import os
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import django

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
# The languages the package ships translations for.
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
ROOT_URLCONF = "tests.urls"
CSRF_FAILURE_VIEW = "wagtail_stripe_checkout.error_pages.csrf_failure"
WAGTAIL_SITE_NAME = "Test shop"
WAGTAILADMIN_BASE_URL = "http://testserver"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "wagtail_stripe_checkout",
    "wagtail_stripe_checkout.contrib.pages",
    "tests.testapp",
    "wagtail.contrib.settings",
    "corsheaders",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the shopper's language (Accept-Language)
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

if os.environ.get("WSC_DB") == "postgres":
    # Wagtail's PostgreSQL search index needs it (Django 6.1 checks, e.g. db_worker's).
    INSTALLED_APPS.append("django.contrib.postgres")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("WSC_PG_NAME", "test"),
            "USER": os.environ.get("WSC_PG_USER", "postgres"),
            "HOST": os.environ.get("WSC_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("WSC_PG_PORT", "5432"),
            "TEST": {"NAME": os.environ.get("WSC_PG_TEST_NAME", "test_wagtail_stripe_checkout")},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "test.sqlite3"),
            "TEST": {"NAME": ""},
        }
    }

# Tasks (emails after a payment): Django's own framework from 6.0, the backport
# Wagtail depends on before; run at once, as a site gets them by default.
_TASKS = "django.tasks" if find_spec("django.tasks") else "django_tasks"
TASKS = {"default": {"BACKEND": f"{_TASKS}.backends.immediate.ImmediateBackend"}}
if find_spec("django_tasks_db"):  # the test extra installs it; tests/test_tasks.py runs its worker
    INSTALLED_APPS.append("django_tasks_db")
if os.environ.get("WSC_TASKS") == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

if os.environ.get("WSC_CACHE") == "redis":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("WSC_REDIS_URL", "redis://127.0.0.1:6379/15"),
            "KEY_PREFIX": "wsc-tests",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "_static"
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("WSC_MEDIA_ROOT", str(BASE_DIR / "_media"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = "sk_test_" + "T" * 24
WAGTAIL_STRIPE_CHECKOUT_PUBLISHABLE_KEY = "pk_test_" + "T" * 24
WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET = "whsec_" + "T" * 32

# Django 6.1 sends email through MAILERS (the test runner swaps in locmem).
MAILERS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
}
if os.environ.get("WSC_EMAIL_DIR"):  # a task worker's emails, as files a test can count
    _FILES = "django.core.mail.backends.filebased.EmailBackend"
    if django.VERSION >= (6, 1):  # Django 6.1 refuses EMAIL_* beside MAILERS
        MAILERS = {
            "default": {"BACKEND": _FILES, "OPTIONS": {"file_path": os.environ["WSC_EMAIL_DIR"]}}
        }
    else:
        EMAIL_BACKEND = _FILES
        EMAIL_FILE_PATH = os.environ["WSC_EMAIL_DIR"]

# One process runs the tests: per-process rate-limit counters are what we want
# here (the PostgreSQL + Redis runs use Redis anyway).
SILENCED_SYSTEM_CHECKS = ["wagtail_stripe_checkout.W003"]

# A headless front-end on another origin, as docs/deployment.md sets it up.
CORS_URLS_REGEX = r"^/shop/api/"
CORS_ALLOWED_ORIGINS = ["https://front.example"]
CORS_ALLOW_CREDENTIALS = True
CSRF_TRUSTED_ORIGINS = ["https://front.example"]
