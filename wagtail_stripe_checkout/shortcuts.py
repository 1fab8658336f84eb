"""The request's shop, for views, page types, template tags and site code.

``priced_cart(request)``
    The request's cart priced against the database: computed once per request
    (a page and the cart summary in its header share it) and again only after
    the cart changes.
``checkout_page(request)`` / ``checkout_url(request)``
    The live checkout page of the request's site (``None`` while it has none),
    looked up once per request.
``home_url(request)``
    The site's root page, where "Continue shopping" leads.
``shop_url(request, name)``
    One of the package's URLs (``"cart_add"``, ...), reversed once per request:
    a page with many buy forms or cart lines asks for the same few.
``shop_currency(request)``
    The site's currency, from its shop settings.
``shop_money(request)``
    That currency and a function formatting its amounts in the active
    language, made once per request: a page may show dozens of prices.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import cache
from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from wagtail.models import Site

from . import pricing
from .cart import Cart, PricedCart
from .models import ShopSettings
from .page_mixins import CheckoutPageMixin

Money = tuple[pricing.Currency, Callable[[int], str]]

_CHECKOUT_PAGES: weakref.WeakKeyDictionary[HttpRequest, Any] = weakref.WeakKeyDictionary()
_URLS: weakref.WeakKeyDictionary[HttpRequest, dict[str, str]] = weakref.WeakKeyDictionary()
_MONEY: weakref.WeakKeyDictionary[HttpRequest, dict[tuple[str, str], Money]] = (
    weakref.WeakKeyDictionary()
)


def priced_cart(request: HttpRequest, *, repair: bool = False) -> PricedCart:
    """With ``repair=True`` the repairs pricing made (a product gone, sold out or
    repriced) are saved to the session; the cart and checkout pages do that."""
    return Cart.for_request(request).price(repair=repair)


@cache
def _checkout_page_models() -> tuple[type, ...]:
    return tuple(
        model
        for model in apps.get_models()
        if issubclass(model, CheckoutPageMixin) and not model._meta.abstract
    )


def checkout_page(request: HttpRequest) -> Any:
    if request not in _CHECKOUT_PAGES:
        page = None
        site = Site.find_for_request(request)
        if site is not None:
            for model in _checkout_page_models():
                page = model.objects.live().in_site(site).first()  # type: ignore[attr-defined]
                if page is not None:
                    break
        _CHECKOUT_PAGES[request] = page
    return _CHECKOUT_PAGES[request]


def home_url(request: HttpRequest) -> str:
    """The site's root page (never a hard-coded ``/``)."""
    try:
        site = Site.find_for_request(request)
        url = site.root_page.get_url(request) if site is not None else None
    except Exception:  # a broken database must not break an error page
        url = None
    return url or "/"


def checkout_url(request: HttpRequest) -> str | None:
    page = checkout_page(request)
    return page.get_url(request) if page is not None else None


def shop_url(request: HttpRequest | None, name: str) -> str:
    """``reverse("wagtail_stripe_checkout:<name>")``, once per request."""
    if request is None:
        return reverse(f"wagtail_stripe_checkout:{name}")
    urls = _URLS.setdefault(request, {})
    if name not in urls:
        urls[name] = reverse(f"wagtail_stripe_checkout:{name}")
    return urls[name]


def shop_currency(request: HttpRequest) -> pricing.Currency:
    """The currency of the request's site (Wagtail reads its settings once per request)."""
    return pricing.get_currency(ShopSettings.for_request(request).currency)


def shop_money(request: HttpRequest) -> Money:
    """The site's currency and its formatter for the active language, once per request."""
    currency = shop_currency(request)
    key = (currency.code, translation.get_language() or "")
    made = _MONEY.setdefault(request, {})
    if key not in made:
        made[key] = (currency, pricing.amount_formatter(currency))
    return made[key]
