"""The parameters of a Stripe Checkout Session for an order, as plain data.

Every amount comes from the priced cart the order was saved from (the
database), never from the browser. Nothing here imports ``stripe``: the
service layer sends what this builds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import SourceImageIOError

from . import pricing
from .cart import CartLine, PricedCart
from .conf import app_settings
from .models import Order


@dataclass(frozen=True)
class ReturnUrls:
    """Where Stripe sends the shopper: the result page and the checkout page."""

    success_url: str
    cancel_url: str

    @classmethod
    def for_order(
        cls, request: HttpRequest, order: Order, *, result_url: str, checkout_url: str
    ) -> ReturnUrls:
        result = absolute(request, result_url)
        cancel = absolute(request, checkout_url)
        return cls(
            success_url=f"{result}{_joiner(result)}session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{cancel}{_joiner(cancel)}"
            + urlencode({"cancelled": str(order.public_id)}),
        )


def _joiner(url: str) -> str:
    return "&" if "?" in url else "?"


def absolute(request: HttpRequest, url: str) -> str:
    return url if urlsplit(url).scheme else request.build_absolute_uri(url)


def _public_image_url(request: HttpRequest, line: CartLine) -> str | None:
    """Stripe shows product images only from public https URLs."""
    image = line.product.image
    if image is None:
        return None
    try:
        rendition = image.get_rendition(app_settings.PRODUCT_IMAGE_RENDITION)
    except (SourceImageIOError, InvalidFilterSpecError, OSError):
        return None
    url = absolute(request, rendition.url)
    host = urlsplit(url).hostname or ""
    if not url.startswith("https://") or host in ("localhost", "127.0.0.1", "testserver"):
        return None
    return url


def _price_data(code: str, amount: int, name: str, images: list[str] | None = None) -> dict:
    product_data: dict[str, Any] = {"name": name[:250]}
    if images:
        product_data["images"] = images
    return {"currency": code, "unit_amount": amount, "product_data": product_data}


def line_items(request: HttpRequest, priced: PricedCart) -> list[dict[str, Any]]:
    """One item per cart line, and one for tax when the shop adds it on top, so
    that Stripe's total equals ours to the smallest unit."""
    code = priced.currency.code.lower()
    items = []
    for line in priced.lines:
        image = _public_image_url(request, line)
        items.append(
            {
                "quantity": line.quantity,
                "price_data": _price_data(
                    code, line.unit_amount, line.product.name, [image] if image else None
                ),
            }
        )
    totals = priced.totals
    if totals.tax_mode is pricing.TaxMode.ADDED and totals.tax:
        rate = f"{priced.options.tax_rate.normalize():f}"
        label = f"{priced.options.tax_label} ({rate}%)"
        items.append({"quantity": 1, "price_data": _price_data(code, totals.tax, label)})
    return items


def _expires_at(order: Order) -> int:
    """The setting's minutes after the order, and always Stripe's 30 minutes from now."""
    minutes = max(app_settings.SESSION_EXPIRY_MINUTES, 30)
    return max(
        int((order.created_at + timedelta(minutes=minutes)).timestamp()),
        int(timezone.now().timestamp()) + 30 * 60 + 60,
    )


def _shipping(priced: PricedCart, countries: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    shipping = priced.totals.shipping
    if shipping:
        amount = {"amount": shipping, "currency": priced.currency.code.lower()}
        rate = {"type": "fixed_amount", "display_name": _("Shipping"), "fixed_amount": amount}
        params["shipping_options"] = [{"shipping_rate_data": rate}]
    if countries:
        params["shipping_address_collection"] = {"allowed_countries": countries}
    return params


def session_params(
    request: HttpRequest,
    order: Order,
    priced: PricedCart,
    urls: ReturnUrls,
    *,
    countries: list[str],
) -> dict[str, Any]:
    """The Checkout Session parameters for ``order``."""
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": line_items(request, priced),
        "customer_email": order.email,
        "client_reference_id": str(order.public_id),
        "metadata": {
            "order": str(order.public_id),
            "order_number": order.reference,
            "site": str(order.site_id or ""),
        },
        "success_url": urls.success_url,
        "cancel_url": urls.cancel_url,
        "expires_at": _expires_at(order),
        "locale": app_settings.CHECKOUT_LOCALE,
        **_shipping(priced, countries),
    }
    if app_settings.ALLOW_PROMOTION_CODES:
        params["allow_promotion_codes"] = True
    if priced.totals.tax_mode is pricing.TaxMode.STRIPE:
        params["automatic_tax"] = {"enabled": True}
    return params


def idempotency_key(order: Order, params: dict[str, Any]) -> str:
    """The same order and parameters are one session at Stripe, however often sent."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    return f"wsc-{order.public_id}-{digest}"
