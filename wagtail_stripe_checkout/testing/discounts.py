"""Discounts: the stand-in's one test coupon and promotion code, and the rules for using them.

``TESTCODE100`` (any case) is the customer-facing code a shopper types on the pay
page of a session created with ``allow_promotion_codes=true``; its promotion
code is ``promo_TESTCODE100`` and its coupon ``TESTCOUPON100``, either of which a
create request may name in ``discounts``. It takes 100 smallest units off the
line items, before tax, never below 0 (100 is a whole step in every currency:
KWD amounts end in 0, ISK in 00). Any other code is invalid.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import objects
from .errors import bool_param, invalid, no_such, not_found
from .state import Host

TEST_CODE = "TESTCODE100"
TEST_PROMOTION_CODE_ID = "promo_TESTCODE100"
TEST_COUPON_ID = "TESTCOUPON100"
AMOUNT_OFF = 100
INVALID_CODE = "This code is invalid."


@dataclass(frozen=True)
class Discount:
    """A discount applied to a session: its coupon, and the promotion code if one was used."""

    coupon: str
    promotion_code: str | None = None
    amount_off: int = AMOUNT_OFF

    def as_session_discount(self) -> dict[str, Any]:
        return {"coupon": self.coupon, "promotion_code": self.promotion_code}


def by_code(code: str) -> Discount | None:
    """The discount a shopper's code gives, or ``None`` if the code is invalid."""
    if code.strip().upper() == TEST_CODE:
        return Discount(TEST_COUPON_ID, TEST_PROMOTION_CODE_ID)
    return None


# Create rules ----------------------------------------------------------------
def parse_discounts(params: Mapping[str, Any]) -> Discount | None:
    """``discounts``: one coupon or promotion code, never with ``allow_promotion_codes``."""
    discounts = params.get("discounts") or []
    if not discounts:
        return None
    if bool_param(params.get("allow_promotion_codes"), "allow_promotion_codes"):
        raise invalid(
            "You may only specify one of these parameters: allow_promotion_codes, discounts."
        )
    if len(discounts) > 1:
        raise invalid("You may only specify one discount.", "discounts")
    return parse_discount(discounts[0], "discounts[0]")


def parse_discount(entry: dict[str, Any], path: str) -> Discount:
    coupon, promotion_code = entry.get("coupon"), entry.get("promotion_code")
    if bool(coupon) == bool(promotion_code):
        raise invalid("You may only specify one of these parameters: coupon, promotion_code.", path)
    if promotion_code:
        if promotion_code != TEST_PROMOTION_CODE_ID:
            raise no_such("promotion code", promotion_code, f"{path}[promotion_code]")
        return Discount(TEST_COUPON_ID, TEST_PROMOTION_CODE_ID)
    if coupon != TEST_COUPON_ID:
        raise no_such("coupon", str(coupon), f"{path}[coupon]")
    return Discount(TEST_COUPON_ID)


# The coupon and promotion code objects ---------------------------------------
def known(host: Host) -> None:
    """Make the test coupon and promotion code, if not yet; the caller holds the lock."""
    state = host.state
    if TEST_COUPON_ID not in state.coupons:
        state.coupons[TEST_COUPON_ID] = coupon_object(int(time.time()))
        state.promotion_codes[TEST_PROMOTION_CODE_ID] = promotion_code_object(int(time.time()))


def coupon_object(now: int) -> dict[str, Any]:
    """100 smallest units off, once; its ``currency`` is USD, but the stand-in
    applies the same 100 in the session's currency (as a coupon with
    ``currency_options`` in every currency would)."""
    result = objects.fixture("coupon")
    result.update(
        {
            "id": TEST_COUPON_ID,
            "amount_off": AMOUNT_OFF,
            "created": now,
            "currency": "usd",
            "duration": "once",
            "duration_in_months": None,
            "livemode": False,
            "max_redemptions": None,
            "metadata": {},
            "name": "100 off (stand-in test coupon)",
            "percent_off": None,
            "redeem_by": None,
            "times_redeemed": 0,
            "valid": True,
        }
    )
    return result


def promotion_code_object(now: int) -> dict[str, Any]:
    result = objects.fixture("promotion_code")
    result.update(
        {
            "id": TEST_PROMOTION_CODE_ID,
            "active": True,
            "code": TEST_CODE,
            "created": now,
            "customer": None,
            "customer_account": None,
            "expires_at": None,
            "livemode": False,
            "max_redemptions": None,
            "metadata": {},
            "promotion": {"coupon": TEST_COUPON_ID, "type": "coupon"},
            "times_redeemed": 0,
        }
    )
    result["restrictions"].update(minimum_amount=None, minimum_amount_currency=None)
    return result


def redeem(host: Host, discount: Discount) -> None:
    """A paid session used ``discount``; the caller holds the lock."""
    known(host)
    host.state.coupons[discount.coupon]["times_redeemed"] += 1
    if discount.promotion_code:
        host.state.promotion_codes[discount.promotion_code]["times_redeemed"] += 1


# Endpoints ---------------------------------------------------------------------
def retrieve_coupon(host: Host, coupon_id: str) -> dict[str, Any]:
    """``GET /v1/coupons/:id``."""
    with host.lock:
        known(host)
        coupon = host.state.coupons.get(coupon_id)
        if coupon is None:
            raise not_found("coupon", coupon_id, "coupon")
        return copy.deepcopy(coupon)


def retrieve_promotion_code(host: Host, promotion_code_id: str) -> dict[str, Any]:
    """``GET /v1/promotion_codes/:id``."""
    with host.lock:
        known(host)
        promotion_code = host.state.promotion_codes.get(promotion_code_id)
        if promotion_code is None:
            raise not_found("promotion code", promotion_code_id, "promotion_code")
        return copy.deepcopy(promotion_code)


def list_promotion_codes(host: Host, params: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /v1/promotion_codes``, filtered by ``code`` (any case), ``coupon`` and ``active``."""
    with host.lock:
        known(host)
        found = [copy.deepcopy(p) for p in host.state.promotion_codes.values()]
    if params.get("code"):
        found = [p for p in found if p["code"].upper() == str(params["code"]).upper()]
    if params.get("coupon"):
        found = [p for p in found if p["promotion"]["coupon"] == params["coupon"]]
    if params.get("active"):
        active = bool_param(params["active"], "active")
        found = [p for p in found if p["active"] == active]
    return objects.list_object(found, "/v1/promotion_codes")
