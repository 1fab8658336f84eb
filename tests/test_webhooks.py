"""Webhooks and exactly-once fulfilment: each line of RELIABILITY.md's table."""

import json
import logging
import time
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import configure_shop
from tests.support.helpers import cart_session, signed_post
from wagtail_stripe_checkout import fulfilment
from wagtail_stripe_checkout.models import Order, Product, WebhookEvent
from wagtail_stripe_checkout.signals import order_paid
from wagtail_stripe_checkout.testing import sign_payload
from wagtail_stripe_checkout.testing.pytest_plugin import TEST_WEBHOOK_SECRET

ADD = reverse("wagtail_stripe_checkout:cart_add")


_capture: Any = None


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    """Tests run inside a transaction: run on-commit work (signals, emails) per step."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def committing(fn, *args, **kwargs):
    with _capture(execute=True):
        return fn(*args, **kwargs)


@pytest.fixture
def paid_signals():
    received = []

    def listener(sender, order, **kwargs):
        received.append(order.reference)

    order_paid.connect(listener)
    yield received
    order_paid.disconnect(listener)


@pytest.fixture
def checkout(client, shop, make_product, checkout_pages, stripe_stand_in):
    """A shopper at Stripe's pay page; returns (client, session id, result page)."""
    configure_shop(shop, shipping_fee=Decimal("2.00"))
    mug = make_product("7.77", name="Mug", stock=5)
    client.post(ADD, {"product": mug.pk, "quantity": "2"})
    page, result = checkout_pages
    response = client.post(page.url, {"email": "shopper@example.com", "name": "Sam"})
    session_id = response["Location"].rsplit("/", 1)[1]
    return client, session_id, result, mug


def post_event(event, **kwargs):
    """Signed as Stripe signs; the request's on-commit work (signals, emails) runs."""
    return committing(signed_post, event, **kwargs)


def event_of(stand_in, event_type):
    (event,) = stand_in.events_of_type(event_type)
    return event


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_paid_event_costs_ten_queries_its_email_included(checkout, stripe_stand_in):
    """Pinned (21 before), as a server runs it: BEGIN; the order locked (in a
    savepoint), updated, "Order paid" in its history; the event's one row;
    COMMIT. Then the email task (the immediate backend, in the request): the
    order with its site and lines in one query, "Email sent" in its history.
    No reference index, no second load of the order, no UPDATE of the event.
    (A staff notification adds its own "Email sent" line; with a worker backend
    the request ends at COMMIT plus the task's row.)"""
    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    event = event_of(stripe_stand_in, "checkout.session.completed")
    ContentType.objects.get_for_model(Order)  # cached in a process after its first request
    with CaptureQueriesContext(connection) as queries:
        response = signed_post(event)
    assert response.status_code == 200
    assert Order.objects.get().status == "paid" and len(mail.outbox) == 1
    statements = [q["sql"].split(" ")[0] for q in queries.captured_queries]
    assert statements == [
        "BEGIN",
        "SAVEPOINT",
        "SELECT",  # the order, FOR UPDATE
        "UPDATE",
        "INSERT",  # "Order paid"
        "RELEASE",
        "INSERT",  # the event
        "COMMIT",
        "SELECT",  # the email task: lines, order and site
        "INSERT",  # "Email sent"
    ], "\n".join(q["sql"][:100] for q in queries.captured_queries)


def test_the_same_event_five_times_pays_once_and_sends_one_email(
    checkout, stripe_stand_in, paid_signals
):
    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    event = event_of(stripe_stand_in, "checkout.session.completed")
    responses = [post_event(event) for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert [r.json().get("duplicate", False) for r in responses] == [False, True, True, True, True]
    order = Order.objects.get()
    assert order.status == "paid"
    assert WebhookEvent.objects.get().order == order
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["shopper@example.com"]
    assert paid_signals == [order.reference]


@pytest.mark.parametrize("webhook_first", [True, False])
def test_webhook_and_success_page_in_either_order_fulfil_once(
    checkout, stripe_stand_in, paid_signals, webhook_first
):
    client, session_id, _result, _mug = checkout
    _paid, success_url = stripe_stand_in.pay(session_id)
    event = event_of(stripe_stand_in, "checkout.session.completed")
    steps = [lambda: post_event(event), lambda: committing(client.get, success_url)]
    for step in steps if webhook_first else reversed(steps):
        assert step().status_code == 200
    assert Order.objects.get().status == "paid"
    assert len(mail.outbox) == 1
    assert len(paid_signals) == 1


@pytest.mark.parametrize(
    "tamper",
    ["bad", "missing", "wrong_secret", "reserialised", "stale", "future"],
)
def test_unsigned_or_badly_signed_posts_are_refused_and_write_nothing(
    checkout, stripe_stand_in, tamper
):
    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    event = event_of(stripe_stand_in, "checkout.session.completed")
    payload = json.dumps(event, indent=2).encode()
    if tamper == "bad":
        response = post_event(event, signature=f"t={int(time.time())},v1={'0' * 64}")
    elif tamper == "missing":
        response = post_event(event, signature="")
    elif tamper == "wrong_secret":
        response = post_event(event, secret="whsec_" + "w" * 32)
    elif tamper == "reserialised":
        signature = sign_payload(payload, TEST_WEBHOOK_SECRET)
        response = post_event(
            event, signature=signature, body=json.dumps(json.loads(payload)).encode()
        )
    elif tamper == "stale":
        response = post_event(event, timestamp=int(time.time()) - 301)
    else:
        response = post_event(event, timestamp=int(time.time()) + 3600)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid signature"}
    assert WebhookEvent.objects.count() == 0
    assert Order.objects.get().status == "pending"


def test_two_v1_signatures_and_rotated_secrets_are_accepted(checkout, stripe_stand_in, settings):
    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    event = event_of(stripe_stand_in, "checkout.session.completed")
    payload = json.dumps(event).encode()
    old, new = "whsec_" + "o" * 32, TEST_WEBHOOK_SECRET
    t = int(time.time())
    old_sig = sign_payload(payload, old, t).split(",")[1]
    new_sig = sign_payload(payload, new, t).split(",")[1]
    response = post_event(event, signature=f"t={t},{old_sig},{new_sig}", body=payload)
    assert response.status_code == 200
    assert Order.objects.get().status == "paid"
    # Rotation on our side: both secrets configured, an event signed with the old one.
    settings.WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET = [new, old]
    other = dict(event, id="evt_rotation_check")
    assert post_event(other, secret=old).status_code == 200


def test_unpaid_completion_waits_then_async_success_pays_once(
    checkout, stripe_stand_in, paid_signals
):
    client, session_id, result, _mug = checkout
    stripe_stand_in.complete_unpaid(session_id)
    assert post_event(event_of(stripe_stand_in, "checkout.session.completed")).status_code == 200
    order = Order.objects.get()
    assert order.status == "pending"
    html = client.get(result.url, {"session_id": session_id}).content.decode()
    assert "Payment processing" in html
    stripe_stand_in.settle_async(session_id, succeeded=True)
    event = event_of(stripe_stand_in, "checkout.session.async_payment_succeeded")
    assert post_event(event).status_code == 200
    assert post_event(event).status_code == 200
    assert Order.objects.get().status == "paid"
    assert paid_signals == [order.reference] and len(mail.outbox) == 1


def test_async_failure_marks_failed_releases_stock_and_the_shopper_can_retry(
    checkout, stripe_stand_in, checkout_pages
):
    client, session_id, _result, mug = checkout
    assert Product.objects.get(pk=mug.pk).stock == 3  # 2 reserved
    stripe_stand_in.complete_unpaid(session_id)
    stripe_stand_in.settle_async(session_id, succeeded=False)
    assert (
        post_event(event_of(stripe_stand_in, "checkout.session.async_payment_failed")).status_code
        == 200
    )
    assert Order.objects.get().status == "failed"
    assert Product.objects.get(pk=mug.pk).stock == 5
    assert cart_session(client)["lines"]  # the cart is still there
    page, _ = checkout_pages
    retry = client.post(page.url, {"email": "shopper@example.com", "name": "Sam"})
    assert retry.status_code == 303
    assert Order.objects.filter(status="pending").count() == 1


def test_expired_after_completed_leaves_it_paid(checkout, stripe_stand_in):
    _client, session_id, _result, mug = checkout
    stripe_stand_in.pay(session_id)
    completed = event_of(stripe_stand_in, "checkout.session.completed")
    expired = dict(completed, id="evt_late_expiry", type="checkout.session.expired")
    expired["data"] = {"object": dict(completed["data"]["object"], status="expired")}
    assert post_event(completed).status_code == 200
    assert post_event(expired).status_code == 200
    assert Order.objects.get().status == "paid"
    assert Product.objects.get(pk=mug.pk).stock == 3  # sold, not given back


def test_a_handler_error_rolls_back_and_the_retry_succeeds(
    checkout, stripe_stand_in, monkeypatch, caplog
):
    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    event = event_of(stripe_stand_in, "checkout.session.completed")
    real_fulfil = fulfilment.fulfil

    def broken(*args, **kwargs):
        real_fulfil(*args, **kwargs)  # writes, then fails: all of it must roll back
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(fulfilment, "fulfil", broken)
    with caplog.at_level(logging.ERROR):
        assert post_event(event).status_code == 500
    assert WebhookEvent.objects.count() == 0
    assert Order.objects.get().status == "pending"
    assert len(mail.outbox) == 0
    record = next(r for r in caplog.records if r.message == "webhook_handler_failed")
    assert record.stripe_event == event["id"]
    monkeypatch.setattr(fulfilment, "fulfil", real_fulfil)
    assert post_event(event).status_code == 200
    assert Order.objects.get().status == "paid"
    assert len(mail.outbox) == 1


def test_without_webhooks_the_success_page_fulfils(checkout, stripe_stand_in):
    client, session_id, _result, _mug = checkout
    assert stripe_stand_in.webhook_url is None  # nothing is delivered
    _paid, success_url = stripe_stand_in.pay(session_id)
    client.get(success_url)
    assert Order.objects.get().status == "paid"


def test_with_webhooks_and_success_page_both_off_reconcile_fulfils_once(
    checkout, stripe_stand_in, capsys
):
    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)  # the shopper closed the tab; no webhook came
    assert Order.objects.get().status == "pending"
    committing(call_command, "reconcile_stripe")
    assert "fulfilled 1" in capsys.readouterr().out
    assert Order.objects.get().status == "paid"
    assert len(mail.outbox) == 1
    committing(call_command, "reconcile_stripe")
    assert "fulfilled 0, expired 0" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_reconcile_closes_expired_sessions_and_gives_stock_back(checkout, stripe_stand_in, capsys):
    _client, session_id, _result, mug = checkout
    stripe_stand_in.expire(session_id)  # its webhook was never delivered
    call_command("reconcile_stripe")
    assert "expired 1" in capsys.readouterr().out
    assert Order.objects.get().status == "expired"
    assert Product.objects.get(pk=mug.pk).stock == 5


@pytest.mark.parametrize("field", ["total", "currency"])
def test_an_amount_or_currency_mismatch_is_not_fulfilled_and_is_logged(
    checkout, stripe_stand_in, caplog, field
):
    client, session_id, _result, _mug = checkout
    if field == "total":
        Order.objects.update(total=1)
    else:
        Order.objects.update(currency="EUR")
    _paid, success_url = stripe_stand_in.pay(session_id)
    with caplog.at_level(logging.ERROR):
        assert (
            post_event(event_of(stripe_stand_in, "checkout.session.completed")).status_code == 200
        )
        client.get(success_url)
    assert Order.objects.get().status == "pending"
    records = [r for r in caplog.records if r.message == "fulfil_amount_mismatch"]
    assert records and records[0].levelno == logging.ERROR
    assert records[0].stripe_total == 1754
    assert len(mail.outbox) == 0


def test_unknown_event_types_are_acknowledged_and_change_nothing(checkout, stripe_stand_in):
    event = {
        "id": "evt_unknown",
        "object": "event",
        "type": "customer.created",
        "created": 1,
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    response = post_event(event)
    assert response.status_code == 200
    assert WebhookEvent.objects.get().outcome == "ignored"
    assert Order.objects.get().status == "pending"


def test_refund_events_mark_partial_then_full_refunds(checkout, stripe_stand_in):
    from wagtail_stripe_checkout.services import get_gateway

    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    post_event(event_of(stripe_stand_in, "checkout.session.completed"))
    order = Order.objects.get()
    get_gateway().create_refund(order.stripe_payment_intent_id, 500, idempotency_key="r1")
    post_event(stripe_stand_in.events_of_type("charge.refunded")[-1])
    order.refresh_from_db()
    assert (order.status, order.refunded_amount, order.partially_refunded) == (
        "partially_refunded",
        500,
        True,
    )
    get_gateway().create_refund(order.stripe_payment_intent_id, None, idempotency_key="r2")
    last = stripe_stand_in.events_of_type("charge.refunded")[-1]
    post_event(last)
    post_event(dict(stripe_stand_in.events_of_type("charge.refunded")[0], id="evt_old_replay"))
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", 1754)


def test_status_changes_are_written_to_wagtails_log(checkout, stripe_stand_in):
    from wagtail.models import ModelLogEntry

    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    post_event(event_of(stripe_stand_in, "checkout.session.completed"))
    order = Order.objects.get()
    entries = ModelLogEntry.objects.filter(object_id=str(order.pk)).order_by("timestamp", "pk")
    assert [(e.action, e.data.get("kind")) for e in entries] == [
        ("wagtail_stripe_checkout.order.paid", None),
        ("wagtail_stripe_checkout.order.email_sent", "confirmation"),
    ]


def test_confirmation_and_staff_emails(checkout, stripe_stand_in, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_STAFF_EMAILS = ["staff@shop.example"]
    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    post_event(event_of(stripe_stand_in, "checkout.session.completed"))
    order = Order.objects.get()
    shopper, staff = mail.outbox
    assert shopper.to == ["shopper@example.com"]
    assert (
        shopper.subject == f"Your localhost order {order.reference}"
        or order.reference in shopper.subject
    )
    assert "2 × Mug  $15.54" in shopper.body and "Total paid: $17.54" in shopper.body
    html = shopper.alternatives[0][0]  # type: ignore[attr-defined]
    assert "<strong>$17.54</strong>" in html and "Hello Sam," in html
    assert staff.to == ["staff@shop.example"]
    assert f"New paid order {order.reference} ($17.54)" == staff.subject
    assert "shopper@example.com" in staff.body


def test_stock_is_reserved_released_on_expiry_and_cancel(checkout, stripe_stand_in, checkout_pages):
    client, session_id, _result, mug = checkout
    assert Product.objects.get(pk=mug.pk).stock == 3
    stripe_stand_in.expire(session_id)
    post_event(event_of(stripe_stand_in, "checkout.session.expired"))
    assert Order.objects.get().status == "expired"
    assert Product.objects.get(pk=mug.pk).stock == 5
    page, _ = checkout_pages
    second = client.post(page.url, {"email": "shopper@example.com"})
    assert Product.objects.get(pk=mug.pk).stock == 3
    cancel_url = stripe_stand_in.session(second["Location"].rsplit("/", 1)[1])["cancel_url"]
    client.get(cancel_url)
    assert Product.objects.get(pk=mug.pk).stock == 5
    # The cancel's expiry event arrives later and gives nothing back twice.
    post_event(stripe_stand_in.events_of_type("checkout.session.expired")[-1])
    assert Product.objects.get(pk=mug.pk).stock == 5


def test_losing_the_race_for_the_last_items_says_sold_out_before_stripe(
    checkout, stripe_stand_in, checkout_pages, monkeypatch
):
    from wagtail_stripe_checkout import stock

    _client, _session_id, _result, mug = checkout
    other = Client()
    other.post(ADD, {"product": mug.pk, "quantity": "3"})
    real_reserve = stock.reserve

    def someone_else_first(priced):
        # Between pricing the cart and reserving, another shopper takes two.
        Product.objects.filter(pk=mug.pk).update(stock=1)
        return real_reserve(priced)

    monkeypatch.setattr(stock, "reserve", someone_else_first)
    page, _ = checkout_pages
    requests_before = len(stripe_stand_in.requests_to("/v1/"))
    response = other.post(page.url, {"email": "other@example.com"})
    assert response.status_code == 200
    assert "Sorry, Mug sold out while you were checking out." in response.content.decode()
    assert len(stripe_stand_in.requests_to("/v1/")) == requests_before
    # The loser's transaction rolled back whole: nothing of theirs was taken.
    assert Product.objects.get(pk=mug.pk).stock == 3
    assert Order.objects.count() == 1  # only the first shopper's


def test_a_promotion_code_discount_is_not_a_mismatch(checkout, stripe_stand_in):
    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    event = event_of(stripe_stand_in, "checkout.session.completed")
    session = event["data"]["object"]
    session["total_details"]["amount_discount"] = 300
    session["amount_total"] -= 300  # Stripe charged 3.00 less: the code's discount
    assert post_event(event).status_code == 200
    assert Order.objects.get().status == "paid"
    other = dict(event, id="evt_unexplained")
    Order.objects.update(status="pending")
    other["data"] = {"object": dict(session, total_details={"amount_discount": 0})}
    assert post_event(other).status_code == 200
    assert Order.objects.get().status == "pending"  # 3.00 short with no discount: refused


def _garbage(event):
    session = event["data"]["object"]
    return {
        "not json": b"{not json",
        "an array": json.dumps([event]).encode(),
        "a string": json.dumps("evt_1").encode(),
        "no id": json.dumps({k: v for k, v in event.items() if k != "id"}).encode(),
        "no type": json.dumps({k: v for k, v in event.items() if k != "type"}).encode(),
        "no data.object": json.dumps({**event, "data": {}}).encode(),
        "data.object a list": json.dumps({**event, "data": {"object": []}}).encode(),
        "session without id": json.dumps(
            {**event, "data": {"object": {k: v for k, v in session.items() if k != "id"}}}
        ).encode(),
        "amount not a number": json.dumps(
            {**event, "data": {"object": {**session, "amount_total": "a lot"}}}
        ).encode(),
        "refund amount not a number": json.dumps(
            {
                **event,
                "type": "charge.refunded",
                "data": {
                    "object": {"payment_intent": "pi_1", "amount_refunded": "x", "currency": "usd"}
                },
            }
        ).encode(),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "not json",
        "an array",
        "a string",
        "no id",
        "no type",
        "no data.object",
        "data.object a list",
        "session without id",
        "amount not a number",
        "refund amount not a number",
    ],
)
def test_validly_signed_garbage_is_a_400_and_writes_nothing(checkout, stripe_stand_in, kind):
    _client, session_id, _result, _mug = checkout
    stripe_stand_in.pay(session_id)
    body = _garbage(event_of(stripe_stand_in, "checkout.session.completed"))[kind]
    response = post_event(None, body=body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "not a well-formed event"}
    assert WebhookEvent.objects.count() == 0
    assert Order.objects.get().status == "pending"


def test_a_multi_line_reservation_is_all_or_nothing_and_comes_back_whole(
    client, shop, make_product, checkout_pages, stripe_stand_in, monkeypatch
):
    """One query locks the limited products and one takes their stock, whatever
    the number of lines; a line that sold out meanwhile takes nothing of the others."""
    from wagtail_stripe_checkout import stock

    mug, bag, pen = (
        make_product("5.00", name=n, stock=s) for n, s in [("Mug", 5), ("Bag", 4), ("Pen", None)]
    )
    for product, quantity in [
        (mug, "2"),
        (bag, "3"),
        (pen, "7"),
    ]:
        client.post(ADD, {"product": product.pk, "quantity": quantity})
    page, _ = checkout_pages
    real_reserve = stock.reserve

    def bag_sells_out(priced):
        Product.objects.filter(pk=bag.pk).update(stock=2)
        return real_reserve(priced)

    monkeypatch.setattr(stock, "reserve", bag_sells_out)
    response = client.post(page.url, {"email": "s@example.com"})
    assert "Sorry, Bag sold out while you were checking out." in response.content.decode()
    # Rolled back whole (the other shopper's update with it, in this test): no order,
    # and not one mug taken.
    assert [p.stock for p in Product.objects.order_by("pk")] == [5, 4, None]
    assert not Order.objects.exists()
    monkeypatch.setattr(stock, "reserve", real_reserve)
    assert client.post(page.url, {"email": "s@example.com"}).status_code == 303
    order = Order.objects.get()
    assert order.stock_reserved and [p.stock for p in Product.objects.order_by("pk")] == [
        3,
        1,
        None,
    ]
    stripe_stand_in.expire(order.stripe_session_id)  # never paid: Stripe expires it
    post_event(stripe_stand_in.events_of_type("checkout.session.expired")[-1])
    order.refresh_from_db()
    assert (order.status, order.stock_reserved) == ("expired", False)
    assert [p.stock for p in Product.objects.order_by("pk")] == [5, 4, None]
