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
from .cart import CartLine, PricedCart, prefetch_images
from .conf import app_settings
from .models import Order, ShopSettings
from .services import checkout_locale


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


def _public_image_url(request: HttpRequest, line: CartLine, spec: str) -> str | None:
    """Stripe shows product images only from public https URLs."""
    image = line.image_source.image
    if image is None:
        return None
    try:
        rendition = image.get_renditions(spec)[spec]
    except (SourceImageIOError, InvalidFilterSpecError, OSError):
        return None
    url = absolute(request, rendition.url)
    host = urlsplit(url).hostname or ""
    if not url.startswith("https://") or host in ("localhost", "127.0.0.1", "testserver"):
        return None
    return url


# Stripe's tax code for shipping (Stripe Tax: "Shipping", txcd_92010001).
SHIPPING_TAX_CODE = "txcd_92010001"


def _price_data(
    priced: PricedCart,
    amount: int,
    name: str,
    *,
    product: Any = None,
    images: list[str] | None = None,
) -> dict[str, Any]:
    product_data: dict[str, Any] = {"name": name[:250]}
    if images:
        product_data["images"] = images
    data: dict[str, Any] = {
        "currency": priced.currency.code.lower(),
        "unit_amount": amount,
        "product_data": product_data,
    }
    if priced.totals.tax_mode is pricing.TaxMode.STRIPE:
        data["tax_behavior"] = priced.options.stripe_tax_behavior
        if product is not None and product.tax_code:
            product_data["tax_code"] = product.tax_code
    return data


def line_items(request: HttpRequest, priced: PricedCart) -> list[dict[str, Any]]:
    """One item per cart line, and one for tax when the shop adds it on top, so
    that Stripe's total equals ours to the smallest unit."""
    items = []
    spec = app_settings.PRODUCT_IMAGE_RENDITION
    prefetch_images([line.image_source for line in priced.lines], spec)  # one query for all
    for line in priced.lines:
        image = _public_image_url(request, line, spec)
        price = _price_data(
            priced,
            line.unit_amount,
            line.display_name,  # "T-shirt – M / Navy"
            product=line.product,
            images=[image] if image else None,
        )
        items.append({"quantity": line.quantity, "price_data": price})
    totals = priced.totals
    if totals.tax_mode is pricing.TaxMode.ADDED and totals.tax:
        rate = f"{priced.options.tax_rate.normalize():f}"
        label = f"{priced.options.tax_label} ({rate}%)"
        items.append({"quantity": 1, "price_data": _price_data(priced, totals.tax, label)})
    return items


def _expires_at(order: Order) -> int:
    """The setting's minutes after the order, and always Stripe's 30 minutes from now."""
    minutes = max(app_settings.SESSION_EXPIRY_MINUTES, 30)
    return max(
        int((order.created_at + timedelta(minutes=minutes)).timestamp()),
        int(timezone.now().timestamp()) + 30 * 60 + 60,
    )


def shipping_params(priced: PricedCart) -> dict[str, Any]:
    """The one rate the shopper chose, and that country for the address; nothing
    at all for digital goods only (no address to collect, no rate)."""
    quote = priced.shipping
    if quote is None or not priced.lines or not priced.requires_shipping:
        return {}
    rate: dict[str, Any] = {
        "type": "fixed_amount",
        "display_name": quote.name[:100],
        "fixed_amount": {
            "amount": priced.totals.shipping,
            "currency": priced.currency.code.lower(),
        },
    }
    if quote.min_days or quote.max_days:
        low, high = quote.min_days or quote.max_days, quote.max_days or quote.min_days
        rate["delivery_estimate"] = {
            "minimum": {"unit": "business_day", "value": low},
            "maximum": {"unit": "business_day", "value": high},
        }
    if priced.totals.tax_mode is pricing.TaxMode.STRIPE:
        rate["tax_behavior"] = priced.options.stripe_tax_behavior
        rate["tax_code"] = SHIPPING_TAX_CODE
    return {
        "shipping_options": [{"shipping_rate_data": rate}],
        "shipping_address_collection": {"allowed_countries": [quote.country]},
    }


def _custom_field(field: Any) -> dict[str, Any]:
    param: dict[str, Any] = {
        "key": field.key,
        "label": {"type": "custom", "custom": field.label[:50]},
        "type": field.type,
        "optional": bool(field.optional),
    }
    if field.type == "dropdown":
        param["dropdown"] = {
            "options": [
                {"label": choice[:100], "value": _option_value(choice, index)}
                for index, choice in enumerate(field.choices)
            ]
        }
    return param


def _option_value(choice: str, index: int) -> str:
    """Stripe's dropdown values: letters and digits only, unique."""
    return f"{''.join(c for c in choice if c.isascii() and c.isalnum())[:90]}{index}"


def checkout_options(request: HttpRequest, settings: ShopSettings) -> dict[str, Any]:
    """The editors' Checkout options of the site (shop settings, "Checkout" tab)."""
    params: dict[str, Any] = {}
    if settings.allow_promotion_codes:
        params["allow_promotion_codes"] = True
    if settings.collect_phone:
        params["phone_number_collection"] = {"enabled": True}
    if settings.require_billing_address:
        params["billing_address_collection"] = "required"
    if settings.collect_tax_ids:
        params["tax_id_collection"] = {"enabled": True}
    fields = [_custom_field(f) for f in settings.checkout_fields.all()[:3]]
    if fields:
        params["custom_fields"] = fields
    text = _custom_text(request, settings)
    if text:
        params["custom_text"] = text
    if settings.terms_page_id:
        params["consent_collection"] = {"terms_of_service": "required"}
    if settings.create_invoice:
        params["invoice_creation"] = {"enabled": True}
    return params


def _custom_text(request: HttpRequest, settings: ShopSettings) -> dict[str, Any]:
    text: dict[str, Any] = {}
    if settings.submit_message:
        text["submit"] = {"message": settings.submit_message[:1200]}
    if settings.after_submit_message:
        text["after_submit"] = {"message": settings.after_submit_message[:1200]}
    terms = settings.terms_page
    if terms is not None:
        url = absolute(request, terms.get_url(request) or "/")
        message = _("I agree to the [terms of service](%(url)s).") % {"url": url}
        text["terms_of_service_acceptance"] = {"message": message}
    return text


def session_params(
    request: HttpRequest,
    order: Order,
    priced: PricedCart,
    urls: ReturnUrls,
    *,
    settings: ShopSettings,
) -> dict[str, Any]:
    """The Checkout Session parameters for ``order``."""
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": line_items(request, priced),
        # Without an email (a buy link straight to Stripe) Stripe's page asks for it.
        **({"customer_email": order.email} if order.email else {}),
        "client_reference_id": str(order.public_id),
        "metadata": {
            "order": str(order.public_id),
            "order_number": order.reference,
            "site": str(order.site_id or ""),
        },
        "success_url": urls.success_url,
        "cancel_url": urls.cancel_url,
        "expires_at": _expires_at(order),
        "locale": app_settings.CHECKOUT_LOCALE or checkout_locale(order.language),
        **shipping_params(priced),
        **checkout_options(request, settings),
    }
    if params.get("invoice_creation"):
        params["invoice_creation"]["invoice_data"] = {"metadata": {"order_number": order.reference}}
    if priced.totals.tax_mode is pricing.TaxMode.STRIPE:
        params["automatic_tax"] = {"enabled": True}
    return params


def idempotency_key(order: Order, params: dict[str, Any]) -> str:
    """The same order and parameters are one session at Stripe, however often sent."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    return f"wsc-{order.public_id}-{digest}"
