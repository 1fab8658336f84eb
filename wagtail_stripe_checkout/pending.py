"""The order a browser is paying for: at most one, and stock no flood can lock.

* A browser session holds at most one order awaiting payment. Pressing the pay
  button again with the same cart and details (a double click, a second tab,
  Back from Stripe) reuses it; with anything else it is superseded: its stock
  comes back in the same transaction that reserves the new order's, and its
  Checkout Session is expired at Stripe once that commits.
* One client address may have ``MAX_PENDING_PER_ADDRESS`` orders awaiting
  payment at once.
* An order that never reached Stripe (Stripe down, the shopper gone) gives its
  stock back after ``UNSENT_ORDER_MINUTES``; checkout and ``reconcile_stripe``
  both run :func:`release_unsent`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.models import Site

from . import downloads, fulfilment, stock
from .cart import PENDING_ORDER_SESSION_KEY, PricedCart, browser_key
from .conf import app_settings
from .models import Order, OrderLine
from .ratelimits import client_address
from .services import StripeServiceError, get_gateway

logger = logging.getLogger("wagtail_stripe_checkout.checkout")

REUSE_WINDOW = timedelta(minutes=5)


class CheckoutError(Exception):
    """Checkout could not start; ``message`` is for the shopper. The cart is untouched.

    ``status`` is the HTTP status the page answers with (429 for limits)."""

    def __init__(self, message: str, order: Order | None = None, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.order = order
        self.status = status


def client_key(request: HttpRequest) -> str:
    """A keyed digest of the client's address: countable, not the address."""
    secret = str(settings.SECRET_KEY).encode()
    digest = hmac.new(secret, client_address(request).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def fingerprint(request: HttpRequest, priced: PricedCart, email: str, name: str) -> str:
    """Same browser, cart, amounts and details: the same checkout."""
    totals = priced.totals
    data = {
        "browser": browser_key(request),
        "lines": [(line.key, line.quantity, line.unit_amount) for line in priced.lines],
        "currency": priced.currency.code,
        "totals": [totals.subtotal, totals.tax, totals.shipping, totals.total],
        "shipping": [priced.shipping.country, priced.shipping.rate_id] if priced.shipping else [],
        "email": email.lower(),
        "name": name,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def pending_order(
    request: HttpRequest, priced: PricedCart, email: str, name: str
) -> tuple[Order, bool]:
    """The browser's order for this cart and these details: reused, or created
    (with its lines and its stock reservation, all or nothing) in place of the
    one it had. Returns the order and whether it is new."""
    browser = browser_key(request)
    key = fingerprint(request, priced, email, name)
    current = Order.objects.filter(browser_key=browser, status=Order.Status.PENDING).first()
    recent = timezone.now() - REUSE_WINDOW
    if current is not None and current.checkout_key == key and current.created_at >= recent:
        return current, False
    _check_address_limit(request, current)
    try:
        order = _replace(request, priced, email, name, key, browser, current)
    except stock.SoldOut as exc:
        message = _(
            "Sorry, %(name)s sold out while you were checking out. "
            "Your cart has been updated; please check it and try again."
        ) % {"name": exc.name}
        raise CheckoutError(message) from None
    except IntegrityError:
        # Another request from this browser got there a moment earlier.
        return _winner(browser, key), False
    request.session[PENDING_ORDER_SESSION_KEY] = str(order.public_id)
    return order, True


def _winner(browser: str, key: str) -> Order:
    winner = Order.objects.filter(browser_key=browser, status=Order.Status.PENDING).first()
    if winner is None or winner.checkout_key != key:
        raise CheckoutError(
            _("Another checkout from this browser started at the same moment. Please try again.")
        )
    return winner


def _check_address_limit(request: HttpRequest, current: Order | None) -> None:
    limit = app_settings.MAX_PENDING_PER_ADDRESS
    since = timezone.now() - timedelta(minutes=max(app_settings.SESSION_EXPIRY_MINUTES, 30))
    others = Order.objects.filter(
        client_key=client_key(request), status=Order.Status.PENDING, created_at__gte=since
    )
    if current is not None:
        others = others.exclude(pk=current.pk)
    if others.count() >= limit:
        logger.warning("checkout_address_limit", extra={"limit": limit})
        raise CheckoutError(
            _(
                "Too many checkouts are waiting for payment from your network. Please finish "
                "or cancel one, or try again later."
            ),
            status=429,
        )


@transaction.atomic
def _replace(
    request: HttpRequest,
    priced: PricedCart,
    email: str,
    name: str,
    key: str,
    browser: str,
    current: Order | None,
) -> Order:
    """Supersede the browser's current order (its stock back), then create the new one."""
    superseded = current is not None and fulfilment.supersede(current).applied
    if superseded and current is not None and current.stripe_session_id:
        session_id, reference = current.stripe_session_id, current.reference
        transaction.on_commit(lambda: _expire_at_stripe(session_id, reference))
    totals = priced.totals
    reserved = stock.reserve(priced)  # first: a sold-out line stops here, before any write
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
        shipping_country=priced.shipping.country if priced.shipping else "",
        language=(translation.get_language() or "")[:15],
        shipping_rate_name=totals.shipping_label[:150],
        checkout_key=key,
        browser_key=browser,
        client_key=client_key(request),
        stock_reserved=reserved,
        has_downloads=downloads.sells_files([line.product.pk for line in priced.lines]),
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            variant=line.variant,
            name=line.product.name,
            variant_name=line.variant_name,
            sku=line.sku,
            shipped=line.product.shipped,
            unit_amount=line.unit_amount,
            quantity=line.quantity,
            total=line.total,
        )
        for line in priced.lines
    )
    return order


def _expire_at_stripe(session_id: str, reference: str) -> None:
    """Best effort: an open session expires on its own at ``expires_at``."""
    try:
        get_gateway().expire_checkout_session(session_id)
    except StripeServiceError as exc:
        logger.warning(
            "checkout_session_expire_failed", extra={"order": reference, "stripe": exc.log_details}
        )


def release_unsent(minutes: int | None = None) -> int:
    """Close orders that never reached Stripe after ``minutes`` (their stock comes back)."""
    minutes = app_settings.UNSENT_ORDER_MINUTES if minutes is None else minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    stale = Order.objects.filter(
        status=Order.Status.PENDING, stripe_session_id__isnull=True, created_at__lt=cutoff
    )
    return sum(fulfilment.fail(order).applied for order in stale[:100])
