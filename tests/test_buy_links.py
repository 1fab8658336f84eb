"""Buy links: /shop/buy/<slug>/ puts an item in the cart by the cart's rules and
goes to checkout (or to Stripe); staff get the link and its QR code in the admin."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from PIL import Image, ImageDraw

from tests.factories import configure_shop
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.helpers import cart_session
from wagtail_stripe_checkout import qrcodes
from wagtail_stripe_checkout.models import Order, Product, ProductOption, ProductVariant
from wagtail_stripe_checkout.page_mixins import DETAILS_SESSION_KEY

# What a browser sends when the person clicked the link (or opened a scanned code).
CLICKED = {
    "Sec-Fetch-User": "?1",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-Site": "cross-site",
}
PRODUCTS = "/admin/snippets/wagtail_stripe_checkout/product/"
NOT_AVAILABLE = "That product is not available."


def lines(client: Client) -> dict[str, int]:
    return {key: line["q"] for key, line in cart_session(client).get("lines", {}).items()}


@pytest.fixture
def tote(make_product, checkout_pages) -> Product:
    return make_product("12.50", name="Tote bag", sku="TOTE", stock=3, max_per_order=4)


@pytest.fixture
def shirt(make_product, checkout_pages) -> tuple[Product, ProductVariant, ProductVariant]:
    product = make_product("20.00", name="T-shirt", sku="TEE")
    ProductOption.objects.create(product=product, name="Size", values="M, L")
    medium = ProductVariant.objects.create(product=product, label="M", sku="TEE-M", stock=3)
    large = ProductVariant.objects.create(
        product=product, label="L", sku="TEE-L", price=Decimal("22.00")
    )
    return product, medium, large


def buy(client: Client, slug: str, query: str = "", **headers: str) -> Any:
    return client.get(f"/shop/buy/{slug}/{query}", headers={**CLICKED, **headers})


# Putting the item in the cart ---------------------------------------------------


def test_a_clicked_link_puts_the_product_and_quantity_in_the_cart_and_goes_to_checkout(
    client, tote, checkout_pages
):
    response = buy(client, "tote-bag", "?quantity=2")
    checkout, _ = checkout_pages
    assert response.status_code == 302 and response["Location"] == checkout.url
    assert lines(client) == {str(tote.pk): 2}
    page = client.get(checkout.url)
    assert "2 × Tote bag in your cart." in page.content.decode()


def test_opening_the_same_link_again_leaves_the_cart_as_it_was(client, tote):
    buy(client, "tote-bag", "?quantity=2")
    buy(client, "tote-bag", "?quantity=2")
    assert lines(client) == {str(tote.pk): 2}
    buy(client, "tote-bag")  # no quantity: one
    assert lines(client) == {str(tote.pk): 1}


def test_a_variant_link_puts_that_variant_in_the_cart(client, shirt):
    product, medium, large = shirt
    assert buy(client, "t-shirt", "?variant=TEE-L&quantity=3").status_code == 302
    assert buy(client, "t-shirt", f"?variant={medium.pk}").status_code == 302  # by id too
    assert lines(client) == {f"{product.pk}:{large.pk}": 3, f"{product.pk}:{medium.pk}": 1}


def test_a_link_without_the_variant_asks_which_and_adds_nothing(client, shirt):
    product, medium, _large = shirt
    response = buy(client, "t-shirt")
    html = response.content.decode()
    assert response.status_code == 200 and lines(client) == {}
    assert '<option value="TEE-M">M</option>' in html
    assert '<option value="TEE-L">L</option>' in html
    chosen = client.post("/shop/buy/t-shirt/", {"variant": "TEE-M", "quantity": "2"})
    assert chosen.status_code == 302 and lines(client) == {f"{product.pk}:{medium.pk}": 2}


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?quantity=4", 409, "Only 3 of Tote bag left in stock."),
        ("?quantity=abc", 400, "Enter a whole number of at least 1."),
        ("?quantity=0", 400, "Enter a whole number of at least 1."),
        ("?quantity=-1", 400, "Enter a whole number of at least 1."),
        ("?quantity=1.5", 400, "Enter a whole number of at least 1."),
    ],
)
def test_stock_and_bad_quantities_get_a_clear_message_and_leave_the_cart(
    client, tote, query, status, message
):
    buy(client, "tote-bag")
    response = buy(client, "tote-bag", query)
    assert response.status_code == status
    assert message in response.content.decode()
    assert lines(client) == {str(tote.pk): 1}


def test_the_limit_per_order_and_a_variants_own_stock_are_honoured(client, tote, shirt):
    tote.stock = None
    tote.save()
    response = buy(client, "tote-bag", "?quantity=5")
    assert response.status_code == 409
    assert "You can order at most 4 of Tote bag." in response.content.decode()
    response = buy(client, "t-shirt", "?variant=TEE-M&quantity=4")
    assert "Only 3 of T-shirt – M left in stock." in response.content.decode()
    assert lines(client) == {}


def test_a_sold_out_product_says_so(client, tote):
    tote.stock = 0
    tote.save()
    response = buy(client, "tote-bag")
    assert response.status_code == 409 and "Tote bag is sold out." in response.content.decode()
    assert lines(client) == {}


def test_unknown_off_sale_and_switched_off_links_get_the_same_404(client, tote, shirt):
    product, medium, _large = shirt
    Product.objects.filter(pk=tote.pk).update(active=False)
    Product.objects.filter(pk=product.pk).update(buy_link_enabled=False)
    ProductVariant.objects.filter(pk=medium.pk).update(active=False)
    answers = [
        buy(client, "no-such-thing"),
        buy(client, "tote-bag"),
        buy(client, "t-shirt"),
    ]
    Product.objects.filter(pk=product.pk).update(buy_link_enabled=True)
    answers += [buy(client, "t-shirt", "?variant=TEE-M"), buy(client, "t-shirt", "?variant=NOPE")]
    for response in answers:
        html = response.content.decode()
        assert response.status_code == 404 and NOT_AVAILABLE in html
        assert "Tote" not in html and "T-shirt" not in html
    assert lines(client) == {}


def test_a_preview_or_prefetch_changes_nothing_and_shows_a_button(client, tote):
    for headers in [
        {},  # a link preview or mail scanner: no Fetch Metadata
        {**CLICKED, "Sec-Purpose": "prefetch"},
        {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},  # not user-activated
    ]:
        response = client.get("/shop/buy/tote-bag/?quantity=2", headers=headers)
        html = response.content.decode()
        assert response.status_code == 200 and lines(client) == {}
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "no-store" in response["Cache-Control"]
        assert "Tote bag" in html and "$12.50" in html
        assert 'method="post" action="/shop/buy/tote-bag/"' in html
        assert 'name="quantity" id="wsc-buy-quantity" value="2"' in html
    csrf = Client(enforce_csrf_checks=True)
    assert csrf.post("/shop/buy/tote-bag/", {"quantity": "2"}).status_code == 403
    page = csrf.get("/shop/buy/tote-bag/?quantity=2")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    posted = csrf.post(
        "/shop/buy/tote-bag/", {"quantity": "2", "csrfmiddlewaretoken": token.group(1)}
    )
    assert posted.status_code == 302 and lines(csrf) == {str(tote.pk): 2}


def test_buy_links_count_against_the_cart_rate_limit(client, tote, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"cart": "3/h"}
    statuses = [buy(client, "tote-bag", f"?quantity={n}").status_code for n in (1, 2, 3, 1)]
    assert statuses == [302, 302, 302, 429]
    assert lines(client) == {str(tote.pk): 3}
    limited = buy(client, "tote-bag")
    assert limited["Retry-After"] == "3600"
    assert "Please wait a minute and try again" in limited.content.decode()


# Straight to Stripe -------------------------------------------------------------


def known_shopper(client: Client) -> None:
    """This browser went through checkout before: its details are kept."""
    session = client.session
    session[DETAILS_SESSION_KEY] = {"email": "kim@example.com", "name": "Kim"}
    session.save()


def test_to_stripe_goes_to_payment_when_checkout_has_nothing_to_ask(client, tote, stripe_stand_in):
    Product.objects.filter(pk=tote.pk).update(shipped=False)  # no address to choose
    known_shopper(client)
    response = buy(client, "tote-bag", "?quantity=2&to=stripe")
    order = Order.objects.get()
    assert response.status_code == 303 and response["Location"] == order.stripe_checkout_url
    stripe_session = stripe_stand_in.session(order.stripe_session_id)
    assert stripe_session["amount_total"] == order.total == 2500
    assert stripe_session["customer_email"] == "kim@example.com"
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("TOTE", 2)]


def test_to_stripe_without_the_shoppers_email_lets_stripe_ask_for_it(
    client, tote, checkout_pages, stripe_stand_in, mailoutbox, django_capture_on_commit_callbacks
):
    Product.objects.filter(pk=tote.pk).update(shipped=False)  # no address to choose
    response = buy(client, "tote-bag", "?to=stripe")  # a browser that never gave its email
    order = Order.objects.get()
    assert response.status_code == 303 and response["Location"] == order.stripe_checkout_url
    (create,) = stripe_stand_in.requests_to("/v1/checkout/sessions", method="POST")
    assert "customer_email" not in create.params and order.email == ""
    _paid, success_url = stripe_stand_in.pay(order.stripe_session_id, email="ana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(success_url).status_code == 200
    order.refresh_from_db()
    assert (order.status, order.email) == ("paid", "ana@example.com")
    (confirmation,) = mailoutbox
    assert confirmation.to == ["ana@example.com"] and order.reference in confirmation.subject


def test_to_stripe_lets_the_shopper_choose_where_to_ship_first(
    client, tote, checkout_pages, shop, stripe_stand_in
):
    configure_shop(shop, zones=[("Europe", "FR, DE", [("Standard", "4.00", None, 2, 4)])])
    known_shopper(client)
    response = buy(client, "tote-bag", "?to=stripe")
    assert response["Location"] == checkout_pages[0].url and not Order.objects.exists()


# QR codes -----------------------------------------------------------------------


def decode(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def rasterise(svg: str) -> bytes:
    """segno's SVG is one path of horizontal strokes one module high
    (``M x y h w m dx dy ...``, scaled): draw exactly those into a PNG."""
    scale = int(re.search(r'transform="scale\((\d+)\)"', svg).group(1))  # type: ignore[union-attr]
    width = int(re.search(r'width="(\d+)"', svg).group(1)) // scale  # type: ignore[union-attr]
    path = re.search(r' d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    image = Image.new("L", (width, width), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, a, b in re.findall(r"([MmHh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if command in "Mm":
            x, y = (float(a), float(b)) if command == "M" else (x + float(a), y + float(b))
        else:
            end = x + float(a) if command == "h" else float(a)
            draw.rectangle([x, y - 0.5, end - 1, y - 0.5], fill=0)
            x = end
    out = io.BytesIO()
    image.resize((width * 8, width * 8), Image.Resampling.NEAREST).save(out, "PNG")
    return out.getvalue()


def test_qr_codes_decode_to_the_link():
    link = "http://localhost/shop/buy/tote-bag/?variant=TEE-M&quantity=2"
    assert decode(qrcodes.png(link)) == [link]
    assert decode(rasterise(qrcodes.svg(link))) == [link]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's Chromium is not installed")
def test_the_svg_qr_code_scans_as_a_browser_draws_it(editor, tote):
    from playwright.sync_api import sync_playwright

    svg = editor.get(f"/shop/qr/{tote.pk}.svg").content.decode()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_content(f"<body style='margin:0;background:#fff'>{svg}</body>")
        shot = page.locator("svg").screenshot()
        browser.close()
    assert decode(shot) == ["http://localhost/shop/buy/tote-bag/"]


@pytest.fixture
def editor(client, db):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


def staff(client: Client, *codenames: str) -> Client:
    """Logged in with admin access and ``codenames``."""
    name = "-".join(["staff", *codenames])
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw")
    group = Group.objects.create(name=name)
    group.permissions.add(*Permission.objects.filter(codename__in=["access_admin", *codenames]))
    user.groups.add(group)
    client.force_login(user)
    return client


def test_the_qr_views_decode_to_the_absolute_link_and_download_on_request(editor, tote, shirt):
    svg = editor.get(f"/shop/qr/{tote.pk}.svg")
    assert svg["Content-Type"] == "image/svg+xml" and "Content-Disposition" not in svg
    assert decode(rasterise(svg.content.decode())) == ["http://localhost/shop/buy/tote-bag/"]
    png = editor.get(f"/shop/qr/{tote.pk}.png?download=1&quantity=2")
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"] == 'attachment; filename="buy-tote-bag.png"'
    assert decode(png.content) == ["http://localhost/shop/buy/tote-bag/?quantity=2"]
    product = shirt[0]
    variant = editor.get(f"/shop/qr/{product.pk}.png?variant=TEE-L&download=1")
    assert variant["Content-Disposition"] == 'attachment; filename="buy-t-shirt-TEE-L.png"'
    assert decode(variant.content) == ["http://localhost/shop/buy/t-shirt/?variant=TEE-L"]
    assert editor.get(f"/shop/qr/{product.pk}.png?variant=TOTE").status_code == 404


def test_the_qr_views_need_the_products_permission(client, tote):
    anonymous = client.get(f"/shop/qr/{tote.pk}.svg")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    staff(client)  # admin access, no product permission: Wagtail sends them to the dashboard
    denied = client.get(f"/shop/qr/{tote.pk}.png")
    assert (denied.status_code, denied["Location"]) == (302, "/admin/")
    viewer = staff(Client(), "view_product")
    assert viewer.get(f"/shop/qr/{tote.pk}.png").status_code == 200


# The admin ---------------------------------------------------------------------


def test_the_products_edit_page_shows_its_link_qr_code_and_variant_links(editor, shirt):
    product, _medium, _large = shirt
    html = editor.get(f"{PRODUCTS}edit/{product.pk}/").content.decode()
    assert 'value="http://localhost/shop/buy/t-shirt/" readonly' in html
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'class="wsc-qr"' in html
    assert f'href="/shop/qr/{product.pk}.svg?download=1"' in html
    assert f'href="/shop/qr/{product.pk}.png?download=1"' in html
    assert 'value="http://localhost/shop/buy/t-shirt/?variant=TEE-M"' in html
    assert f'href="/shop/qr/{product.pk}.png?variant=TEE-L&amp;download=1"' in html
    assert "The buy link is switched off" not in html


def test_the_panel_says_when_the_link_is_off_and_a_new_product_has_none_yet(editor, tote):
    Product.objects.filter(pk=tote.pk).update(buy_link_enabled=False)
    html = editor.get(f"{PRODUCTS}edit/{tote.pk}/").content.decode()
    assert "The buy link is switched off" in html
    new = editor.get(f"{PRODUCTS}add/").content.decode()
    assert "Save the product to get its link." in new and "wsc-qr" not in new
