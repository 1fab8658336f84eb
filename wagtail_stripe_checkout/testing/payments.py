"""Paying a session: Stripe's test cards, delayed payment methods and the charge behind it."""

from __future__ import annotations

import re
import time
from typing import Any

from . import discounts, objects
from .answers import paid_fields, resolve
from .events import deliver, record_event
from .invoices import create_invoice
from .session_totals import DISCOUNT, REQUEST, choose
from .sessions import get_session
from .shopper import Shopper
from .state import Host

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"

NOT_OPEN = "This checkout session is no longer active."
CARD_REFUSALS = {
    CARD_DECLINED: "Your card was declined.",
    CARD_INSUFFICIENT_FUNDS: "Your card has insufficient funds.",
}
UNKNOWN_CARD = "Your card number is incorrect."


def card_refusal(card: str) -> str | None:
    """Why a card number (spaces and dashes allowed) does not pay, or ``None`` if it does."""
    card = re.sub(r"[\s-]", "", card or "")
    if card == CARD_OK:
        return None
    return CARD_REFUSALS.get(card, UNKNOWN_CARD)


def pay(host: Host, session_id: str, shopper: Shopper) -> tuple[bool, str]:
    """Pay as a shopper on the hosted page: ``(True, success URL)`` or ``(False, error)``.

    The shopper's shipping option and promotion code are applied first (and kept,
    as the page keeps them); then their answers and card are checked. A payment
    completes the session, creates its charge (and invoice, if asked for) and
    sends ``checkout.session.completed``. A total of 0 needs no card.
    """
    with host.lock:
        session = get_session(host, session_id)
        if session["status"] != "open":
            return False, NOT_OPEN
        line_items = host.state.line_items[session_id]
        problem = choose(session, line_items, shopper.shipping_rate, shopper.promotion_code)
        if problem:
            return False, problem
        collection = session[REQUEST].collection
        answers = resolve(session, collection, shopper)
        if isinstance(answers, str):
            return False, answers
        refusal = card_refusal(shopper.card) if session["amount_total"] else None
        if refusal is not None:
            return False, refusal
        complete(host, session, paid_fields(collection, answers))
        event = record_event(
            host, "checkout.session.completed", objects.public(session), session.get("_api_version")
        )
        success = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
    deliver(host, event)
    return True, success


def complete(host: Host, session: dict[str, Any], fields: dict[str, Any]) -> None:
    """Complete a paid (or no-cost) session; the caller holds the lock."""
    free = session["amount_total"] == 0
    session.update(
        status="complete",
        payment_status="no_payment_required" if free else "paid",
        payment_intent=None if free else objects.new_id("pi"),
        url=None,
        **fields,
    )
    if not free:
        new_charge(host, session)
    if session[DISCOUNT] is not None:
        discounts.redeem(host, session[DISCOUNT])
    if session["invoice_creation"]["enabled"]:
        line_items = host.state.line_items[session["id"]]
        session["invoice"] = create_invoice(host, session, line_items, int(time.time()))


def complete_unpaid(host: Host, session_id: str) -> None:
    """A delayed payment method: the session completes unpaid (``checkout.session.completed``)."""
    with host.lock:
        session = get_session(host, session_id)
        session.update(
            status="complete",
            payment_status="unpaid",
            payment_intent=objects.new_id("pi"),
            url=None,
        )
        event = record_event(
            host, "checkout.session.completed", objects.public(session), session.get("_api_version")
        )
    deliver(host, event)


def settle_async(host: Host, session_id: str, succeeded: bool) -> None:
    """The delayed payment settles: ``checkout.session.async_payment_succeeded`` or ``_failed``."""
    with host.lock:
        session = get_session(host, session_id)
        if succeeded:
            session["payment_status"] = "paid"
            new_charge(host, session)
        outcome = "succeeded" if succeeded else "failed"
        event = record_event(
            host,
            f"checkout.session.async_payment_{outcome}",
            objects.public(session),
            session.get("_api_version"),
        )
    deliver(host, event)


def new_charge(host: Host, session: dict[str, Any]) -> dict[str, Any]:
    """Store the charge behind a paid session (what refunds act on); the caller holds the lock."""
    charge = objects.charge(session)
    host.state.charges[session["payment_intent"]] = charge
    return charge
