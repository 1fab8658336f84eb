"""Shipping options: several rates, the first preselected, another chosen on the pay page;
each one a ``shipping_rate`` object, retrievable and expandable, shaped like Stripe's."""

from __future__ import annotations

import pytest
import stripe
from stripe.checkout import Session

from .helpers import error_of, item, pay_page, post_pay_page, rate, raw, session_params
from .shapes import assert_shaped_like

ESTIMATE = {
    "minimum": {"unit": "business_day", "value": 1},
    "maximum": {"unit": "business_day", "value": 2},
}


def create(sdk, **change):
    return sdk.v1.checkout.sessions.create(params=session_params(**change))


def three_rates(currency="usd", amounts=(500, 1500, 0)):
    post, express, pickup = amounts
    return [
        rate(post, "Post", currency),
        rate(express, "Express", currency, delivery_estimate=ESTIMATE, tax_behavior="exclusive"),
        rate(pickup, "Pick-up", currency, tax_code="txcd_92010001"),
    ]


def test_the_first_option_is_preselected(sdk, stripe_fixtures):
    session = create(sdk, shipping_options=three_rates())
    body = raw(session)
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    assert [o["shipping_amount"] for o in body["shipping_options"]] == [500, 1500, 0]
    rates = [o["shipping_rate"] for o in body["shipping_options"]]
    assert all(r.startswith("shr_") for r in rates) and len(set(rates)) == 3
    assert body["shipping_cost"] == {
        "amount_subtotal": 500,
        "amount_tax": 0,
        "amount_total": 500,
        "shipping_rate": rates[0],
    }
    assert body["total_details"]["amount_shipping"] == 500
    assert body["amount_total"] == 2468 + 500


def test_each_option_is_a_stored_shipping_rate(sdk, stripe_fixtures):
    session = create(sdk, shipping_options=three_rates())
    ids = [o.shipping_rate for o in session.shipping_options]
    post, express, pickup = (sdk.v1.shipping_rates.retrieve(i) for i in ids)
    for shipping_rate in (post, express, pickup):
        assert_shaped_like(
            raw(shipping_rate), stripe_fixtures["shipping_rate"], stripe.ShippingRate
        )
    assert (express.id, express.object, express.type, express.active) == (
        ids[1],
        "shipping_rate",
        "fixed_amount",
        True,
    )
    assert express.display_name == "Express"
    assert raw(express)["fixed_amount"] == {"amount": 1500, "currency": "usd"}
    assert raw(express)["delivery_estimate"] == ESTIMATE
    assert (express.tax_behavior, express.tax_code) == ("exclusive", None)
    assert (post.tax_behavior, post.delivery_estimate) == ("unspecified", None)
    assert pickup.tax_code == "txcd_92010001"


def test_an_unknown_shipping_rate_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk.v1.shipping_rates.retrieve("shr_nope")
    assert (exc.value.http_status, exc.value.code) == (404, "resource_missing")
    assert str(exc.value.user_message) == "No such shipping rate: 'shr_nope'"


def test_the_shipping_rate_expands_in_the_session(sdk, stripe_fixtures):
    created = create(sdk, shipping_options=three_rates())
    session = sdk.v1.checkout.sessions.retrieve(
        created.id, params={"expand": ["shipping_cost.shipping_rate"]}
    )
    expanded = raw(session)["shipping_cost"]["shipping_rate"]
    assert_shaped_like(expanded, stripe_fixtures["shipping_rate"], stripe.ShippingRate)
    assert isinstance(session.shipping_cost.shipping_rate, stripe.ShippingRate)
    assert session.shipping_cost.shipping_rate.display_name == "Post"


def test_an_option_may_name_a_rate_created_before(sdk):
    first = create(sdk, shipping_options=three_rates())
    express_id = first.shipping_options[1].shipping_rate
    second = create(sdk, shipping_options=[{"shipping_rate": express_id}])
    assert second.shipping_options[0].shipping_rate == express_id
    assert second.amount_total == 2468 + 1500


@pytest.mark.parametrize(
    ("choice", "label"), [(1, "index"), ("Express", "display name")], ids=["index", "name"]
)
def test_pay_with_another_option(sdk, stand_in, choice, label):
    session = create(sdk, shipping_options=three_rates())
    assert stand_in.pay(session.id, shipping_rate=choice)[0]
    paid = raw(sdk.v1.checkout.sessions.retrieve(session.id))
    assert paid["shipping_cost"]["shipping_rate"] == session.shipping_options[1].shipping_rate
    assert paid["shipping_cost"]["amount_total"] == 1500
    assert paid["total_details"]["amount_shipping"] == 1500
    assert paid["amount_total"] == 2468 + 1500
    assert stand_in.state.charges[paid["payment_intent"]]["amount"] == 2468 + 1500


def test_an_unknown_option_is_refused_and_nothing_is_paid(sdk, stand_in):
    session = create(sdk, shipping_options=three_rates())
    assert stand_in.pay(session.id, shipping_rate="Pigeon") == (
        False,
        "Choose one of the shipping options.",
    )
    assert stand_in.pay(session.id, shipping_rate=3)[0] is False
    assert stand_in.session(session.id)["status"] == "open"


@pytest.mark.parametrize(
    ("currency", "unit_amount", "amounts", "expected"),
    [
        ("usd", 1234, (500, 1500, 0), 2468 + 1500),
        ("jpy", 1200, (500, 1500, 0), 2400 + 1500),
        ("kwd", 5120, (500, 1500, 0), 10240 + 1500),
    ],
)
def test_amounts_in_each_currency(sdk, stand_in, currency, unit_amount, amounts, expected):
    session = create(
        sdk,
        line_items=[item(currency=currency, unit_amount=unit_amount, quantity=2)],
        shipping_options=three_rates(currency, amounts),
    )
    assert session.amount_total == 2 * unit_amount + 500
    stand_in.pay(session.id, shipping_rate="Express")
    assert stand_in.session(session.id)["amount_total"] == expected


def test_the_pay_page_offers_the_options_as_a_radio_group(sdk, stand_in):
    session = create(sdk, shipping_options=three_rates())
    post, express, pickup = (o.shipping_rate for o in session.shipping_options)
    html = pay_page(stand_in.api_base, session.id).text
    assert "<legend>Shipping method</legend>" in html
    assert (
        f'<label class="choice"><input type="radio" name="shipping_rate" value="{post}" checked>'
        " Post — 5.00 USD</label>"
    ) in html
    assert f'value="{express}"> Express — 15.00 USD</label>' in html
    assert f'value="{pickup}"> Pick-up — 0.00 USD</label>' in html


def test_update_total_shows_the_new_total_without_paying(sdk, stand_in):
    session = create(sdk, shipping_options=three_rates())
    express = session.shipping_options[1].shipping_rate
    answer = post_pay_page(stand_in.api_base, session.id, action="apply", shipping_rate=express)
    assert answer.status == 200
    assert "<h1>Pay 39.68 USD</h1>" in answer.text
    assert f'value="{express}" checked> Express' in answer.text
    assert "<td>Shipping</td><td class='n'>15.00 USD</td>" in answer.text
    assert stand_in.session(session.id)["status"] == "open"
    assert stand_in.state.events == []


def test_paying_on_the_page_with_a_chosen_option(sdk, stand_in):
    session = create(sdk, shipping_options=three_rates())
    pickup = session.shipping_options[2].shipping_rate
    answer = post_pay_page(
        stand_in.api_base, session.id, email="a@example.com", shipping_rate=pickup
    )
    assert answer.status == 303
    stored = stand_in.session(session.id)
    assert stored["shipping_cost"]["shipping_rate"] == pickup
    assert (stored["amount_total"], stored["total_details"]["amount_shipping"]) == (2468, 0)
    event = stand_in.events_of_type("checkout.session.completed")[0]
    assert event["data"]["object"]["shipping_cost"]["shipping_rate"] == pickup


# Create rules ------------------------------------------------------------------
def refusal(sdk, **change):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        create(sdk, **change)
    assert exc.value.http_status == 400
    return error_of(exc.value)


def test_up_to_five_options(sdk):
    assert (
        len(
            create(
                sdk, shipping_options=[rate(100 * n, f"R{n}") for n in range(5)]
            ).shipping_options
        )
        == 5
    )
    error = refusal(sdk, shipping_options=[rate(100 * n, f"R{n}") for n in range(6)])
    assert (error["message"], error["param"]) == (
        "You may only specify up to 5 shipping options.",
        "shipping_options",
    )


@pytest.mark.parametrize(
    ("option", "message", "param"),
    [
        (
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "fixed_amount": {"amount": 5, "currency": "usd"},
                }
            },
            "Missing required param: shipping_options[0][shipping_rate_data][display_name].",
            "shipping_options[0][shipping_rate_data][display_name]",
        ),
        (
            {"shipping_rate": "shr_nope"},
            "No such shipping rate: 'shr_nope'",
            "shipping_options[0][shipping_rate]",
        ),
        (
            rate(500, tax_behavior="sometimes"),
            "Invalid shipping_options[0][shipping_rate_data][tax_behavior]: "
            "must be one of exclusive, inclusive, unspecified",
            "shipping_options[0][shipping_rate_data][tax_behavior]",
        ),
        (
            rate(500, tax_code="food"),
            "No such tax code: 'food'",
            "shipping_options[0][shipping_rate_data][tax_code]",
        ),
        (
            rate(500, delivery_estimate={"minimum": {"unit": "fortnight", "value": 1}}),
            "Invalid shipping_options[0][shipping_rate_data][delivery_estimate][minimum][unit]: "
            "must be one of business_day, day, hour, month, week",
            "shipping_options[0][shipping_rate_data][delivery_estimate][minimum][unit]",
        ),
    ],
    ids=["no display name", "unknown rate", "tax behavior", "tax code", "estimate unit"],
)
def test_bad_options_are_refused(sdk, option, message, param):
    error = refusal(sdk, shipping_options=[option])
    assert (error["message"], error["param"]) == (message, param)


def test_an_option_off_the_currencys_step_is_refused(sdk):
    error = refusal(
        sdk,
        line_items=[item(currency="kwd", unit_amount=5120)],
        shipping_options=[rate(500, currency="kwd"), rate(1005, "Express", currency="kwd")],
    )
    assert error["message"] == "Amounts in kwd must be multiples of 10 (the last digit must be 0)."
    assert error["param"] == "shipping_options[1][shipping_rate_data][fixed_amount][amount]"
