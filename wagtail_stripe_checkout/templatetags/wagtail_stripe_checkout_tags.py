"""Template tags: ``{% load wagtail_stripe_checkout_tags %}``.

* ``{% cart_count %}``: the number of items in the cart (no database query).
* ``{% cart_summary %}``: a small cart with totals and a link to the cart page.
* ``{% buy_button product label="Add to cart" show_quantity=True action="cart" %}``
* ``{% product_price product %}``: the product's price in the shop's currency.
* ``{{ amount|money:currency }}``: format a smallest-unit amount.
* ``{% stripe_test_mode_badge %}``: a discreet badge while Stripe is in test mode.
* ``{% shop_home_url %}``: the site's root page, for "Continue shopping".
"""

from __future__ import annotations

import uuid
from typing import Any

from django import template
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import SourceImageIOError

from .. import pricing
from ..cart import Cart
from ..conf import app_settings
from ..models import ShopSettings
from ..shortcuts import home_url, priced_cart

register = template.Library()


def _request(context: template.Context) -> Any:
    return context.get("request")


@register.simple_tag(takes_context=True)
def cart_count(context: template.Context) -> int:
    request = _request(context)
    if request is None or not hasattr(request, "session"):
        return 0
    return Cart.for_request(request).count


@register.inclusion_tag("wagtail_stripe_checkout/includes/cart_summary.html", takes_context=True)
def cart_summary(context: template.Context) -> dict[str, Any]:
    request = _request(context)
    # No session (an error page raised before the session middleware): no cart.
    priced = priced_cart(request) if hasattr(request, "session") else None
    return {"request": request, "cart": priced}


@register.inclusion_tag("wagtail_stripe_checkout/includes/buy_form.html", takes_context=True)
def buy_button(
    context: template.Context,
    product: Any,
    label: str = "",
    show_quantity: bool = True,
    action: str = "cart",
) -> dict[str, Any]:
    request = _request(context)
    most = product.limit_per_order(app_settings.MAX_QUANTITY) if product else 1
    if product is not None and product.stock is not None:
        most = max(1, min(most, product.stock))
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "product": product,
        "label": label,
        "show_quantity": show_quantity,
        "action": action,
        "max_quantity": most,
        "next": request.get_full_path() if request is not None else "",
    }


@register.simple_tag(takes_context=True)
def product_price(context: template.Context, product: Any) -> str:
    request = _request(context)
    if request is None or product is None:
        return ""
    currency = ShopSettings.for_request(request).pricing_options().currency
    try:
        return pricing.format_amount(product.unit_amount(currency), currency)
    except pricing.PricingError:
        return ""


@register.filter
def money(amount: int, currency: Any) -> str:
    if isinstance(currency, str):
        currency = pricing.get_currency(currency)
    return pricing.format_amount(int(amount), currency)


@register.inclusion_tag("wagtail_stripe_checkout/includes/test_mode_badge.html")
def stripe_test_mode_badge() -> dict[str, Any]:
    return {"test_mode": app_settings.is_test_mode}


@register.simple_tag
def product_image(product: Any, spec: str, css_class: str = "") -> str:
    """``<img>`` for the product's image at a rendition ``spec`` held in a variable."""
    image = getattr(product, "image", None)
    if image is None:
        return ""
    try:
        rendition = image.get_rendition(spec)
    except (SourceImageIOError, InvalidFilterSpecError):
        return ""
    return rendition.img_tag({"class": css_class, "alt": ""})


@register.simple_tag(takes_context=True)
def shop_home_url(context: template.Context) -> str:
    """The site's root page: where "Continue shopping" leads."""
    request = _request(context)
    return home_url(request) if request is not None else "/"


@register.simple_tag
def wsc_uid(prefix: str = "wsc") -> str:
    """A fresh id for ``id``/``aria-labelledby`` pairs in repeated blocks."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
