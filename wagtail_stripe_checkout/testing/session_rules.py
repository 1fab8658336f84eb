"""The rules Stripe applies to a Checkout Session create request, area by area.

``parse_session_request`` checks them in Stripe's order and returns the
request's meaning as plain values; any refusal is a :class:`StripeHTTPError`
with Stripe's message, code and param. (Unknown parameters were refused
before, by the SDK-typed check in ``params``.) Shipping options, discounts and
what the session collects from the shopper have their own modules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import amounts, currencies
from .collection import Collection, parse_collection
from .currencies import Currency
from .discounts import Discount, parse_discounts
from .errors import bool_param, int_param, invalid, missing
from .shipping import Rate, parse_shipping_options
from .tax_rules import DEFAULT_TAX_BEHAVIOR, check_tax_behavior, check_tax_code

MAX_LINE_ITEMS = 100
MAX_QUANTITY = 999_999
MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 3600
EXPIRY_SLACK = 5  # seconds, for the time between the client's clock read and ours
SESSION_ID_VARIABLE = "CHECKOUT_SESSION_ID"

_URL_RE = re.compile(r"^https?://[^\s/]+")
_TEMPLATE_RE = re.compile(r"\{([^{}]*)\}")
_UNCLOSED_RE = re.compile(r"\{[^}]*$|^[^{]*\}")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ItemRequest:
    name: str
    unit_amount: int
    quantity: int
    currency: str
    tax_behavior: str = DEFAULT_TAX_BEHAVIOR
    tax_code: str | None = None

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(frozen=True)
class SessionRequest:
    """A valid create request, in the terms the session object is built from."""

    success_url: str
    cancel_url: str | None
    items: list[ItemRequest]
    currency: Currency
    shipping_rates: list[Rate]  # the shipping options, in order
    expires_at: int
    metadata: dict[str, Any]
    client_reference_id: str | None
    customer_email: str | None
    automatic_tax: bool
    shipping_address_collection: dict[str, Any] | None
    locale: str | None
    allow_promotion_codes: bool
    discount: Discount | None = None  # from ``discounts``
    collection: Collection = field(default_factory=Collection)

    @property
    def subtotal(self) -> int:
        return sum(item.amount for item in self.items)

    def priced(self, shipping_index: int, discount: Discount | None) -> amounts.Priced:
        """The amounts with the ``shipping_index``-th option chosen and ``discount`` applied."""
        rate = self.shipping_rates[shipping_index] if self.shipping_rates else None
        return amounts.price(
            [(item.amount, item.tax_behavior) for item in self.items],
            (rate.amount, rate.tax_behavior) if rate else None,
            amount_off=discount.amount_off if discount else 0,
            taxed=self.automatic_tax,
            step=self.currency.step,
        )


def parse_session_request(
    params: dict[str, Any], now: int, known_rates: Mapping[str, dict[str, Any]] | None = None
) -> SessionRequest:
    """``known_rates``: the stored shipping rates an option may name, by id."""
    check_mode(params.get("mode"))
    success_url = check_urls(params)
    items = parse_line_items(params.get("line_items") or [])
    currency = single_currency(items)
    rates = parse_shipping_options(
        params.get("shipping_options") or [], currency, known_rates or {}
    )
    request = SessionRequest(
        success_url=success_url,
        cancel_url=params.get("cancel_url"),
        items=items,
        currency=currency,
        shipping_rates=rates,
        expires_at=parse_expires_at(params.get("expires_at"), now),
        metadata=check_metadata(params.get("metadata") or {}),
        client_reference_id=check_reference(params.get("client_reference_id")),
        customer_email=check_email(params.get("customer_email")),
        automatic_tax=bool_param(
            (params.get("automatic_tax") or {}).get("enabled"), "automatic_tax[enabled]"
        ),
        shipping_address_collection=params.get("shipping_address_collection"),
        locale=params.get("locale"),
        allow_promotion_codes=bool_param(
            params.get("allow_promotion_codes"), "allow_promotion_codes"
        ),
        discount=parse_discounts(params),
        collection=parse_collection(params),
    )
    check_amounts(request)
    return request


# Mode and URLs ---------------------------------------------------------------
def check_mode(mode: Any) -> None:
    if not mode:
        raise missing("mode")
    if mode != "payment":
        raise invalid("The stand-in supports mode=payment only.", "mode")


def check_urls(params: dict[str, Any]) -> str:
    """``success_url`` (required) and ``cancel_url``; returns the success URL."""
    success_url = params.get("success_url")
    if not success_url:
        raise missing("success_url")
    for name in ("success_url", "cancel_url"):
        url = params.get(name)
        if url is not None:
            check_url(name, url)
    return str(success_url)


def check_url(name: str, url: str) -> None:
    if not _URL_RE.match(url):
        raise invalid(f"Not a valid URL: {name}", name, code="url_invalid")
    for variable in _TEMPLATE_RE.findall(url):
        if variable != SESSION_ID_VARIABLE:
            raise invalid(
                f"The {name} contains an invalid template variable {{{variable}}}; "
                f"the only supported one is {{{SESSION_ID_VARIABLE}}}.",
                name,
            )
    if url.count("{") != url.count("}") or _UNCLOSED_RE.search(url):
        raise invalid(f"The {name} has a malformed {{{SESSION_ID_VARIABLE}}} template.", name)


# Line items ------------------------------------------------------------------
def parse_line_items(items: list[Any]) -> list[ItemRequest]:
    if not items:
        raise missing("line_items", "You must provide at least one line item.")
    if len(items) > MAX_LINE_ITEMS:
        raise invalid(f"You may only specify up to {MAX_LINE_ITEMS} line items.", "line_items")
    return [parse_line_item(item, f"line_items[{index}]") for index, item in enumerate(items)]


def parse_line_item(item: dict[str, Any], path: str) -> ItemRequest:
    price_data = item.get("price_data")
    if not price_data:
        raise missing(f"{path}[price_data]", f"The stand-in needs {path}[price_data].")
    currency = parse_currency(price_data.get("currency"), f"{path}[price_data][currency]")
    unit_amount = parse_unit_amount(price_data.get("unit_amount"), f"{path}[price_data]")
    quantity = int_param(item.get("quantity"), f"{path}[quantity]")
    if quantity < 1 or quantity > MAX_QUANTITY:
        raise invalid("This value must be greater than or equal to 1.", f"{path}[quantity]")
    product_data = price_data.get("product_data") or {}
    name = (product_data.get("name") or "").strip()
    if not name:
        raise missing(f"{path}[price_data][product_data][name]")
    return ItemRequest(
        name,
        unit_amount,
        quantity,
        currency.code,
        check_tax_behavior(price_data.get("tax_behavior"), f"{path}[price_data][tax_behavior]"),
        check_tax_code(product_data.get("tax_code"), f"{path}[price_data][product_data][tax_code]"),
    )


def parse_currency(value: Any, param: str) -> Currency:
    code = str(value or "").lower()
    if not code:
        raise missing(param)
    currency = currencies.lookup(code)
    if currency is None:
        raise invalid(f"Invalid currency: {code}.", param)
    return currency


def parse_unit_amount(value: Any, price_path: str) -> int:
    param = f"{price_path}[unit_amount]"
    amount = int_param(value, param)
    if amount < 0 or amount > currencies.MAX_AMOUNT:
        raise invalid(
            "This value must be greater than or equal to 0 and less than or equal to "
            f"{currencies.MAX_AMOUNT}.",
            param,
        )
    return amount


def single_currency(items: list[ItemRequest]) -> Currency:
    codes = sorted({item.currency for item in items})
    if len(codes) > 1:
        raise invalid(
            f"All line items must use the same currency; got {', '.join(codes)}.", "line_items"
        )
    currency = currencies.lookup(codes[0])
    assert currency is not None  # each item's currency was looked up already
    return currency


# Amounts ---------------------------------------------------------------------
def check_amounts(request: SessionRequest) -> None:
    """Each amount and the total due (the first shipping option chosen, any discount and
    tax applied): the currency's step, minimum and eight digits. A discount may bring
    the total to 0 (a no-cost order)."""
    currency = request.currency
    for item in request.items:
        check_step(item.unit_amount, currency, "line_items")
    total = request.priced(0, request.discount).total
    check_step(total, currency, "amount_total")
    for index, rate in enumerate(request.shipping_rates):
        param = f"shipping_options[{index}][shipping_rate_data][fixed_amount][amount]"
        check_step(rate.amount, currency, param)
    if total < currency.minimum and not (total == 0 and request.discount):
        minimum = currencies.format_plain(currency.minimum, currency)
        raise invalid(
            "The Checkout Session's total amount due must add up to at least "
            f"{minimum} {currency.code}",
            code="amount_too_small",
        )
    if total > currencies.MAX_AMOUNT:
        raise invalid(
            "The Checkout Session's total amount due must be no more than "
            f"{currencies.MAX_AMOUNT}.",
            code="amount_too_large",
        )


def check_step(amount: int, currency: Currency, param: str) -> None:
    if amount % currency.step:
        digits = "digits" if currency.step == 100 else "digit"
        raise invalid(
            f"Amounts in {currency.code} must be multiples of {currency.step} "
            f"(the last {digits} must be 0).",
            param,
        )


# Expiry, metadata, reference, email -----------------------------------------
def parse_expires_at(value: Any, now: int) -> int:
    if value is None:
        return now + MAX_EXPIRY
    expires_at = int_param(value, "expires_at")
    if expires_at < now + MIN_EXPIRY - EXPIRY_SLACK:
        raise invalid(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            "expires_at",
        )
    if expires_at > now + MAX_EXPIRY + EXPIRY_SLACK:
        raise invalid(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            "expires_at",
        )
    return expires_at


def check_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Up to 50 keys of up to 40 characters, values of up to 500."""
    too_long = any(len(k) > 40 or len(str(v)) > 500 for k, v in metadata.items())
    if len(metadata) > 50 or too_long:
        raise invalid(
            "Metadata can have up to 50 keys of 40 characters and values of 500 characters.",
            "metadata",
        )
    return dict(metadata)


def check_reference(reference: str | None) -> str | None:
    if reference is not None and len(reference) > 200:
        raise invalid("client_reference_id can be at most 200 characters.", "client_reference_id")
    return reference


def check_email(email: str | None) -> str | None:
    if email is not None and not _EMAIL_RE.match(email):
        raise invalid("Invalid email address: " + email, "customer_email", code="email_invalid")
    return email
