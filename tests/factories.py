"""factory-boy factories for the shop's models and pages."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import factory
import wagtail_factories
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Site

from tests.testapp.models import ShopContentPage
from wagtail_stripe_checkout.contrib.pages.models import CheckoutPage, CheckoutResultPage
from wagtail_stripe_checkout.models import (
    Order,
    OrderLine,
    Product,
    ShippingRate,
    ShippingZone,
    ShopSettings,
)


def png_file(size: tuple[int, int] = (40, 30), name: str = "p.png") -> ImageFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return ImageFile(buffer, name=name)


class ImageFactory(factory.django.DjangoModelFactory[Any]):
    class Meta:
        model = get_image_model()

    title = factory.Sequence(lambda n: f"Image {n}")
    file = factory.LazyFunction(png_file)


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    price = Decimal("10.00")


def configure_shop(shop: ShopSettings | None = None, **values: Any) -> ShopSettings:
    """Shop settings (the default site's unless given) with ``values`` set,
    validated as the admin would.

    ``shipping_fee``, ``free_shipping_threshold`` and ``shipping_countries`` make
    one zone with one "Standard" rate, as the migration from the flat fee does;
    ``zones=[("Europe", "FR, DE", [("Standard", "4.00", None, 2, 4), ...]), ...]``
    gives several.
    """
    shop = shop or ShopSettings.for_site(Site.objects.get(is_default_site=True))
    flat = {k: values.pop(k) for k in list(values) if k in FLAT_SHIPPING}
    zones = values.pop("zones", None)
    for key, value in values.items():
        setattr(shop, key, value)
    shop.full_clean()
    shop.save()
    if flat:
        fee, free_over = flat.get("shipping_fee", Decimal(0)), flat.get("free_shipping_threshold")
        zones = [("Shipping", flat.get("shipping_countries", ""), [("Standard", fee, free_over)])]
    if zones is not None:
        set_zones(shop, zones)
    return shop


FLAT_SHIPPING = ("shipping_fee", "free_shipping_threshold", "shipping_countries")


def set_zones(shop: ShopSettings, zones: list[tuple[Any, ...]]) -> None:
    shop.zones.all().delete()
    for order, (name, countries, rates) in enumerate(zones):
        zone = ShippingZone(settings=shop, name=name, countries=countries, sort_order=order)
        zone.full_clean(exclude=["settings"])
        zone.save()
        for index, (rate_name, amount, free_over, *days) in enumerate(rates):
            rate = ShippingRate(
                zone=zone,
                name=rate_name,
                amount=Decimal(str(amount)),
                free_over=None if free_over is None else Decimal(str(free_over)),
                min_days=days[0] if days else None,
                max_days=days[1] if len(days) > 1 else None,
                sort_order=index,
            )
            rate.full_clean(exclude=["zone"])
            rate.save()
    if hasattr(shop, "_zone_cache"):
        del shop._zone_cache


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    """A pending USD order of 2 × $7.77 with $2.00 shipping (add lines with ``lines``)."""

    class Meta:
        model = Order
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    currency = "USD"
    subtotal = 1554
    tax = 0
    shipping = 200
    total = factory.LazyAttribute(lambda o: o.subtotal + o.shipping)
    stripe_session_id = factory.Sequence(lambda n: f"cs_test_{n:020d}")
    site = factory.LazyFunction(lambda: Site.objects.get(is_default_site=True))

    class Params:
        paid = factory.Trait(
            status=Order.Status.PAID,
            stripe_payment_intent_id=factory.Sequence(lambda n: f"pi_test_{n:08d}"),
        )

    @factory.post_generation
    def lines(self, create: bool, extracted: list[dict[str, Any]] | None, **kwargs: Any) -> None:
        if not create:
            return
        for line in extracted or [
            {"name": "Mug", "sku": "MUG-01", "unit_amount": 777, "quantity": 2}
        ]:
            OrderLineFactory.create(order=self, **line)


class OrderLineFactory(factory.django.DjangoModelFactory[OrderLine]):
    class Meta:
        model = OrderLine

    name = "Mug"
    sku = "MUG-01"
    unit_amount = 777
    quantity = 1
    total = factory.LazyAttribute(lambda o: o.unit_amount * o.quantity)


class ShopContentPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ShopContentPage

    title = "Shop"
    slug = factory.LazyAttribute(lambda o: o.title.lower().replace(" ", "-"))


class CheckoutPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = CheckoutPage

    title = "Checkout"
    slug = "checkout"


class CheckoutResultPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = CheckoutResultPage

    title = "Thanks"
    slug = "thanks"
    thank_you = "<p>Cheers!</p>"
