"""Paying a session: Stripe's test cards, delayed payment methods and the charge behind it."""

from __future__ import annotations

import re
from typing import Any

from . import objects
from .events import deliver, record_event
from .sessions import get_session
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

DEFAULT_EMAIL = "shopper@example.com"
DEFAULT_NAME = "Test Shopper"
DEFAULT_COUNTRY = "US"


def card_refusal(card: str) -> str | None:
    """Why a card number (spaces and dashes allowed) does not pay, or ``None`` if it does."""
    card = re.sub(r"[\s-]", "", card or "")
    if card == CARD_OK:
        return None
    return CARD_REFUSALS.get(card, UNKNOWN_CARD)


def pay(
    host: Host, session_id: str, card: str, *, email: str | None = None, name: str | None = None
) -> tuple[bool, str]:
    """Pay as a shopper on the hosted page: ``(True, success URL)`` or ``(False, error)``.

    A payment completes the session, creates its charge and sends
    ``checkout.session.completed``.
    """
    with host.lock:
        session = get_session(host, session_id)
        if session["status"] != "open":
            return False, NOT_OPEN
        refusal = card_refusal(card)
        if refusal is not None:
            return False, refusal
        session.update(_paid_fields(session, email, name))
        new_charge(host, session)
        event = record_event(
            host, "checkout.session.completed", objects.public(session), session.get("_api_version")
        )
        success = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
    deliver(host, event)
    return True, success


def _paid_fields(session: dict[str, Any], email: str | None, name: str | None) -> dict[str, Any]:
    """What paying sets on a session: the shopper's details, their address if collected."""
    collection = session.get("shipping_address_collection") or None
    country = ((collection or {}).get("allowed_countries") or [DEFAULT_COUNTRY])[0]
    shopper = name or DEFAULT_NAME
    address = _test_address(country)
    shipping = {
        "shipping_details": {"name": shopper, "address": dict(address)},
        "business_name": None,
        "individual_name": None,
        "tax_ids": None,
    }
    return {
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": objects.new_id("pi"),
        "url": None,
        "customer_details": {
            "address": dict(address),
            "email": session.get("customer_email") or email or DEFAULT_EMAIL,
            "name": shopper,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
            "business_name": None,
            "individual_name": None,
        },
        "collected_information": shipping if collection else None,
    }


def _test_address(country: str) -> dict[str, Any]:
    return {
        "city": "Testville",
        "country": country,
        "line1": "1 Test Street",
        "line2": None,
        "postal_code": "T35 7ST",
        "state": None,
    }


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
