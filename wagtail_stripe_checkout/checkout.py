"""From a cart to a Stripe Checkout Session: the order is saved first, then Stripe is asked.

Nothing here imports ``stripe``: the session parameters are built as plain data
(:mod:`.session_params`) and handed to the service layer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from . import fulfilment, stock
from .cart import Cart, PricedCart
from .models import Order, OrderLine
from .order_states import is_paid
from .services import CheckoutSession, NotFound, StripeServiceError, get_gateway
from .session_params import ReturnUrls, idempotency_key, session_params
from .signals import order_created

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger("wagtail_stripe_checkout.checkout")

PLACED_ORDERS_SESSION_KEY = "wagtail_stripe_checkout_orders"
REUSE_WINDOW = timedelta(minutes=5)
SESSION_ID_RE = re.compile(r"^cs_(test|live)_[A-Za-z0-9]{10,250}$")


class CheckoutError(Exception):
    """Checkout could not start; ``message`` is for the shopper. The cart is untouched."""

    def __init__(self, message: str, order: Order | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.order = order


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


def _fingerprint(request: HttpRequest, priced: PricedCart, email: str, name: str) -> str:
    data = {
        "session": request.session.session_key,
        "lines": [(line.product.pk, line.quantity, line.unit_amount) for line in priced.lines],
        "currency": priced.currency.code,
        "totals": [
            priced.totals.subtotal,
            priced.totals.tax,
            priced.totals.shipping,
            priced.totals.total,
        ],
        "email": email.lower(),
        "name": name,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _pending_order(
    request: HttpRequest, priced: PricedCart, email: str, name: str
) -> tuple[Order, bool]:
    """The pending order for this browser, cart and details: reused, or created with
    its lines and its stock reserved (all or nothing)."""
    if not request.session.session_key:
        request.session.save()
    key = _fingerprint(request, priced, email, name)
    recent = timezone.now() - REUSE_WINDOW
    pending = Order.objects.filter(checkout_key=key, status=Order.Status.PENDING)
    existing = pending.filter(created_at__gte=recent).first()
    if existing is not None:
        return existing, False
    # An older pending order with the same key is left to expire at Stripe. Only
    # an older one: a recent one may have been committed by a concurrent double
    # click a moment ago, and the insert below must collide with it.
    pending.filter(created_at__lt=recent).update(checkout_key="")
    try:
        return _create_order(request, priced, email, name, key), True
    except stock.SoldOut as exc:
        raise CheckoutError(
            _(
                "Sorry, %(name)s sold out while you were checking out. "
                "Your cart has been updated; please check it and try again."
            )
            % {"name": exc.product.name}
        ) from None
    except IntegrityError:
        # The same double click, a moment earlier, in another request.
        return pending.get(), False


@transaction.atomic
def _create_order(
    request: HttpRequest, priced: PricedCart, email: str, name: str, key: str
) -> Order:
    """The order, its line snapshot and its stock reservation, or none of them."""
    totals = priced.totals
    order = Order.objects.create(
        site=Site.find_for_request(request),
        email=email,
        name=name,
        currency=priced.currency.code,
        subtotal=totals.subtotal,
        tax=totals.tax,
        tax_mode=totals.tax_mode.value,
        tax_label=totals.tax_label,
        shipping=totals.shipping,
        total=totals.total,
        checkout_key=key,
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            name=line.product.name,
            sku=line.product.sku,
            unit_amount=line.unit_amount,
            quantity=line.quantity,
            total=line.total,
        )
        for line in priced.lines
    )
    if stock.reserve(priced):
        Order.objects.filter(pk=order.pk).update(stock_reserved=True)
        order.stock_reserved = True
    return order


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
    countries: list[str],
) -> CheckoutStarted:
    """Save the order as pending, then create its Checkout Session.

    Raises :class:`CheckoutError` with a shopper message; the cart is never
    changed here and the order row is kept whatever Stripe answers.
    """
    priced = _checkout_ready(request)
    order, created = _pending_order(request, priced, email, name)
    remember_order(request, order)
    if created:
        transaction.on_commit(
            lambda: order_created.send(sender=Order, order=order, request=request)
        )
    if order.stripe_session_id and order.stripe_checkout_url:
        return CheckoutStarted(order, order.stripe_checkout_url)
    urls = ReturnUrls.for_order(request, order, result_url=success_url, checkout_url=cancel_url)
    params = session_params(request, order, priced, urls, countries=countries)
    session = _create_session(order, params)
    Order.objects.filter(pk=order.pk).update(
        stripe_session_id=session.id, stripe_checkout_url=session.url or ""
    )
    order.stripe_session_id = session.id
    logger.info(
        "checkout_session_created",
        extra={
            "order": order.reference,
            "stripe_session": session.id,
            "amount": order.total,
            "currency": order.currency,
        },
    )
    return CheckoutStarted(order, session.url or "")


def _create_session(order: Order, params: dict[str, Any]) -> CheckoutSession:
    """Ask Stripe for the session; a refusal or a total that differs from ours
    closes the order (its stock comes back) and tells the shopper."""
    try:
        session = get_gateway().create_checkout_session(
            params, idempotency_key=idempotency_key(order, params)
        )
    except StripeServiceError as exc:
        logger.error(
            "checkout_session_failed",
            extra={
                "order": order.reference,
                "amount": order.total,
                "currency": order.currency,
                "stripe": exc.log_details,
            },
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
    ``expired``, ``open``, ``unknown`` (Stripe could not be asked) or
    ``not_found``; ``owner`` says whether this browser placed the order (only
    then are its email, lines and amounts shown).
    """

    state: str
    order: Order | None = None
    owner: bool = False
    session: CheckoutSession | None = None

    @property
    def status_code(self) -> int:
        return {"not_found": 404, "unknown": 503}.get(self.state, 200)


def _return_state(session: CheckoutSession) -> str:
    if session.is_paid:
        return "paid"
    if session.status == "complete":
        return "processing"
    return "expired" if session.status == "expired" else "open"


def confirm_return(request: HttpRequest, session_id: str) -> ReturnResult:
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
    logger.info(
        "result_page_viewed", extra={"order": order.reference, "state": state, "owner": owner}
    )
    return ReturnResult(state, order, owner, session)
