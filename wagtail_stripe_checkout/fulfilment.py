"""The order state machine, and ``fulfil(session_id)``: the one idempotent function
that marks an order paid.

``fulfil`` is called by the success page, the webhook and the reconcile
command. Every transition here runs in one transaction with a row lock on the
order, only moves forward, writes a Wagtail log entry, and sends its signal
(and, for paid, the emails) once, after the transaction commits.

    pending ──> paid ──> refunded
       │          ▲
       ├──> cancelled / expired / failed ──┘ (money taken wins)
"""

from __future__ import annotations

import enum
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import stock
from .models import Order
from .services import CheckoutSession, get_gateway
from .signals import order_expired, order_failed, order_paid, order_refunded

logger = logging.getLogger("wagtail_stripe_checkout.fulfilment")


class Outcome(enum.Enum):
    FULFILLED = "fulfilled"
    ALREADY_FULFILLED = "already_fulfilled"
    NOT_PAID = "not_paid"
    UNKNOWN_ORDER = "unknown_order"
    MISMATCH = "mismatch"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


def log_action(order: Order, action: str, data: dict[str, Any] | None = None) -> None:
    """A Wagtail log entry for a status change (shown in the admin's history)."""
    from wagtail.log_actions import log

    log(instance=order, action=f"wagtail_stripe_checkout.order.{action}", data=data or {})


def _locked(session_id: str) -> Order | None:
    return Order.objects.select_for_update().filter(stripe_session_id=session_id).first()


def amounts_match(order: Order, session: CheckoutSession) -> bool:
    if (session.currency or "").upper() != order.currency or session.amount_total is None:
        return False
    # A promotion code (WAGTAIL_STRIPE_CHECKOUT_ALLOW_PROMOTION_CODES) lowers
    # what Stripe charges by exactly the discount it reports.
    charged_before_discount = session.amount_total + max(session.amount_discount, 0)
    if order.tax_at_payment:
        # Stripe Tax adds its tax on top of our total.
        return charged_before_discount >= order.total
    return charged_before_discount == order.total


def fulfil(session_id: str, *, session: CheckoutSession | None = None) -> Outcome:
    """Mark the order of a paid Checkout Session paid, exactly once.

    ``session`` may be passed when the caller already has it (the success page
    retrieved it; the webhook event carries it), saving a request.
    """
    if session is None:
        session = get_gateway().retrieve_checkout_session(session_id)
    if not session.is_paid:
        return Outcome.NOT_PAID
    with transaction.atomic():
        order = _locked(session_id)
        if order is None:
            logger.error("fulfil_unknown_session", extra={"stripe_session": session_id})
            return Outcome.UNKNOWN_ORDER
        # Paid may follow any other status (money taken wins over a cancellation
        # or an expiry recorded first); only paid and refunded are final here.
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
        if order.status != Order.Status.PENDING and not order.stock_reserved:
            # Paid after its reservation was given back (a cancelled session that
            # was paid in another tab): take the stock again where it is there.
            stock.retake(order)
        previous = order.status
        order.status = Order.Status.PAID
        order.paid_at = timezone.now()
        order.stripe_payment_intent_id = session.payment_intent_id or ""
        order.stock_reserved = False  # consumed, not reserved any more
        order.save(
            update_fields=[
                "status",
                "paid_at",
                "stripe_payment_intent_id",
                "stock_reserved",
                "updated_at",
            ]
        )
        log_action(order, "paid", {"from": previous, "amount": order.total})
        transaction.on_commit(lambda: _after_paid(order))
    logger.info(
        "order_paid",
        extra={"order": order.reference, "amount": order.total, "currency": order.currency},
    )
    return Outcome.FULFILLED


def _after_paid(order: Order) -> None:
    from .emails import send_paid_emails

    order_paid.send(sender=Order, order=order)
    send_paid_emails(order)


def _close(
    order: Order, status: str, action: str, signal: Any, *, from_statuses: tuple[str, ...]
) -> Outcome:
    """Move a not-yet-paid order to a closed status and give its stock back."""
    if order.status not in from_statuses:
        return Outcome.UNCHANGED
    previous = order.status
    order.status = status
    order.checkout_key = ""
    order.save(update_fields=["status", "checkout_key", "updated_at"])
    stock.release(order)
    log_action(order, action, {"from": previous})
    transaction.on_commit(lambda: signal.send(sender=Order, order=order))
    logger.info(f"order_{action}", extra={"order": order.reference})
    return Outcome.CHANGED


def expire(session_id: str) -> Outcome:
    """``checkout.session.expired``: only a pending (or cancelled) order expires."""
    with transaction.atomic():
        order = _locked(session_id)
        if order is None:
            return Outcome.UNKNOWN_ORDER
        if order.status == Order.Status.CANCELLED:
            stock.release(order)  # a cancellation already closed it
            return Outcome.UNCHANGED
        return _close(
            order,
            Order.Status.EXPIRED,
            "expired",
            order_expired,
            from_statuses=(Order.Status.PENDING,),
        )


def cancel(order: Order) -> Outcome:
    """The shopper came back with "cancel"."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        return _close(
            locked,
            Order.Status.CANCELLED,
            "cancelled",
            order_expired,
            from_statuses=(Order.Status.PENDING,),
        )


def fail(order_or_session: Order | str) -> Outcome:
    """A delayed payment failed, or Stripe refused to start it."""
    with transaction.atomic():
        if isinstance(order_or_session, Order):
            order = Order.objects.select_for_update().get(pk=order_or_session.pk)
        else:
            found = _locked(order_or_session)
            if found is None:
                return Outcome.UNKNOWN_ORDER
            order = found
        return _close(
            order,
            Order.Status.FAILED,
            "failed",
            order_failed,
            from_statuses=(Order.Status.PENDING,),
        )


def record_refund(payment_intent_id: str, amount_refunded: int, currency: str) -> Outcome:
    """``charge.refunded``: Stripe's running total of what was refunded on the charge."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .filter(stripe_payment_intent_id=payment_intent_id)
            .exclude(stripe_payment_intent_id="")
            .first()
        )
        if order is None:
            return Outcome.UNKNOWN_ORDER
        if order.status not in (Order.Status.PAID, Order.Status.REFUNDED):
            return Outcome.UNCHANGED
        if currency.upper() != order.currency or amount_refunded <= order.refunded_amount:
            return Outcome.UNCHANGED  # an older event, or a repeat
        added = amount_refunded - order.refunded_amount
        full = amount_refunded >= order.total
        order.refunded_amount = amount_refunded
        order.status = Order.Status.REFUNDED if full else Order.Status.PAID
        order.save(update_fields=["refunded_amount", "status", "updated_at"])
        log_action(
            order,
            "refunded" if full else "partially_refunded",
            {"amount": added, "refunded_total": amount_refunded},
        )
        transaction.on_commit(
            lambda: order_refunded.send(sender=Order, order=order, amount=added, full=full)
        )
    logger.info("order_refunded", extra={"order": order.reference, "amount": added, "full": full})
    return Outcome.CHANGED
