"""Buy blocks and product grids on an ordinary StreamField page."""

import re
from decimal import Decimal

from django.urls import reverse

from tests.factories import configure_shop
from tests.support.helpers import cart_session


def test_buy_block_renders_product_price_and_a_working_form(client, shop_page, make_product):
    mug = make_product("7.77", name="Mug", description="<p>Speckled enamel.</p>")
    page = shop_page(
        [
            (
                "buy",
                {
                    "product": mug,
                    "button_label": "Take one",
                    "show_quantity": True,
                    "action": "cart",
                    "show_description": True,
                },
            )
        ]
    )
    html = client.get(page.url).content.decode()
    assert "Mug" in html
    assert "$7.77" in html
    assert "Speckled enamel." in html
    label = re.search(r'<label class="wsc-field__label" for="([^"]+)">Quantity</label>', html)
    assert label
    assert f'id="{label.group(1)}" value="1" min="1" max="99"' in html
    assert "Take one" in html
    assert f'<input type="hidden" name="next" value="{page.url}">' in html
    # The form posts where it says, with its CSRF token, and returns to the page.
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match
    token = match.group(1)
    response = client.post(
        reverse("wagtail_stripe_checkout:cart_add"),
        {"csrfmiddlewaretoken": token, "product": mug.pk, "quantity": "3", "next": page.url},
        follow=True,
    )
    assert response.redirect_chain == [(page.url, 302)]
    assert "Added 3 × Mug to your cart." in response.content.decode()
    assert cart_session(client)["lines"][str(mug.pk)]["q"] == 3


def test_buy_now_block_sends_the_shopper_on(client, shop_page, make_product):
    mug = make_product("7.77", name="Mug")
    page = shop_page(
        [
            (
                "buy",
                {
                    "product": mug,
                    "button_label": "",
                    "show_quantity": False,
                    "action": "checkout",
                    "show_description": False,
                },
            )
        ]
    )
    html = client.get(page.url).content.decode()
    assert '<input type="hidden" name="then" value="checkout">' in html
    assert '<input type="hidden" name="quantity" value="1">' in html
    assert "Buy now" in html
    response = client.post(
        reverse("wagtail_stripe_checkout:cart_add"), {"product": mug.pk, "then": "checkout"}
    )
    assert response.status_code == 302


def test_buy_block_hides_inactive_products_and_marks_sold_out(client, shop_page, make_product):
    retired = make_product("5.00", name="Retired", active=False)
    sold_out = make_product("5.00", name="Gone", stock=0)
    page = shop_page(
        [
            ("buy", {"product": retired, "action": "cart"}),
            ("buy", {"product": sold_out, "action": "cart"}),
        ]
    )
    html = client.get(page.url).content.decode()
    assert "Retired" not in html
    assert "Gone" in html and "Sold out" in html
    assert html.count("<form") == 0  # nothing to buy: no form at all
    assert "Add to cart" not in html


def test_product_grid_shows_every_active_product_or_the_chosen_ones(
    client, shop_page, make_product, shop
):
    configure_shop(shop, currency="JPY")
    a = make_product("500", name="Apple")
    b = make_product("800", name="Banana")
    make_product("900", name="Cherry", active=False)
    page = shop_page(
        [("grid", {"heading": "All", "products": [], "limit": 12, "show_quantity": False})]
    )
    html = client.get(page.url).content.decode()
    assert "Apple" in html and "¥500" in html
    assert "Banana" in html and "¥800" in html
    assert "Cherry" not in html
    chosen = shop_page(
        [("grid", {"heading": "Picked", "products": [b, a], "limit": 1, "show_quantity": True})],
        title="Picked",
    )
    html = client.get(chosen.url).content.decode()
    assert "Banana" in html and "Apple" not in html  # chosen order, limited to one


def test_cart_tags_render_anywhere(client, shop_page, make_product):
    mug = make_product("7.77", name="Mug")
    page = shop_page([("text", "<p>Hello</p>")])
    assert "Cart: empty" in client.get(page.url).content.decode()
    client.post(reverse("wagtail_stripe_checkout:cart_add"), {"product": mug.pk, "quantity": "2"})
    html = client.get(page.url).content.decode()
    # Items and the labelled subtotal (never the grand total with tax and shipping).
    assert "<span data-wsc-cart-count>Cart: 2 items</span>" in html
    assert re.search(r">Subtotal <span data-wsc-cart-subtotal>\$15.54</span>", html)


def test_cart_count_tag(rf, make_product, shop):
    from django.contrib.sessions.backends.db import SessionStore
    from django.template import Context, Template

    from wagtail_stripe_checkout.cart import Cart

    request = rf.get("/")
    request.session = SessionStore()
    cart = Cart(request)
    cart.add(make_product("1.00").pk, 2)
    cart.add(make_product("2.00").pk, 3)
    html = Template("{% load wagtail_stripe_checkout_tags %}{% cart_count %}").render(
        Context({"request": request})
    )
    assert html == "5"


def test_money_filter_formats_smallest_units():
    from django.template import Context, Template

    html = Template(
        "{% load wagtail_stripe_checkout_tags %}{{ a|money:'KWD' }} {{ b|money:'JPY' }}"
    ).render(Context({"a": 1230, "b": Decimal(500)}))
    assert html == "KWD\u00a01.230 ¥500"
