"""From the cart to Stripe and back: the checkout and result pages against the stand-in."""

import logging
import time
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import configure_shop
from tests.support.helpers import cart_session
from wagtail_stripe_checkout.checks import check_shop_options
from wagtail_stripe_checkout.models import Order, Product

ADD = reverse("wagtail_stripe_checkout:cart_add")


@pytest.fixture
def shop_with_cart(client, shop, make_product, checkout_pages, stripe_stand_in):
    configure_shop(
        shop,
        tax_mode="added",
        tax_rate=Decimal("8.25"),
        tax_label="Sales tax",
        shipping_fee=Decimal("5.00"),
        free_shipping_threshold=Decimal("75"),
        shipping_countries="US, GB",
    )
    mug = make_product("7.77", name="Mug", sku="MUG-01")
    bag = make_product("12.50", name="Bag", sku="BAG-01")
    client.post(ADD, {"product": mug.pk, "quantity": "2"})
    client.post(ADD, {"product": bag.pk, "quantity": "1"})
    checkout, result = checkout_pages
    return client, checkout, result, stripe_stand_in


def pay(client, checkout, **extra):
    return client.post(checkout.url, {"email": "shopper@example.com", "name": "Sam", **extra})


def test_proceed_to_payment_saves_the_order_then_redirects_303_to_stripe(shop_with_cart):
    client, checkout, result, stand_in = shop_with_cart
    response = pay(client, checkout)
    assert response.status_code == 303
    order = Order.objects.get()
    assert response["Location"] == f"{stand_in.api_base}/pay/{order.stripe_session_id}"
    # 2 × 7.77 + 12.50 = 28.04; shipping 5.00; tax 8.25% of 33.04 = 2.73 → 35.77
    assert (
        order.status,
        order.currency,
        order.subtotal,
        order.tax,
        order.shipping,
        order.total,
    ) == ("pending", "USD", 2804, 273, 500, 3577)
    assert (order.shipping_country, order.shipping_rate_name) == ("US", "Standard")
    assert order.email == "shopper@example.com" and order.name == "Sam"
    assert [
        (line.sku, line.unit_amount, line.quantity, line.total) for line in order.lines.all()
    ] == [("MUG-01", 777, 2, 1554), ("BAG-01", 1250, 1, 1250)]

    (create,) = stand_in.requests_to("/v1/checkout/sessions", method="POST")
    p = create.params
    assert [
        (i["price_data"]["product_data"]["name"], i["price_data"]["unit_amount"], i["quantity"])
        for i in p["line_items"]
    ] == [("Mug", "777", "2"), ("Bag", "1250", "1"), ("Sales tax (8.25%)", "273", "1")]
    assert {i["price_data"]["currency"] for i in p["line_items"]} == {"usd"}
    assert p["shipping_options"] == [
        {
            "shipping_rate_data": {
                "type": "fixed_amount",
                "display_name": "Standard",
                "fixed_amount": {"amount": "500", "currency": "usd"},
            }
        }
    ]
    # The country the shopper chose (the first of the zone by default).
    assert p["shipping_address_collection"] == {"allowed_countries": ["US"]}
    assert p["customer_email"] == "shopper@example.com"
    assert p["client_reference_id"] == str(order.public_id)
    assert p["metadata"] == {
        "order": str(order.public_id),
        "order_number": order.reference,
        "site": str(order.site_id),
    }
    assert p["success_url"] == f"http://testserver{result.url}?session_id={{CHECKOUT_SESSION_ID}}"
    assert p["cancel_url"] == f"http://testserver{checkout.url}?cancelled={order.public_id}"
    assert int(p["expires_at"]) >= time.time() + 30 * 60
    assert p["locale"] == "en"  # the page's language
    assert stand_in.session(order.stripe_session_id)["amount_total"] == order.total == 3577


def test_a_tampered_post_is_ignored(shop_with_cart):
    client, checkout, _result, stand_in = shop_with_cart
    response = pay(
        client,
        checkout,
        price="0.01",
        unit_amount="1",
        amount="1",
        currency="JPY",
        total="1",
        product="999",
        quantity="50",
    )
    assert response.status_code == 303
    (create,) = stand_in.requests_to("/v1/checkout/sessions", method="POST")
    assert [i["price_data"]["unit_amount"] for i in create.params["line_items"]] == [
        "777",
        "1250",
        "273",
    ]
    assert Order.objects.get().total == 3577


def test_a_double_submit_creates_one_order_and_one_session(shop_with_cart):
    client, checkout, _result, stand_in = shop_with_cart
    first = pay(client, checkout)
    second = pay(client, checkout)
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1
    assert len(stand_in.state.sessions) == 1
    # Even when the second request reaches Stripe before the first stored the
    # session (a real race), the idempotency key makes Stripe answer the same session.
    Order.objects.update(stripe_checkout_url="")
    third = pay(client, checkout)
    assert third["Location"] == first["Location"]
    assert len(stand_in.state.sessions) == 1
    assert (
        len({r.idempotency_key for r in stand_in.requests_to("/v1/checkout/sessions", "POST")}) == 1
    )


@pytest.mark.parametrize(
    ("currency", "prices", "fee", "tax_mode", "rate", "expected_total"),
    [
        # Shipping is taxed like the goods: 8.25% of (28.04 + 4.99) = 2.72.
        ("USD", ["7.77", "12.50"], "4.99", "added", "8.25", 1554 + 1250 + 272 + 499),
        ("USD", ["7.77", "12.50"], "4.99", "included", "20", 1554 + 1250 + 499),
        ("JPY", ["500", "1280"], "800", "added", "10", 1000 + 1280 + 308 + 800),
        # 5% of 3.960 KWD is 0.198, rounded to Stripe's step of 10 fils: 0.200.
        ("KWD", ["1.230", "0.500"], "1.000", "added", "5", 2460 + 500 + 200 + 1000),
        ("KWD", ["1.230", "0.500"], "1.000", "included", "15", 2460 + 500 + 1000),
    ],
)
def test_stripes_total_equals_ours_to_the_smallest_unit(
    client,
    shop,
    make_product,
    checkout_pages,
    stripe_stand_in,
    currency,
    prices,
    fee,
    tax_mode,
    rate,
    expected_total,
):
    configure_shop(
        shop,
        currency=currency,
        tax_mode=tax_mode,
        tax_rate=Decimal(rate),
        shipping_fee=Decimal(fee),
    )
    first = make_product(prices[0])
    second = make_product(prices[1])
    client.post(ADD, {"product": first.pk, "quantity": "2"})
    client.post(ADD, {"product": second.pk, "quantity": "1"})
    cart_total = client.get(reverse("wagtail_stripe_checkout:api_cart")).json()["cart"]["total"][
        "amount"
    ]
    assert cart_total == expected_total
    checkout, _ = checkout_pages
    assert pay(client, checkout).status_code == 303
    order = Order.objects.get()
    stripe_session = stripe_stand_in.session(order.stripe_session_id)
    assert stripe_session["amount_total"] == order.total == cart_total
    assert stripe_session["currency"] == currency.lower()


def test_success_page_confirms_fulfils_and_clears_the_cart_in_two_stripe_calls(shop_with_cart):
    client, checkout, result, stand_in = shop_with_cart
    cart_page_total = client.get(reverse("wagtail_stripe_checkout:api_cart")).json()["cart"][
        "total"
    ]
    redirect = pay(client, checkout)["Location"]
    session_id = redirect.rsplit("/", 1)[1]
    paid, success_url = stand_in.pay(session_id)
    assert paid
    assert success_url == f"http://testserver{result.url}?session_id={session_id}"
    response = client.get(success_url)
    html = response.content.decode()
    order = Order.objects.get()
    assert response.status_code == 200
    assert (order.status, order.stripe_payment_intent_id.startswith("pi_")) == ("paid", True)
    assert f"Order {order.reference} is confirmed and paid." in html
    assert "shopper@example.com" in html and "Mug" in html and "Bag" in html
    assert f"<dd data-wsc-total>{cart_page_total['display']}</dd>" in html
    assert "Cheers!" in html
    assert cart_session(client)["lines"] == {}
    calls = stand_in.requests_to("/v1/")
    assert [(c.method, c.path.rsplit("/", 1)[0]) for c in calls] == [
        ("POST", "/v1/checkout"),
        ("GET", "/v1/checkout/sessions"),
    ]
    # Reloading is harmless: still paid once.
    assert client.get(success_url).status_code == 200
    assert Order.objects.get().paid_at == order.paid_at


def test_someone_else_with_the_link_sees_no_personal_data(shop_with_cart):
    client, checkout, _result, stand_in = shop_with_cart
    session_id = pay(client, checkout)["Location"].rsplit("/", 1)[1]
    _, success_url = stand_in.pay(session_id)
    stranger = Client()
    html = stranger.get(success_url).content.decode()
    order = Order.objects.get()
    assert f"Order {order.reference} is confirmed and paid." in html
    for private in ("shopper@example.com", "Sam", "Mug", "Bag", "$35.35"):
        assert private not in html
    # The stranger's visit did not empty the shopper's cart either.
    assert Order.objects.get().status == "paid"


@pytest.mark.parametrize(
    "session_id", ["", "abc", "cs_test_<script>", "cs_test_" + "u" * 40, "x" * 300]
)
def test_malformed_and_unknown_session_ids_get_a_friendly_404(shop_with_cart, session_id):
    client, _checkout, result, stand_in = shop_with_cart
    response = client.get(result.url, {"session_id": session_id})
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that order" in html
    assert "No such" not in html and "resource_missing" not in html
    assert stand_in.requests_to("/v1/") == []  # not ours: Stripe is not even asked


def test_a_foreign_session_id_gets_a_404(shop_with_cart):
    client, _checkout, result, stand_in = shop_with_cart
    from wagtail_stripe_checkout.services import get_gateway

    foreign = get_gateway().create_checkout_session(
        {
            "mode": "payment",
            "success_url": "https://elsewhere.example/",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 500,
                        "product_data": {"name": "Theirs"},
                    },
                }
            ],
        },
        idempotency_key="foreign",
    )
    stand_in.pay(foreign.id)
    response = client.get(result.url, {"session_id": foreign.id})
    assert response.status_code == 404
    assert "Theirs" not in response.content.decode()


def test_a_deleted_session_at_stripe_gets_a_404(shop_with_cart):
    client, checkout, result, stand_in = shop_with_cart
    session_id = pay(client, checkout)["Location"].rsplit("/", 1)[1]
    del stand_in.state.sessions[session_id]
    response = client.get(result.url, {"session_id": session_id})
    assert response.status_code == 404


def test_payment_processing_for_methods_that_settle_later(shop_with_cart):
    client, checkout, result, stand_in = shop_with_cart
    session_id = pay(client, checkout)["Location"].rsplit("/", 1)[1]
    stand_in.state.sessions[session_id].update(status="complete", payment_status="unpaid")
    html = client.get(result.url, {"session_id": session_id}).content.decode()
    assert "Payment processing" in html
    assert Order.objects.get().status == "pending"
    assert cart_session(client)["lines"] != {}  # cleared only when payment is confirmed


def test_cancel_returns_to_a_full_cart_and_try_again_starts_a_fresh_session(shop_with_cart):
    client, checkout, _result, stand_in = shop_with_cart
    cart_before = cart_session(client)
    first_session = pay(client, checkout)["Location"].rsplit("/", 1)[1]
    cancel_url = stand_in.session(first_session)["cancel_url"]
    response = client.get(cancel_url, follow=True)
    assert response.redirect_chain == [(checkout.url, 302)]
    html = response.content.decode()
    assert "Payment cancelled; your cart is saved." in html
    assert cart_session(client) == cart_before
    assert "Mug" in html and "Proceed to payment" in html
    order = Order.objects.get()
    assert order.status == "cancelled"
    assert stand_in.session(first_session)["status"] == "expired"

    retry = pay(client, checkout)
    assert retry.status_code == 303
    second_session = retry["Location"].rsplit("/", 1)[1]
    assert second_session != first_session
    assert Order.objects.filter(status="pending").count() == 1
    paid, success_url = stand_in.pay(second_session)
    assert paid
    client.get(success_url)
    assert list(Order.objects.values_list("status", flat=True).order_by("created_at")) == [
        "cancelled",
        "paid",
    ]


def test_someone_elses_cancel_link_changes_nothing(shop_with_cart):
    client, checkout, _result, stand_in = shop_with_cart
    session_id = pay(client, checkout)["Location"].rsplit("/", 1)[1]
    cancel_url = stand_in.session(session_id)["cancel_url"]
    Client().get(cancel_url)
    assert Order.objects.get().status == "pending"
    assert stand_in.session(session_id)["status"] == "open"


def test_a_declined_card_then_4242_pays_one_order(shop_with_cart):
    client, checkout, _result, stand_in = shop_with_cart
    session_id = pay(client, checkout)["Location"].rsplit("/", 1)[1]
    assert stand_in.pay(session_id, card="4000 0000 0000 0002") == (
        False,
        "Your card was declined.",
    )
    assert stand_in.pay(session_id, card="4000000000009995") == (
        False,
        "Your card has insufficient funds.",
    )
    assert stand_in.session(session_id)["status"] == "open"
    paid, success_url = stand_in.pay(session_id, card="4242 4242 4242 4242")
    assert paid
    client.get(success_url)
    assert list(Order.objects.values_list("status", flat=True)) == ["paid"]


@pytest.mark.parametrize("fault", ["api_error", "rate_limit", "connection", "timeout"])
def test_stripe_down_keeps_the_cart_and_the_order_and_says_so(
    shop_with_cart, fault, caplog, settings
):
    client, checkout, _result, stand_in = shop_with_cart
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES = 0
    settings.WAGTAIL_STRIPE_CHECKOUT_TIMEOUT = 0.3
    stand_in.timeout_delay = 1.0
    stand_in.fail_next(fault)
    cart_before = cart_session(client)
    with caplog.at_level(logging.INFO, logger="wagtail_stripe_checkout"):
        response = pay(client, checkout)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your cart is saved" in html
    assert 'value="shopper@example.com"' in html  # what was typed is kept
    assert cart_session(client) == cart_before
    order = Order.objects.get()
    assert (order.status, order.stripe_session_id) == ("pending", None)
    record = next(r for r in caplog.records if r.message == "checkout_session_failed")
    assert record.order == order.reference
    assert "shopper@example.com" not in str(record.__dict__)
    # Stripe is back: the same order goes through.
    assert pay(client, checkout).status_code == 303
    assert Order.objects.get().stripe_session_id


def test_email_is_validated_on_the_server(shop_with_cart):
    client, checkout, _result, stand_in = shop_with_cart
    response = client.post(checkout.url, {"email": "not-an-email", "name": "x" * 300})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "Ensure this value has at most 200 characters" in html
    assert Order.objects.count() == 0
    assert stand_in.requests_to("/v1/") == []


def test_checkout_with_an_empty_cart_or_below_the_minimum(
    client, shop, make_product, checkout_pages, stripe_stand_in
):
    checkout, _ = checkout_pages
    html = client.get(checkout.url).content.decode()
    assert "Your cart is empty." in html and "Proceed to payment" not in html
    sticker = make_product("0.25")
    client.post(ADD, {"product": sticker.pk})
    response = client.post(checkout.url, {"email": "a@b.example"})
    assert "The minimum order is $0.50" in response.content.decode()
    assert Order.objects.count() == 0


def test_cart_page_links_to_the_checkout_page(shop_with_cart):
    client, checkout, _result, _stand_in = shop_with_cart
    html = client.get(reverse("wagtail_stripe_checkout:cart")).content.decode()
    assert f'href="{checkout.url}">Proceed to checkout</a>' in html


@pytest.mark.parametrize(
    ("api_base", "expected"),
    [
        ("http://127.0.0.1:12111", {"E010", "E011"}),
        ("https://localhost:8443", {"E010"}),
        ("http://[::1]:9000", {"E010", "E011"}),
        ("http://stripe-proxy.internal", {"E011"}),
        ("https://stripe-proxy.example.com", set()),
    ],
)
def test_an_api_base_on_this_machine_or_plain_http_is_refused_without_debug(
    settings, api_base, expected
):
    settings.WAGTAIL_STRIPE_CHECKOUT_API_BASE = api_base
    settings.DEBUG = False
    ids = {e.id.rsplit(".", 1)[1] for e in check_shop_options()}
    assert ids & {"E010", "E011"} == expected
    settings.DEBUG = True
    ids = {e.id.rsplit(".", 1)[1] for e in check_shop_options()}
    assert not ids & {"E010", "E011"}


def test_a_cart_that_changed_since_it_was_shown_is_not_sent_to_stripe(shop_with_cart):
    client, checkout, _result, stand_in = shop_with_cart
    Product.objects.filter(sku="MUG-01").update(price=Decimal("8.00"), price_version=2)
    response = pay(client, checkout)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The price of Mug changed to $8.00." in html
    assert "Please check your order and press the button again." in html
    assert "<dd data-wsc-total>" in html and stand_in.requests_to("/v1/") == []
    assert Order.objects.count() == 0
    again = pay(client, checkout)  # confirmed at the new price
    assert again.status_code == 303
    assert Order.objects.get().subtotal == 2 * 800 + 1250


@pytest.mark.parametrize(
    ("language", "setting", "locale"),
    [
        ("fr", "", "fr"),
        ("de-at", "", "de"),
        ("pt-br", "", "pt-BR"),
        ("gd", "", "auto"),
        ("fr", "auto", "auto"),
        ("de", "ja", "ja"),
    ],
)
def test_checkout_speaks_the_pages_language(shop_with_cart, settings, language, setting, locale):
    client, checkout, _result, stand_in = shop_with_cart
    settings.LANGUAGE_CODE = language
    settings.LANGUAGES = [(language, language)]  # the site's one language
    settings.WAGTAIL_STRIPE_CHECKOUT_CHECKOUT_LOCALE = setting
    assert pay(client, checkout).status_code == 303
    (create,) = stand_in.requests_to("/v1/checkout/sessions", method="POST")
    assert create.params["locale"] == locale
    assert Order.objects.get().language == language


def _shipping_fields(html: str) -> dict[str, str]:
    import re

    shown = re.search(r'name="shown_shipping" value="([^"]*)"', html)
    assert shown is not None
    country, rate = shown.group(1).split(":")
    details = {"email": "s@example.com", "name": "Sam"}
    return {**details, "country": country, "shipping_rate": rate, "shown_shipping": shown.group(1)}


@pytest.mark.parametrize("left", [1, 0])
def test_stock_gone_between_the_page_and_the_button_is_told_with_a_shipping_choice(
    client, shop, make_product, checkout_pages, stripe_stand_in, left
):
    """With the country and rate on the form, the cart's repair (fewer mugs, or
    none) is still told and nothing goes to Stripe, as without them."""
    configure_shop(shop, shipping_fee=Decimal("5.00"), shipping_countries="US, GB")
    mug = make_product("12.00", name="Mug", sku="MUG-01", stock=5)
    bag = make_product("10.00", name="Bag", sku="BAG-01")
    client.post(ADD, {"product": mug.pk, "quantity": "2"})
    client.post(ADD, {"product": bag.pk, "quantity": "1"})
    checkout, _ = checkout_pages
    page = client.get(checkout.url).content.decode()
    Product.objects.filter(pk=mug.pk).update(stock=left)  # another shopper bought them
    response = client.post(checkout.url, _shipping_fields(page))
    html = response.content.decode()
    assert response.status_code == 200
    told = "Only 1 of Mug left" if left else "Mug is sold out. It was removed from your cart."
    assert told in html, html[:3000]
    assert not Order.objects.exists() and stripe_stand_in.requests_to("/v1/") == []
