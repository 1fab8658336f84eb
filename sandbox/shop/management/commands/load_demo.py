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
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from shop.models import HomePage
from wagtail_stripe_checkout.contrib.pages.models import CheckoutPage, CheckoutResultPage
from wagtail_stripe_checkout.models import (
    Order,
    Product,
    ProductFile,
    ProductOption,
    ProductVariant,
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

# Digital goods: a product that is not shipped, with a file to download once paid.
EBOOK = ("EBOOK-01", "Trail guide e-book", "7.00", (71, 85, 105), "A PDF to download after paying.")
EBOOK_TITLE = "Trail guide (PDF)"


def make_pdf(title: str) -> bytes:
    """A small valid one-page PDF that says ``title``, written here: nothing is downloaded."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def load_ebook() -> Product:
    """The e-book: not shipped, with its PDF as a Wagtail document."""
    sku, name, price, colour, description = EBOOK
    image = get_image_model()(title=name)
    image.file = ImageFile(io.BytesIO(draw_image(name, colour)), name=f"{sku.lower()}.png")
    image.save()
    product = Product.objects.create(
        sku=sku,
        image=image,
        name=name,
        price=Decimal(price),
        shipped=False,
        description=f"<p>{description}</p>",
        active=True,
    )
    document = get_document_model()(title=EBOOK_TITLE)
    document.file = ContentFile(make_pdf(EBOOK_TITLE), name="trail-guide.pdf")
    document.save()
    ProductFile.objects.create(product=product, document=document)
    return product


# The T-shirt: options and six variants, each with its own SKU and stock; L / Sand
# is sold out and M / Sand has its own price. The Sand ones have their own image.
TSHIRT = ("TEE-01", "Trail T-shirt", "24.00", (30, 58, 138), "Soft organic cotton, two colours.")
TSHIRT_OPTIONS = [("Size", "S, M, L"), ("Colour", "Navy, Sand")]
# label, SKU, own price (None: the T-shirt's), stock
TSHIRT_VARIANTS: list[tuple[str, str, str | None, int]] = [
    ("S / Navy", "TEE-01-S-NAVY", None, 10),
    ("S / Sand", "TEE-01-S-SAND", None, 6),
    ("M / Navy", "TEE-01-M-NAVY", None, 12),
    ("M / Sand", "TEE-01-M-SAND", "26.00", 4),
    ("L / Navy", "TEE-01-L-NAVY", None, 8),
    ("L / Sand", "TEE-01-L-SAND", None, 0),
]


def load_tshirt() -> Product:
    """The T-shirt with its options and variants (see ``docs/variants.md``)."""
    sku, name, price, colour, description = TSHIRT
    image_model = get_image_model()
    image = image_model(title=name)
    image.file = ImageFile(io.BytesIO(draw_image(name, colour)), name=f"{sku.lower()}.png")
    image.save()
    sand = image_model(title=f"{name}, Sand")
    sand.file = ImageFile(
        io.BytesIO(draw_image(name, (194, 164, 110))), name=f"{sku.lower()}-sand.png"
    )
    sand.save()
    product = Product.objects.create(
        sku=sku, image=image, name=name, price=Decimal(price), description=f"<p>{description}</p>"
    )
    for n, (option, values) in enumerate(TSHIRT_OPTIONS):
        ProductOption.objects.create(product=product, name=option, values=values, sort_order=n)
    for n, (label, variant_sku, own_price, stock) in enumerate(TSHIRT_VARIANTS):
        ProductVariant.objects.create(
            product=product,
            label=label,
            sku=variant_sku,
            price=Decimal(own_price) if own_price else None,
            stock=stock,
            image=sand if label.endswith("Sand") else None,
            sort_order=n,
        )
    return product


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
    image_ids += ProductVariant.objects.exclude(image=None).values_list("image_id", flat=True)
    document_ids = list(ProductFile.objects.values_list("document_id", flat=True))
    Product.objects.all().delete()
    get_document_model().objects.filter(pk__in=document_ids).delete()
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
        *[
            (
                "buy",
                {
                    "product": product,
                    "button_label": "",
                    "show_quantity": True,
                    "action": "cart",
                    "show_description": True,
                },
            )
            for product in products
            if product.sku == TSHIRT[0]  # the T-shirt: choose a size and colour
        ],
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


def serve_site_at(address: str) -> None:
    """The default site's hostname and port become ``HOST:PORT`` (``[::1]:8000``
    for IPv6); a wildcard bind address (0.0.0.0, ::) leaves the site as it is."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if host in ("0.0.0.0", "::") or not port.isdigit():  # noqa: S104  (compared, not bound)
        return
    Site.objects.filter(is_default_site=True).update(hostname=host, port=int(port))


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
        parser.add_argument(
            "--address",
            metavar="HOST:PORT",
            help="where the sandbox is served: the default site's hostname and port, so "
            "that links made without a request (emails, buy links, QR codes) lead there",
        )

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        reset = bool(options["reset"])
        try:
            self.load(reset)
        finally:
            if options.get("address"):
                serve_site_at(str(options["address"]))

    def load(self, reset: bool) -> None:
        if reset:
            delete_shop()
        elif shop_exists():
            self.stdout.write(
                "The shop is loaded already: left as it is, editors' changes included. "
                "load_demo --reset (tools/dev.py demo --reset) starts over from the demo data."
            )
            return
        products = load_products()
        products.append(load_ebook())
        products.append(load_tshirt())
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
