"""A session's amounts, and the choices on the pay page that change them.

The shopper may pick another shipping option, or apply a promotion code; the
session (and its line items) then show the new amounts, as Stripe's do. The
arithmetic is in ``amounts``; what was requested is kept on the session, in
private keys the API never shows.
"""

from __future__ import annotations

from typing import Any

from . import amounts, discounts
from .discounts import Discount
from .session_rules import SessionRequest

REQUEST = "_request"  # the parsed create request
SHIPPING_INDEX = "_shipping_index"  # the chosen shipping option
DISCOUNT = "_discount"  # the applied discount, or None

UNKNOWN_RATE = "Choose one of the shipping options."
NO_CODES = "This checkout session does not accept promotion codes."
UNDER_MINIMUM = "This code cannot be applied: the total would be under the minimum charge."


def start(
    session: dict[str, Any], line_items: list[dict[str, Any]], request: SessionRequest
) -> None:
    """Price a new session: the first shipping option, the requested discount."""
    session.update({REQUEST: request, SHIPPING_INDEX: 0, DISCOUNT: request.discount})
    reprice(session, line_items)


def reprice(session: dict[str, Any], line_items: list[dict[str, Any]]) -> None:
    """Set the session's and its line items' amounts from what was requested and chosen."""
    request: SessionRequest = session[REQUEST]
    discount: Discount | None = session[DISCOUNT]
    priced = request.priced(session[SHIPPING_INDEX], discount)
    session.update(
        amount_subtotal=priced.subtotal,
        amount_total=priced.total,
        discounts=[discount.as_session_discount()] if discount else [],
        shipping_cost=_shipping_cost(request, session[SHIPPING_INDEX], priced),
        shipping_options=[
            {"shipping_amount": rate.amount, "shipping_rate": rate.id}
            for rate in request.shipping_rates
        ],
        total_details={
            "amount_discount": priced.discount,
            "amount_shipping": priced.shipping_amount,
            "amount_tax": priced.tax,
        },
    )
    for line, charged in zip(line_items, priced.lines, strict=True):
        line.update(
            amount_subtotal=charged.subtotal,
            amount_discount=charged.discount,
            amount_tax=charged.tax,
            amount_total=charged.total,
        )


def _shipping_cost(
    request: SessionRequest, index: int, priced: amounts.Priced
) -> dict[str, Any] | None:
    if priced.shipping is None:
        return None
    return {
        "amount_subtotal": priced.shipping.subtotal,
        "amount_tax": priced.shipping.tax,
        "amount_total": priced.shipping.total,
        "shipping_rate": request.shipping_rates[index].id,
    }


# The shopper's choices ---------------------------------------------------------
def shipping_index(session: dict[str, Any], choice: int | str | None) -> int | None:
    """The option the shopper chose: its index, display name or ``shr_`` id (``None``: kept)."""
    rates = session[REQUEST].shipping_rates
    if choice is None or choice == "":
        return int(session[SHIPPING_INDEX])
    if isinstance(choice, int):
        return choice if 0 <= choice < len(rates) else None
    for index, rate in enumerate(rates):
        if choice in (rate.id, rate.display_name):
            return index
    return None


def choose(
    session: dict[str, Any],
    line_items: list[dict[str, Any]],
    rate: int | str | None,
    code: str | None,
) -> str | None:
    """Apply the shopper's shipping option and promotion code; why not, or ``None``."""
    index = shipping_index(session, rate)
    if index is None:
        return UNKNOWN_RATE
    discount = session[DISCOUNT]
    if code:
        if not session[REQUEST].allow_promotion_codes:
            return NO_CODES
        discount = discounts.by_code(code)
        if discount is None:
            return discounts.INVALID_CODE
    request: SessionRequest = session[REQUEST]
    total = request.priced(index, discount).total
    if discount and 0 < total < request.currency.minimum:
        return UNDER_MINIMUM
    session.update({SHIPPING_INDEX: index, DISCOUNT: discount})
    reprice(session, line_items)
    return None


def applied_code(session: dict[str, Any]) -> str | None:
    """The customer-facing code applied on the pay page, if any."""
    discount: Discount | None = session.get(DISCOUNT)
    if discount is None or discount.promotion_code is None:
        return None
    return discounts.TEST_CODE
