"""Shipping options: their create rules, and the ``shipping_rate`` objects behind them.

Each ``shipping_options[][shipping_rate_data]`` becomes a stored ``shipping_rate``
(``shr_…``, ``GET /v1/shipping_rates/:id``), as Stripe creates one; an option
may also name a rate created before (``shipping_options[][shipping_rate]``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from . import currencies, objects
from .currencies import Currency
from .errors import int_param, invalid, missing, no_such, not_found
from .state import Host
from .tax_rules import check_tax_behavior, check_tax_code

MAX_SHIPPING_OPTIONS = 5
ESTIMATE_UNITS = ("business_day", "day", "hour", "month", "week")


@dataclass(frozen=True)
class Rate:
    """A shipping rate as a session uses it; ``id`` is ``None`` until it is stored."""

    display_name: str
    amount: int
    currency: str
    tax_behavior: str
    tax_code: str | None = None
    delivery_estimate: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    id: str | None = None


# Create rules ----------------------------------------------------------------
def parse_shipping_options(
    options: list[Any], currency: Currency, known: Mapping[str, dict[str, Any]]
) -> list[Rate]:
    """The rates of ``shipping_options``, in order (the first is preselected)."""
    if len(options) > MAX_SHIPPING_OPTIONS:
        raise invalid(
            f"You may only specify up to {MAX_SHIPPING_OPTIONS} shipping options.",
            "shipping_options",
        )
    return [
        parse_option(option, f"shipping_options[{index}]", currency, known)
        for index, option in enumerate(options)
    ]


def parse_option(
    option: dict[str, Any], path: str, currency: Currency, known: Mapping[str, dict[str, Any]]
) -> Rate:
    rate_id, data = option.get("shipping_rate"), option.get("shipping_rate_data")
    if bool(rate_id) == bool(data):
        raise invalid("Exactly one of shipping_rate or shipping_rate_data is required.", path)
    if rate_id:
        return existing_rate(str(rate_id), f"{path}[shipping_rate]", currency, known)
    return parse_rate_data(dict(data or {}), f"{path}[shipping_rate_data]", currency)


def parse_rate_data(data: dict[str, Any], path: str, currency: Currency) -> Rate:
    name = str(data.get("display_name") or "").strip()
    if not name:
        raise missing(f"{path}[display_name]")
    if len(name) > 100:
        raise invalid(
            f"{path}[display_name] must be at most 100 characters.", f"{path}[display_name]"
        )
    fixed = data.get("fixed_amount") or {}
    if not fixed:
        raise missing(f"{path}[fixed_amount]")
    amount = int_param(fixed.get("amount"), f"{path}[fixed_amount][amount]")
    if amount < 0 or amount > currencies.MAX_AMOUNT:
        raise invalid(
            "This value must be greater than or equal to 0 and less than or equal to "
            f"{currencies.MAX_AMOUNT}.",
            f"{path}[fixed_amount][amount]",
        )
    check_currency(fixed.get("currency"), currency, f"{path}[fixed_amount][currency]")
    return Rate(
        display_name=name,
        amount=amount,
        currency=currency.code,
        tax_behavior=check_tax_behavior(data.get("tax_behavior"), f"{path}[tax_behavior]"),
        tax_code=check_tax_code(data.get("tax_code"), f"{path}[tax_code]"),
        delivery_estimate=parse_estimate(
            data.get("delivery_estimate"), f"{path}[delivery_estimate]"
        ),
        metadata=dict(data.get("metadata") or {}),
    )


def check_currency(value: Any, currency: Currency, param: str) -> None:
    if str(value or "").lower() != currency.code:
        raise invalid("The shipping rate's currency must match the line items' currency.", param)


def parse_estimate(estimate: Any, path: str) -> dict[str, Any] | None:
    """``{minimum, maximum}``, each ``{unit, value}`` or ``None``, as the rate shows it."""
    if not estimate:
        return None
    return {
        end: _estimate_end(estimate.get(end), f"{path}[{end}]") for end in ("maximum", "minimum")
    }


def _estimate_end(end: Any, path: str) -> dict[str, Any] | None:
    if not end:
        return None
    if end.get("unit") not in ESTIMATE_UNITS:
        raise invalid(
            f"Invalid {path}[unit]: must be one of {', '.join(ESTIMATE_UNITS)}", f"{path}[unit]"
        )
    value = int_param(end.get("value"), f"{path}[value]")
    if value < 1:
        raise invalid("This value must be greater than or equal to 1.", f"{path}[value]")
    return {"unit": end["unit"], "value": value}


def existing_rate(
    rate_id: str, param: str, currency: Currency, known: Mapping[str, dict[str, Any]]
) -> Rate:
    stored = known.get(rate_id)
    if stored is None:
        raise no_such("shipping rate", rate_id, param)
    fixed = stored["fixed_amount"]
    check_currency(fixed["currency"], currency, param)
    return Rate(
        display_name=stored["display_name"],
        amount=fixed["amount"],
        currency=fixed["currency"],
        tax_behavior=stored["tax_behavior"] or "unspecified",
        tax_code=stored["tax_code"],
        delivery_estimate=copy.deepcopy(stored["delivery_estimate"]),
        metadata=dict(stored["metadata"]),
        id=rate_id,
    )


# The shipping_rate objects -----------------------------------------------------
def store_rates(host: Host, rates: list[Rate], now: int) -> list[Rate]:
    """Store each new rate as a ``shipping_rate``; the caller holds the lock."""
    stored = []
    for rate in rates:
        if rate.id is None:
            rate = replace(rate, id=objects.new_id("shr"))
            host.state.shipping_rates[str(rate.id)] = rate_object(rate, now)
        stored.append(rate)
    return stored


def rate_object(rate: Rate, now: int) -> dict[str, Any]:
    result = objects.fixture("shipping_rate")
    result.update(
        {
            "id": rate.id,
            "active": True,
            "created": now,
            "delivery_estimate": copy.deepcopy(rate.delivery_estimate),
            "display_name": rate.display_name,
            "fixed_amount": {"amount": rate.amount, "currency": rate.currency},
            "livemode": False,
            "metadata": dict(rate.metadata or {}),
            "tax_behavior": rate.tax_behavior,
            "tax_code": rate.tax_code,
            "type": "fixed_amount",
        }
    )
    return result


def retrieve_shipping_rate(host: Host, rate_id: str) -> dict[str, Any]:
    """``GET /v1/shipping_rates/:id``."""
    with host.lock:
        stored = host.state.shipping_rates.get(rate_id)
        if stored is None:
            raise not_found("shipping rate", rate_id, "shipping_rate")
        return copy.deepcopy(stored)
