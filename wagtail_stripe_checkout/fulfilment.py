"""``fulfil(session_id)``: the one idempotent function that marks an order paid.

Called by the success page (and by the webhook and reconcile command). One
transaction, a row lock on the order, a state machine that only moves forward,
and Stripe's amount and currency checked against the order before anything
changes.
"""

from __future__ import annotations

import enum
import logging

from django.db import transaction
from django.utils import timezone

from .models import Order
from .services import CheckoutSession, get_gateway
from .signals import order_paid

logger = logging.getLogger("wagtail_stripe_checkout.fulfilment")


class Outcome(enum.Enum):
    FULFILLED = "fulfilled"
    ALREADY_FULFILLED = "already_fulfilled"
    NOT_PAID = "not_paid"
    UNKNOWN_ORDER = "unknown_order"
    MISMATCH = "mismatch"


# The statuses paid may follow. Money taken wins over a cancellation or an
# expiry recorded here first; refunded is the only state after paid.
PAYABLE = (Order.Status.PENDING, Order.Status.CANCELLED, Order.Status.EXPIRED, Order.Status.FAILED)


def amounts_match(order: Order, session: CheckoutSession) -> bool:
    if (session.currency or "").upper() != order.currency or session.amount_total is None:
        return False
    if order.tax_at_payment:
        # Stripe Tax adds its tax on top of our total.
        return session.amount_total >= order.total
    return session.amount_total == order.total


def fulfil(session_id: str, *, session: CheckoutSession | None = None) -> Outcome:
    """Mark the order of a paid Checkout Session paid, exactly once.

    ``session`` may be passed when the caller already retrieved it from Stripe
    (the success page does), saving a request.
    """
    if session is None:
        session = get_gateway().retrieve_checkout_session(session_id)
    if not session.is_paid:
        return Outcome.NOT_PAID
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(stripe_session_id=session_id).first()
        if order is None:
            logger.error("fulfil_unknown_session", extra={"stripe_session": session_id})
            return Outcome.UNKNOWN_ORDER
        if order.status in (Order.Status.PAID, Order.Status.REFUNDED):
            return Outcome.ALREADY_FULFILLED
        if not amounts_match(order, session):
            logger.error(
                "fulfil_amount_mismatch",
                extra={
                    "order": order.reference,
                    "stripe_session": session_id,
                    "order_total": order.total,
                    "order_currency": order.currency,
                    "stripe_total": session.amount_total,
                    "stripe_currency": session.currency,
                },
            )
            return Outcome.MISMATCH
        order.status = Order.Status.PAID
        order.paid_at = timezone.now()
        order.stripe_payment_intent_id = session.payment_intent_id or ""
        order.save(update_fields=["status", "paid_at", "stripe_payment_intent_id", "updated_at"])
        transaction.on_commit(lambda: order_paid.send(sender=Order, order=order))
    logger.info(
        "order_paid",
        extra={"order": order.reference, "amount": order.total, "currency": order.currency},
    )
    return Outcome.FULFILLED
