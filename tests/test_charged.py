"""The order a merchant can ship and account for: it records what Stripe charged
and collected, and every page, email and export shows exactly that."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import OrderFactory, ProductFactory, configure_shop
from tests.support.helpers import body_of, signed_post
from wagtail_stripe_checkout.history import order_history
from wagtail_stripe_checkout.models import CheckoutField, Order
from wagtail_stripe_checkout.testing import TEST_PROMOTION_CODE

ADD = reverse("wagtail_stripe_checkout:cart_add")
ORDERS = "/admin/shop/orders/"
ADDRESS = {
    "line1": "10 Downing Street",
    "city": "Springfield",
    "postal_code": "62701",
    "state": "IL",
    "country": "US",
}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def stripe_tax_shop(shop):
    return configure_shop(
        shop,
        tax_mode="stripe",
        stripe_tax_behavior="exclusive",
        allow_promotion_codes=True,
        collect_phone=True,
        zones=[
            (
                "United States",
                "US",
                [("Standard", "5.00", "75.00", 3, 5), ("Express", "15.00", None, 1, 2)],
            )
        ],
    )


def choose_rate(client, checkout, name):
    """As a shopper without JavaScript: pick the rate, press "Update shipping"."""
    page = client.get(checkout.url)
    choices = page.context["form"].fields["shipping_rate"].choices
    rate_id = next(value for value, label in choices if label.startswith(name))
    client.post(checkout.url, {"country": "US", "shipping_rate": rate_id, "update_shipping": "1"})
    return rate_id


def buy(client, checkout, stand_in, committed, **pay):
    """Pay at the stand-in; its completed event reaches the webhook."""
    location = client.post(checkout.url, {"email": "shopper@example.com", "name": "Sam"})
    assert location.status_code == 303, location.content.decode()[-2000:]
    session_id = location["Location"].rsplit("/", 1)[1]
    paid, success_url = stand_in.pay(session_id, **pay)
    assert paid, success_url
    (event,) = stand_in.events_of_type("checkout.session.completed")
    assert committed(signed_post, event).status_code == 200
    return stand_in.session(session_id), success_url


def test_rate_promotion_code_stripe_tax_and_phone_are_what_everyone_sees(
    client, admin_client, stripe_tax_shop, checkout_pages, stripe_stand_in, committed, settings
):
    settings.WAGTAIL_STRIPE_CHECKOUT_STAFF_EMAILS = ["staff@shop.example"]
    mug = ProductFactory.create(name="Mug", price=Decimal("7.77"), tax_code="txcd_99999999")
    bag = ProductFactory.create(name="Bag", price=Decimal("12.50"))
    client.post(ADD, {"product": mug.pk, "quantity": "2"})
    client.post(ADD, {"product": bag.pk, "quantity": "1"})
    checkout, _result = checkout_pages
    html = client.get(checkout.url).content.decode()
    assert "Total before tax" in html and "Calculated at payment" in html
    choose_rate(client, checkout, "Express")
    session, success_url = buy(
        client,
        checkout,
        stripe_stand_in,
        committed,
        shipping_rate="Express",
        promotion_code=TEST_PROMOTION_CODE,
        phone="+1 217 555 0199",
        shipping_address=ADDRESS,
        name="Sam Shopper",
    )

    # What Stripe was asked for.
    (create,) = stripe_stand_in.requests_to("/v1/checkout/sessions", "POST")
    p = create.params
    assert [i["price_data"]["tax_behavior"] for i in p["line_items"]] == ["exclusive"] * 2
    assert p["line_items"][0]["price_data"]["product_data"]["tax_code"] == "txcd_99999999"
    rate = p["shipping_options"][0]["shipping_rate_data"]
    assert (rate["display_name"], rate["fixed_amount"]["amount"], rate["tax_behavior"]) == (
        "Express",
        "1500",
        "exclusive",
    )
    assert rate["delivery_estimate"]["maximum"] == {"unit": "business_day", "value": "2"}
    assert p["allow_promotion_codes"] == "true"
    assert p["phone_number_collection"] == {"enabled": "true"}
    assert p["automatic_tax"] == {"enabled": "true"}

    # What Stripe charged: 28.04 − 1.00 + 15.00 shipping + its 10% tax.
    totals = session["total_details"]
    assert (session["amount_subtotal"], totals["amount_discount"], totals["amount_shipping"]) == (
        2804,
        100,
        1500,
    )
    assert totals["amount_tax"] > 0
    charged = session["amount_total"]
    assert charged == 2804 - 100 + 1500 + totals["amount_tax"]
    order = Order.objects.get()
    assert (order.status, order.total) == ("paid", 4304)  # ours: no tax before payment
    assert (
        order.charged_subtotal,
        order.charged_discount,
        order.charged_shipping,
        order.charged_tax,
        order.charged_total,
    ) == (2804, 100, 1500, totals["amount_tax"], charged)
    assert order.promotion_code == TEST_PROMOTION_CODE
    assert order.customer_phone == "+12175550199"  # as Stripe stores it (E.164)
    assert order.shipping_rate_name == "Express (1–2 days)"
    assert order.shipping_address_text == "Sam Shopper\n10 Downing Street\n62701 Springfield IL\nUS"
    shown = order.display(charged)

    # The shopper's page, both emails, the admin and the export.
    result = client.get(success_url).content.decode()
    assert f"<dd data-wsc-total>{shown}</dd>" in result and "Total paid" in result
    assert "10 Downing Street" in result and f"Promotion code {TEST_PROMOTION_CODE}" in result
    shopper, staff = mail.outbox
    for email in (shopper, staff):
        assert f"Total paid: {shown}" in email.body
        assert f"Discount ({TEST_PROMOTION_CODE}): −$1.00" in email.body
        assert "10 Downing Street" in email.body
    assert "+12175550199" in staff.body
    inspect = admin_client.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    assert f"<strong>{shown}</strong>" in inspect and "10 Downing Street" in inspect
    assert "+12175550199" in inspect and TEST_PROMOTION_CODE in inspect
    rows = list(csv.DictReader(io.StringIO(body_of(admin_client.get(ORDERS, {"export": "csv"})))))
    assert rows[0]["Total charged"] == str(order.total_amount) == f"{Decimal(charged) / 100:.2f}"
    assert rows[0]["Discount"] == "1.00" and rows[0]["Promotion code"] == TEST_PROMOTION_CODE
    assert "10 Downing Street" in rows[0]["Ship to"]

    # A full refund from the admin is for what Stripe charged.
    refund_page = admin_client.get(f"{ORDERS}refund/{order.pk}/").content.decode()
    assert f'value="{Decimal(charged) / 100:.2f}"' in refund_page
    admin_client.post(f"{ORDERS}refund/{order.pk}/", {"amount": f"{Decimal(charged) / 100:.2f}"})
    (refund,) = stripe_stand_in.requests_to("/v1/refunds")
    assert refund.params["amount"] == str(charged)
    committed(signed_post, stripe_stand_in.events_of_type("charge.refunded")[-1])
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", charged)


@pytest.mark.parametrize(
    ("currency", "prices", "shipping", "expected"),
    [
        # ¥500 × 2 + ¥1280 = ¥2280; ¥100 off; shipping ¥800 → ¥2980
        ("JPY", ["500", "1280"], "800", (2280, 100, 800, 2980)),
        # 1.230 × 2 + 0.500 = 2.960 KWD; 0.100 off; shipping 1.000 → 3.860
        ("KWD", ["1.230", "0.500"], "1.000", (2960, 100, 1000, 3860)),
    ],
)
def test_zero_and_three_decimal_orders_record_exact_amounts(
    client, shop, checkout_pages, stripe_stand_in, committed, currency, prices, shipping, expected
):
    configure_shop(
        shop,
        currency=currency,
        allow_promotion_codes=True,
        zones=[("Home", "JP, KW", [("Post", shipping, None)])],
    )
    first = ProductFactory.create(price=Decimal(prices[0]))
    second = ProductFactory.create(price=Decimal(prices[1]))
    client.post(ADD, {"product": first.pk, "quantity": "2"})
    client.post(ADD, {"product": second.pk, "quantity": "1"})
    checkout, _result = checkout_pages
    session, _url = buy(
        client, checkout, stripe_stand_in, committed, promotion_code=TEST_PROMOTION_CODE
    )
    order = Order.objects.get()
    recorded = (
        order.charged_subtotal,
        order.charged_discount,
        order.charged_shipping,
        order.charged_total,
    )
    assert recorded == expected
    assert session["amount_total"] == expected[3] and order.status == "paid"
    step = order.currency_info.step
    assert all(amount is not None and amount % step == 0 for amount in recorded)  # KWD: 0
    assert str(order.total_amount) == {"JPY": "2980", "KWD": "3.860"}[currency]


def test_every_checkout_option_reaches_stripe_and_the_order(
    client, shop, checkout_pages, stripe_stand_in, committed, home
):
    terms = home.add_child(instance=type(home)(title="Terms", slug="terms"))
    configure_shop(
        shop,
        collect_phone=True,
        require_billing_address=True,
        collect_tax_ids=True,
        submit_message="We pack every order by hand.",
        after_submit_message="Thank you!",
        terms_page=terms,
        create_invoice=True,
        zones=[("US", "US", [("Standard", "5.00", None)])],
    )
    CheckoutField.objects.create(settings=shop, label="Gift message", type="text", optional=True)
    CheckoutField.objects.create(
        settings=shop, label="Colour", type="dropdown", options="Red\nSky blue"
    )
    mug = ProductFactory.create(name="Mug", price=Decimal("7.77"))
    client.post(ADD, {"product": mug.pk, "quantity": "1"})
    checkout, _result = checkout_pages
    session, success_url = buy(
        client,
        checkout,
        stripe_stand_in,
        committed,
        custom_fields={"qgiftmessage": "Happy birthday", "qcolour": "Skyblue1"},
        tax_id={"type": "eu_vat", "value": "DE123456789"},
        billing_address={**ADDRESS, "country": "DE", "city": "Berlin", "postal_code": "10115"},
    )
    (create,) = stripe_stand_in.requests_to("/v1/checkout/sessions", "POST")
    p = create.params
    assert p["phone_number_collection"] == {"enabled": "true"}
    assert p["billing_address_collection"] == "required"
    assert p["tax_id_collection"] == {"enabled": "true"}
    assert p["consent_collection"] == {"terms_of_service": "required"}
    assert p["custom_text"]["submit"] == {"message": "We pack every order by hand."}
    assert p["custom_text"]["after_submit"] == {"message": "Thank you!"}
    terms_message = p["custom_text"]["terms_of_service_acceptance"]["message"]
    assert terms_message == "I agree to the [terms of service](http://testserver/terms/)."
    assert p["invoice_creation"]["enabled"] == "true"
    assert [f["key"] for f in p["custom_fields"]] == ["qgiftmessage", "qcolour"]
    assert p["custom_fields"][1]["dropdown"]["options"] == [
        {"label": "Red", "value": "Red0"},
        {"label": "Sky blue", "value": "Skyblue1"},
    ]
    order = Order.objects.get()
    assert order.custom_fields == [
        {"key": "qgiftmessage", "label": "Gift message", "value": "Happy birthday"},
        {"key": "qcolour", "label": "Colour", "value": "Sky blue"},
    ]
    assert order.tax_ids == [{"type": "eu_vat", "value": "DE123456789"}]
    assert order.billing_address["city"] == "Berlin" and order.customer_phone
    assert order.invoice_id.startswith("in_") and order.invoice_url.startswith("http")
    assert session["consent"]["terms_of_service"] == "accepted"
    result = client.get(success_url).content.decode()
    assert "Happy birthday" in result and order.invoice_url in result
    shopper = mail.outbox[0]
    assert "Colour: Sky blue" in shopper.body and order.invoice_url in shopper.body


def test_partial_then_full_refund_from_the_admin(
    client, admin_client, shop, checkout_pages, stripe_stand_in, committed
):
    configure_shop(shop, zones=[("US", "US", [("Standard", "2.00", None)])])
    mug = ProductFactory.create(name="Mug", price=Decimal("7.77"))
    client.post(ADD, {"product": mug.pk, "quantity": "2"})
    checkout, _result = checkout_pages
    buy(client, checkout, stripe_stand_in, committed)
    order = Order.objects.get()
    refund = f"{ORDERS}refund/{order.pk}/"

    def refunded(amount):
        admin_client.post(refund, {"amount": amount})
        committed(signed_post, stripe_stand_in.events_of_type("charge.refunded")[-1])
        order.refresh_from_db()
        return order.status, order.refunded_amount, order.refundable_amount

    assert refunded("5.00") == ("partially_refunded", 500, 1254)
    assert 'value="12.54"' in admin_client.get(refund).content.decode()
    assert refunded("12.54") == ("refunded", 1754, 0)
    response = admin_client.get(refund, follow=True)
    assert "has nothing left to refund" in response.content.decode()
    labels = [entry.label for entry in order_history(order)]
    assert labels[:2] == ["Order refunded", "Refund requested from Stripe"]


def test_history_labels_do_not_depend_on_another_page_having_loaded_them(db, monkeypatch):
    """A fresh process has not read the registered log actions yet."""
    from wagtail.log_actions import LogActionRegistry

    from wagtail_stripe_checkout import history

    order = OrderFactory.create()
    history.log_action(order, "email_sent", {"kind": "confirmation"})
    monkeypatch.setattr(history, "registry", LogActionRegistry())  # nothing scanned yet
    (entry,) = order_history(order)
    assert (entry.label, entry.who, entry.detail) == ("Email sent", "Stripe / shop", "confirmation")


def test_tax_added_on_top_is_recorded_as_tax_not_as_goods(
    client, shop, checkout_pages, stripe_stand_in, committed
):
    configure_shop(
        shop,
        tax_mode="added",
        tax_rate=Decimal("10"),
        zones=[("US", "US", [("Standard", "5.00", None)])],
    )
    mug = ProductFactory.create(name="Mug", price=Decimal("20.00"))
    client.post(ADD, {"product": mug.pk, "quantity": "1"})
    checkout, _result = checkout_pages
    session, _url = buy(client, checkout, stripe_stand_in, committed)
    order = Order.objects.get()
    # Stripe's subtotal holds our tax line (2.50); the order shows it as tax.
    assert session["amount_subtotal"] == 2250
    totals = order.totals
    assert (totals.subtotal, totals.tax, totals.shipping, totals.total) == (2000, 250, 500, 2750)
    assert totals.subtotal - totals.discount + totals.shipping + totals.tax == totals.total
