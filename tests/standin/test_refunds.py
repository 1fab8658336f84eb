"""The rules for refunds: what can be refunded, and how much."""

from __future__ import annotations

import pytest
import stripe

from .helpers import session_params


@pytest.fixture
def payment_intent(sdk, stand_in) -> str:
    """A paid session's payment intent: a charge of 2468 cents."""
    session = sdk.v1.checkout.sessions.create(params=session_params())
    stand_in.pay(session.id)
    payment_intent: str = stand_in.session(session.id)["payment_intent"]
    return payment_intent


def refund(sdk, **params):
    return sdk.v1.refunds.create(params=params)


def refused(sdk, **params):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        refund(sdk, **params)
    return exc.value


def test_a_refund_needs_a_payment_intent(sdk):
    error = refused(sdk)
    assert (error.http_status, error.code, error.param) == (
        400,
        "parameter_missing",
        "payment_intent",
    )
    assert error.user_message == "One of charge or payment_intent is required."


def test_a_refund_of_an_unknown_payment_intent_is_a_404(sdk):
    error = refused(sdk, payment_intent="pi_nope")
    assert (error.http_status, error.code) == (404, "resource_missing")
    assert error.user_message == "No such payment_intent: 'pi_nope'"


@pytest.mark.parametrize("amount", [0, -5])
def test_a_refund_of_nothing_is_refused(sdk, payment_intent, amount):
    error = refused(sdk, payment_intent=payment_intent, amount=amount)
    assert (error.http_status, error.param) == (400, "amount")
    assert error.user_message == "Refund amount must be greater than 0."


def test_a_refund_of_more_than_is_left_is_refused(sdk, stand_in, payment_intent):
    refund(sdk, payment_intent=payment_intent, amount=2000)
    error = refused(sdk, payment_intent=payment_intent, amount=469)
    assert (error.http_status, error.code) == (400, "amount_too_large")
    assert error.user_message == (
        "Refund amount (469) is greater than unrefunded amount on charge (468)"
    )
    assert stand_in.state.charges[payment_intent]["amount_refunded"] == 2000


def test_partial_refunds_then_the_rest(sdk, stand_in, payment_intent):
    assert refund(sdk, payment_intent=payment_intent, amount=468).amount == 468
    charge = stand_in.state.charges[payment_intent]
    assert (charge["amount_refunded"], charge["refunded"]) == (468, False)
    assert refund(sdk, payment_intent=payment_intent).amount == 2000  # all that is left
    assert (charge["amount_refunded"], charge["refunded"]) == (2468, True)
    assert [r["amount"] for r in stand_in.state.refunds] == [468, 2000]
    assert len(stand_in.events_of_type("charge.refunded")) == 2


def test_a_charge_a_test_planted_can_be_refunded(sdk, stand_in):
    stand_in.state.charges["pi_planted"] = {
        "id": "ch_planted",
        "amount": 700,
        "amount_refunded": 0,
        "currency": "eur",
    }
    result = refund(sdk, payment_intent="pi_planted", amount=300)
    assert (result.charge, result.currency, result.amount) == ("ch_planted", "eur", 300)
    assert stand_in.state.charges["pi_planted"]["amount_refunded"] == 300


def test_an_unknown_refund_parameter_is_refused(sdk, payment_intent):
    error = refused(sdk, payment_intent=payment_intent, why="because")
    assert (error.code, error.param) == ("parameter_unknown", "why")
