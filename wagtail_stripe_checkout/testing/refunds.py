"""Refunds: ``POST /v1/refunds`` against a paid session's payment intent."""

from __future__ import annotations

import copy
from typing import Any

from . import objects
from .errors import int_param, invalid, missing, not_found
from .events import deliver, record_event
from .state import Host


def create_refund(host: Host, params: dict[str, Any], api_version: str | None) -> dict[str, Any]:
    """Refund ``amount`` (all that is left, by default) and send ``charge.refunded``."""
    payment_intent = params.get("payment_intent")
    if not payment_intent:
        raise missing("payment_intent", "One of charge or payment_intent is required.")
    with host.lock:
        charge = host.state.charges.get(payment_intent)
        if charge is None:
            raise not_found("payment_intent", payment_intent, "payment_intent")
        amount = refund_amount(charge, params.get("amount"))
        refund = objects.refund(charge, amount, payment_intent)
        host.state.refunds.append(refund)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        event = record_event(host, "charge.refunded", copy.deepcopy(charge), api_version)
    deliver(host, event)
    return copy.deepcopy(refund)


def refund_amount(charge: dict[str, Any], requested: Any) -> int:
    """The amount to refund: more than 0 and at most what is not refunded yet."""
    remaining = charge["amount"] - charge["amount_refunded"]
    amount = remaining if requested is None else int_param(requested, "amount")
    if amount <= 0:
        raise invalid("Refund amount must be greater than 0.", "amount")
    if amount > remaining:
        raise invalid(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            "amount",
            code="amount_too_large",
        )
    return amount
