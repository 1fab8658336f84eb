"""System checks: refuse broken Stripe configuration at start-up.

Every id is listed with its hint in ``docs/checks.md``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import PREFIX, app_settings, key_mode
from .pricing import SUPPORTED
from .ratelimits import period_seconds

SECRET_RE = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9]{10,}$")
PUBLISHABLE_RE = re.compile(r"^pk_(test|live)_[A-Za-z0-9]{10,}$")
# whsec_ and the secret itself (Stripe's are base64; `stripe listen` and test
# setups use others): at least 8 characters, no spaces.
WEBHOOK_RE = re.compile(r"^whsec_\S{8,}$")

ID = "wagtail_stripe_checkout.{}"


def _redact(key: str) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    return key[:8] + "…" if len(key) > 8 else "…"


def _secret_key_errors(secret: str) -> list[Any]:
    if not secret and app_settings.API_BASE and settings.DEBUG:
        return []  # development against the offline stand-in: it needs no key
    if not secret:
        # Without a key nothing can be charged. In development that is fine;
        # in production it is not.
        cls = Warning if settings.DEBUG else Error
        return [
            cls(
                f"{PREFIX}SECRET_KEY is not set; checkout cannot reach Stripe.",
                hint="Set it to your secret key (sk_test_… or sk_live_…) from the Stripe "
                "Dashboard, or a restricted key (rk_…). To develop without keys, run the "
                "offline stand-in (python -m wagtail_stripe_checkout.testing) and point "
                f"{PREFIX}API_BASE at it.",
                id=ID.format("W001" if settings.DEBUG else "E001"),
            )
        ]
    if SECRET_RE.match(secret):
        return []
    hint = "Secret keys start with sk_test_, sk_live_, rk_test_ or rk_live_."
    if secret.startswith("pk_"):
        hint = "This looks like a publishable key; the secret key starts with sk_."
    message = f"{PREFIX}SECRET_KEY is malformed ({_redact(secret)})."
    return [Error(message, hint=hint, id=ID.format("E002"))]


def _publishable_key_errors(publishable: str) -> list[Any]:
    if not publishable or PUBLISHABLE_RE.match(publishable):
        return []
    hint = "Publishable keys start with pk_test_ or pk_live_."
    if publishable.startswith(("sk_", "rk_")):
        hint = (
            "This is a secret key: never put it where browsers can read it. "
            "Rotate it in the Stripe dashboard if it was published."
        )
    message = f"{PREFIX}PUBLISHABLE_KEY is malformed ({_redact(publishable)})."
    return [Error(message, hint=hint, id=ID.format("E003"))]


def _webhook_secret_errors(secrets: list[str]) -> list[Any]:
    if not secrets and not settings.DEBUG:
        return [
            Error(
                f"{PREFIX}WEBHOOK_SECRET is not set; Stripe's webhook events will be refused.",
                hint="Without it, an order whose shopper closes the tab after paying stays "
                "pending until reconcile_stripe runs. Set it to the signing secret (whsec_…) "
                "on the endpoint's page in the Stripe Dashboard.",
                id=ID.format("E015"),
            )
        ]
    return [
        Error(
            f"{PREFIX}WEBHOOK_SECRET is malformed ({_redact(value)}).",
            hint="A webhook signing secret is whsec_ followed by at least 8 characters "
            "without spaces; copy it from the endpoint's page in the Stripe Dashboard, "
            "from `stripe listen`, or use the one you gave the offline stand-in.",
            id=ID.format("E004"),
        )
        for value in secrets
        if not WEBHOOK_RE.match(value)
    ]


def _mode_errors(secret: str, publishable: str) -> list[Any]:
    errors: list[Any] = []
    modes = {key_mode(k) for k in (secret, publishable) if k} - {None}
    if len(modes) > 1:
        errors.append(
            Error(
                "Stripe test and live keys are mixed.",
                hint=f"{PREFIX}SECRET_KEY and {PREFIX}PUBLISHABLE_KEY must both be test "
                "keys or both be live keys.",
                id=ID.format("E005"),
            )
        )
    if key_mode(secret) == "live" and settings.DEBUG:
        errors.append(
            Warning(
                "Live Stripe keys are used with DEBUG = True.",
                hint="Debug pages can show settings and request data; use test keys in "
                "development and switch DEBUG off wherever live keys are used.",
                id=ID.format("W002"),
            )
        )
    return errors


@register(Tags.security)
def check_stripe_keys(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    secret = app_settings.SECRET_KEY
    publishable = app_settings.PUBLISHABLE_KEY
    return [
        *_secret_key_errors(secret),
        *_publishable_key_errors(publishable),
        *_webhook_secret_errors(app_settings.WEBHOOK_SECRETS),
        *_mode_errors(secret, publishable),
    ]


def _limit_errors() -> list[Any]:
    try:
        max_quantity = app_settings.MAX_QUANTITY
        max_lines = app_settings.MAX_CART_LINES
    except (TypeError, ValueError):
        message = f"{PREFIX}MAX_QUANTITY and {PREFIX}MAX_CART_LINES must be whole numbers."
        return [Error(message, id=ID.format("E007"))]
    errors: list[Any] = []
    if not 1 <= max_quantity <= 9999:
        message = f"{PREFIX}MAX_QUANTITY must be between 1 and 9999."
        errors.append(Error(message, id=ID.format("E007")))
    if not 1 <= max_lines <= 99:
        errors.append(
            Error(
                f"{PREFIX}MAX_CART_LINES must be between 1 and 99.",
                hint="Stripe Checkout accepts at most 100 line items and one may be "
                "needed for tax.",
                id=ID.format("E008"),
            )
        )
    return errors


def _expiry_errors() -> list[Any]:
    try:
        expiry = app_settings.SESSION_EXPIRY_MINUTES
    except (TypeError, ValueError):
        expiry = 0
    if 30 <= expiry <= 24 * 60:
        return []
    return [
        Error(
            f"{PREFIX}SESSION_EXPIRY_MINUTES must be from 30 to 1440.",
            hint="Stripe keeps a Checkout Session open for at least 30 minutes and at most "
            "24 hours.",
            id=ID.format("E012"),
        )
    ]


@register()
def check_shop_options(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    if app_settings.DEFAULT_CURRENCY not in SUPPORTED:
        errors.append(
            Error(
                f"{PREFIX}DEFAULT_CURRENCY {app_settings.DEFAULT_CURRENCY!r} is not a "
                "currency Stripe accepts.",
                hint="Use an ISO 4217 code such as USD, EUR, GBP or JPY.",
                id=ID.format("E006"),
            )
        )
    errors.extend(_limit_errors())
    errors.extend(_api_base_errors())
    errors.extend(_expiry_errors())
    if "wagtail.contrib.settings" not in settings.INSTALLED_APPS:
        errors.append(
            Error(
                "wagtail.contrib.settings is not in INSTALLED_APPS.",
                hint="The shop settings (currency, tax, shipping) are a Wagtail site setting.",
                id=ID.format("E009"),
            )
        )
    return errors


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "0.0.0.0") or host.endswith(".localhost"):  # noqa: S104
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _api_base_errors() -> list[Any]:
    """An API base is only ever another Stripe (the offline stand-in) in development."""
    base = app_settings.API_BASE
    if not base or settings.DEBUG:
        return []
    errors: list[Any] = []
    parts = urlsplit(base)
    if _is_loopback(parts.hostname or ""):
        errors.append(
            Error(
                f"{PREFIX}API_BASE points at this machine ({base}) while DEBUG is off.",
                hint="That is the offline Stripe stand-in, for development and tests only: no "
                "money moves through it. In production leave API_BASE unset.",
                id=ID.format("E010"),
            )
        )
    if parts.scheme != "https":
        errors.append(
            Error(
                f"{PREFIX}API_BASE points at {base} while DEBUG is off.",
                hint="Stripe is only reached over https; in production leave API_BASE unset so "
                "the SDK talks to Stripe.",
                id=ID.format("E011"),
            )
        )
    return errors


PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def _rate_limit_errors() -> list[Any]:
    errors: list[Any] = []
    try:
        limits = app_settings.RATE_LIMITS
    except (TypeError, ValueError):
        limits = {"RATE_LIMITS": "not a dict"}
    for group, rate in limits.items():
        if rate is None:
            continue
        try:
            period_seconds(str(rate))
        except ValueError:
            errors.append(
                Error(
                    f"{PREFIX}RATE_LIMITS[{group!r}] = {rate!r} is not a rate.",
                    hint='Write rates as django-ratelimit does, e.g. "10/m" or "100/h"; None '
                    "turns a limit off.",
                    id=ID.format("E013"),
                )
            )
    cache_name = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = settings.CACHES.get(cache_name, {}).get("BACKEND", "")
    if backend in PER_PROCESS_CACHES and not settings.DEBUG:
        errors.append(
            Warning(
                f"Rate limits are counted in the {cache_name!r} cache ({backend}), which every "
                "process keeps for itself.",
                hint="Use a cache all app servers share (Redis or Memcached), so that the "
                "limits hold however many processes serve the shop.",
                id=ID.format("W003"),
            )
        )
    return errors


def _whole_number_errors() -> list[Any]:
    errors: list[Any] = []
    for name, minimum in (
        ("TRUSTED_PROXIES", 0),
        ("MAX_PENDING_PER_ADDRESS", 1),
        ("UNSENT_ORDER_MINUTES", 1),
    ):
        try:
            value = getattr(app_settings, name)
        except (TypeError, ValueError):
            value = None
        if value is None or value < minimum:
            errors.append(
                Error(
                    f"{PREFIX}{name} must be a whole number of at least {minimum}.",
                    id=ID.format("E014"),
                )
            )
    return errors


def _download_errors() -> list[Any]:
    """Download links need a lifetime of at least an hour and at least one download."""
    errors: list[Any] = []
    for name, minimum, maximum in (
        ("DOWNLOAD_EXPIRY_HOURS", 1, 24 * 366),
        ("DOWNLOAD_LIMIT", 1, 10_000),
    ):
        try:
            value = getattr(app_settings, name)
        except (TypeError, ValueError):
            value = None
        if value is None or not minimum <= value <= maximum:
            errors.append(
                Error(
                    f"{PREFIX}{name} must be a whole number from {minimum} to {maximum}.",
                    hint="Download links of digital goods expire after DOWNLOAD_EXPIRY_HOURS "
                    "and work DOWNLOAD_LIMIT times each.",
                    id=ID.format("E016"),
                )
            )
    return errors


@register()
def check_limits(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    return [*_rate_limit_errors(), *_whole_number_errors(), *_download_errors()]
