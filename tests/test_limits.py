"""Floods and retries: rate limits, one pending checkout per browser, stock no
flood can lock, and the shopper's own reservation (RELIABILITY.md, "Pages,
limits, configuration")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import OrderFactory, ProductFactory
from tests.support.helpers import cart_session
from wagtail_stripe_checkout.models import Order, Product
from wagtail_stripe_checkout.ratelimits import client_address, period_seconds

ADD = reverse("wagtail_stripe_checkout:cart_add")
API_ADD = reverse("wagtail_stripe_checkout:api_cart_add")


@pytest.fixture
def lamps(shop, checkout_pages, stripe_stand_in):
    """A shop selling 40 lamps; returns the product and the checkout page."""
    lamp = ProductFactory.create(name="Lamp", price=Decimal("20.00"), stock=40)
    checkout, _result = checkout_pages
    return lamp, checkout


def shopper(lamp, quantity=2, address="203.0.113.7"):
    client = Client(REMOTE_ADDR=address)
    client.post(ADD, {"product": lamp.pk, "quantity": str(quantity)})
    return client


def pay(client, checkout, email="shopper@example.com", **headers):
    return client.post(checkout.url, {"email": email, "name": "Sam"}, headers=headers)


def test_sixty_checkout_posts_with_rotating_emails_and_spoofed_addresses(
    lamps, stripe_stand_in, settings, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"checkout": "10/h"}
    lamp, checkout = lamps
    client = shopper(lamp, quantity=2)
    statuses = []
    for i in range(60):
        with django_capture_on_commit_callbacks(execute=True):
            response = pay(client, checkout, f"flood{i}@ex.com", X_Forwarded_For=f"10.0.{i}.1")
        statuses.append(response.status_code)
    assert statuses[:10] == [303] * 10
    assert set(statuses[10:]) == {429}
    pending = Order.objects.filter(status="pending")
    assert pending.count() == 1  # each new checkout superseded the one before
    assert Order.objects.filter(status="cancelled").count() == 9
    assert Product.objects.get(pk=lamp.pk).stock == 38  # one cart's worth reserved
    # Each superseded session was expired at Stripe, once.
    open_sessions = [s for s in stripe_stand_in.state.sessions.values() if s["status"] == "open"]
    assert [s["id"] for s in open_sessions] == [pending.get().stripe_session_id]
    expire_calls = stripe_stand_in.requests_to("/v1/checkout/sessions/", "POST")
    assert len(expire_calls) == 9


def test_the_limited_checkout_keeps_what_was_typed_and_says_when_to_retry(lamps, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"checkout": "1/h"}
    lamp, checkout = lamps
    client = shopper(lamp)
    assert pay(client, checkout).status_code == 303
    response = pay(client, checkout, "typed@example.com")
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    html = response.content.decode()
    assert "Please wait a minute and try again" in html
    assert 'value="typed@example.com"' in html
    assert cart_session(client)["lines"] == {str(lamp.pk): {"q": 2, "pv": 1}}


@pytest.mark.parametrize("as_json", [False, True])
def test_two_hundred_cart_changes_are_limited_after_the_rate(lamps, settings, as_json):
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"cart": "60/h"}
    lamp = ProductFactory.create(name="Pen", price=Decimal("1.00"))  # unlimited stock
    client = Client(REMOTE_ADDR="198.51.100.4")
    statuses = []
    for i in range(200):
        headers = {"X-Forwarded-For": f"192.0.2.{i % 250}"}
        if as_json:
            response = client.post(
                API_ADD,
                {"product": lamp.pk, "quantity": 0 + 1},
                "application/json",
                headers=headers,
            )
        else:
            response = client.post(ADD, {"product": lamp.pk, "quantity": "1"}, headers=headers)
        statuses.append(response.status_code)
        if i == 60:
            limited = response
    assert statuses[:60] == ([200] if as_json else [302]) * 60
    assert set(statuses[60:]) == {429}
    assert limited["Retry-After"] == "3600"
    if as_json:
        assert limited.json()["error"]["message"].startswith("Too many requests.")
        assert limited.json()["cart"]["count"] == 60  # the cart is returned, unchanged
    else:
        assert "Too many requests" in limited.content.decode()
    assert cart_session(client)["lines"][str(lamp.pk)]["q"] == 60


def test_the_client_address_ignores_forwarded_headers_unless_proxies_are_trusted(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_address(request) == "10.0.0.2"
    settings.WAGTAIL_STRIPE_CHECKOUT_TRUSTED_PROXIES = 1
    assert client_address(request) == "203.0.113.9"  # what our one proxy saw
    settings.WAGTAIL_STRIPE_CHECKOUT_TRUSTED_PROXIES = 2
    assert client_address(request) == "6.6.6.6"
    settings.WAGTAIL_STRIPE_CHECKOUT_TRUSTED_PROXIES = 3
    assert client_address(request) == "10.0.0.2"  # fewer entries than proxies: the peer
    v6 = rf.get("/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")
    assert client_address(v6) == "2001:db8:1:2::"  # a subscriber's /64


def test_rates_read_as_django_ratelimit_reads_them():
    assert (period_seconds("10/m"), period_seconds("100/5m"), period_seconds("3/h")) == (
        60,
        300,
        3600,
    )
    with pytest.raises(ValueError):
        period_seconds("lots")


def test_a_retry_after_a_stripe_failure_reaches_stripe_with_the_same_cart(lamps, stripe_stand_in):
    lamp, checkout = lamps
    Product.objects.filter(pk=lamp.pk).update(stock=2)  # the last two
    client = shopper(lamp, quantity=2)
    stripe_stand_in.fail_next("api_error")
    failed = pay(client, checkout)
    assert failed.status_code == 200
    assert "Your cart is saved; please try again" in failed.content.decode()
    assert Product.objects.get(pk=lamp.pk).stock == 0  # held for this shopper
    # The cart still holds the two lamps: they are this shopper's own.
    assert cart_session(client)["lines"][str(lamp.pk)]["q"] == 2
    retry = pay(client, checkout)
    assert retry.status_code == 303, retry.content.decode()[-3000:]
    (order,) = Order.objects.all()
    assert (order.status, order.lines.get().quantity) == ("pending", 2)
    created = stripe_stand_in.requests_to("/v1/checkout/sessions", "POST")
    assert created[-1].params["line_items"][0]["quantity"] == "2"


def test_back_from_the_pay_page_and_again_returns_to_the_same_session(lamps, stripe_stand_in):
    lamp, checkout = lamps
    Product.objects.filter(pk=lamp.pk).update(stock=2)
    client = shopper(lamp, quantity=2)
    first = pay(client, checkout)["Location"]
    assert client.get(checkout.url).status_code == 200  # Back: the cart is still shown
    assert "Lamp" in client.get(checkout.url).content.decode()
    assert pay(client, checkout)["Location"] == first
    assert len(stripe_stand_in.state.sessions) == 1


def test_a_changed_cart_supersedes_the_pending_order_once(
    lamps, stripe_stand_in, django_capture_on_commit_callbacks
):
    lamp, checkout = lamps
    client = shopper(lamp, quantity=2)
    first_session = pay(client, checkout)["Location"].rsplit("/", 1)[1]
    assert Product.objects.get(pk=lamp.pk).stock == 38
    client.post(ADD, {"product": lamp.pk, "quantity": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        second = pay(client, checkout)
    assert second.status_code == 303
    old, new = Order.objects.order_by("created_at")
    assert (old.status, new.status) == ("cancelled", "pending")
    assert Product.objects.get(pk=lamp.pk).stock == 37  # 2 back, 3 taken
    assert stripe_stand_in.session(first_session)["status"] == "expired"
    # The expiry event Stripe then sends gives nothing back twice.
    (expired,) = stripe_stand_in.events_of_type("checkout.session.expired")
    from tests.support.helpers import signed_post

    assert signed_post(expired).status_code == 200
    assert Product.objects.get(pk=lamp.pk).stock == 37


def test_one_address_may_hold_only_so_many_pending_checkouts(lamps, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_PENDING_PER_ADDRESS = 3
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"checkout": None}
    lamp, checkout = lamps
    statuses = [pay(shopper(lamp, 1), checkout).status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    refused = pay(shopper(lamp, 1), checkout)
    assert "Too many checkouts are waiting for payment" in refused.content.decode()
    assert Order.objects.filter(status="pending").count() == 3
    assert Product.objects.get(pk=lamp.pk).stock == 37
    # Another network is not affected.
    assert pay(shopper(lamp, 1, address="192.0.2.50"), checkout).status_code == 303


def test_orders_that_never_reached_stripe_give_stock_back_soon(lamps, settings, capsys):
    settings.WAGTAIL_STRIPE_CHECKOUT_UNSENT_ORDER_MINUTES = 10
    lamp, _checkout = lamps
    stuck = OrderFactory.create(
        stripe_session_id=None,
        stock_reserved=True,
        lines=[{"product": lamp, "name": "Lamp", "unit_amount": 2000, "quantity": 5}],
    )
    Product.objects.filter(pk=lamp.pk).update(stock=35)
    call_command("reconcile_stripe")
    assert "closed 0 orders" in capsys.readouterr().out  # not yet: 10 minutes
    Order.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    call_command("reconcile_stripe")
    assert "closed 1 orders" in capsys.readouterr().out
    assert Order.objects.get(pk=stuck.pk).status == "failed"
    assert Product.objects.get(pk=lamp.pk).stock == 40


def test_a_checkout_also_releases_stuck_orders_without_cron(lamps):
    lamp, checkout = lamps
    stuck = OrderFactory.create(
        stripe_session_id=None,
        stock_reserved=True,
        lines=[{"product": lamp, "name": "Lamp", "unit_amount": 2000, "quantity": 39}],
    )
    Product.objects.filter(pk=lamp.pk).update(stock=1)
    Order.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    assert pay(shopper(lamp, 1), checkout).status_code == 303
    assert Order.objects.get(pk=stuck.pk).status == "failed"
    assert Product.objects.get(pk=lamp.pk).stock == 39  # 39 back, 1 reserved


def test_the_result_pages_stripe_lookups_are_limited(
    lamps, stripe_stand_in, checkout_pages, settings
):
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"result": "2/h"}
    lamp, checkout = lamps
    _checkout, result = checkout_pages
    client = shopper(lamp)
    session_id = pay(client, checkout)["Location"].rsplit("/", 1)[1]
    statuses = [client.get(result.url, {"session_id": session_id}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    busy = client.get(result.url, {"session_id": session_id})
    assert "Please reload this page in a moment" in busy.content.decode()
    assert len(stripe_stand_in.requests_to("/v1/checkout/sessions/", "GET")) == 2
