"""The session cart: every bad input is refused with a message and the cart unchanged."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import configure_shop
from tests.support.helpers import cart_session
from wagtail_stripe_checkout.cart import CartError, parse_quantity

ADD = reverse("wagtail_stripe_checkout:cart_add")
UPDATE = reverse("wagtail_stripe_checkout:cart_update")
REMOVE = reverse("wagtail_stripe_checkout:cart_remove")
CLEAR = reverse("wagtail_stripe_checkout:cart_clear")
CART = reverse("wagtail_stripe_checkout:cart")
API = reverse("wagtail_stripe_checkout:api_cart")
API_ADD = reverse("wagtail_stripe_checkout:api_cart_add")
API_UPDATE = reverse("wagtail_stripe_checkout:api_cart_update")
API_REMOVE = reverse("wagtail_stripe_checkout:api_cart_remove")


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def add(client, product, quantity="1", **extra):
    return client.post(ADD, {"product": product, "quantity": quantity, **extra}, follow=True)


@pytest.fixture
def mug(make_product, shop):
    return make_product("7.77", name="Mug", stock=10, max_per_order=5)


@pytest.fixture
def filled(client, mug):
    add(client, mug.pk, "2")
    assert cart_session(client)["lines"] == {str(mug.pk): {"q": 2, "pv": 1}}
    return client


def test_adding_stores_only_ids_and_quantities(client, mug):
    response = add(client, mug.pk, "2", next="/")
    assert response.redirect_chain == [("/", 302)]
    stored = cart_session(client)
    assert stored == {"lines": {str(mug.pk): {"q": 2, "pv": 1}}}
    assert "7.77" not in json.dumps(stored) and "777" not in json.dumps(stored)


@pytest.mark.parametrize(
    ("quantity", "added", "updated"),
    [
        (
            "-1",
            "Mug: Enter a whole number of at least 1.",
            "Mug: Enter a whole number (0 removes it).",
        ),
        ("0", "Mug: Enter a whole number of at least 1.", None),  # 0 removes: see below
        (
            "1.5",
            "Mug: Enter a whole number of at least 1.",
            "Mug: Enter a whole number (0 removes it).",
        ),
        (
            "abc",
            "Mug: Enter a whole number of at least 1.",
            "Mug: Enter a whole number (0 removes it).",
        ),
        (
            "",
            "Mug: Enter a whole number of at least 1.",
            "Mug: Enter a whole number (0 removes it).",
        ),
        (
            "1e3",
            "Mug: Enter a whole number of at least 1.",
            "Mug: Enter a whole number (0 removes it).",
        ),
        (str(10**9), "You can order at most 5 of Mug.", "You can order at most 5 of Mug."),
        ("6", "You can order at most 5 of Mug.", "You can order at most 5 of Mug."),
    ],
)
def test_bad_quantities_are_refused_naming_the_product_and_the_cart_is_unchanged(
    filled, mug, quantity, added, updated
):
    before = cart_session(filled)
    response = add(filled, mug.pk, quantity)
    assert messages_of(response) == [added]
    assert cart_session(filled) == before
    if updated is None:
        return
    response = filled.post(UPDATE, {"product": mug.pk, "quantity": quantity}, follow=True)
    assert messages_of(response) == [updated]
    assert cart_session(filled) == before


def test_quantity_zero_removes_the_line(filled, mug):
    response = filled.post(UPDATE, {"product": mug.pk, "quantity": "0"}, follow=True)
    assert messages_of(response) == ["Removed Mug from your cart."]
    assert cart_session(filled)["lines"] == {}
    response = filled.post(API_ADD, {"product": mug.pk, "quantity": 2}, "application/json")
    api_update = reverse("wagtail_stripe_checkout:api_cart_update")
    body = filled.post(api_update, {"product": mug.pk, "quantity": 0}, "application/json").json()
    assert body["message"] == "Removed Mug from your cart." and body["cart"]["lines"] == []


def test_a_hidden_products_name_is_never_told(filled, make_product):
    secret = make_product("3.00", name="Unreleased lamp", active=False)
    response = add(filled, secret.pk, "abc")
    assert messages_of(response) == ["Enter a whole number of at least 1."]


@pytest.mark.parametrize("quantity", [-1, 0, 1.5, "abc", 10**9, True, None, [1]])
def test_json_endpoint_refuses_bad_quantities_with_400(filled, mug, quantity):
    before = cart_session(filled)
    response = filled.post(
        API_ADD, {"product": mug.pk, "quantity": quantity}, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["field"] == "quantity"
    assert body["error"]["message"]
    assert body["cart"]["lines"][0]["quantity"] == 2  # cart returned, unchanged
    assert cart_session(filled) == before


def test_unknown_product_is_refused(filled):
    before = cart_session(filled)
    for product in ("999999", "abc", "-3", ""):
        response = add(filled, product)
        assert "That product is not available." in messages_of(response)
    assert cart_session(filled) == before
    response = filled.post(API_ADD, {"product": 999999}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "That product is not available.",
        "field": "product",
    }


def test_inactive_product_is_refused_without_naming_it(filled, make_product):
    gone = make_product("3.00", name="Old hat", active=False)
    before = cart_session(filled)
    response = add(filled, gone.pk)
    assert messages_of(response) == ["That product is not available."]
    assert "Old hat" not in response.content.decode()
    assert cart_session(filled) == before


def test_more_than_the_stock_is_refused(client, make_product, shop):
    scarce = make_product("3.00", name="Rare print", stock=3)
    add(client, scarce.pk, "2")
    response = add(client, scarce.pk, "2")  # 4 > 3 in stock
    assert "Only 3 of Rare print left in stock." in messages_of(response)
    assert cart_session(client)["lines"][str(scarce.pk)]["q"] == 2
    sold_out = make_product("3.00", name="Gone", stock=0)
    assert "Gone is sold out." in messages_of(add(client, sold_out.pk))


def test_a_post_carrying_price_or_currency_is_ignored(client, mug):
    response = client.post(
        ADD,
        {
            "product": mug.pk,
            "quantity": "2",
            "price": "0.01",
            "unit_amount": "1",
            "amount": "1",
            "currency": "JPY",
            "total": "0",
        },
    )
    assert response.status_code == 302
    assert cart_session(client) == {"lines": {str(mug.pk): {"q": 2, "pv": 1}}}
    cart = client.get(API).json()["cart"]
    assert cart["currency"] == "USD"
    assert cart["lines"][0]["unit_price"]["amount"] == 777
    assert cart["total"]["amount"] == 1554
    response = client.post(
        API_ADD,
        {"product": mug.pk, "quantity": 1, "price": 1, "currency": "JPY"},
        content_type="application/json",
    )
    assert response.json()["cart"]["total"]["amount"] == 777 * 3


def test_update_remove_and_clear(client, mug, make_product):
    pen = make_product("1.50", name="Pen")
    add(client, mug.pk, "1")
    add(client, pen.pk, "4")
    response = client.post(UPDATE, {"product": mug.pk, "quantity": "3"}, follow=True)
    assert "Updated Mug." in messages_of(response)
    assert cart_session(client)["lines"][str(mug.pk)]["q"] == 3
    response = client.post(REMOVE, {"product": pen.pk}, follow=True)
    assert "Removed Pen from your cart." in messages_of(response)
    assert list(cart_session(client)["lines"]) == [str(mug.pk)]
    response = client.post(REMOVE, {"product": pen.pk}, follow=True)
    assert "That product is not in your cart." in messages_of(response)
    client.post(CLEAR)
    assert cart_session(client)["lines"] == {}


def test_cart_endpoints_only_accept_post(client, mug):
    assert client.get(ADD, {"product": mug.pk}).status_code == 405
    assert client.get(API_ADD).status_code == 405
    assert cart_session(client)["lines"] == {}


def test_cart_forms_are_csrf_protected(mug):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(ADD, {"product": mug.pk}).status_code == 403
    assert (
        strict.post(API_ADD, {"product": mug.pk}, content_type="application/json").status_code
        == 403
    )


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https:evil.example", "\\\\evil", "https://evil.example/x"]
)
def test_next_cannot_redirect_off_site(client, mug, target):
    response = client.post(ADD, {"product": mug.pk, "next": target})
    assert response.status_code == 302
    assert response["Location"] == CART


def test_deactivated_deleted_and_repriced_lines_are_explained_not_crashed(
    client, make_product, shop
):
    keep = make_product("2.00", name="Keeper")
    retired = make_product("3.00", name="Retired")
    deleted = make_product("4.00", name="Deleted")
    scarce = make_product("5.00", name="Scarce", stock=5)
    for product, qty in ((keep, "1"), (retired, "1"), (deleted, "1"), (scarce, "4")):
        add(client, product.pk, qty)
    keep.price = Decimal("2.50")
    keep.save()
    retired.active = False
    retired.save()
    deleted.delete()
    scarce.stock = 2
    scarce.save()

    response = client.get(CART)
    assert response.status_code == 200
    notices = messages_of(response)
    assert "The price of Keeper changed to $2.50." in notices
    assert "Retired is no longer available. It was removed from your cart." in notices
    assert "An item in your cart is no longer sold and was removed." in notices
    assert "Only 2 of Scarce left in stock. Your cart was updated." in notices
    cart = response.context["cart"]
    assert [(line.product.name, line.quantity, line.total) for line in cart.lines] == [
        ("Keeper", 1, 250),
        ("Scarce", 2, 1000),
    ]
    # The repairs were saved: a second visit has nothing more to say.
    assert messages_of(client.get(CART)) == []


def test_empty_cart_page_says_so(client, shop):
    response = client.get(CART)
    assert response.status_code == 200
    assert "Your cart is empty." in response.content.decode()


def test_cart_page_shows_totals_with_tax_and_shipping(client, shop, make_product):
    configure_shop(
        shop,
        tax_mode="added",
        tax_rate=Decimal("8.25"),
        tax_label="Sales tax",
        shipping_fee=Decimal("4.99"),
        free_shipping_threshold=Decimal("100"),
    )
    mug = make_product("7.77", name="Mug")
    bag = make_product("12.50", name="Bag")
    add(client, mug.pk, "2")
    add(client, bag.pk, "1")
    html = client.get(CART).content.decode()
    assert "<dd data-wsc-subtotal>$28.04</dd>" in html
    assert "<dd data-wsc-tax>$2.72</dd>" in html  # 8.25% of items and shipping
    assert "<dd data-wsc-shipping>$4.99</dd>" in html
    assert "<dt>Shipping: Standard</dt>" in html
    assert "<dd data-wsc-total>$35.75</dd>" in html
    assert "Sales tax" in html


def test_cart_below_the_minimum_cannot_check_out(client, shop, make_product):
    sticker = make_product("0.25", name="Sticker")
    add(client, sticker.pk, "1")
    response = client.get(CART)
    cart = response.context["cart"]
    assert not cart.can_checkout
    assert cart.problems == ["The minimum order is $0.50; this order comes to $0.25."]
    assert "The minimum order is $0.50" in response.content.decode()


def test_json_cart_round_trip(client, mug):
    response = client.post(
        API_ADD, {"product": mug.pk, "quantity": 2}, content_type="application/json"
    )
    assert response.status_code == 200
    cart = response.json()["cart"]
    assert cart["count"] == 2
    assert cart["lines"][0] == {
        "product": mug.pk,
        "sku": mug.sku,
        "name": "Mug",
        "quantity": 2,
        "max_quantity": 5,
        "unit_price": {"amount": 777, "display": "$7.77"},
        "total": {"amount": 1554, "display": "$15.54"},
    }
    response = client.post(
        API_UPDATE, {"product": mug.pk, "quantity": 1}, content_type="application/json"
    )
    assert response.json()["cart"]["total"]["amount"] == 777
    response = client.post(API_REMOVE, {"product": mug.pk}, content_type="application/json")
    assert response.json()["cart"]["lines"] == []
    response = client.post(API_ADD, "not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The request body is not valid JSON."


def test_cart_line_count_is_capped(client, make_product, shop, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_CART_LINES = 2
    a, b, c = (make_product("1.00") for _ in range(3))
    add(client, a.pk)
    add(client, b.pk)
    response = add(client, c.pk)
    assert "A cart can hold at most 2 different products." in messages_of(response)
    assert len(cart_session(client)["lines"]) == 2


@pytest.mark.parametrize("raw", ["1", " 7 ", "+3", 4])
def test_parse_quantity_accepts_whole_numbers(raw):
    assert parse_quantity(raw) == int(str(raw).strip())


@pytest.mark.parametrize("raw", ["-1", "0", "1.5", "abc", "", None, 1.0, True, "١"])
def test_parse_quantity_refuses_everything_else(raw):
    with pytest.raises(CartError):
        parse_quantity(raw)


def test_cart_thumbnails_are_wagtails_own_img_tags_and_follow_a_new_focal_point(
    client, make_product, settings
):
    """The cart page reads its thumbnails' renditions without model instances: the
    <img> is still exactly Wagtail's, a missing rendition is made, and a rendition
    made for an earlier focal point is not used."""
    from wagtail.images import get_image_model

    from tests.test_queries import png

    spec = "fill-96x96"
    image = get_image_model().objects.create(title="Mug", file=png())
    mug = make_product("7.77", name="Mug", image=image)
    client.post(ADD, {"product": mug.pk, "quantity": "1"})

    def thumb() -> str:
        html = client.get(reverse("wagtail_stripe_checkout:cart")).content.decode()
        (tag,) = [t for t in html.split("<img")[1:] if "wsc-cart__thumb" in t]
        return "<img" + tag.split(">", 1)[0] + ">"

    first = thumb()  # no rendition yet: Wagtail makes it
    expected = image.get_rendition(spec).img_tag({"class": "wsc-cart__thumb", "alt": ""})
    assert first == expected
    assert thumb() == expected  # read back from the database
    image.focal_point_x, image.focal_point_y = 5, 5
    image.focal_point_width = image.focal_point_height = 10
    image.save()
    moved = thumb()
    fresh = get_image_model().objects.get(pk=image.pk).get_rendition(spec)
    assert moved == fresh.img_tag({"class": "wsc-cart__thumb", "alt": ""}) and moved != first
