"""The shopper's answers checked against what the session asks, and what paying
records of them on the session (``customer_details``, ``collected_information``,
``custom_fields``, ``consent``, ``presentment_details``).

The defaults ``pay()`` uses: phone :data:`TEST_PHONE`, the test address, name
:data:`DEFAULT_NAME`, email :data:`DEFAULT_EMAIL`.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from stripe.checkout import Session

from . import amounts, currencies
from .collection import Collection
from .custom_fields import answer_problem, session_field, test_answer
from .shopper import ADDRESS_FIELDS, Shopper

DEFAULT_EMAIL = "shopper@example.com"
DEFAULT_NAME = "Test Shopper"
DEFAULT_COUNTRY = "US"
TEST_PHONE = "+15555550100"
EU_VAT_PREFIXES = frozenset(
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI".split()
)
_PHONE_RE = re.compile(r"^\+?[0-9]{6,15}$")


class Refusal(Exception):
    """Why the pay page does not go on (a message for the shopper)."""


@dataclass(frozen=True)
class Answers:
    email: str
    name: str
    phone: str | None
    billing: dict[str, Any]
    shipping: dict[str, Any] | None  # {name, address}, if collected
    tax_ids: list[dict[str, str]]
    custom: dict[str, str | None]
    presentment: dict[str, Any] | None


def test_address(country: str) -> dict[str, Any]:
    return {
        "city": "Testville",
        "country": country,
        "line1": "1 Test Street",
        "line2": None,
        "postal_code": "T35 7ST",
        "state": None,
    }


def resolve(session: dict[str, Any], collection: Collection, shopper: Shopper) -> Answers | str:
    """The shopper's answers, or why the page refuses them (in the page's order)."""
    try:
        shipping = _shipping(session, shopper)
        answers = Answers(
            email=session.get("customer_email") or shopper.email or DEFAULT_EMAIL,
            name=shopper.name or DEFAULT_NAME,
            phone=_phone(collection, shopper),
            billing=_billing(collection, shopper, shipping),
            shipping=shipping,
            tax_ids=_tax_ids(collection, shopper),
            custom=_custom(collection, shopper),
            presentment=_presentment(session, shopper.presentment_currency),
        )
        if collection.terms_required and not shopper.accept_terms:
            raise Refusal("You must agree to the terms of service.")
    except Refusal as refusal:
        return str(refusal)
    return answers


def _phone(collection: Collection, shopper: Shopper) -> str | None:
    if not collection.phone:
        return None
    phone = shopper.phone if shopper.phone is not None or not shopper.test_values else TEST_PHONE
    if not phone or not phone.strip():
        raise Refusal("Enter your phone number.")
    phone = re.sub(r"[\s().-]", "", phone)
    if not _PHONE_RE.match(phone):
        raise Refusal("Your phone number is invalid.")
    return phone


def _address(given: Mapping[str, Any] | None, default: dict[str, Any], what: str) -> dict[str, Any]:
    address = dict(default)
    address.update({k: v for k, v in (given or {}).items() if k in default})
    if any(not str(address.get(name) or "").strip() for name in ADDRESS_FIELDS):
        raise Refusal(f"Enter your {what} address.")
    address["country"] = str(address["country"]).upper()
    return address


def _shipping(session: dict[str, Any], shopper: Shopper) -> dict[str, Any] | None:
    collection = session.get("shipping_address_collection")
    if not collection:
        return None
    allowed = collection.get("allowed_countries") or [DEFAULT_COUNTRY]
    given = dict(shopper.shipping_address or {})
    name = str(given.pop("name") if "name" in given else shopper.name or DEFAULT_NAME).strip()
    address = _address(given, test_address(allowed[0]), "shipping")
    if not name:
        raise Refusal("Enter your shipping address.")
    if address["country"] not in allowed:
        raise Refusal(f"Shipping to {address['country']} is not available.")
    return {"name": name, "address": address}


def _billing(
    collection: Collection, shopper: Shopper, shipping: dict[str, Any] | None
) -> dict[str, Any]:
    """The billing address: as entered if required, else the shipping or test address."""
    default = dict(shipping["address"]) if shipping else test_address(DEFAULT_COUNTRY)
    if collection.billing_address != "required":
        return default
    return _address(shopper.billing_address, default, "billing")


@cache
def tax_id_types() -> frozenset[str]:
    """The tax ID types of the installed SDK's ``customer_details.tax_ids[].type``."""
    annotation = Session.CustomerDetails.TaxId.__annotations__["type"]
    literals = [a for a in typing.get_args(annotation) if typing.get_origin(a) is typing.Literal]
    return frozenset(value for literal in literals for value in typing.get_args(literal))


def _tax_ids(collection: Collection, shopper: Shopper) -> list[dict[str, str]]:
    given = shopper.tax_id
    if not given:
        return []
    if not collection.tax_id["enabled"]:
        raise Refusal("This checkout session does not collect tax IDs.")
    entry = {"value": given} if isinstance(given, str) else dict(given)
    value = re.sub(r"\s", "", str(entry.get("value") or "")).upper()
    kind = entry.get("type") or detected_type(value)
    if kind not in tax_id_types():
        raise Refusal(f"Unknown tax ID type: {kind}")
    return [{"type": kind, "value": value}] if value else []


def detected_type(value: str) -> str:
    """A tax ID's type from its value: EU VAT and UK VAT numbers by prefix; else ``unknown``."""
    prefix = value[:2]
    if prefix == "GB":
        return "gb_vat"
    return "eu_vat" if prefix in EU_VAT_PREFIXES and value[2:3].isalnum() else "unknown"


def _custom(collection: Collection, shopper: Shopper) -> dict[str, str | None]:
    given = shopper.custom_fields or {}
    keys = {field.key for field in collection.custom_fields}
    for key in given:
        if key not in keys:
            raise Refusal(f"This checkout session has no custom field {key}.")
    answers: dict[str, str | None] = {}
    for field in collection.custom_fields:
        if field.key in given:
            value = given[field.key]
            answer = None if value is None else str(value).strip() or None
        else:
            answer = test_answer(field) if shopper.test_values else None
        problem = answer_problem(field, answer)
        if problem:
            raise Refusal(problem)
        answers[field.key] = answer
    return answers


def _presentment(session: dict[str, Any], code: str | None) -> dict[str, Any] | None:
    if not code:
        return None
    source, target = currencies.lookup(session["currency"]), currencies.lookup(code)
    if source is None or target is None:
        raise Refusal(f"Unknown currency: {code}")
    amount = amounts.presentment_amount(session["amount_total"], source, target)
    return {"presentment_amount": amount, "presentment_currency": target.code}


# What paying records ------------------------------------------------------------
def paid_fields(collection: Collection, answers: Answers) -> dict[str, Any]:
    consent = collection.consent_collection
    return {
        "collected_information": _collected(answers.shipping),
        "consent": (
            {
                "promotions": None,
                "terms_of_service": "accepted" if collection.terms_required else None,
            }
            if consent
            else None
        ),
        "custom_fields": [
            session_field(f, answers.custom[f.key]) for f in collection.custom_fields
        ],
        "customer_details": {
            "address": dict(answers.billing),
            "business_name": None,
            "email": answers.email,
            "individual_name": None,
            "name": answers.name,
            "phone": answers.phone,
            "tax_exempt": "none",
            "tax_ids": [dict(tax_id) for tax_id in answers.tax_ids],
        },
        "presentment_details": answers.presentment,
    }


def _collected(shipping: dict[str, Any] | None) -> dict[str, Any] | None:
    """``collected_information`` (API 2025-03-31 on): the shipping name and address."""
    if shipping is None:
        return None
    details = {"name": shipping["name"], "address": dict(shipping["address"])}
    return {"business_name": None, "individual_name": None, "shipping_details": details}
