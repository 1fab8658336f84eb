"""Variants: a product's options and their combinations, each with its own SKU,
price, stock and on-sale flag, from the admin through the cart, Stripe, stock,
fulfilment and refunds; a product without options behaves as before."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset

from tests.factories import ImageFactory, configure_shop
from tests.support.helpers import add_to_cart, cart_session, messages_of, product_form
from wagtail_stripe_checkout.models import (
    Order,
    Product,
    ProductOption,
    ProductVariant,
)
from wagtail_stripe_checkout.stock import release

ADD = reverse("wagtail_stripe_checkout:cart_add")
API_ADD = reverse("wagtail_stripe_checkout:api_cart_add")
API_CART = reverse("wagtail_stripe_checkout:api_cart")
UPDATE = reverse("wagtail_stripe_checkout:cart_update")
REMOVE = reverse("wagtail_stripe_checkout:cart_remove")
PRODUCTS = "/admin/snippets/wagtail_stripe_checkout/product/"
ORDERS = "/admin/shop/orders/"


def make_tshirt(make_product: Any, **extra: Any) -> tuple[Product, dict[str, ProductVariant]]:
    """A T-shirt at $20.00 in S, M, L × Navy, Sand: M / Sand costs $24.00, L / Sand
    is sold out, M / Navy has 2 left, S / Sand is off sale."""
    shirt = make_product("20.00", **{"name": "T-shirt", "sku": "TEE", **extra})
    ProductOption.objects.create(product=shirt, name="Size", values="S, M, L", sort_order=0)
    ProductOption.objects.create(product=shirt, name="Colour", values="Navy, Sand", sort_order=1)
    specs: dict[str, dict[str, Any]] = {
        "S / Navy": {},
        "S / Sand": {"active": False},
        "M / Navy": {"stock": 2},
        "M / Sand": {"price": Decimal("24.00"), "stock": 5},
        "L / Navy": {},
        "L / Sand": {"stock": 0},
    }
    variants = {}
    for n, (label, fields) in enumerate(specs.items()):
        sku = f"{shirt.sku}-" + label.replace(" / ", "-").upper()
        variants[label] = ProductVariant.objects.create(
            product=shirt, label=label, sku=sku, sort_order=n, **fields
        )
    return shirt, variants


@pytest.fixture
def tshirt(make_product):
    return make_tshirt(make_product)


def api_add(client: Client, **data: Any) -> Any:
    return client.post(API_ADD, data, content_type="application/json")


# The cart ---------------------------------------------------------------------


def test_a_variant_is_added_with_its_own_price_and_keyed_by_product_and_variant(
    client, shop, tshirt
):
    shirt, v = tshirt
    response = add_to_cart(client, shirt, "2", variant=v["M / Sand"].pk)
    assert messages_of(response) == ["Added 2 × T-shirt – M / Sand to your cart."]
    key = f"{shirt.pk}:{v['M / Sand'].pk}"
    assert cart_session(client)["lines"] == {key: {"q": 2, "pv": 1, "vv": 1}}
    add_to_cart(client, shirt, "1", variant=v["L / Navy"].pk)  # the product's price
    lines = client.get(API_CART).json()["cart"]["lines"]
    assert [
        (
            line["name"],
            line["sku"],
            line["variant"],
            line["unit_price"]["amount"],
            line["total"]["amount"],
        )
        for line in lines
    ] == [
        ("T-shirt – M / Sand", "TEE-M-SAND", v["M / Sand"].pk, 2400, 4800),
        ("T-shirt – L / Navy", "TEE-L-NAVY", v["L / Navy"].pk, 2000, 2000),
    ]


def test_a_product_with_variants_needs_one_chosen(client, shop, tshirt):
    shirt, _v = tshirt
    response = add_to_cart(client, shirt, "1")
    assert messages_of(response) == ["Choose the Size / Colour of T-shirt."]
    assert cart_session(client)["lines"] == {}
    answer = api_add(client, product=shirt.pk, quantity=1)
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "message": "Choose the Size / Colour of T-shirt.",
        "field": "variant",
    }


@pytest.mark.parametrize("label", ["L / Sand", "S / Sand"])
def test_sold_out_and_off_sale_variants_cannot_be_added(client, shop, tshirt, label):
    shirt, v = tshirt
    response = add_to_cart(client, shirt, "1", variant=v[label].pk)
    expected = (
        "T-shirt – L / Sand is sold out."
        if label == "L / Sand"
        else "That product is not available."
    )
    assert messages_of(response) == [expected]
    assert cart_session(client)["lines"] == {}


def test_another_products_variant_or_an_unknown_one_is_refused_alike(
    client, shop, tshirt, make_product
):
    shirt, v = tshirt
    mug = make_product("7.00", name="Mug", sku="MUG")
    for product, variant in [(mug, v["M / Navy"].pk), (shirt, 999999), (shirt, "x")]:
        answer = api_add(client, product=product.pk, quantity=1, variant=variant)
        assert answer.status_code == 400
        assert answer.json()["error"]["message"] == "That product is not available."
    assert cart_session(client)["lines"] == {}


def test_the_variants_stock_and_the_products_limit_cap_the_quantity(client, shop, make_product):
    shirt, v = make_tshirt(make_product, max_per_order=3)
    assert messages_of(add_to_cart(client, shirt, "3", variant=v["M / Navy"].pk)) == [
        "Only 2 of T-shirt – M / Navy left in stock."
    ]
    assert messages_of(add_to_cart(client, shirt, "4", variant=v["M / Sand"].pk)) == [
        "You can order at most 3 of T-shirt – M / Sand."
    ]
    add_to_cart(client, shirt, "2", variant=v["M / Navy"].pk)
    line = client.get(API_CART).json()["cart"]["lines"][0]
    assert (line["quantity"], line["max_quantity"]) == (2, 2)


def test_variant_lines_are_updated_and_removed_on_their_own(client, shop, tshirt):
    shirt, v = tshirt
    navy, sand = v["L / Navy"], v["M / Sand"]
    add_to_cart(client, shirt, "1", variant=navy.pk)
    add_to_cart(client, shirt, "1", variant=sand.pk)
    response = client.post(
        UPDATE, {"product": shirt.pk, "variant": sand.pk, "quantity": "3"}, follow=True
    )
    assert messages_of(response) == ["Updated T-shirt – M / Sand."]
    response = client.post(REMOVE, {"product": shirt.pk, "variant": navy.pk}, follow=True)
    assert messages_of(response) == ["Removed T-shirt – L / Navy from your cart."]
    assert cart_session(client)["lines"] == {f"{shirt.pk}:{sand.pk}": {"q": 3, "pv": 1, "vv": 1}}


def test_the_cart_page_shows_each_variant_with_its_own_forms(client, shop, tshirt):
    shirt, v = tshirt
    add_to_cart(client, shirt, "1", variant=v["L / Navy"].pk)
    add_to_cart(client, shirt, "2", variant=v["M / Sand"].pk)
    html = client.get(reverse("wagtail_stripe_checkout:cart")).content.decode()
    assert "T-shirt – L / Navy" in html and "T-shirt – M / Sand" in html
    sand = v["M / Sand"].pk
    assert f'data-wsc-line="{shirt.pk}-{sand}"' in html
    assert f'id="wsc-q-{shirt.pk}-{sand}"' in html
    assert html.count(f'<input type="hidden" name="variant" value="{sand}">') == 2


def test_repricing_a_variant_is_announced_and_a_variant_gone_is_removed(client, shop, tshirt):
    shirt, v = tshirt
    add_to_cart(client, shirt, "1", variant=v["M / Sand"].pk)
    add_to_cart(client, shirt, "1", variant=v["L / Navy"].pk)
    sand = v["M / Sand"]
    sand.price = Decimal("26.00")
    sand.save()
    assert sand.price_version == 2
    v["L / Navy"].delete()
    response = client.get(reverse("wagtail_stripe_checkout:cart"))
    assert messages_of(response) == [
        "The price of T-shirt – M / Sand changed to $26.00.",
        "An item in your cart is no longer sold and was removed.",
    ]
    assert cart_session(client)["lines"] == {f"{shirt.pk}:{sand.pk}": {"q": 1, "pv": 1, "vv": 2}}


def test_a_product_price_change_is_news_only_to_variants_that_use_it(client, shop, tshirt):
    shirt, v = tshirt
    add_to_cart(client, shirt, "1", variant=v["M / Sand"].pk)  # its own price
    add_to_cart(client, shirt, "1", variant=v["L / Navy"].pk)  # the product's
    shirt.price = Decimal("21.00")
    shirt.save()
    response = client.get(reverse("wagtail_stripe_checkout:cart"))
    assert messages_of(response) == ["The price of T-shirt – L / Navy changed to $21.00."]


def test_a_cart_line_without_a_variant_of_a_product_that_gained_variants_is_removed(
    client, shop, make_product
):
    shirt = make_product("20.00", name="T-shirt", sku="TEE")
    add_to_cart(client, shirt, "1")
    ProductOption.objects.create(product=shirt, name="Size", values="S, M")
    ProductVariant.objects.create(product=shirt, label="S", sku="TEE-S")
    response = client.get(reverse("wagtail_stripe_checkout:cart"))
    assert messages_of(response) == ["Choose the Size of T-shirt. It was removed from your cart."]
    assert cart_session(client)["lines"] == {}


def test_a_product_without_options_behaves_as_before(client, shop, make_product):
    mug = make_product("7.77", name="Mug", sku="MUG-01", stock=3)
    add_to_cart(client, mug, "2")
    assert cart_session(client)["lines"] == {str(mug.pk): {"q": 2, "pv": 1}}
    line = client.get(API_CART).json()["cart"]["lines"][0]
    assert line == {
        "product": mug.pk,
        "sku": "MUG-01",
        "name": "Mug",
        "quantity": 2,
        "max_quantity": 3,
        "unit_price": {"amount": 777, "display": "$7.77"},
        "total": {"amount": 1554, "display": "$15.54"},
    }
    # A variant sent for it is refused, nothing else changes.
    assert api_add(client, product=mug.pk, quantity=1, variant=1).status_code == 400
    assert cart_session(client)["lines"] == {str(mug.pk): {"q": 2, "pv": 1}}


# Buy blocks and grids -----------------------------------------------------------


def _options(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m) for m in re.findall(r"<option [^>]*>[^<]*</option>", html)]


def test_the_buy_block_offers_the_variants_in_a_plain_form(client, shop, shop_page, tshirt):
    shirt, v = tshirt
    page = shop_page([("buy", {"product": shirt, "show_quantity": True, "action": "cart"})])
    html = client.get(page.url).content.decode()
    assert '<label class="wsc-field__label" for="' in html and ">Size / Colour</label>" in html
    assert '<select name="variant"' in html
    options = _options(html)
    texts = [re.sub(r"<[^>]+>", "", o) for o in options]
    assert texts == [
        "S / Navy – $20.00",
        "M / Navy – $20.00",
        "M / Sand – $24.00",
        "L / Navy – $20.00",
        "L / Sand – Sold out",
    ]  # S / Sand is off sale: not offered
    assert " disabled " in options[4] and " selected " in options[0]
    assert 'data-wsc-v-price="$24.00"' in options[2] and 'data-wsc-v-max="2"' in options[1]
    assert '<p class="wsc-product__price" data-wsc-price>$20.00</p>' in html
    # Without JavaScript: the form posts the chosen variant.
    response = client.post(
        ADD, {"product": shirt.pk, "variant": v["M / Sand"].pk, "quantity": "1", "next": page.url}
    )
    assert response.status_code == 302
    assert list(cart_session(client)["lines"]) == [f"{shirt.pk}:{v['M / Sand'].pk}"]


def test_a_product_whose_variants_are_all_sold_out_shows_sold_out(client, shop, shop_page, tshirt):
    shirt, _v = tshirt
    ProductVariant.objects.filter(product=shirt).update(stock=0)
    page = shop_page([("buy", {"product": shirt, "show_quantity": True, "action": "cart"})])
    html = client.get(page.url).content.decode()
    assert '<p class="wsc-unavailable">Sold out</p>' in html
    assert "data-wsc-buy-form" not in html


def test_a_variants_own_image_is_shown_for_it(client, shop, shop_page, tshirt):
    shirt, v = tshirt
    shirt.image = ImageFactory.create()
    shirt.save()
    sand = v["M / Sand"]
    sand.image = ImageFactory.create()
    sand.save()
    page = shop_page([("grid", {"heading": "All", "products": [], "limit": 12})])
    html = client.get(page.url).content.decode()
    options = _options(html)
    urls = [re.search(r'data-wsc-v-image="([^"]*)"', o)[1] for o in options]  # type: ignore[index]
    assert urls[2] and urls[2] != urls[0] and urls[0] == urls[1] != ""


def test_a_page_of_products_with_variants_costs_the_same_for_1_and_8(
    client, shop, shop_page, make_product
):
    """Variants, options and the variants' images: one query each for a page."""
    counts = {}
    for n in (1, 8):
        Product.objects.all().delete()
        shirts = [
            make_tshirt(make_product, name=f"Shirt {i}", sku=f"S{n}-{i}")[0] for i in range(n)
        ]
        for shirt in shirts:
            variant = shirt.variants.first()
            variant.image = ImageFactory.create()
            variant.save()
        body = [("buy", {"product": s, "action": "cart"}) for s in shirts]
        body.append(("grid", {"heading": "All", "products": [], "limit": 12}))
        page = shop_page(body, title=f"Page {n}")
        client.get(page.url)  # renditions made once
        with CaptureQueriesContext(connection) as captured:
            html = client.get(page.url).content.decode()
        assert html.count('<select name="variant"') == 2 * n
        counts[n] = len(captured)
    assert counts[1] == counts[8], counts


def test_the_page_script_follows_the_choice():
    from pathlib import Path

    import wagtail_stripe_checkout

    script = (
        Path(wagtail_stripe_checkout.__file__).parent / "static/wagtail_stripe_checkout/shop.js"
    ).read_text()
    for attribute in ("data-wsc-variant", "price", "availability", "image", "max"):
        assert attribute in script


# Checkout, stock, fulfilment, refunds ---------------------------------------------


@pytest.fixture
def variant_checkout(client, shop, make_product, checkout_pages, stripe_stand_in):
    configure_shop(shop, shipping_fee=Decimal("0"), shipping_countries="US")
    shirt, v = make_tshirt(make_product)
    mug = make_product("7.77", name="Mug", sku="MUG-01", stock=5)
    add_to_cart(client, shirt, "2", variant=v["M / Navy"].pk)  # its last two
    add_to_cart(client, shirt, "1", variant=v["M / Sand"].pk)
    add_to_cart(client, mug, "1")
    checkout, _result = checkout_pages
    return client, checkout, stripe_stand_in, shirt, v, mug


def _pay(client: Client, checkout: Any) -> Any:
    return client.post(checkout.url, {"email": "shopper@example.com", "name": "Sam"})


def test_checkout_names_the_variant_at_stripe_snapshots_it_and_reserves_its_stock(
    variant_checkout,
):
    client, checkout, stand_in, shirt, v, mug = variant_checkout
    assert _pay(client, checkout).status_code == 303
    (create,) = stand_in.requests_to("/v1/checkout/sessions", method="POST")
    assert [
        (i["price_data"]["product_data"]["name"], i["price_data"]["unit_amount"], i["quantity"])
        for i in create.params["line_items"]
    ] == [
        ("T-shirt – M / Navy", "2000", "2"),
        ("T-shirt – M / Sand", "2400", "1"),
        ("Mug", "777", "1"),
    ]
    order = Order.objects.get()
    assert order.total == 2 * 2000 + 2400 + 777
    assert [
        (line.name, line.variant_id, line.variant_name, line.sku, line.unit_amount, line.shipped)
        for line in order.lines.order_by("pk")
    ] == [
        ("T-shirt", v["M / Navy"].pk, "M / Navy", "TEE-M-NAVY", 2000, True),
        ("T-shirt", v["M / Sand"].pk, "M / Sand", "TEE-M-SAND", 2400, True),
        ("Mug", None, "", "MUG-01", 777, True),
    ]
    stock = dict(ProductVariant.objects.values_list("label", "stock"))
    assert (stock["M / Navy"], stock["M / Sand"]) == (0, 4)
    mug.refresh_from_db()
    assert mug.stock == 4
    # The last M / Navy is held for this shopper only: the others stay on sale.
    other = Client()
    assert messages_of(add_to_cart(other, shirt, "1", variant=v["M / Navy"].pk)) == [
        "T-shirt – M / Navy is sold out."
    ]
    assert messages_of(add_to_cart(other, shirt, "1", variant=v["L / Navy"].pk)) == [
        "Added 1 × T-shirt – L / Navy to your cart."
    ]
    # This shopper still sees their two (their own reservation counts for them).
    lines = client.get(API_CART).json()["cart"]["lines"]
    assert (lines[0]["name"], lines[0]["quantity"]) == ("T-shirt – M / Navy", 2)
    # Giving the order up gives the variants' and the product's stock back, once.
    order = Order.objects.get()
    release(order)
    release(order)
    stock = dict(ProductVariant.objects.values_list("label", "stock"))
    mug.refresh_from_db()
    assert (stock["M / Navy"], stock["M / Sand"], mug.stock) == (2, 5, 5)


def test_a_paid_variant_order_is_fulfilled_shown_emailed_and_refunded(
    variant_checkout, mailoutbox, django_capture_on_commit_callbacks
):
    client, checkout, stand_in, shirt, v, _mug = variant_checkout
    session_id = _pay(client, checkout)["Location"].rsplit("/", 1)[1]
    paid, success_url = stand_in.pay(session_id)
    assert paid
    with django_capture_on_commit_callbacks(execute=True):
        html = client.get(success_url).content.decode()
    order = Order.objects.get()
    assert order.status == "paid"
    assert "T-shirt – M / Navy" in html and "TEE-M-NAVY" in html
    # The last M / Navy is sold; the other variants are still on sale.
    assert ProductVariant.objects.get(pk=v["M / Navy"].pk).stock == 0
    other = Client()
    page_message = messages_of(add_to_cart(other, shirt, "1", variant=v["M / Sand"].pk))
    assert page_message == ["Added 1 × T-shirt – M / Sand to your cart."]
    bodies = [m.body for m in mailoutbox]
    assert any("2 × T-shirt – M / Navy (TEE-M-NAVY)" in body for body in bodies), bodies
    # The admin's order page and the export name the variant and its SKU.
    editor = Client()
    editor.force_login(get_user_model().objects.create_superuser("ed", "ed@example.com", "pw"))
    inspect = editor.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    assert "T-shirt – M / Navy" in inspect and "TEE-M-NAVY" in inspect
    streamed = editor.get(ORDERS + "?export=csv")
    export = b"".join(streamed.streaming_content).decode()  # type: ignore[attr-defined]
    assert "2 × T-shirt – M / Navy (TEE-M-NAVY); 1 × T-shirt – M / Sand (TEE-M-SAND)" in export
    # A refund of what Stripe charged goes through as for any order.
    assert order.stripe_payment_intent_id in stand_in.state.charges  # Stripe's charge
    amount = f"{Decimal(order.total) / 100:.2f}"
    editor.post(f"{ORDERS}refund/{order.pk}/", {"amount": amount, "confirm": "1"})
    (refund,) = stand_in.requests_to("/v1/refunds")
    assert refund.params["amount"] == str(order.total)


# The admin -------------------------------------------------------------------------


@pytest.fixture
def editor(client, db):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


def _form(options: list[tuple[str, str]], variants: list[dict[str, str]], **fields: Any) -> Any:
    fields = {"name": "T-shirt", "sku": "TEE", "price": "20.00", **fields}
    return product_form(
        options=inline_formset([{"name": n, "values": vals} for n, vals in options]),
        variants=inline_formset(
            [{"price": "", "stock": "", "active": "on", "image": "", **v} for v in variants]
        ),
        **fields,
    )


def _errors(response: Any) -> str:
    return response.content.decode()


def test_the_admin_saves_options_and_variants(editor, shop):
    data = _form(
        [("Size", "S, M"), ("Colour", "Navy, Sand")],
        [
            {"label": "S/Navy", "sku": "TEE-S-NAVY"},
            {"label": "M / Sand", "sku": "TEE-M-SAND", "price": "24.00", "stock": "3"},
        ],
    )
    response = editor.post(PRODUCTS + "add/", data)
    assert response.status_code == 302, _errors(response)
    shirt = Product.objects.get()
    assert [(o.name, o.value_list) for o in shirt.options.all()] == [
        ("Size", ["S", "M"]),
        ("Colour", ["Navy", "Sand"]),
    ]
    assert list(shirt.variants.values_list("label", "sku", "price", "stock")) == [
        ("S / Navy", "TEE-S-NAVY", None, None),
        ("M / Sand", "TEE-M-SAND", Decimal("24.000"), 3),
    ]


@pytest.mark.parametrize(
    ("options", "variants", "message"),
    [
        (
            [("Size", "S, M"), ("Colour", "Navy")],
            [{"label": "S", "sku": "V1"}],
            "Give one value of each option (Size, Colour) separated by /, e.g. S / Navy.",
        ),
        (
            [("Size", "S, M"), ("Colour", "Navy")],
            [{"label": "Navy / S", "sku": "V1"}],
            "Navy is not a value of Size (S, M).",
        ),
        (
            [("Size", "S, M"), ("Colour", "Navy")],
            [{"label": "S / Navy", "sku": "V1"}, {"label": "S/Navy", "sku": "V2"}],
            "Another variant already has these values.",
        ),
        (
            [("Size", "S, M")],
            [{"label": "S", "sku": "v1"}, {"label": "M", "sku": "V1"}],
            "Another variant already has this SKU.",
        ),
        (  # exact repeats: the formset's own check
            [("Size", "S, M")],
            [{"label": "S", "sku": "V1"}, {"label": "S", "sku": "V1"}],
            "Please correct the duplicate values below.",
        ),
        (
            [("Size", "S, M")],
            [{"label": "S", "sku": "TEE"}],
            "A product already has this SKU; each needs its own.",
        ),
        (
            [("Size", "S, M")],
            [{"label": "S", "sku": "MUG-01"}],
            "A product already has this SKU; each needs its own.",
        ),
        ([], [{"label": "S", "sku": "V1"}], "Add the options first"),
        ([("Size", "S, M")], [], "Add the variants too"),
        (
            [("Size", "S"), ("size", "M")],
            [{"label": "S / M", "sku": "V1"}],
            "Each option needs its own name.",
        ),
    ],
)
def test_the_admin_refuses_options_and_variants_that_do_not_fit(
    editor, shop, make_product, options, variants, message
):
    make_product("7.77", name="Mug", sku="MUG-01")
    response = editor.post(PRODUCTS + "add/", _form(options, variants))
    assert response.status_code == 200
    assert message in _errors(response)
    assert not Product.objects.filter(sku="TEE").exists()


def test_the_admin_checks_a_variants_price_in_every_currency(editor, shop):
    configure_shop(shop, currency="KWD")
    data = _form([("Size", "S")], [{"label": "S", "sku": "V1", "price": "1.234"}], price="1.230")
    response = editor.post(PRODUCTS + "add/", data)
    assert response.status_code == 200
    assert "KWD amounts must be multiples of 0.010." in _errors(response)
    assert 'step="0.010"' in _errors(response)  # the variant's price in KWD decimals too
    assert not Product.objects.exists()


def test_a_products_sku_may_not_be_another_products_variants(editor, shop, tshirt):
    response = editor.post(PRODUCTS + "add/", product_form(name="Cap", sku="TEE-M-NAVY"))
    assert response.status_code == 200
    assert "A variant of another product already has this SKU." in _errors(response)
