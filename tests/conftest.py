"""Fixtures only; shared helpers live in ``tests/support`` and factories in
``tests/factories.py``."""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from wagtail.models import Page, Site

from tests.factories import (
    CheckoutPageFactory,
    CheckoutResultPageFactory,
    ProductFactory,
    ShopContentPageFactory,
    configure_shop,
)
from tests.testapp.models import ShopContentPage
from wagtail_stripe_checkout.models import Product, ShopSettings

# The sandbox shop and a Chromium for the real-browser test modules.
pytest_plugins = ["tests.support.sandbox"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Wagtail caches site root paths; with a shared Redis cache, stale ids from an
    earlier run or a flushed transactional test would point at missing sites."""
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
    return configure_shop(ShopSettings.for_site(site), currency="USD")


@pytest.fixture
def make_product(db: Any):
    def make(price: str | Decimal = "10.00", **kwargs: Any) -> Product:
        return ProductFactory.create(price=Decimal(price), **kwargs)

    return make


@pytest.fixture
def home(site: Site) -> Page:
    return site.root_page


@pytest.fixture
def shop_page(home: Page, shop: ShopSettings):
    def make(body: list[tuple[str, Any]], title: str = "Shop") -> ShopContentPage:
        return ShopContentPageFactory.create(parent=home, title=title, body=body)

    return make


@pytest.fixture
def checkout_pages(home: Page, shop: ShopSettings):
    checkout = CheckoutPageFactory.create(parent=home)
    result = CheckoutResultPageFactory.create(parent=checkout)
    return checkout, result
