"""Load the sandbox's demo shop: products with locally drawn images, a home page
with buy blocks, shop settings and an admin user.

It fills a database that has no shop in it yet, and otherwise changes nothing:
what editors changed survives every restart. ``--reset`` deletes the shop
(orders, products and their images, the shop's pages, the shop settings) and
loads the demo data again, with the admin's demo password."""

from __future__ import annotations

import io
import os
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from shop.models import HomePage
from wagtail_stripe_checkout.contrib.pages.models import CheckoutPage, CheckoutResultPage
from wagtail_stripe_checkout.models import (
    Order,
    Product,
    ShippingRate,
    ShippingZone,
    ShopSettings,
    WebhookEvent,
)
from wagtail_stripe_checkout.pricing import TaxMode

# name, countries, rates (name, price, free from, days from, days up to)
ZONES: list[tuple[str, str, list[tuple[str, str, str | None, int, int]]]] = [
    (
        "United States",
        "US",
        [("Standard", "5.00", "75.00", 3, 5), ("Express", "15.00", None, 1, 2)],
    ),
    ("Canada and the UK", "CA, GB", [("International", "12.00", "150.00", 5, 10)]),
]

PRODUCTS = [
    # sku, name, price, stock, max per order, colour, description
    (
        "MUG-01",
        "Enamel mug",
        "12.00",
        25,
        None,
        (37, 99, 235),
        "A speckled enamel mug for camp coffee.",
    ),
    (
        "TOTE-01",
        "Canvas tote bag",
        "18.50",
        None,
        None,
        (22, 163, 74),
        "Heavy cotton canvas, long handles.",
    ),
    (
        "STICK-01",
        "Sticker pack",
        "4.25",
        None,
        10,
        (219, 39, 119),
        "Six weatherproof vinyl stickers.",
    ),
    ("BEANIE-01", "Wool beanie", "24.00", 5, 2, (234, 88, 12), "Merino wool, one size."),
    (
        "NOTE-01",
        "Dot-grid notebook",
        "9.99",
        None,
        None,
        (124, 58, 237),
        "A5, 120 pages, lies flat.",
    ),
    ("POSTER-01", "Mountain poster", "15.00", 40, None, (8, 145, 178), "A2 print on matte paper."),
]

ADMIN_USER = "admin"


def draw_image(name: str, colour: tuple[int, int, int]) -> bytes:
    """A simple product picture drawn here: nothing is downloaded."""
    width, height = 800, 600
    image = PILImage.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    for i in range(0, height, 6):
        shade = tuple(min(255, c + i // 8) for c in colour)
        draw.line([(0, i), (width, i)], fill=shade, width=6)
    draw.ellipse([250, 130, 550, 430], fill=(255, 255, 255), outline=(17, 24, 39), width=8)
    draw.text((width // 2, 510), name, fill=(255, 255, 255), anchor="mm", font_size=48)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def shop_exists() -> bool:
    """Whether the database holds a shop already (the demo's, or an editor's)."""
    return Product.objects.exists() or HomePage.objects.exists() or ShopSettings.objects.exists()


def delete_shop() -> None:
    """Everything the demo loads, and the orders made of it: gone."""
    Order.objects.all().delete()  # and their lines
    WebhookEvent.objects.all().delete()
    image_ids = list(Product.objects.exclude(image=None).values_list("image_id", flat=True))
    Product.objects.all().delete()
    get_image_model().objects.filter(pk__in=image_ids).delete()
    for home in HomePage.objects.all():
        home.delete()  # with the pages under it, and the site it is the root of
    ShopSettings.objects.all().delete()  # and their shipping zones and rates


def load_products() -> list[Product]:
    image_model = get_image_model()
    products = []
    for sku, name, price, stock, max_per_order, colour, description in PRODUCTS:
        image = image_model(title=name)
        image.file = ImageFile(io.BytesIO(draw_image(name, colour)), name=f"{sku.lower()}.png")
        image.save()
        products.append(
            Product.objects.create(
                sku=sku,
                image=image,
                name=name,
                price=Decimal(price),
                stock=stock,
                max_per_order=max_per_order,
                description=f"<p>{description}</p>",
                active=True,
            )
        )
    return products


def load_pages(products: list[Product]) -> Site:
    """The home page with its blocks, the checkout pages under it; the default site's root."""
    home = HomePage(title="Sandbox shop", slug="shop-home")
    home.body = [
        (
            "text",
            "<p>Everything here is for testing the shop: no real money moves. "
            "Add a few things to your cart and have a look.</p>",
        ),
        (
            "product_grid",
            {"heading": "Everything on sale", "products": [], "limit": 12, "show_quantity": False},
        ),
        (
            "buy",
            {
                "product": products[0],
                "button_label": "Add mugs to cart",
                "show_quantity": True,
                "action": "cart",
                "show_description": True,
            },
        ),
    ]
    Page.get_first_root_node().add_child(instance=home)

    site = Site.objects.filter(is_default_site=True).first()
    old_root = site.root_page if site else None
    if site is None:
        site = Site.objects.create(
            hostname="localhost", root_page=home, is_default_site=True, site_name="Sandbox shop"
        )
    else:
        site.root_page = home
        site.site_name = "Sandbox shop"
        site.save()
    if old_root and old_root.depth == 2 and old_root.specific_class is Page:
        old_root.delete()  # Wagtail's welcome page, not a page of the site's own types

    checkout = CheckoutPage(
        title="Checkout",
        slug="checkout",
        intro="<p>Check your order, tell us where to send the receipt, and pay on "
        "Stripe's secure page.</p>",
    )
    home.add_child(instance=checkout)
    checkout.add_child(
        instance=CheckoutResultPage(
            title="Thank you",
            slug="thank-you",
            thank_you="<p>Thanks for shopping with the sandbox!</p>",
        )
    )
    return site


def load_shop_settings(site: Site) -> None:
    shop = ShopSettings.for_site(site)
    shop.currency = "USD"
    shop.tax_mode = TaxMode.ADDED.value
    shop.tax_rate = Decimal("8.25")
    shop.tax_label = "Sales tax"
    shop.allow_promotion_codes = True
    shop.full_clean()
    shop.save()
    for index, (name, countries, rates) in enumerate(ZONES):
        zone = ShippingZone.objects.create(
            settings=shop, name=name, countries=countries, sort_order=index
        )
        for order, (rate, amount, free_over, low, high) in enumerate(rates):
            ShippingRate.objects.create(
                zone=zone,
                name=rate,
                amount=Decimal(amount),
                free_over=Decimal(free_over) if free_over else None,
                min_days=low,
                max_days=high,
                sort_order=order,
            )


class Command(BaseCommand):
    help = (
        "Load the sandbox demo shop into a database that has no shop yet; "
        "with --reset, delete the shop and load the demo data again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the orders, products, shop pages and shop settings and load the "
            "demo data again (the admin gets the demo password back)",
        )

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        reset = bool(options["reset"])
        if reset:
            delete_shop()
        elif shop_exists():
            self.stdout.write(
                "The shop is loaded already: left as it is, editors' changes included. "
                "load_demo --reset (tools/dev.py demo --reset) starts over from the demo data."
            )
            return
        products = load_products()
        load_shop_settings(load_pages(products))

        password = os.environ.get("SANDBOX_ADMIN_PASSWORD", "changeme")
        user_model = get_user_model()
        user = user_model.objects.filter(username=ADMIN_USER).first()
        if user is None:
            user_model.objects.create_superuser(ADMIN_USER, "admin@example.com", password)
            self.stdout.write(f"Admin login: {ADMIN_USER} / {password}")
        elif reset:
            user.set_password(password)
            user.is_active = user.is_staff = user.is_superuser = True
            user.save()
            self.stdout.write(f"Admin login: {ADMIN_USER} / {password}")
        self.stdout.write(self.style.SUCCESS(f"Demo shop ready: {len(products)} products."))
