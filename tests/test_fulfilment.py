"""The state machine applied to real orders: row, log entry, signal, stock, once each."""

from __future__ import annotations

import pytest
from wagtail.models import ModelLogEntry

from tests.factories import OrderFactory, ProductFactory
from tests.support.helpers import captured
from wagtail_stripe_checkout import fulfilment, signals
from wagtail_stripe_checkout.fulfilment import Result
from wagtail_stripe_checkout.models import Order, Product

ALL_SIGNALS = {
    "paid": signals.order_paid,
    "cancelled": signals.order_cancelled,
    "expired": signals.order_expired,
    "failed": signals.order_failed,
    "refunded": signals.order_refunded,
}


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Which signals an action sends once its transaction commits."""

    def run(action):
        with (
            captured(signals.order_paid) as paid,
            captured(signals.order_cancelled) as cancelled,
            captured(signals.order_expired) as expired,
            captured(signals.order_failed) as failed,
            captured(signals.order_refunded) as refunded,
            django_capture_on_commit_callbacks(execute=True),
        ):
            result = action()
        lists = {
            "paid": paid,
            "cancelled": cancelled,
            "expired": expired,
            "failed": failed,
            "refunded": refunded,
        }
        return result, {name: len(calls) for name, calls in lists.items() if calls}

    return run


def actions(order: Order) -> list[str]:
    return list(
        ModelLogEntry.objects.filter(object_id=str(order.pk))
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


@pytest.fixture
def reserved_order(db, site):
    lamp = ProductFactory.create(name="Lamp", stock=3)
    order = OrderFactory.create(
        lines=[{"product": lamp, "name": "Lamp", "unit_amount": 777, "quantity": 2}],
        stock_reserved=True,
    )
    return order, lamp


@pytest.mark.parametrize(
    ("close", "status", "signal"),
    [
        (lambda o: fulfilment.cancel(o), "cancelled", "cancelled"),
        (lambda o: fulfilment.expire(o.stripe_session_id), "expired", "expired"),
        (lambda o: fulfilment.fail(o), "failed", "failed"),
        (lambda o: fulfilment.fail(o.stripe_session_id), "failed", "failed"),
    ],
)
def test_closing_an_unpaid_order_sends_its_own_signal_and_gives_stock_back_once(
    reserved_order, sent, close, status, signal
):
    order, lamp = reserved_order
    Product.objects.filter(pk=lamp.pk).update(stock=1)  # 2 of 3 reserved
    change, signals_sent = sent(lambda: close(order))
    assert (change.result, change.detail) == (Result.APPLIED, status)
    assert signals_sent == {signal: 1}
    order.refresh_from_db()
    assert (order.status, order.stock_reserved, order.checkout_key) == (status, False, "")
    assert Product.objects.get(pk=lamp.pk).stock == 3
    again, signals_sent = sent(lambda: close(order))
    assert again.result is Result.UNCHANGED and signals_sent == {}
    assert Product.objects.get(pk=lamp.pk).stock == 3
    assert actions(order) == [f"wagtail_stripe_checkout.order.{status}"]


def test_an_expiry_after_a_cancellation_changes_nothing(reserved_order, sent):
    order, _lamp = reserved_order
    sent(lambda: fulfilment.cancel(order))
    change, signals_sent = sent(lambda: fulfilment.expire(order.stripe_session_id))
    assert change.result is Result.UNCHANGED and signals_sent == {}
    assert Order.objects.get(pk=order.pk).status == "cancelled"


@pytest.mark.django_db
def test_unknown_orders_change_nothing():
    assert fulfilment.expire("cs_test_nobody").result is Result.UNKNOWN_ORDER
    assert fulfilment.record_refund("", 100, "usd").result is Result.UNKNOWN_ORDER


@pytest.mark.django_db
def test_refunds_follow_stripes_running_total_once(sent, site):
    order = OrderFactory.create(paid=True)  # 17.54
    pi = order.stripe_payment_intent_id
    change, signals_sent = sent(lambda: fulfilment.record_refund(pi, 500, "usd"))
    assert (change.detail, signals_sent) == ("partially_refunded", {"refunded": 1})
    for stale in (500, 300):  # a repeat, an older total
        change, signals_sent = sent(lambda a=stale: fulfilment.record_refund(pi, a, "usd"))
        assert change.result is Result.UNCHANGED and signals_sent == {}
    assert sent(lambda: fulfilment.record_refund(pi, 900, "eur"))[0].result is Result.UNCHANGED
    change, signals_sent = sent(lambda: fulfilment.record_refund(pi, 1754, "usd"))
    assert (change.detail, signals_sent) == ("refunded", {"refunded": 1})
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", 1754)
    assert actions(order) == [
        "wagtail_stripe_checkout.order.partially_refunded",
        "wagtail_stripe_checkout.order.refunded",
    ]


@pytest.mark.django_db
def test_the_refund_signal_says_how_much_and_whether_in_full(
    site, django_capture_on_commit_callbacks
):
    order = OrderFactory.create(paid=True)
    with (
        captured(signals.order_refunded) as calls,
        django_capture_on_commit_callbacks(execute=True),
    ):
        fulfilment.record_refund(order.stripe_payment_intent_id, 500, "usd")
        fulfilment.record_refund(order.stripe_payment_intent_id, 1754, "usd")
    assert [(c["order"].pk, c["amount"], c["full"]) for c in calls] == [
        (order.pk, 500, False),
        (order.pk, 1254, True),
    ]


def test_paying_a_cancelled_order_takes_the_stock_again(reserved_order, sent):
    from wagtail_stripe_checkout.services import CheckoutSession

    order, lamp = reserved_order
    Product.objects.filter(pk=lamp.pk).update(stock=1)
    sent(lambda: fulfilment.cancel(order))
    assert Product.objects.get(pk=lamp.pk).stock == 3
    session = CheckoutSession(
        id=order.stripe_session_id,
        url=None,
        status="complete",
        payment_status="paid",
        amount_total=order.total,
        currency="USD",
        client_reference_id=str(order.public_id),
        payment_intent_id="pi_late",
        customer_email=order.email,
    )
    change, signals_sent = sent(lambda: fulfilment.fulfil(session.id, session=session))
    assert (change.detail, signals_sent) == ("paid", {"paid": 1})
    assert Product.objects.get(pk=lamp.pk).stock == 1
    order.refresh_from_db()
    assert (order.status, order.stripe_payment_intent_id, order.stock_reserved) == (
        "paid",
        "pi_late",
        False,
    )
