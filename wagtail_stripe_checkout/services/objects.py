"""What the package uses of Stripe's objects, as plain typed values.

Parsed defensively from Stripe's JSON (an API response or a webhook event):
anything not shaped as Stripe shapes it raises :class:`MalformedEvent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LineItem:
    description: str
    quantity: int
    unit_amount: int
    amount_total: int
    currency: str


@dataclass(frozen=True)
class Collected:
    """What Stripe collected on its page: contact, addresses, tax IDs, answers."""

    name: str = ""
    email: str = ""
    phone: str = ""
    billing_address: dict[str, str | None] = field(default_factory=dict)
    shipping_name: str = ""
    shipping_address: dict[str, str | None] = field(default_factory=dict)
    tax_ids: list[dict[str, str]] = field(default_factory=list)  # {type, value}
    custom_fields: list[dict[str, str]] = field(default_factory=list)  # {key, label, value}
    promotion_code_id: str = ""
    promotion_code: str = ""  # the code the shopper typed, once known
    shipping_rate_id: str = ""
    presentment_currency: str = ""  # Adaptive Pricing: what the shopper paid in
    presentment_amount: int | None = None
    invoice_id: str = ""
    invoice_url: str = ""


@dataclass(frozen=True)
class CheckoutSession:
    """What we use of a Stripe Checkout Session."""

    id: str
    url: str | None
    status: str  # open, complete, expired
    payment_status: str  # paid, unpaid, no_payment_required
    amount_total: int | None
    currency: str | None  # upper case, like ours
    client_reference_id: str | None
    payment_intent_id: str | None
    customer_email: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    line_items: list[LineItem] | None = None
    amount_discount: int = 0  # promotion codes taken off amount_total
    amount_subtotal: int | None = None
    amount_tax: int = 0  # Stripe Tax (in amount_total when exclusive, inside it when not)
    amount_shipping: int = 0
    collected: Collected | None = None  # what the shopper entered on Stripe's page

    @property
    def needs_expansion(self) -> list[str]:
        """What a retrieve must expand to know the promotion code's text and the
        invoice's link (a webhook event carries only their ids)."""
        wanted = []
        collected = self.collected
        if collected and collected.promotion_code_id and not collected.promotion_code:
            wanted.append("discounts.promotion_code")
        if collected and collected.invoice_id and not collected.invoice_url:
            wanted.append("invoice")
        return wanted

    @property
    def is_paid(self) -> bool:
        return self.payment_status in ("paid", "no_payment_required")


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    currency: str
    status: str


@dataclass(frozen=True)
class Event:
    """A verified webhook event; ``object`` is a plain dict of ``data.object``."""

    id: str
    type: str
    created: int
    object: dict[str, Any]


class MalformedEvent(ValueError):
    """A signed body, or an object in it, that is not shaped like a Stripe event."""


def _amount(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"{key} is not a whole number")
    return value


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise MalformedEvent(f"{key} is not a string")
    return value


def _line_items(expanded: Any) -> list[LineItem] | None:
    if expanded is None:
        return None
    if not isinstance(expanded, dict) or not isinstance(expanded.get("data", []), list):
        raise MalformedEvent("line_items is not a list object")
    items = []
    for item in expanded.get("data", []):
        if not isinstance(item, dict):
            raise MalformedEvent("a line item is not an object")
        price = item.get("price") or {}
        items.append(
            LineItem(
                description=_text(item, "description") or "",
                quantity=_amount(item, "quantity") or 0,
                unit_amount=(_amount(price, "unit_amount") if isinstance(price, dict) else 0) or 0,
                amount_total=_amount(item, "amount_total") or 0,
                currency=(_text(item, "currency") or "").upper(),
            )
        )
    return items


def session_from_dict(obj: dict[str, Any]) -> CheckoutSession:
    """A Checkout Session from Stripe's JSON; :class:`MalformedEvent` if it is not one."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise MalformedEvent("not a Checkout Session")
    payment_intent = obj.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    if payment_intent is not None and not isinstance(payment_intent, str):
        raise MalformedEvent("payment_intent is not an id")
    currency = _text(obj, "currency")
    details = obj.get("customer_details") or {}
    totals = obj.get("total_details") or {}
    metadata = obj.get("metadata") or {}
    if (
        not isinstance(details, dict)
        or not isinstance(totals, dict)
        or not isinstance(metadata, dict)
    ):
        raise MalformedEvent("customer_details, total_details or metadata is not an object")
    return CheckoutSession(
        id=obj["id"],
        url=_text(obj, "url"),
        status=_text(obj, "status") or "",
        payment_status=_text(obj, "payment_status") or "",
        amount_total=_amount(obj, "amount_total"),
        currency=currency.upper() if currency else None,
        client_reference_id=_text(obj, "client_reference_id"),
        payment_intent_id=payment_intent,
        customer_email=_text(obj, "customer_email") or _text(details, "email"),
        metadata={str(k): str(v) for k, v in metadata.items()},
        line_items=_line_items(obj.get("line_items")),
        amount_discount=_amount(totals, "amount_discount") or 0,
        amount_subtotal=_amount(obj, "amount_subtotal"),
        amount_tax=_amount(totals, "amount_tax") or 0,
        amount_shipping=_amount(totals, "amount_shipping") or 0,
        collected=_collected(obj, details),
    )


def _object(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent(f"{key} is not an object")
    return value


def _list(obj: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise MalformedEvent(f"{key} is not a list of objects")
    return value


def _address(obj: dict[str, Any]) -> dict[str, str | None]:
    keys = ("line1", "line2", "city", "state", "postal_code", "country")
    return {k: _text(obj, k) for k in keys if obj.get(k)}


def _id_or_expanded(value: Any) -> tuple[str, dict[str, Any]]:
    """``"promo_1"`` or ``{"id": "promo_1", ...}``: the id, and the object if expanded."""
    if isinstance(value, dict):
        return str(value.get("id") or ""), value
    if value is None or isinstance(value, str):
        return value or "", {}
    raise MalformedEvent("not an id or an object")


def _answers(fields: list[dict[str, Any]]) -> list[dict[str, str]]:
    answers = []
    for item in fields:
        kind = str(item.get("type") or "")
        answer = _object(item, kind) if kind in ("text", "dropdown", "numeric") else {}
        value = answer.get("value")
        if kind == "dropdown":  # show the option's label, not its value
            labels = {o.get("value"): o.get("label") for o in _list(answer, "options")}
            value = labels.get(value, value)
        label = _object(item, "label").get("custom") or item.get("key")
        if value not in (None, ""):
            answers.append({"key": str(item.get("key")), "label": str(label), "value": str(value)})
    return answers


def _collected(obj: dict[str, Any], details: dict[str, Any]) -> Collected:
    shipping = _object(_object(obj, "collected_information"), "shipping_details")
    discounts = _list(obj, "discounts")
    promo_id, promo = _id_or_expanded(discounts[0].get("promotion_code") if discounts else None)
    invoice_id, invoice = _id_or_expanded(obj.get("invoice"))
    rate_id, _rate = _id_or_expanded(_object(obj, "shipping_cost").get("shipping_rate"))
    presentment = _object(obj, "presentment_details")
    return Collected(
        name=_text(details, "name") or "",
        email=_text(details, "email") or "",
        phone=_text(details, "phone") or "",
        billing_address=_address(_object(details, "address")),
        shipping_name=_text(shipping, "name") or "",
        shipping_address=_address(_object(shipping, "address")),
        tax_ids=[
            {"type": str(t.get("type")), "value": str(t.get("value"))}
            for t in _list(details, "tax_ids")
        ],
        custom_fields=_answers(_list(obj, "custom_fields")),
        promotion_code_id=promo_id,
        promotion_code=str(promo.get("code") or ""),
        shipping_rate_id=rate_id,
        presentment_currency=(_text(presentment, "presentment_currency") or "").upper(),
        presentment_amount=_amount(presentment, "presentment_amount"),
        invoice_id=invoice_id,
        invoice_url=str(invoice.get("hosted_invoice_url") or ""),
    )
