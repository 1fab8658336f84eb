from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from typing import Any

import pytest
from wagtail.models import Page, Site

from tests.testapp.models import ShopContentPage
from wagtail_stripe_checkout.models import Product, ShopSettings


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Wagtail caches site root paths; with a shared Redis cache, stale ids from an
    earlier run or a flushed transactional test would point at missing sites."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _media_root(settings: Any):
    path = tempfile.mkdtemp(prefix="wsc-media-")
    settings.MEDIA_ROOT = path
    yield
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def site(db: Any) -> Site:
    return Site.objects.get(is_default_site=True)


@pytest.fixture
def shop(site: Site) -> ShopSettings:
    """USD, no tax, free shipping: tests set what they need."""
    settings = ShopSettings.for_site(site)
    settings.currency = "USD"
    settings.save()
    return settings


def configure_shop(shop: ShopSettings, **values: Any) -> ShopSettings:
    for key, value in values.items():
        setattr(shop, key, value)
    shop.full_clean()
    shop.save()
    return shop


@pytest.fixture
def make_product(db: Any):
    counter = {"n": 0}

    def make(price: str | Decimal = "10.00", **kwargs: Any) -> Product:
        counter["n"] += 1
        n = counter["n"]
        kwargs.setdefault("name", f"Product {n}")
        kwargs.setdefault("sku", f"SKU-{n:04d}")
        return Product.objects.create(price=Decimal(price), **kwargs)

    return make


@pytest.fixture
def home(site: Site) -> Page:
    return site.root_page


@pytest.fixture
def shop_page(home: Page, shop: ShopSettings):
    def make(body: list[tuple[str, Any]], title: str = "Shop") -> ShopContentPage:
        page = ShopContentPage(title=title, slug=title.lower().replace(" ", "-"))
        page.body = body
        home.add_child(instance=page)
        return page

    return make


def cart_session(client: Any) -> dict[str, Any]:
    from wagtail_stripe_checkout.conf import app_settings

    return dict(client.session.get(app_settings.CART_SESSION_KEY, {"lines": {}}))


@pytest.fixture
def checkout_pages(home: Page, shop: ShopSettings):
    from wagtail_stripe_checkout.contrib.pages.models import CheckoutPage, CheckoutResultPage

    checkout = CheckoutPage(title="Checkout", slug="checkout")
    home.add_child(instance=checkout)
    result = CheckoutResultPage(title="Thanks", slug="thanks", thank_you="<p>Cheers!</p>")
    checkout.add_child(instance=result)
    return checkout, result
