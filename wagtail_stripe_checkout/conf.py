"""Every ``WAGTAIL_STRIPE_CHECKOUT_*`` setting, its default, read lazily.

Read settings through ``app_settings`` only::

    from wagtail_stripe_checkout.conf import app_settings
    app_settings.SECRET_KEY

Each property reads ``django.conf.settings`` when it is accessed, so
``override_settings`` in tests just works. ``docs/settings.md`` lists them all.
"""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings

PREFIX = "WAGTAIL_STRIPE_CHECKOUT_"

# The Stripe API version this release is written and tested against. Moving it
# is a deliberate change together with the SDK's major version cap.
PINNED_API_VERSION = "2026-10-28.endive"

Mode = Literal["test", "live"]

DEFAULT_RATE_LIMITS: dict[str, str | None] = {
    "checkout": "10/m",  # Checkout Sessions created (the pay button)
    "cart": "60/m",  # cart changes, form and JSON
    "result": "30/m",  # result pages that ask Stripe about a payment
    "download": "20/m",  # downloads of digital goods, valid or not
}


class AppSettings:
    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, PREFIX + name, default)

    # Stripe keys -----------------------------------------------------------
    @property
    def SECRET_KEY(self) -> str:
        return str(self._get("SECRET_KEY", "") or "")

    @property
    def PUBLISHABLE_KEY(self) -> str:
        return str(self._get("PUBLISHABLE_KEY", "") or "")

    @property
    def WEBHOOK_SECRETS(self) -> list[str]:
        """One secret, or several while rotating; always returned as a list."""
        value = self._get("WEBHOOK_SECRET", "")
        if not value:
            return []
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value]

    @property
    def API_VERSION(self) -> str:
        return str(self._get("API_VERSION", PINNED_API_VERSION))

    @property
    def API_BASE(self) -> str | None:
        """Where the SDK sends API requests; ``None`` for Stripe itself."""
        value = self._get("API_BASE", None)
        return str(value).rstrip("/") if value else None

    @property
    def TIMEOUT(self) -> float:
        """Seconds to wait for Stripe before giving up on one attempt."""
        return float(self._get("TIMEOUT", 20))

    @property
    def MAX_NETWORK_RETRIES(self) -> int:
        """Retries of a failed request (same idempotency key, backing off)."""
        return int(self._get("MAX_NETWORK_RETRIES", 2))

    # Checkout ----------------------------------------------------------------
    @property
    def SESSION_EXPIRY_MINUTES(self) -> int:
        """How long a Checkout Session stays open (Stripe allows 30 minutes to 24 hours)."""
        return int(self._get("SESSION_EXPIRY_MINUTES", 60))

    @property
    def ALLOW_PROMOTION_CODES(self) -> bool:
        return bool(self._get("ALLOW_PROMOTION_CODES", False))

    @property
    def CHECKOUT_LOCALE(self) -> str:
        """Stripe Checkout's language. Empty (the default): the page's language
        when Stripe speaks it, else ``"auto"`` (the shopper's browser)."""
        return str(self._get("CHECKOUT_LOCALE", "") or "")

    # Emails --------------------------------------------------------------------
    @property
    def FROM_EMAIL(self) -> str | None:
        """Sender of order emails; ``None`` uses ``DEFAULT_FROM_EMAIL``."""
        value = self._get("FROM_EMAIL", None)
        return str(value) if value else None

    @property
    def STAFF_EMAILS(self) -> list[str]:
        """Addresses told about each paid order; empty for none."""
        value = self._get("STAFF_EMAILS", [])
        if isinstance(value, str):
            return [value] if value else []
        return [str(v) for v in value]

    @property
    def RECONCILE_HOURS(self) -> int:
        """How far back ``reconcile_stripe`` looks by default (Stripe retries events for 3 days)."""
        return int(self._get("RECONCILE_HOURS", 72))

    # Digital goods -------------------------------------------------------------
    @property
    def DOWNLOAD_EXPIRY_HOURS(self) -> int:
        """How long a paid order's download links work, from payment (or an extension)."""
        return int(self._get("DOWNLOAD_EXPIRY_HOURS", 72))

    @property
    def DOWNLOAD_LIMIT(self) -> int:
        """How many times each download link may be used."""
        return int(self._get("DOWNLOAD_LIMIT", 5))

    # Shop behaviour --------------------------------------------------------
    @property
    def DEFAULT_CURRENCY(self) -> str:
        """Used until an editor saves the shop settings of a site."""
        return str(self._get("DEFAULT_CURRENCY", "USD")).upper()

    @property
    def MAX_QUANTITY(self) -> int:
        """Global cap on the quantity of one product in the cart."""
        return int(self._get("MAX_QUANTITY", 99))

    @property
    def MAX_CART_LINES(self) -> int:
        """Stripe Checkout accepts at most 100 line items, tax included."""
        return int(self._get("MAX_CART_LINES", 50))

    @property
    def CART_SESSION_KEY(self) -> str:
        return str(self._get("CART_SESSION_KEY", "wagtail_stripe_checkout_cart"))

    @property
    def BASE_TEMPLATE(self) -> str:
        """The template the package's own pages extend."""
        return str(self._get("BASE_TEMPLATE", "wagtail_stripe_checkout/base.html"))

    @property
    def PRODUCT_IMAGE_RENDITION(self) -> str:
        return str(self._get("PRODUCT_IMAGE_RENDITION", "fill-480x360"))

    @property
    def CART_IMAGE_RENDITION(self) -> str:
        return str(self._get("CART_IMAGE_RENDITION", "fill-96x96"))

    # Limits against floods ----------------------------------------------------
    @property
    def RATE_LIMITS(self) -> dict[str, str | None]:
        """Requests per client address: ``{"checkout": "10/m", ...}``; ``None`` turns one off."""
        value = self._get("RATE_LIMITS", {}) or {}
        return {**DEFAULT_RATE_LIMITS, **dict(value)}

    @property
    def TRUSTED_PROXIES(self) -> int:
        """How many proxies of yours stand in front of Django and append to
        ``X-Forwarded-For``; 0 trusts only ``REMOTE_ADDR``."""
        return int(self._get("TRUSTED_PROXIES", 0))

    @property
    def MAX_PENDING_PER_ADDRESS(self) -> int:
        """Checkouts awaiting payment at once from one client address."""
        return int(self._get("MAX_PENDING_PER_ADDRESS", 5))

    @property
    def UNSENT_ORDER_MINUTES(self) -> int:
        """After how long an order that never reached Stripe gives its stock back."""
        return int(self._get("UNSENT_ORDER_MINUTES", 10))

    # Derived ---------------------------------------------------------------
    @property
    def mode(self) -> Mode | None:
        """``"test"`` or ``"live"``, from the secret key; ``None`` without one."""
        return key_mode(self.SECRET_KEY)

    @property
    def is_test_mode(self) -> bool:
        return self.mode != "live"


def key_mode(key: str) -> Mode | None:
    modes: tuple[Mode, ...] = ("test", "live")
    for mode in modes:
        if f"_{mode}_" in key[:9]:
            return mode
    return None


app_settings = AppSettings()
