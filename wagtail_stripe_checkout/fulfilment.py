"""Applying the order state machine: ``fulfil(session_id)`` and the other transitions.

The statuses and the transitions allowed between them are one table in
:mod:`.order_states`. Here :func:`transition` applies it: it locks the order's
row, asks the table, changes the order, writes the Wagtail log entry and, once
the transaction commits, sends the transition's signal and (for a payment or a
shipment) queues the emails as tasks (:mod:`.tasks`). An event the table has
no line for changes nothing, so every transition is idempotent and none goes
backwards.

``fulfil`` is the one function that marks an order paid; the success page, the
webhook and ``reconcile_stripe`` all call it.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import downloads, emails, pricing, stock, tasks
from .history import log_action
from .models import Order
from .order_states import PAID_STATUSES, OrderEvent, Transition, next_transition
from .services import CheckoutSession, Refund, StripeServiceError, get_gateway
from .services.objects import Collected

logger = logging.getLogger("wagtail_stripe_checkout.fulfilment")


class Result(enum.Enum):
    """What a transition did (the webhook's own outcome is ``WebhookEvent.Outcome``)."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"  # the table has no transition for this status and event
    NOT_PAID = "not_paid"
    UNKNOWN_ORDER = "unknown_order"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class Change:
    result: Result
    order: Order | None = None
    transition: Transition | None = None

    @property
    def applied(self) -> bool:
        return self.result is Result.APPLIED

    @property
    def detail(self) -> str:
        """A word for logs and the event list: the new status, or why nothing changed."""
        if self.transition is not None:
            return str(self.transition.target.value)
        return self.result.value


@dataclass
class Changes:
    """What a transition writes besides the status, logs and tells its signal."""

    fields: dict[str, Any] = field(default_factory=dict)
    log_data: dict[str, Any] = field(default_factory=dict)
    signal_kwargs: dict[str, Any] = field(default_factory=dict)


EventFor = OrderEvent | Callable[[Order], OrderEvent]


def transition(
    lookup: dict[str, Any],
    event: EventFor,
    *,
    check: Callable[[Order], Result | None] | None = None,
    changes: Callable[[Order], Changes] | None = None,
    user: Any = None,
) -> Change:
    """Apply ``event`` to the order found by ``lookup``, with its row locked.

    ``event`` may depend on the locked order; ``check`` may refuse with a
    result; ``changes`` says what else to write.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(**lookup).first()
        if order is None:
            return Change(Result.UNKNOWN_ORDER)
        rule = next_transition(order.status, event(order) if callable(event) else event)
        if rule is None:
            return Change(Result.UNCHANGED, order)
        refused = check(order) if check is not None else None
        if refused is not None:
            return Change(refused, order)
        extra = changes(order) if changes is not None else Changes()
        previous = order.status
        _STOCK_EFFECTS.get(rule.event, _no_stock_effect)(order)
        fields = {"status": rule.target, **extra.fields}
        for name, value in fields.items():
            setattr(order, name, value)
        order.save(update_fields=[*fields, "stock_reserved", "updated_at"])
        log_action(order, rule.action, {"from": previous, **extra.log_data}, user)
        _DOWNLOAD_EFFECTS.get(rule.event, _no_stock_effect)(order)
        transaction.on_commit(partial(_announce, order, rule, extra.signal_kwargs))
    logger.info(
        "order_transition",
        extra={"order": order.reference, "from": previous, "to": rule.target, **extra.log_data},
    )
    return Change(Result.APPLIED, order, rule)


def _announce(order: Order, rule: Transition, signal_kwargs: dict[str, Any]) -> None:
    rule.signal.send(sender=Order, order=order, **signal_kwargs)
    kinds = _EMAILS.get(rule.event)
    if kinds:
        tasks.enqueue_emails(order, kinds)


_EMAILS: dict[OrderEvent, tuple[str, ...]] = {
    OrderEvent.PAY: emails.PAID,
    OrderEvent.SHIP: emails.SHIPPED,
}


def _take_stock_again(order: Order) -> None:
    """Paid after its reservation was given back (a cancelled session paid in
    another tab): take the stock again where it is there. A pending order's
    reservation is simply consumed."""
    if order.status != Order.Status.PENDING and not order.stock_reserved:
        stock.retake(order)
    order.stock_reserved = False


def _no_stock_effect(order: Order) -> None:
    return None


_STOCK_EFFECTS: dict[OrderEvent, Callable[[Order], None]] = {
    OrderEvent.PAY: _take_stock_again,
    OrderEvent.CANCEL: stock.release,
    OrderEvent.SUPERSEDE: stock.release,
    OrderEvent.EXPIRE: stock.release,
    OrderEvent.FAIL: stock.release,
}


# Digital goods: a paid order gets its download links in the same transaction; a
# full refund withdraws them (a partial refund leaves them: see docs/digital-goods.md).
_DOWNLOAD_EFFECTS: dict[OrderEvent, Callable[[Order], object]] = {
    OrderEvent.PAY: downloads.make_links,
    OrderEvent.REFUND_ALL: downloads.revoke,
}


# Payment -------------------------------------------------------------------


def amounts_match(order: Order, session: CheckoutSession) -> bool:
    """Stripe charged exactly our total, less the discount it reports (promotion
    codes) and, under Stripe Tax, plus the tax it reports (unless the prices
    included it). Anything else is refused."""
    if (session.currency or "").upper() != order.currency or session.amount_total is None:
        return False
    if session.amount_discount < 0 or session.amount_tax < 0:
        return False
    expected = order.total - session.amount_discount
    if order.tax_at_payment:
        return session.amount_total in (expected, expected + session.amount_tax)
    return session.amount_total == expected


def _check_amounts(session: CheckoutSession, order: Order) -> Result | None:
    if amounts_match(order, session):
        return None
    logger.error(
        "fulfil_amount_mismatch",
        extra={
            "order": order.reference,
            "stripe_session": session.id,
            "order_total": order.total,
            "order_currency": order.currency,
            "stripe_total": session.amount_total,
            "stripe_currency": session.currency,
        },
    )
    return Result.MISMATCH


def _paid_changes(session: CheckoutSession, order: Order) -> Changes:
    """What Stripe charged and collected, recorded once, as the order becomes paid."""
    got = session.collected or Collected()
    return Changes(
        fields={
            "paid_at": timezone.now(),
            # A buy link that went straight to Stripe: the email Stripe collected.
            "email": (order.email or session.customer_email or "")[:254],
            "stripe_payment_intent_id": session.payment_intent_id or "",
            "charged_subtotal": _items(session, order),
            "charged_discount": session.amount_discount,
            "charged_tax": session.amount_tax + _tax_line(order),
            "charged_shipping": session.amount_shipping,
            "charged_total": session.amount_total,
            "promotion_code": (got.promotion_code or got.promotion_code_id)[:100],
            "presentment_currency": got.presentment_currency[:3],
            "presentment_amount": got.presentment_amount,
            "customer_name": got.name[:200],
            "customer_phone": got.phone[:40],
            "billing_address": got.billing_address,
            "shipping_name": got.shipping_name[:200],
            "shipping_address": got.shipping_address,
            "tax_ids": got.tax_ids,
            "custom_fields": got.custom_fields,
            "invoice_id": got.invoice_id[:255],
            "invoice_url": got.invoice_url[:2000],
        },
        log_data={"amount": session.amount_total, "currency": order.currency},
    )


def _tax_line(order: Order) -> int:
    """Tax the shop adds on top goes to Stripe as a line item of its own."""
    return order.tax if order.tax_mode == pricing.TaxMode.ADDED.value else 0


def _items(session: CheckoutSession, order: Order) -> int | None:
    """Stripe's subtotal without that tax line: the goods alone."""
    if session.amount_subtotal is None:
        return None
    return session.amount_subtotal - _tax_line(order)


def _with_details(session: CheckoutSession) -> CheckoutSession:
    """The session with what an event leaves out (the promotion code's text, the
    invoice's link): one more request, only when an option needs it."""
    try:
        return get_gateway().retrieve_checkout_session(
            session.id, expand=tuple(session.needs_expansion)
        )
    except StripeServiceError as exc:  # the ids are kept; the payment counts
        logger.warning(
            "fulfil_details_unavailable",
            extra={"stripe_session": session.id, "stripe": exc.log_details},
        )
        return session


def fulfil(session_id: str, *, session: CheckoutSession | None = None) -> Change:
    """Mark the order of a paid Checkout Session paid, exactly once.

    ``session`` may be passed when the caller already has it (the success page
    retrieved it; the webhook event carries it), saving a request.
    """
    if session is None:
        session = get_gateway().retrieve_checkout_session(session_id)
    if not session.is_paid:
        return Change(Result.NOT_PAID)
    paid = Order.objects.filter(stripe_session_id=session_id, status__in=PAID_STATUSES)
    if session.needs_expansion and not paid.exists():  # never for an order already paid
        session = _with_details(session)
    change = transition(
        {"stripe_session_id": session_id},
        OrderEvent.PAY,
        check=partial(_check_amounts, session),
        changes=partial(_paid_changes, session),
    )
    if change.result is Result.UNKNOWN_ORDER:
        logger.error("fulfil_unknown_session", extra={"stripe_session": session_id})
    return change


# Closing unpaid orders -----------------------------------------------------


def _closed(order: Order) -> Changes:
    # Free the double-click key, so the same cart can start a new checkout.
    return Changes(fields={"checkout_key": ""})


def expire(session_id: str) -> Change:
    """``checkout.session.expired``: the shopper never paid."""
    return transition({"stripe_session_id": session_id}, OrderEvent.EXPIRE, changes=_closed)


def cancel(order: Order) -> Change:
    """The shopper came back from Stripe with "cancel"."""
    return transition({"pk": order.pk}, OrderEvent.CANCEL, changes=_closed)


def supersede(order: Order) -> Change:
    """The same browser started another checkout: this one gives its stock back."""
    return transition({"pk": order.pk}, OrderEvent.SUPERSEDE, changes=_closed)


def fail(order_or_session: Order | str) -> Change:
    """A delayed payment failed, or Stripe refused to start it."""
    if isinstance(order_or_session, Order):
        lookup: dict[str, Any] = {"pk": order_or_session.pk}
    else:
        lookup = {"stripe_session_id": order_or_session}
    return transition(lookup, OrderEvent.FAIL, changes=_closed)


# Fulfilment by staff -----------------------------------------------------------


def mark_shipped(
    order: Order, *, carrier: str = "", tracking_number: str = "", tracking_url: str = "", user: Any
) -> Change:
    """Staff sent the goods: the order is shipped and the shopper gets an email
    with the tracking link. Once: marking it again changes nothing."""

    def changes(locked: Order) -> Changes:
        return Changes(
            fields={
                "shipped_at": timezone.now(),
                "carrier": carrier[:100],
                "tracking_number": tracking_number[:100],
                "tracking_url": tracking_url[:2000],
            },
            log_data={"carrier": carrier, "tracking_number": tracking_number},
        )

    return transition({"pk": order.pk}, OrderEvent.SHIP, changes=changes, user=user)


def add_note(order: Order, text: str, user: Any) -> None:
    """A staff note in the order's history."""
    log_action(order, "note", {"text": text.strip()[:2000]}, user)


# Refunds -------------------------------------------------------------------


class RefundError(ValueError):
    """A refund the order cannot take; ``message`` is for staff."""


def request_refund(order: Order, amount: int, user: Any = None) -> Refund:
    """Ask Stripe to refund ``amount`` (smallest unit) of a paid order.

    The order changes when Stripe's ``charge.refunded`` event arrives; this
    records who asked in the order's history. Raises :class:`RefundError`, or
    the service layer's ``StripeServiceError`` when Stripe refuses.
    """
    if not order.stripe_payment_intent_id or order.refundable_amount <= 0:
        raise RefundError(f"Order {order.reference} has nothing left to refund.")
    if not 0 < amount <= order.refundable_amount:
        raise RefundError(f"At most {order.display(order.refundable_amount)} can be refunded.")
    # The same request repeated (a double click) is one refund at Stripe.
    key = f"wsc-refund-{order.public_id}-{order.refunded_amount}-{amount}"
    refund = get_gateway().create_refund(
        order.stripe_payment_intent_id, amount, idempotency_key=key
    )
    log_action(order, "refund_requested", {"amount": amount, "refund": refund.id}, user)
    logger.info(
        "refund_requested",
        extra={"order": order.reference, "amount": amount, "currency": order.currency},
    )
    return refund


def record_refund(payment_intent_id: str, amount_refunded: int, currency: str) -> Change:
    """``charge.refunded``: Stripe's running total of what was refunded on the charge."""
    if not payment_intent_id:
        return Change(Result.UNKNOWN_ORDER)

    def event(order: Order) -> OrderEvent:
        full = amount_refunded >= order.charged_amount
        return OrderEvent.REFUND_ALL if full else OrderEvent.REFUND_PART

    def check(order: Order) -> Result | None:
        if currency.upper() != order.currency or amount_refunded <= order.refunded_amount:
            return Result.UNCHANGED  # an older event, or a repeat
        return None

    def changes(order: Order) -> Changes:
        added = amount_refunded - order.refunded_amount
        return Changes(
            fields={"refunded_amount": amount_refunded},
            log_data={"amount": added, "refunded_total": amount_refunded},
            signal_kwargs={"amount": added, "full": amount_refunded >= order.charged_amount},
        )

    return transition(
        {"stripe_payment_intent_id": payment_intent_id}, event, check=check, changes=changes
    )
