"""What a session asks of the shopper, and says to them: the create rules and the
echoed fields for phone, billing address, tax ID, consent, custom text, custom
fields, invoice creation and Adaptive Pricing."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .custom_fields import CustomField, parse_custom_fields, session_field
from .errors import bool_param, invalid, missing

CUSTOM_TEXTS = ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")
MAX_MESSAGE = 1200
MAX_INVOICE_FIELDS = 4


@dataclass(frozen=True)
class Collection:
    phone: bool = False
    billing_address: str | None = None  # "auto" or "required", as requested
    tax_id: dict[str, Any] = field(default_factory=lambda: {"enabled": False, "required": "never"})
    consent_collection: dict[str, Any] | None = None
    custom_text: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(CUSTOM_TEXTS))
    custom_fields: tuple[CustomField, ...] = ()
    invoice_creation: dict[str, Any] | None = None  # as the session shows it, if enabled
    adaptive_pricing: bool = False

    @property
    def terms_required(self) -> bool:
        return (self.consent_collection or {}).get("terms_of_service") == "required"

    def message(self, name: str) -> str | None:
        text = self.custom_text.get(name)
        return text["message"] if text else None


def parse_collection(params: Mapping[str, Any]) -> Collection:
    return Collection(
        phone=_enabled(params, "phone_number_collection"),
        billing_address=_choice(params, "billing_address_collection", ("auto", "required")),
        tax_id=parse_tax_id_collection(params.get("tax_id_collection") or {}),
        consent_collection=parse_consent_collection(params.get("consent_collection")),
        custom_text=parse_custom_text(params.get("custom_text") or {}),
        custom_fields=tuple(parse_custom_fields(params.get("custom_fields") or [])),
        invoice_creation=parse_invoice_creation(params.get("invoice_creation")),
        adaptive_pricing=_enabled(params, "adaptive_pricing", required=False),
    )


def _enabled(params: Mapping[str, Any], name: str, *, required: bool = True) -> bool:
    value = params.get(name) or {}
    if required and value and "enabled" not in value:
        raise missing(f"{name}[enabled]")
    return bool_param(value.get("enabled"), f"{name}[enabled]")


def _choice(
    params: Mapping[str, Any], name: str, allowed: tuple[str, ...], prefix: str = ""
) -> str | None:
    """``params[name]``, one of ``allowed`` or unset; ``prefix``: the hash it is in."""
    value = params.get(name)
    param = f"{prefix}[{name}]" if prefix else name
    if value in (None, ""):
        return None
    if value not in allowed:
        raise invalid(f"Invalid {param}: must be one of {', '.join(allowed)}", param)
    return str(value)


def parse_tax_id_collection(value: Mapping[str, Any]) -> dict[str, Any]:
    enabled = _enabled({"tax_id_collection": value}, "tax_id_collection")
    required = _choice(value, "required", ("if_supported", "never"), "tax_id_collection")
    return {"enabled": enabled, "required": required or "never"}


def parse_consent_collection(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    reuse = value.get("payment_method_reuse_agreement") or None
    if reuse is not None:
        prefix = "consent_collection[payment_method_reuse_agreement]"
        position = _choice(reuse, "position", ("auto", "hidden"), prefix)
        reuse = {"position": position or "auto"}
    return {
        "payment_method_reuse_agreement": reuse,
        "promotions": _choice(value, "promotions", ("auto", "none"), "consent_collection"),
        "terms_of_service": _choice(
            value, "terms_of_service", ("none", "required"), "consent_collection"
        ),
    }


def parse_custom_text(value: Mapping[str, Any]) -> dict[str, Any]:
    """Each of ``CUSTOM_TEXTS``: ``{"message": ...}`` or ``None`` (``""`` unsets one)."""
    result: dict[str, Any] = dict.fromkeys(CUSTOM_TEXTS)
    for name in CUSTOM_TEXTS:
        text = value.get(name) or None
        if text is None:
            continue
        message = str(text.get("message") or "")
        param = f"custom_text[{name}][message]"
        if not message.strip():
            raise missing(param)
        if len(message) > MAX_MESSAGE:
            raise invalid(f"Text can be up to {MAX_MESSAGE} characters in length.", param)
        result[name] = {"message": message}
    return result


def parse_invoice_creation(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The session's ``invoice_creation`` when enabled, else ``None``."""
    if not value:
        return None
    if "enabled" not in value:
        raise missing("invoice_creation[enabled]")
    if not bool_param(value["enabled"], "invoice_creation[enabled]"):
        return None
    return {"enabled": True, "invoice_data": invoice_data(value.get("invoice_data") or {})}


def invoice_data(data: Mapping[str, Any]) -> dict[str, Any]:
    fields = data.get("custom_fields") or []
    if len(fields) > MAX_INVOICE_FIELDS:
        raise invalid(
            f"You may only specify up to {MAX_INVOICE_FIELDS} custom fields.",
            "invoice_creation[invoice_data][custom_fields]",
        )
    rendering = data.get("rendering_options") or None
    return {
        "account_tax_ids": list(data.get("account_tax_ids") or []) or None,
        "custom_fields": [_invoice_field(f, i) for i, f in enumerate(fields)] or None,
        "description": data.get("description") or None,
        "footer": data.get("footer") or None,
        "issuer": dict(data["issuer"]) if data.get("issuer") else None,
        "metadata": dict(data.get("metadata") or {}),
        "rendering_options": _rendering(rendering) if rendering else None,
    }


def _invoice_field(entry: Mapping[str, Any], index: int) -> dict[str, str]:
    path = f"invoice_creation[invoice_data][custom_fields][{index}]"
    for name in ("name", "value"):
        if not entry.get(name):
            raise missing(f"{path}[{name}]")
    return {"name": str(entry["name"]), "value": str(entry["value"])}


def _rendering(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "amount_tax_display": options.get("amount_tax_display") or None,
        "template": options.get("template") or None,
    }


# What the session shows ---------------------------------------------------------
_NO_INVOICE: dict[str, Any] = {
    "enabled": False,
    "invoice_data": {
        "account_tax_ids": None,
        "custom_fields": None,
        "description": None,
        "footer": None,
        "issuer": None,
        "metadata": {},
        "rendering_options": None,
    },
}


def session_fields(collection: Collection) -> dict[str, Any]:
    fields = {
        "adaptive_pricing": {"enabled": collection.adaptive_pricing},
        "billing_address_collection": collection.billing_address,
        "consent_collection": collection.consent_collection,
        "custom_fields": [session_field(f) for f in collection.custom_fields],
        "custom_text": dict(collection.custom_text),
        "invoice_creation": collection.invoice_creation or _NO_INVOICE,
        "phone_number_collection": {"enabled": collection.phone},
        "tax_id_collection": dict(collection.tax_id),
    }
    return copy.deepcopy(fields)
