"""The order state machine, table-driven: every status × every event, without HTTP."""

from __future__ import annotations

import itertools

import pytest

from wagtail_stripe_checkout import signals
from wagtail_stripe_checkout.order_states import (
    PAID_STATUSES,
    STAGE,
    TRANSITIONS,
    OrderEvent,
    OrderStatus,
    is_paid,
    next_transition,
)

EVERY_PAIR = list(itertools.product(OrderStatus, OrderEvent))

# What each event does from each status; a missing pair changes nothing.
EXPECTED = {
    (OrderStatus.PENDING, OrderEvent.PAY): OrderStatus.PAID,
    (OrderStatus.CANCELLED, OrderEvent.PAY): OrderStatus.PAID,
    (OrderStatus.EXPIRED, OrderEvent.PAY): OrderStatus.PAID,
    (OrderStatus.FAILED, OrderEvent.PAY): OrderStatus.PAID,
    (OrderStatus.PENDING, OrderEvent.CANCEL): OrderStatus.CANCELLED,
    (OrderStatus.PENDING, OrderEvent.SUPERSEDE): OrderStatus.CANCELLED,
    (OrderStatus.PENDING, OrderEvent.EXPIRE): OrderStatus.EXPIRED,
    (OrderStatus.PENDING, OrderEvent.FAIL): OrderStatus.FAILED,
    (OrderStatus.PAID, OrderEvent.SHIP): OrderStatus.SHIPPED,
    (OrderStatus.PARTIALLY_REFUNDED, OrderEvent.SHIP): OrderStatus.SHIPPED,
    (OrderStatus.PAID, OrderEvent.REFUND_PART): OrderStatus.PARTIALLY_REFUNDED,
    (OrderStatus.PARTIALLY_REFUNDED, OrderEvent.REFUND_PART): OrderStatus.PARTIALLY_REFUNDED,
    (OrderStatus.SHIPPED, OrderEvent.REFUND_PART): OrderStatus.SHIPPED,
    (OrderStatus.PAID, OrderEvent.REFUND_ALL): OrderStatus.REFUNDED,
    (OrderStatus.PARTIALLY_REFUNDED, OrderEvent.REFUND_ALL): OrderStatus.REFUNDED,
    (OrderStatus.SHIPPED, OrderEvent.REFUND_ALL): OrderStatus.REFUNDED,
}


@pytest.mark.parametrize(("status", "event"), EVERY_PAIR)
def test_each_status_and_event_has_the_expected_outcome(status, event):
    rule = next_transition(status, event)
    assert (rule.target if rule else None) == EXPECTED.get((status, event))


@pytest.mark.parametrize(("status", "event"), EVERY_PAIR)
def test_no_transition_goes_backwards(status, event):
    rule = next_transition(status, event)
    if rule is not None:
        assert STAGE[rule.target] >= STAGE[status]
        assert is_paid(rule.target) or not is_paid(status)  # money taken stays taken


@pytest.mark.parametrize(("status", "event"), EVERY_PAIR)
def test_the_same_event_again_changes_nothing_more(status, event):
    """Idempotent: after an event, the same event again is refused or keeps the
    status (a further partial refund is told apart by its amount)."""
    rule = next_transition(status, event)
    if rule is None:
        return
    again = next_transition(rule.target, event)
    assert again is None or again.target == rule.target


def test_nothing_leaves_a_refunded_order_and_nothing_returns_to_pending():
    assert all(next_transition(OrderStatus.REFUNDED, e) is None for e in OrderEvent)
    assert all(t.target != OrderStatus.PENDING for t in TRANSITIONS)


def test_the_table_has_one_line_per_status_and_event():
    keys = [(t.source, t.event) for t in TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_every_status_has_a_stage_and_is_reachable_from_pending():
    assert set(STAGE) == set(OrderStatus)
    reached = {OrderStatus.PENDING}
    while True:
        more = {t.target for t in TRANSITIONS if t.source in reached} - reached
        if not more:
            break
        reached |= more
    assert reached == set(OrderStatus)


@pytest.mark.parametrize(
    ("event", "signal", "action"),
    [
        (OrderEvent.PAY, signals.order_paid, "paid"),
        (OrderEvent.CANCEL, signals.order_cancelled, "cancelled"),
        (OrderEvent.SUPERSEDE, signals.order_cancelled, "superseded"),
        (OrderEvent.EXPIRE, signals.order_expired, "expired"),
        (OrderEvent.FAIL, signals.order_failed, "failed"),
        (OrderEvent.SHIP, signals.order_shipped, "shipped"),
        (OrderEvent.REFUND_PART, signals.order_refunded, "partially_refunded"),
        (OrderEvent.REFUND_ALL, signals.order_refunded, "refunded"),
    ],
)
def test_each_event_sends_its_own_signal_and_log_action(event, signal, action):
    rules = [t for t in TRANSITIONS if t.event is event]
    assert rules and all(t.signal is signal and t.action == action for t in rules)


def test_paid_statuses():
    assert set(PAID_STATUSES) == {
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
    }
