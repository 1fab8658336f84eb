"""An order's statuses and the one table of the transitions between them.

Pure rules, no database: :mod:`.fulfilment` applies them with the row locked.
Adding a status is a line in :class:`OrderStatus` and its lines in
:data:`TRANSITIONS` (and its tests in ``tests/test_order_states.py``).

    pending ──pay──> paid ──ship──> shipped ──refund_all──> refunded
       │              ▲  │                  (refund_part: stays shipped)
       │              │  └─refund_part──> partially refunded ──ship──> shipped
       │              │                          └──refund_all──> refunded
       ├──cancel, supersede──> cancelled ─┐
       ├──expire──> expired  ──┼──pay──┘  (money taken wins)
       └──fail────> failed   ──┘
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db.models import TextChoices
from django.dispatch import Signal
from django.utils.translation import pgettext_lazy

from . import signals


class OrderStatus(TextChoices):
    PENDING = "pending", pgettext_lazy("order status", "Awaiting payment")
    PAID = "paid", pgettext_lazy("order status", "Paid")
    SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
    PARTIALLY_REFUNDED = "partially_refunded", pgettext_lazy("order status", "Partially refunded")
    FAILED = "failed", pgettext_lazy("order status", "Payment failed")
    EXPIRED = "expired", pgettext_lazy("order status", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    REFUNDED = "refunded", pgettext_lazy("order status", "Refunded")


class OrderEvent(str, enum.Enum):
    """What can happen to an order."""

    PAY = "pay"  # Stripe says the session is paid
    CANCEL = "cancel"  # the shopper came back with "cancel"
    SUPERSEDE = "supersede"  # the same browser started another checkout
    EXPIRE = "expire"  # the Checkout Session expired unpaid
    FAIL = "fail"  # a delayed payment failed, or Stripe refused to start it
    SHIP = "ship"  # staff sent the goods
    REFUND_PART = "refund_part"  # Stripe refunded part of what was charged
    REFUND_ALL = "refund_all"  # Stripe has now refunded everything charged


@dataclass(frozen=True)
class Transition:
    source: OrderStatus
    event: OrderEvent
    target: OrderStatus
    action: str  # the Wagtail log action: wagtail_stripe_checkout.order.<action>
    signal: Signal  # sent once, after the transaction commits


S, E = OrderStatus, OrderEvent

TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.PENDING, E.PAY, S.PAID, "paid", signals.order_paid),
    # Money taken wins over a cancellation, an expiry or a failure recorded first
    # (a cancelled session paid in another tab; events out of order).
    Transition(S.CANCELLED, E.PAY, S.PAID, "paid", signals.order_paid),
    Transition(S.EXPIRED, E.PAY, S.PAID, "paid", signals.order_paid),
    Transition(S.FAILED, E.PAY, S.PAID, "paid", signals.order_paid),
    Transition(S.PENDING, E.CANCEL, S.CANCELLED, "cancelled", signals.order_cancelled),
    Transition(S.PENDING, E.SUPERSEDE, S.CANCELLED, "superseded", signals.order_cancelled),
    Transition(S.PENDING, E.EXPIRE, S.EXPIRED, "expired", signals.order_expired),
    Transition(S.PENDING, E.FAIL, S.FAILED, "failed", signals.order_failed),
    Transition(S.PAID, E.SHIP, S.SHIPPED, "shipped", signals.order_shipped),
    # Part refunded (an item out of stock), then the rest shipped.
    Transition(S.PARTIALLY_REFUNDED, E.SHIP, S.SHIPPED, "shipped", signals.order_shipped),
    Transition(
        S.PAID, E.REFUND_PART, S.PARTIALLY_REFUNDED, "partially_refunded", signals.order_refunded
    ),
    Transition(
        S.PARTIALLY_REFUNDED,
        E.REFUND_PART,
        S.PARTIALLY_REFUNDED,
        "partially_refunded",
        signals.order_refunded,
    ),
    # A shipped order stays shipped when part of it is refunded (a return).
    Transition(S.SHIPPED, E.REFUND_PART, S.SHIPPED, "partially_refunded", signals.order_refunded),
    Transition(S.PAID, E.REFUND_ALL, S.REFUNDED, "refunded", signals.order_refunded),
    Transition(S.PARTIALLY_REFUNDED, E.REFUND_ALL, S.REFUNDED, "refunded", signals.order_refunded),
    Transition(S.SHIPPED, E.REFUND_ALL, S.REFUNDED, "refunded", signals.order_refunded),
)

# How far along an order is; no transition lowers it.
STAGE: dict[OrderStatus, int] = {
    S.PENDING: 0,
    S.CANCELLED: 1,
    S.EXPIRED: 1,
    S.FAILED: 1,
    S.PAID: 2,
    S.SHIPPED: 3,
    S.PARTIALLY_REFUNDED: 3,
    S.REFUNDED: 4,
}

_BY_KEY = {(t.source, t.event): t for t in TRANSITIONS}

# Statuses in which money was taken (whether or not some was refunded since).
PAID_STATUSES: tuple[OrderStatus, ...] = tuple(s for s in S if STAGE[s] >= STAGE[S.PAID])


def next_transition(status: str, event: OrderEvent) -> Transition | None:
    """The transition ``event`` causes from ``status``, or ``None`` when it changes nothing."""
    return _BY_KEY.get((OrderStatus(status), event))


def is_paid(status: str) -> bool:
    """Money was taken (whether or not some of it was refunded since)."""
    return OrderStatus(status) in PAID_STATUSES
