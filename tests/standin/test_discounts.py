"""Promotion codes and discounts: the documented test code TESTCODE100 takes 100 smallest
units off the line items before tax, on the pay page or through ``discounts``."""

from __future__ import annotations

import pytest
import stripe
from stripe.checkout import Session

from wagtail_stripe_checkout.testing import (
    TEST_COUPON_ID,
    TEST_PROMOTION_CODE,
    TEST_PROMOTION_CODE_ID,
)

from .helpers import error_of, item, pay_page, post_pay_page, rate, raw, session_params
from .shapes import assert_shaped_like

PROMO = {"promotion_code": TEST_PROMOTION_CODE_ID}


def create(sdk, **change):
    return sdk.v1.checkout.sessions.create(params=session_params(**change))


def with_codes(sdk, **change):
    return create(sdk, allow_promotion_codes=True, **change)


def test_the_documented_names():
    assert (TEST_PROMOTION_CODE, TEST_PROMOTION_CODE_ID, TEST_COUPON_ID) == (
        "TESTCODE100",
        "promo_TESTCODE100",
        "TESTCOUPON100",
    )


def test_pay_with_the_test_code(sdk, stand_in, stripe_fixtures):
    session = with_codes(sdk, line_items=[item(unit_amount=1234, quantity=2), item(unit_amount=99)])
    assert stand_in.pay(session.id, promotion_code="TESTCODE100")[0]
    paid = sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    body = raw(paid)
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    assert body["amount_subtotal"] == 2567
    assert body["total_details"] == {"amount_discount": 100, "amount_shipping": 0, "amount_tax": 0}
    assert body["amount_total"] == 2467
    assert body["discounts"] == [
        {"coupon": TEST_COUPON_ID, "promotion_code": TEST_PROMOTION_CODE_ID}
    ]
    lines = [
        (li["amount_subtotal"], li["amount_discount"], li["amount_total"])
        for li in body["line_items"]["data"]
    ]
    assert lines == [(2468, 96, 2372), (99, 4, 95)]  # 96.14 and 3.86, exact
    assert stand_in.state.charges[body["payment_intent"]]["amount"] == 2467
    event = stand_in.events_of_type("checkout.session.completed")[0]
    assert event["data"]["object"]["amount_total"] == 2467


@pytest.mark.parametrize(
    ("currency", "unit_amount", "quantity", "discounts", "total"),
    [
        ("usd", 1234, 2, [100], 2368),
        ("jpy", 1200, 2, [100], 2300),
        ("kwd", 5120, 2, [100], 10140),  # 10.240 - 0.100 KWD: the last digit stays 0
    ],
)
def test_the_code_in_each_currency(
    sdk, stand_in, currency, unit_amount, quantity, discounts, total
):
    session = with_codes(sdk, line_items=[item(currency, unit_amount, quantity)])
    stand_in.pay(session.id, promotion_code=TEST_PROMOTION_CODE)
    stored = stand_in.session(session.id)
    assert stored["amount_total"] == total
    assert [li["amount_discount"] for li in stand_in.state.line_items[session.id]] == discounts


def test_kwd_lines_share_the_discount_in_whole_steps(sdk, stand_in):
    lines = [item("kwd", 5120, 1, "A"), item("kwd", 2560, 1, "B"), item("kwd", 1280, 1, "C")]
    session = with_codes(sdk, line_items=lines)
    stand_in.pay(session.id, promotion_code=TEST_PROMOTION_CODE)
    shares = [li["amount_discount"] for li in stand_in.state.line_items[session.id]]
    assert shares == [60, 30, 10]  # 57.1, 28.6, 14.3 in tenths of a step of 10: 6, 3, 1 steps
    assert stand_in.session(session.id)["amount_total"] == 8960 - 100


def test_the_code_is_applied_before_tax(sdk, stand_in):
    session = with_codes(sdk, automatic_tax={"enabled": True}, shipping_options=[rate(500)])
    stand_in.pay(session.id, promotion_code="testcode100")  # any case
    stored = stand_in.session(session.id)
    # (2468 - 100) + 10% = 2368 + 237; shipping 500 + 50, never discounted
    assert stored["total_details"] == {
        "amount_discount": 100,
        "amount_shipping": 500,
        "amount_tax": 287,
    }
    assert stored["amount_total"] == 2368 + 237 + 550


def test_a_discount_never_goes_below_zero_and_a_free_order_needs_no_card(sdk, stand_in):
    session = with_codes(sdk, line_items=[item("jpy", 80)])
    assert stand_in.pay(session.id, card="", promotion_code=TEST_PROMOTION_CODE)[0]
    stored = stand_in.session(session.id)
    assert (stored["amount_total"], stored["total_details"]["amount_discount"]) == (0, 80)
    assert (stored["payment_status"], stored["payment_intent"]) == ("no_payment_required", None)
    assert stand_in.state.charges == {}


def test_a_code_that_leaves_less_than_the_minimum_is_refused(sdk, stand_in):
    session = with_codes(sdk, line_items=[item(unit_amount=120)])  # 1.20 USD - 1.00 < 0.50
    assert stand_in.pay(session.id, promotion_code=TEST_PROMOTION_CODE) == (
        False,
        "This code cannot be applied: the total would be under the minimum charge.",
    )
    assert stand_in.session(session.id)["discounts"] == []


def test_an_unknown_code_is_invalid_and_nothing_is_paid(sdk, stand_in):
    session = with_codes(sdk)
    assert stand_in.pay(session.id, promotion_code="FREESTUFF") == (False, "This code is invalid.")
    stored = stand_in.session(session.id)
    assert (stored["status"], stored["amount_total"], stored["discounts"]) == ("open", 2468, [])
    assert stand_in.state.events == []


def test_codes_need_allow_promotion_codes(sdk, stand_in):
    session = create(sdk)
    assert stand_in.pay(session.id, promotion_code=TEST_PROMOTION_CODE) == (
        False,
        "This checkout session does not accept promotion codes.",
    )
    assert "Promotion code" not in pay_page(stand_in.api_base, session.id).text


# The pay page ---------------------------------------------------------------------
def test_the_page_has_a_promotion_code_field_and_apply_button(sdk, stand_in):
    html = pay_page(stand_in.api_base, with_codes(sdk).id).text
    assert '<label>Promotion code<input name="promotion_code" value=""' in html
    assert (
        '<button type="submit" name="action" value="apply" formnovalidate class="secondary">'
        "Apply</button>"
    ) in html


def test_apply_shows_the_new_total_without_paying(sdk, stand_in):
    session = with_codes(sdk)
    answer = post_pay_page(
        stand_in.api_base, session.id, action="apply", promotion_code="TESTCODE100"
    )
    assert answer.status == 200
    html = answer.text
    assert "<h1>Pay 23.68 USD</h1>" in html
    assert "<td>Discount (TESTCODE100)</td><td class='n'>−1.00 USD</td>" in html
    assert "<td class='n' data-total>23.68 USD</td>" in html
    assert 'name="promotion_code" value="TESTCODE100"' in html
    assert 'role="alert"' not in html
    stored = stand_in.session(session.id)
    assert (stored["status"], stored["amount_total"]) == ("open", 2368)
    assert stand_in.state.events == [] and stand_in.state.charges == {}
    # The code stays applied when the shopper then pays.
    assert post_pay_page(stand_in.api_base, session.id, email="a@example.com").status == 303
    assert stand_in.session(session.id)["amount_total"] == 2368


def test_an_invalid_code_on_the_page_shows_why(sdk, stand_in):
    session = with_codes(sdk)
    answer = post_pay_page(stand_in.api_base, session.id, action="apply", promotion_code="NOPE")
    assert answer.status == 400
    assert '<p class="error" role="alert">This code is invalid.</p>' in answer.text
    assert "<h1>Pay 24.68 USD</h1>" in answer.text
    paying = post_pay_page(
        stand_in.api_base, session.id, email="a@example.com", promotion_code="NOPE"
    )
    assert paying.status == 402
    assert '<p class="error" role="alert">This code is invalid.</p>' in paying.text
    assert stand_in.session(session.id)["status"] == "open"


# The discounts parameter ---------------------------------------------------------
@pytest.mark.parametrize(
    ("discount", "promotion_code"),
    [(PROMO, TEST_PROMOTION_CODE_ID), ({"coupon": TEST_COUPON_ID}, None)],
    ids=["promotion code", "coupon"],
)
def test_a_discount_given_at_creation(sdk, stand_in, stripe_fixtures, discount, promotion_code):
    session = create(sdk, discounts=[discount])
    body = raw(session)
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    assert body["discounts"] == [{"coupon": TEST_COUPON_ID, "promotion_code": promotion_code}]
    assert (body["amount_total"], body["total_details"]["amount_discount"]) == (2368, 100)
    assert body["allow_promotion_codes"] is None
    assert stand_in.pay(session.id)[0]
    assert stand_in.session(session.id)["amount_total"] == 2368


def refusal(sdk, **change):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        create(sdk, **change)
    assert exc.value.http_status == 400
    return error_of(exc.value)


@pytest.mark.parametrize(
    ("change", "message", "param"),
    [
        (
            {"allow_promotion_codes": True, "discounts": [PROMO]},
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
            None,
        ),
        (
            {"discounts": [PROMO, {"coupon": TEST_COUPON_ID}]},
            "You may only specify one discount.",
            "discounts",
        ),
        (
            {"discounts": [{"coupon": TEST_COUPON_ID, **PROMO}]},
            "You may only specify one of these parameters: coupon, promotion_code.",
            "discounts[0]",
        ),
        (
            {"discounts": [{"promotion_code": "promo_nope"}]},
            "No such promotion code: 'promo_nope'",
            "discounts[0][promotion_code]",
        ),
        (
            {"discounts": [{"coupon": "HALFOFF"}]},
            "No such coupon: 'HALFOFF'",
            "discounts[0][coupon]",
        ),
    ],
    ids=["with allow_promotion_codes", "two", "both in one", "unknown code", "unknown coupon"],
)
def test_discounts_are_refused_as_stripe_refuses_them(sdk, stand_in, change, message, param):
    error = refusal(sdk, **change)
    assert (error["message"], error.get("param")) == (message, param)
    assert stand_in.state.sessions == {}


def test_a_discount_at_creation_may_make_the_order_free_but_not_tiny(sdk):
    free = create(sdk, line_items=[item("jpy", 100)], discounts=[PROMO])
    assert free.amount_total == 0
    error = refusal(sdk, line_items=[item(unit_amount=120)], discounts=[PROMO])
    assert error["code"] == "amount_too_small"


# The promotion code and coupon objects ---------------------------------------------
def test_retrieve_the_promotion_code_and_coupon(sdk, stripe_fixtures):
    promotion_code = sdk.v1.promotion_codes.retrieve(TEST_PROMOTION_CODE_ID)
    assert_shaped_like(raw(promotion_code), stripe_fixtures["promotion_code"], stripe.PromotionCode)
    assert (promotion_code.code, promotion_code.active, promotion_code.times_redeemed) == (
        "TESTCODE100",
        True,
        0,
    )
    assert raw(promotion_code)["promotion"] == {"coupon": TEST_COUPON_ID, "type": "coupon"}
    coupon = sdk.v1.coupons.retrieve(TEST_COUPON_ID)
    assert_shaped_like(raw(coupon), stripe_fixtures["coupon"], stripe.Coupon)
    assert (coupon.amount_off, coupon.percent_off, coupon.duration, coupon.valid) == (
        100,
        None,
        "once",
        True,
    )


def test_find_the_promotion_code_by_its_code(sdk):
    found = raw(sdk.v1.promotion_codes.list(params={"code": "testcode100"}))
    assert [p["id"] for p in found["data"]] == [TEST_PROMOTION_CODE_ID]
    assert raw(sdk.v1.promotion_codes.list(params={"code": "NOPE"}))["data"] == []


def test_unknown_promotion_codes_and_coupons_are_404s(sdk):
    for retrieve, name in [
        (sdk.v1.promotion_codes.retrieve, "promotion code"),
        (sdk.v1.coupons.retrieve, "coupon"),
    ]:
        with pytest.raises(stripe.InvalidRequestError) as exc:
            retrieve("nope")
        assert exc.value.http_status == 404
        assert str(exc.value.user_message) == f"No such {name}: 'nope'"


def test_the_promotion_code_expands_in_the_session_and_counts_redemptions(
    sdk, stand_in, stripe_fixtures
):
    session = with_codes(sdk)
    stand_in.pay(session.id, promotion_code=TEST_PROMOTION_CODE)
    expanded = sdk.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["discounts.promotion_code", "discounts.coupon"]}
    )
    (discount,) = raw(expanded)["discounts"]
    assert_shaped_like(
        discount["promotion_code"], stripe_fixtures["promotion_code"], stripe.PromotionCode
    )
    assert_shaped_like(discount["coupon"], stripe_fixtures["coupon"], stripe.Coupon)
    assert discount["promotion_code"]["code"] == "TESTCODE100"
    assert discount["promotion_code"]["times_redeemed"] == 1
    assert expanded.discounts[0].promotion_code.code == "TESTCODE100"
    assert sdk.v1.coupons.retrieve(TEST_COUPON_ID).times_redeemed == 1


def test_refunds_are_capped_by_the_discounted_total(sdk, stand_in):
    session = with_codes(sdk)
    stand_in.pay(session.id, promotion_code=TEST_PROMOTION_CODE)
    payment_intent = stand_in.session(session.id)["payment_intent"]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk.v1.refunds.create(params={"payment_intent": payment_intent, "amount": 2468})
    assert exc.value.code == "amount_too_large"
    assert sdk.v1.refunds.create(params={"payment_intent": payment_intent}).amount == 2368


def test_a_free_order_on_the_page_needs_no_card(sdk, stand_in):
    session = create(sdk, line_items=[item("jpy", 100)], discounts=[PROMO])
    html = pay_page(stand_in.api_base, session.id).text
    assert "<h1>Pay 0 JPY</h1>" in html
    assert 'name="card_number"' not in html
    assert "Nothing to pay: no card is needed." in html
    answer = post_pay_page(stand_in.api_base, session.id, card_number="", email="a@example.com")
    assert answer.status == 303
    stored = stand_in.session(session.id)
    assert (stored["status"], stored["payment_status"]) == ("complete", "no_payment_required")
    event = stand_in.events_of_type("checkout.session.completed")[0]
    assert event["data"]["object"]["payment_status"] == "no_payment_required"
