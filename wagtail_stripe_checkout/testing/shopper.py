"""What a shopper enters on the pay page: from the page's form, or from ``pay()``.

``pay()`` stands for a shopper who fills in what the page requires with test
values unless the test says otherwise (``test_values``); the page's own form
takes what was typed. An address left out of the form altogether is the test
address; a field sent blank is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .custom_fields import CustomField

ADDRESS_FIELDS = ("line1", "city", "postal_code", "country")


@dataclass(frozen=True)
class Shopper:
    card: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    shipping_rate: int | str | None = None  # index, display name or ``shr_`` id
    promotion_code: str | None = None
    custom_fields: Mapping[str, Any] | None = None  # key -> answer
    tax_id: str | Mapping[str, str] | None = None  # a value, or {type, value}
    accept_terms: bool = True
    billing_address: Mapping[str, Any] | None = None
    shipping_address: Mapping[str, Any] | None = None  # with ``name``
    presentment_currency: str | None = None
    test_values: bool = True  # fill what is required and not given with test values


def from_form(form: Mapping[str, str], fields: tuple[CustomField, ...]) -> Shopper:
    """The shopper's entries in the pay page's form (``fields``: the session's custom fields)."""
    return Shopper(
        card=form.get("card_number", ""),
        email=form.get("email") or None,
        name=form.get("name") or None,
        phone=form.get("phone"),
        shipping_rate=form.get("shipping_rate") or None,
        promotion_code=(form.get("promotion_code") or "").strip() or None,
        custom_fields={f.key: form[f.form_name] for f in fields if f.form_name in form},
        tax_id=_tax_id(form),
        accept_terms=bool(form.get("accept_terms")),
        billing_address=_address(form, "billing_", ADDRESS_FIELDS),
        shipping_address=_address(form, "shipping_", ("name", *ADDRESS_FIELDS)),
        test_values=False,
    )


def _tax_id(form: Mapping[str, str]) -> dict[str, str] | None:
    value = (form.get("tax_id") or "").strip()
    if not value:
        return None
    return {"type": form.get("tax_id_type") or "", "value": value}


def _address(form: Mapping[str, str], prefix: str, names: tuple[str, ...]) -> dict[str, str] | None:
    if not any(prefix + name in form for name in names):
        return None
    return {name: form.get(prefix + name, "").strip() for name in names}
