"""``expand[]`` on sessions (retrieve and create), and on the objects a session names;
events carry the session as it was when they happened."""

from __future__ import annotations

import pytest
import stripe

from wagtail_stripe_checkout.testing import TEST_PROMOTION_CODE, TEST_PROMOTION_CODE_ID

from .helpers import error_of, rate, raw, session_params

EVERYTHING = ["line_items", "discounts.promotion_code", "invoice", "shipping_cost.shipping_rate"]


def create(sdk, **change):
    return sdk.v1.checkout.sessions.create(params=session_params(**change))


def test_everything_expands_at_once(sdk, stand_in):
    session = create(
        sdk,
        allow_promotion_codes=True,
        shipping_options=[rate(500), rate(900, "Express")],
        invoice_creation={"enabled": True},
    )
    stand_in.pay(session.id, promotion_code=TEST_PROMOTION_CODE, shipping_rate="Express")
    body = raw(sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": EVERYTHING}))
    assert body["line_items"]["object"] == "list"
    assert body["discounts"][0]["promotion_code"]["id"] == TEST_PROMOTION_CODE_ID
    assert body["discounts"][0]["coupon"] == "TESTCOUPON100"  # not asked for: still an id
    assert body["invoice"]["object"] == "invoice"
    assert body["shipping_cost"]["shipping_rate"]["display_name"] == "Express"
    # Expanding changes only the answer, not what is stored.
    assert raw(sdk.v1.checkout.sessions.retrieve(session.id))["invoice"].startswith("in_")


def test_nothing_to_expand_is_left_as_it_is(sdk):
    session = create(sdk)  # no discount, no invoice, no shipping
    body = raw(sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": EVERYTHING}))
    assert (body["discounts"], body["invoice"], body["shipping_cost"]) == ([], None, None)
    assert len(body["line_items"]["data"]) == 1


def test_the_create_answer_expands_too(sdk):
    session = create(
        sdk, shipping_options=[rate(500)], expand=["shipping_cost.shipping_rate", "line_items"]
    )
    body = raw(session)
    assert body["shipping_cost"]["shipping_rate"]["object"] == "shipping_rate"
    assert body["line_items"]["data"][0]["amount_total"] == 2468


@pytest.mark.parametrize(
    "path", ["metadata", "nothing_here", "shipping_cost.nope", "customer_details"]
)
def test_what_cannot_be_expanded_is_refused(sdk, path):
    session = create(sdk, shipping_options=[rate(500)], metadata={"a": "b"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": [path]})
    assert exc.value.http_status == 400
    assert error_of(exc.value) == {
        "type": "invalid_request_error",
        "message": f"This property cannot be expanded ({path}).",
    }


def test_the_promotion_codes_coupon_expands(sdk):
    promotion_code = sdk.v1.promotion_codes.retrieve(
        TEST_PROMOTION_CODE_ID, params={"expand": ["promotion.coupon"]}
    )
    assert raw(promotion_code)["promotion"]["coupon"]["amount_off"] == 100


def test_events_carry_the_session_with_its_final_amounts(sdk, stand_in):
    session = create(
        sdk,
        allow_promotion_codes=True,
        automatic_tax={"enabled": True},
        shipping_options=[rate(500), rate(900, "Express")],
    )
    stand_in.pay(session.id, promotion_code=TEST_PROMOTION_CODE, shipping_rate=1)
    (event,) = stand_in.events_of_type("checkout.session.completed")
    sent = event["data"]["object"]
    stored = raw(sdk.v1.checkout.sessions.retrieve(session.id))
    for key in ("amount_total", "total_details", "shipping_cost", "discounts", "amount_subtotal"):
        assert sent[key] == stored[key]
    assert sent["amount_total"] == 2368 + 237 + 900 + 90
