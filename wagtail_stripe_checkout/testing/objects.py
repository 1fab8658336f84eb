"""Stripe-shaped objects, built on Stripe's own published fixtures.

Each object starts as a copy of its sample in ``fixtures.json`` (from Stripe's
OpenAPI repository), so it has every field Stripe sends; the stand-in then sets
the fields that mean something for its request.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .collection import session_fields

if TYPE_CHECKING:
    from .session_rules import ItemRequest, SessionRequest

PRIVATE_PREFIX = "_"  # stored on a session, never shown by the API


@cache
def _fixtures() -> dict[str, Any]:
    resources: dict[str, Any] = json.loads(Path(__file__).with_name("fixtures.json").read_text())[
        "resources"
    ]
    return resources


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of Stripe's sample ``name`` object (``"checkout.session"``...)."""
    return copy.deepcopy(_fixtures()[name])


def new_id(prefix: str) -> str:
    """``cs_test_…``, ``pi_…``: a prefix and 32 letters and digits."""
    return f"{prefix}_{secrets.token_urlsafe(24).replace('-', 'a').replace('_', 'b')}"


def public(session: dict[str, Any]) -> dict[str, Any]:
    """A stored session as the API shows it: a copy without the private keys."""
    return {
        key: copy.deepcopy(value)
        for key, value in session.items()
        if not key.startswith(PRIVATE_PREFIX)
    }


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


# Checkout Sessions -----------------------------------------------------------
def checkout_session(
    session_id: str,
    request: SessionRequest,
    *,
    url: str,
    api_version: str | None,
    now: int,
) -> dict[str, Any]:
    """A new open session for a valid create ``request``; ``url`` is its pay page.

    Its amounts are set by ``session_totals.reprice``.
    """
    session = fixture("checkout.session")
    session.update(copy.deepcopy(_UNUSED_FEATURES))
    session.update(_as_requested(request))
    session.update(id=session_id, object="checkout.session", created=now, url=url)
    session["_api_version"] = api_version  # what its events are rendered for
    return session


def _as_requested(request: SessionRequest) -> dict[str, Any]:
    """The fields that echo the create request."""
    return {
        "allow_promotion_codes": True if request.allow_promotion_codes else None,
        "automatic_tax": _automatic_tax(request.automatic_tax),
        "cancel_url": request.cancel_url,
        "client_reference_id": request.client_reference_id,
        "currency": request.currency.code,
        "customer_email": request.customer_email,
        "expires_at": request.expires_at,
        "locale": request.locale,
        "metadata": dict(request.metadata),
        "shipping_address_collection": request.shipping_address_collection,
        "success_url": request.success_url,
        **session_fields(request.collection),
    }


# What an open payment-mode session without these features shows.
_UNUSED_FEATURES: dict[str, Any] = {
    "after_expiration": None,
    "collected_information": None,
    "consent": None,
    "currency_conversion": None,
    "customer_details": None,
    "discounts": [],
    "invoice": None,
    "livemode": False,
    "managed_payments": {"enabled": False},
    "mode": "payment",
    "payment_intent": None,
    "payment_method_configuration_details": None,
    "payment_status": "unpaid",
    "presentment_details": None,
    "recovered_from": None,
    "status": "open",
    "ui_mode": "hosted",
}


def _automatic_tax(enabled: bool) -> dict[str, Any]:
    return {
        "enabled": enabled,
        "liability": {"type": "self"} if enabled else None,
        "provider": "stripe" if enabled else None,
        "status": "complete" if enabled else None,
    }


def line_item(item: ItemRequest, now: int) -> dict[str, Any]:
    """A session's line item (``item``), with the one-time price it was created with."""
    line = fixture("item")
    line.update(
        {
            "id": new_id("li"),
            "description": item.name,
            "currency": item.currency,
            "quantity": item.quantity,
            "amount_subtotal": item.amount,
            "amount_total": item.amount,
            "amount_discount": 0,
            "amount_tax": 0,
            "adjustable_quantity": None,
            "metadata": {},
            "price": _one_time_price(line["price"], item, now),
        }
    )
    return line


def _one_time_price(price: dict[str, Any], item: ItemRequest, now: int) -> dict[str, Any]:
    price.update(
        {
            "id": new_id("price"),
            "currency": item.currency,
            "unit_amount": item.unit_amount,
            "unit_amount_decimal": str(item.unit_amount),
            "product": new_id("prod"),
            "recurring": None,
            "transform_quantity": None,
            "custom_unit_amount": None,
            "tax_behavior": item.tax_behavior,
            "type": "one_time",
            "created": now,
        }
    )
    return price


# Payments --------------------------------------------------------------------
def charge(session: dict[str, Any]) -> dict[str, Any]:
    """The succeeded charge behind a paid session."""
    result = fixture("charge")
    result.update(
        {
            "id": new_id("ch"),
            "amount": session["amount_total"],
            "amount_captured": session["amount_total"],
            "amount_refunded": 0,
            "captured": True,
            "currency": session["currency"],
            "created": int(time.time()),
            "livemode": False,
            "paid": True,
            "payment_intent": session["payment_intent"],
            "refunded": False,
            "status": "succeeded",
            "metadata": dict(session.get("metadata") or {}),
        }
    )
    return result


def refund(charge: dict[str, Any], amount: int, payment_intent: str) -> dict[str, Any]:
    """A succeeded refund of ``amount`` of ``charge``."""
    result = fixture("refund")
    result.update(
        {
            "id": new_id("re"),
            "amount": amount,
            "charge": charge["id"],
            "currency": charge["currency"],
            "created": int(time.time()),
            "payment_intent": payment_intent,
            "status": "succeeded",
            "metadata": {},
        }
    )
    return result


def event(
    event_type: str, obj: dict[str, Any], api_version: str | None, pending_webhooks: int
) -> dict[str, Any]:
    """An event about ``obj`` (copied as it is now)."""
    result = fixture("event")
    result.update(
        {
            "id": new_id("evt"),
            "object": "event",
            "api_version": api_version,
            "created": int(time.time()),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": pending_webhooks,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    )
    return result
