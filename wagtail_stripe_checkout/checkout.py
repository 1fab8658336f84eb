"""From a cart to a Stripe Checkout Session: the order is saved first, then Stripe is asked.

Nothing here imports ``stripe``: the session parameters are built as plain data
(:mod:`.session_params`) and handed to the service layer.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from . import fulfilment, pending
from .cart import PENDING_ORDER_SESSION_KEY, Cart, PricedCart
from .models import Order, ShopSettings
from .observability import Timer, payment_record, tag
from .order_states import is_paid
from .pending import CheckoutError
from .services import CheckoutSession, NotFound, StripeServiceError, get_gateway
from .session_params import ReturnUrls, idempotency_key, session_params
from .signals import order_created

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger("wagtail_stripe_checkout.checkout")

PLACED_ORDERS_SESSION_KEY = "wagtail_stripe_checkout_orders"
SESSION_ID_RE = re.compile(r"^cs_(test|live)_[A-Za-z0-9]{10,250}$")


@dataclass(frozen=True)
class CheckoutStarted:
    order: Order
    url: str


def remember_order(request: HttpRequest, order: Order) -> None:
    """Record in the browser session that it placed this order (privacy rule)."""
    placed = list(request.session.get(PLACED_ORDERS_SESSION_KEY, []))
    public_id = str(order.public_id)
    if public_id not in placed:
        placed = [*placed[-19:], public_id]
        request.session[PLACED_ORDERS_SESSION_KEY] = placed


def placed_by(request: HttpRequest, order: Order) -> bool:
    return str(order.public_id) in request.session.get(PLACED_ORDERS_SESSION_KEY, [])


def _checkout_ready(request: HttpRequest) -> PricedCart:
    """The cart, priced, if it can go to Stripe as the shopper last saw it."""
    priced = Cart.for_request(request).price()
    if priced.notices:
        # The cart changed since the shopper last saw it (sold out, repriced,
        # limited): show what changed and let them confirm again.
        raise CheckoutError(
            " ".join([*priced.notices, _("Please check your order and press the button again.")])
        )
    if not priced.can_checkout:
        raise CheckoutError(" ".join(priced.problems) or _("Your cart is empty."))
    return priced


def start_checkout(
    request: HttpRequest,
    *,
    email: str,
    name: str,
    success_url: str,
    cancel_url: str,
) -> CheckoutStarted:
    """Save the order as pending, then create its Checkout Session.

    Raises :class:`CheckoutError` with a shopper message; the cart is never
    changed here and the order row is kept whatever Stripe answers.
    """
    pending.release_unsent()
    priced = _checkout_ready(request)
    order, created = pending.pending_order(request, priced, email, name)
    remember_order(request, order)
    if created:
        transaction.on_commit(
            lambda: order_created.send(sender=Order, order=order, request=request)
        )
    if order.stripe_session_id and order.stripe_checkout_url:
        return CheckoutStarted(order, order.stripe_checkout_url)
    urls = ReturnUrls.for_order(request, order, result_url=success_url, checkout_url=cancel_url)
    settings = ShopSettings.for_request(request)
    params = session_params(request, order, priced, urls, settings=settings)
    timer = Timer()
    session = _create_session(order, params)
    Order.objects.filter(pk=order.pk).update(
        stripe_session_id=session.id, stripe_checkout_url=session.url or ""
    )
    order.stripe_session_id = session.id
    payment_record(
        logger,
        "checkout_session_created",
        order=order.reference,
        stripe_session=session.id,
        amount=order.total,
        currency=order.currency,
        outcome="created",
        duration_ms=timer.ms,
    )
    return CheckoutStarted(order, session.url or "")


def _create_session(order: Order, params: dict[str, Any]) -> CheckoutSession:
    """Ask Stripe for the session; a refusal or a total that differs from ours
    closes the order (its stock comes back) and tells the shopper."""
    tag(order=order.reference)
    timer = Timer()
    try:
        session = get_gateway().create_checkout_session(
            params, idempotency_key=idempotency_key(order, params)
        )
    except StripeServiceError as exc:
        payment_record(
            logger,
            "checkout_session_failed",
            level=logging.ERROR,
            order=order.reference,
            amount=order.total,
            currency=order.currency,
            outcome=exc.log_details.get("error"),
            stripe=exc.log_details,
            duration_ms=timer.ms,
        )
        if not exc.retryable:
            # Stripe remembers a refused request under its idempotency key:
            # the next attempt must be a new order; this one gives its stock back.
            fulfilment.fail(order)
        raise CheckoutError(str(exc.user_message), order) from exc
    if not order.tax_at_payment and session.amount_total != order.total:
        logger.error(
            "checkout_amount_mismatch",
            extra={
                "order": order.reference,
                "order_total": order.total,
                "stripe_total": session.amount_total,
                "stripe_session": session.id,
            },
        )
        fulfilment.fail(order)
        raise CheckoutError(
            _("Payment could not be started because the amounts did not agree. Please try again."),
            order,
        )
    return session


def cancel_order(request: HttpRequest, public_id: str) -> Order | None:
    """The shopper came back from Stripe with "cancel": mark the order, expire the session."""
    order = Order.objects.filter(public_id=public_id).first() if _is_uuid(public_id) else None
    if order is None or not placed_by(request, order):
        return None
    if fulfilment.cancel(order).applied and order.stripe_session_id:
        try:
            get_gateway().expire_checkout_session(order.stripe_session_id)
        except StripeServiceError as exc:
            # Best effort: an open session expires on its own at expires_at.
            logger.warning(
                "checkout_session_expire_failed",
                extra={"order": order.reference, "stripe": exc.log_details},
            )
    order.refresh_from_db()
    return order


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# Back from Stripe --------------------------------------------------------------


@dataclass(frozen=True)
class ReturnResult:
    """What the result page shows for a shopper back from Stripe.

    ``state`` is ``paid``, ``processing`` (a payment method that settles later),
    ``expired``, ``open``, ``unknown`` (Stripe could not be asked), ``busy``
    (this client asked too often; reload in a moment) or ``not_found``.
    ``owner`` says whether this browser placed the order (only then are its
    email, lines and amounts shown).
    """

    state: str
    order: Order | None = None
    owner: bool = False
    session: CheckoutSession | None = None

    @property
    def status_code(self) -> int:
        return {"not_found": 404, "unknown": 503, "busy": 429}.get(self.state, 200)


def _return_state(session: CheckoutSession) -> str:
    if session.is_paid:
        return "paid"
    if session.status == "complete":
        return "processing"
    return "expired" if session.status == "expired" else "open"


def confirm_return(
    request: HttpRequest, session_id: str, *, may_ask_stripe: Callable[[], bool] = lambda: True
) -> ReturnResult:
    """Confirm a shopper's return from Stripe: fulfil a paid session (once), clear
    the owner's cart once paid, and say what the page should show.

    A malformed or unknown session id is not ours and Stripe is not asked. An
    order the webhook already fulfilled needs no Stripe request either.
    """
    order = None
    if SESSION_ID_RE.match(session_id or ""):
        order = Order.objects.filter(stripe_session_id=session_id).first()
    if order is None:
        return ReturnResult("not_found")
    owner = placed_by(request, order)
    session = None
    if not is_paid(order.status):
        if not may_ask_stripe():
            return ReturnResult("busy", order, owner)
        try:
            session = get_gateway().retrieve_checkout_session(session_id)
        except NotFound:
            return ReturnResult("not_found")
        except StripeServiceError as exc:
            logger.error(
                "result_page_retrieve_failed",
                extra={"order": order.reference, "stripe": exc.log_details},
            )
            return ReturnResult("unknown", order, owner)
        if session.is_paid:
            order = fulfilment.fulfil(session_id, session=session).order or order
    state = "paid" if session is None else _return_state(session)
    if owner and is_paid(order.status):
        Cart.for_request(request).clear()
        request.session.pop(PENDING_ORDER_SESSION_KEY, None)
    logger.info(
        "result_page_viewed", extra={"order": order.reference, "state": state, "owner": owner}
    )
    return ReturnResult(state, order, owner, session)
