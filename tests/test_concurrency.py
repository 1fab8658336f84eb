"""Real threads against PostgreSQL (WSC_DB=postgres; CI's tox postgres environments run it)."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.support.helpers import signed_post
from wagtail_stripe_checkout.models import Order, Product, WebhookEvent
from wagtail_stripe_checkout.signals import order_paid

pytestmark = pytest.mark.skipif(
    os.environ.get("WSC_DB") != "postgres",
    reason="needs PostgreSQL (WSC_DB=postgres), which CI's tox postgres environments provide",
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_double_submit_makes_one_order_and_one_session(
    make_product, shop, checkout_pages, stripe_stand_in
):
    checkout, _ = checkout_pages
    mug = make_product(Decimal("7.77"), name="Mug")
    shopper = Client()
    shopper.post(reverse("wagtail_stripe_checkout:cart_add"), {"product": mug.pk, "quantity": "2"})
    cookie = shopper.cookies["sessionid"].value
    barrier = threading.Barrier(4)
    locations: list[str] = []
    failures: list[BaseException] = []

    def submit() -> None:
        try:
            client = Client()
            client.cookies["sessionid"] = cookie
            barrier.wait()
            response = client.post(checkout.url, {"email": "shopper@example.com"})
            locations.append(response["Location"])
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(locations)) == 1
    assert Order.objects.count() == 1
    assert len(stripe_stand_in.state.sessions) == 1


def _post_event(event):
    try:
        return signed_post(event, client=Client()).status_code
    finally:
        connection.close()


def _get(url, cookie=None):
    client = Client(raise_request_exception=True)
    if cookie:
        client.cookies["sessionid"] = cookie
    try:
        return client.get(url).status_code
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_webhook_deliveries_and_five_success_pages_fulfil_once(
    make_product, shop, checkout_pages, stripe_stand_in, mailoutbox
):
    checkout, _ = checkout_pages
    mug = make_product(Decimal("7.77"), name="Mug", stock=10)
    shopper = Client()
    shopper.post(reverse("wagtail_stripe_checkout:cart_add"), {"product": mug.pk, "quantity": "1"})
    session_id = shopper.post(checkout.url, {"email": "shopper@example.com"})["Location"].rsplit(
        "/", 1
    )[1]
    _paid, success_url = stripe_stand_in.pay(session_id)
    (event,) = stripe_stand_in.events_of_type("checkout.session.completed")
    cookie = shopper.cookies["sessionid"].value
    signals = []
    order_paid.connect(
        lambda sender, order, **kw: signals.append(order.pk), weak=False, dispatch_uid="t"
    )
    try:
        with ThreadPoolExecutor(max_workers=15) as pool:
            hooks = [pool.submit(_post_event, event) for _ in range(10)]
            pages = [pool.submit(_get, success_url, cookie if i == 0 else None) for i in range(5)]
            statuses = [f.result() for f in hooks + pages]
    finally:
        order_paid.disconnect(dispatch_uid="t")
    assert statuses == [200] * 15  # no 5xx, no IntegrityError, no deadlock
    order = Order.objects.get()
    assert order.status == "paid"
    assert signals == [order.pk]
    assert len(mailoutbox) == 1
    assert WebhookEvent.objects.count() == 1


def _checkout(cookie, url, address="127.0.0.1"):
    client = Client(REMOTE_ADDR=address)  # twenty shoppers, twenty networks
    client.cookies["sessionid"] = cookie
    try:
        response = client.post(url, {"email": "s@example.com"})
        return (
            response.status_code,
            response.content.decode() if response.status_code == 200 else "",
        )
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_shoppers_five_in_stock(make_product, shop, checkout_pages, stripe_stand_in):
    checkout, _ = checkout_pages
    lamp = make_product(Decimal("20.00"), name="Lamp", stock=5)
    cookies = []
    for i in range(20):
        client = Client(REMOTE_ADDR=f"198.51.100.{i}")
        client.post(
            reverse("wagtail_stripe_checkout:cart_add"), {"product": lamp.pk, "quantity": "1"}
        )
        cookies.append((client.cookies["sessionid"].value, f"198.51.100.{i}"))
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda c: _checkout(c[0], checkout.url, c[1]), cookies))
    to_stripe = [r for r in results if r[0] == 303]
    # The losers hear it either from the reservation ("sold out while you were
    # checking out") or, a moment later, from their cart ("Lamp is sold out").
    sold_out = [r for r in results if r[0] == 200 and "sold out" in r[1]]
    assert (len(to_stripe), len(sold_out)) == (5, 15)
    assert Product.objects.get(pk=lamp.pk).stock == 0
    assert Order.objects.filter(stock_reserved=True).count() == 5
    assert len(stripe_stand_in.state.sessions) == 5
    for session_id in list(stripe_stand_in.state.sessions):
        stripe_stand_in.expire(session_id)
    for event in stripe_stand_in.events_of_type("checkout.session.expired"):
        assert _post_event(event) == 200
    assert Product.objects.get(pk=lamp.pk).stock == 5
    assert Order.objects.filter(status="expired").count() == 5
