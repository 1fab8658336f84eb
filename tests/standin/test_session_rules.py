"""Every rule the stand-in applies to a Checkout Session create request, as Stripe does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from .helpers import error_of, item, now, session_params, shipping


@pytest.fixture
def refused(sdk: stripe.StripeClient, stand_in: Any) -> Callable[..., dict[str, Any]]:
    """Stripe's error body for a create request changed by ``change``.

    Asserts the answer is a 400 and that no session was stored.
    """

    def refusal(**change: Any) -> dict[str, Any]:
        before = dict(stand_in.state.sessions)
        with pytest.raises(stripe.InvalidRequestError) as exc:
            sdk.v1.checkout.sessions.create(params=session_params(**change))
        assert exc.value.http_status == 400
        assert stand_in.state.sessions == before
        error = error_of(exc.value)
        assert error["type"] == "invalid_request_error"
        return error

    return refusal


def created(sdk: stripe.StripeClient, **change: Any) -> Any:
    return sdk.v1.checkout.sessions.create(params=session_params(**change))


# Parameters the SDK's types do not know ---------------------------------------
@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"bogus": "1"}, "bogus"),
        ({"line_items": [{**item(), "bogus": "1"}]}, "line_items[0][bogus]"),
        (
            {"shipping_address_collection": {"allowed_countries": ["GB"], "bogus": "1"}},
            "shipping_address_collection[bogus]",
        ),
    ],
)
def test_unknown_parameters_are_refused(refused, change, param):
    error = refused(**change)
    assert error["code"] == "parameter_unknown"
    assert error["message"] == f"Received unknown parameter: {param}"
    assert error["param"] == param


def test_a_value_outside_an_enum_is_refused(refused):
    rate = shipping(500)
    rate["shipping_rate_data"]["type"] = "calculated"
    error = refused(shipping_options=[rate])
    param = "shipping_options[0][shipping_rate_data][type]"
    assert (error["code"], error["param"]) == ("parameter_invalid", param)
    assert error["message"] == f"Invalid {param}: must be one of fixed_amount"


@pytest.mark.parametrize(
    ("change", "message", "param"),
    [
        ({"metadata": {"a": {"b": "c"}}}, "a hash is not accepted here.", "metadata[a]"),
        ({"cancel_url": ["https://a.example"]}, "an array is not accepted here.", "cancel_url"),
    ],
)
def test_a_hash_or_array_where_the_sdk_types_a_string_is_refused(
    refused, sdk, change, message, param
):
    error = refused(**change)
    assert (error["code"], error["param"]) == ("parameter_invalid", param)
    assert error["message"] == f"Invalid value for {param}: {message}"


# Mode and URLs ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message", "param", "code"),
    [
        ({"mode": None}, "Missing required param: mode.", "mode", "parameter_missing"),
        ({"mode": "setup"}, "The stand-in supports mode=payment only.", "mode", None),
        (
            {"success_url": None},
            "Missing required param: success_url.",
            "success_url",
            "parameter_missing",
        ),
        (
            {"success_url": "ftp://shop.example/"},
            "Not a valid URL: success_url",
            "success_url",
            "url_invalid",
        ),
        ({"cancel_url": "/cart"}, "Not a valid URL: cancel_url", "cancel_url", "url_invalid"),
        (
            {"success_url": "https://shop.example/?s={SESSION_ID}"},
            "The success_url contains an invalid template variable {SESSION_ID}; "
            "the only supported one is {CHECKOUT_SESSION_ID}.",
            "success_url",
            None,
        ),
        (
            {"success_url": "https://shop.example/?s={CHECKOUT_SESSION_ID"},
            "The success_url has a malformed {CHECKOUT_SESSION_ID} template.",
            "success_url",
            None,
        ),
        (
            {"cancel_url": "https://shop.example/}{CHECKOUT_SESSION_ID"},
            "The cancel_url has a malformed {CHECKOUT_SESSION_ID} template.",
            "cancel_url",
            None,
        ),
    ],
)
def test_mode_and_urls_are_refused(refused, change, message, param, code):
    error = refused(**change)
    assert (error["message"], error["param"], error.get("code")) == (message, param, code)


def test_urls_with_the_session_id_template_and_no_cancel_url_are_accepted(sdk):
    session = created(
        sdk, cancel_url=None, success_url="http://localhost:8000/ok/{CHECKOUT_SESSION_ID}"
    )
    assert session.cancel_url is None
    assert session.success_url == "http://localhost:8000/ok/{CHECKOUT_SESSION_ID}"


# Line items -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line_items", "message", "param", "code"),
    [
        (None, "You must provide at least one line item.", "line_items", "parameter_missing"),
        ([item()] * 101, "You may only specify up to 100 line items.", "line_items", None),
        (
            [{"quantity": 1}],
            "The stand-in needs line_items[0][price_data].",
            "line_items[0][price_data]",
            "parameter_missing",
        ),
        (
            [item(), {"quantity": 1, "price_data": {"unit_amount": 5}}],
            "Missing required param: line_items[1][price_data][currency].",
            "line_items[1][price_data][currency]",
            "parameter_missing",
        ),
        (
            [item(currency="xyz")],
            "Invalid currency: xyz.",
            "line_items[0][price_data][currency]",
            None,
        ),
        (
            [item(unit_amount="12.50")],
            "Invalid integer: 12.50",
            "line_items[0][price_data][unit_amount]",
            "parameter_invalid_integer",
        ),
        (
            [item(unit_amount=-1)],
            "This value must be greater than or equal to 0 and less than or equal to 99999999.",
            "line_items[0][price_data][unit_amount]",
            None,
        ),
        (
            [item(unit_amount=100_000_000)],
            "This value must be greater than or equal to 0 and less than or equal to 99999999.",
            "line_items[0][price_data][unit_amount]",
            None,
        ),
        (
            [item(quantity=0)],
            "This value must be greater than or equal to 1.",
            "line_items[0][quantity]",
            None,
        ),
        (
            [item(quantity="two")],
            "Invalid integer: two",
            "line_items[0][quantity]",
            "parameter_invalid_integer",
        ),
        (
            [item(name="   ")],
            "Missing required param: line_items[0][price_data][product_data][name].",
            "line_items[0][price_data][product_data][name]",
            "parameter_missing",
        ),
        (
            [item(currency="usd"), item(currency="EUR")],
            "All line items must use the same currency; got eur, usd.",
            "line_items",
            None,
        ),
    ],
)
def test_line_items_are_refused(refused, line_items, message, param, code):
    error = refused(line_items=line_items)
    assert (error["message"], error["param"], error.get("code")) == (message, param, code)


def test_one_hundred_line_items_and_an_upper_case_currency_are_accepted(sdk):
    session = created(sdk, line_items=[item(currency="USD", unit_amount=100)] * 100)
    assert (session.amount_total, session.currency) == (10_000, "usd")


# Shipping options ---------------------------------------------------------------
def test_a_shipping_rate_in_another_currency_is_refused(refused):
    error = refused(shipping_options=[shipping(500), shipping(500, currency="eur")])
    assert error["message"] == "The shipping rate's currency must match the line items' currency."
    assert error["param"] == "shipping_options[1][shipping_rate_data][fixed_amount][currency]"


def test_a_shipping_amount_that_is_not_an_integer_is_refused(refused):
    error = refused(shipping_options=[shipping("free")])
    assert error["code"] == "parameter_invalid_integer"
    assert error["param"] == "shipping_options[0][shipping_rate_data][fixed_amount][amount]"


# Amounts, as Stripe counts each currency ------------------------------------------
@pytest.mark.parametrize(
    ("currency", "unit_amount", "message"),
    [
        ("kwd", 5125, "Amounts in kwd must be multiples of 10 (the last digit must be 0)."),
        ("bhd", 1001, "Amounts in bhd must be multiples of 10 (the last digit must be 0)."),
        ("isk", 15050, "Amounts in isk must be multiples of 100 (the last digits must be 0)."),
    ],
)
def test_unit_amounts_off_the_currencys_step_are_refused(
    refused, sdk, currency, unit_amount, message
):
    error = refused(line_items=[item(currency=currency, unit_amount=unit_amount)])
    assert (error["message"], error["param"]) == (message, "line_items")


def test_a_total_off_the_currencys_step_is_refused(refused):
    error = refused(
        line_items=[item(currency="kwd", unit_amount=5120)],
        shipping_options=[shipping(1005, currency="kwd")],
    )
    assert error["message"] == "Amounts in kwd must be multiples of 10 (the last digit must be 0)."
    assert error["param"] == "amount_total"


@pytest.mark.parametrize(
    ("currency", "unit_amount"),
    [("kwd", 5120), ("jod", 500), ("isk", 15000), ("jpy", 500), ("xof", 1), ("usd", 50)],
)
def test_amounts_stripe_accepts(sdk, currency, unit_amount):
    session = created(sdk, line_items=[item(currency=currency, unit_amount=unit_amount)])
    assert (session.amount_total, session.currency) == (unit_amount, currency)


@pytest.mark.parametrize(
    ("currency", "unit_amount", "minimum"),
    [
        ("usd", 49, "0.50 usd"),
        ("gbp", 29, "0.30 gbp"),
        ("jpy", 49, "50 jpy"),
        ("huf", 17499, "175.00 huf"),
        ("mxn", 999, "10.00 mxn"),
        ("isk", 0, "1 isk"),
        ("kwd", 0, "0.010 kwd"),
    ],
)
def test_a_total_under_the_minimum_charge_is_refused(refused, currency, unit_amount, minimum):
    error = refused(line_items=[item(currency=currency, unit_amount=unit_amount)])
    assert error["code"] == "amount_too_small"
    assert error["message"] == (
        f"The Checkout Session's total amount due must add up to at least {minimum}"
    )


def test_a_total_over_eight_digits_is_refused(refused, sdk):
    error = refused(line_items=[item(unit_amount=99_999_999, quantity=2)])
    assert error["code"] == "amount_too_large"
    assert error["message"] == (
        "The Checkout Session's total amount due must be no more than 99999999."
    )
    assert created(sdk, line_items=[item(unit_amount=99_999_999)]).amount_total == 99_999_999


# Expiry ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (29 * 60, "must be at least 30 minutes from Checkout Session creation."),
        (24 * 3600 + 60, "must be less than 24 hours from Checkout Session creation."),
    ],
)
def test_expires_at_out_of_bounds_is_refused(refused, offset, message):
    error = refused(expires_at=now() + offset)
    assert error["message"] == f"The `expires_at` timestamp {message}"
    assert error["param"] == "expires_at"


def test_expires_at_that_is_not_a_timestamp_is_refused(refused):
    error = refused(expires_at="tomorrow")
    assert (error["code"], error["param"]) == ("parameter_invalid_integer", "expires_at")


@pytest.mark.parametrize("offset", [30 * 60, 3600, 24 * 3600])
def test_expires_at_within_bounds_is_kept(sdk, offset):
    expires_at = now() + offset
    assert created(sdk, expires_at=expires_at).expires_at == expires_at


# Metadata, reference, email ---------------------------------------------------
@pytest.mark.parametrize(
    "metadata",
    [
        {f"key{n}": "v" for n in range(51)},
        {"k" * 41: "v"},
        {"note": "v" * 501},
    ],
    ids=["51 keys", "41-character key", "501-character value"],
)
def test_metadata_over_the_limits_is_refused(refused, metadata):
    error = refused(metadata=metadata)
    assert error["message"] == (
        "Metadata can have up to 50 keys of 40 characters and values of 500 characters."
    )
    assert error["param"] == "metadata"


def test_metadata_at_the_limits_is_kept(sdk):
    metadata = {f"{n:02d}" + "k" * 38: "v" * 500 for n in range(50)}
    assert created(sdk, metadata=metadata).metadata.to_dict() == metadata


def test_a_client_reference_id_over_200_characters_is_refused(refused, sdk):
    error = refused(client_reference_id="r" * 201)
    assert error["message"] == "client_reference_id can be at most 200 characters."
    assert error["param"] == "client_reference_id"
    assert created(sdk, client_reference_id="r" * 200).client_reference_id == "r" * 200


@pytest.mark.parametrize("email", ["ann", "ann@example", "ann @example.com", "a@b@c.com"])
def test_an_invalid_customer_email_is_refused(refused, email):
    error = refused(customer_email=email)
    assert (error["message"], error["code"], error["param"]) == (
        f"Invalid email address: {email}",
        "email_invalid",
        "customer_email",
    )


@pytest.mark.parametrize(
    ("change", "message", "param"),
    [
        ({"automatic_tax": "yes"}, "Invalid hash", "automatic_tax"),
        ({"custom_fields": "none"}, "Invalid array", "custom_fields"),
        ({"discounts": ["promo_x"]}, "Invalid hash", "discounts[0]"),
        ({"metadata": "a"}, "Invalid hash", "metadata"),
    ],
)
def test_a_string_where_the_sdk_types_a_hash_or_array_is_refused(refused, change, message, param):
    error = refused(**change)
    assert (error["code"], error["message"], error["param"]) == (
        "parameter_invalid",
        message,
        param,
    )


def test_an_empty_string_unsets_a_hash(sdk):
    session = created(sdk, custom_text={"submit": ""})
    assert session.custom_text.submit is None
