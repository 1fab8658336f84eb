"""The sandbox shop: a normal Wagtail site that uses wagtail-stripe-checkout.

Everything a site developer adds for the package is marked "shop:".
"""

import os
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # sandbox/

INSTALLED_APPS = [
    "shop",
    "wagtail_stripe_checkout",  # shop: the one app
    "wagtail_stripe_checkout.contrib.pages",  # shop: ready-made checkout pages
    "wagtail.contrib.settings",  # shop: editors' shop settings live here
    "csp",  # shop: Content-Security-Policy (django-csp 4)
    "corsheaders",  # shop: the JSON cart API for a headless front-end (optional)
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
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
    "csp.middleware.CSPMiddleware",  # shop
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the shopper's language (Accept-Language)
    "corsheaders.middleware.CorsMiddleware",  # shop: before CommonMiddleware
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "sandbox.urls"
WSGI_APPLICATION = "sandbox.wsgi.application"

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
                "wagtail.contrib.settings.context_processors.settings",
            ]
        },
    }
]

DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SANDBOX_DB", str(BASE_DIR / "db.sqlite3")),
    }
}

LANGUAGE_CODE = "en-us"
# shop: the package ships French and German; a French browser gets a French shop.
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("SANDBOX_MEDIA_ROOT", str(BASE_DIR / "media"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAGTAIL_SITE_NAME = "Sandbox shop"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# shop: the package's pages extend the site's own base template.
WAGTAIL_STRIPE_CHECKOUT_BASE_TEMPLATE = "base.html"
# shop: keys come from the environment; none are needed for the sandbox.
WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
WAGTAIL_STRIPE_CHECKOUT_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET: str | list[str] = os.environ.get(
    "STRIPE_WEBHOOK_SECRET", ""
)

# shop: the order emails after a payment are tasks on Wagtail's task framework
# (Django's own from 6.0, the django_tasks backport before). The immediate
# backend sends them in the request, which suits development; production.py
# queues them for a worker (docs/deployment.md, "Task workers").
_TASKS = "django.tasks" if find_spec("django.tasks") else "django_tasks"
TASKS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": f"{_TASKS}.backends.immediate.ImmediateBackend"}
}

# shop: friendly error pages in the site's base template (see also urls.py).
CSRF_FAILURE_VIEW = "wagtail_stripe_checkout.error_pages.csrf_failure"

# shop: Content-Security-Policy. No inline script or style anywhere on the
# site's pages; the checkout form posts to this site, which answers with a 303
# to Stripe Checkout, and browsers check that redirect against form-action.
# The Wagtail admin keeps its own inline scripts, so it is left out.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/django-admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF, STRIPE_CHECKOUT_ORIGIN],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# shop: a headless front-end on another origin may use the JSON cart API with
# the shopper's session cookie (credentials). Same-origin only unless listed.
CORS_URLS_REGEX = r"^/shop/api/"
CORS_ALLOWED_ORIGINS = [o for o in os.environ.get("SANDBOX_CORS_ORIGINS", "").split(",") if o]
CORS_ALLOW_CREDENTIALS = True
CSRF_TRUSTED_ORIGINS = list(CORS_ALLOWED_ORIGINS)
