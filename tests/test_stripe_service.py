"""The service layer, with the real SDK talking over HTTP to the stand-in (no mocks)."""

import time

import pytest

from wagtail_stripe_checkout.conf import PINNED_API_VERSION, app_settings
from wagtail_stripe_checkout.services import errors, get_gateway

# One value for the module: a request repeated a second later is the same request
# (its idempotency key would otherwise meet other parameters).
EXPIRES_AT = int(time.time()) + 3600


def params(**overrides):
    base = {
        "mode": "payment",
        "success_url": "https://shop.example/thanks/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/checkout/",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 777,
                    "product_data": {"name": "Mug"},
                },
            },
        ],
        "expires_at": EXPIRES_AT,
    }
    base.update(overrides)
    return base


def test_the_api_version_is_pinned_and_sent(stripe_stand_in):
    assert app_settings.API_VERSION == PINNED_API_VERSION == "2026-10-28.endive"
    get_gateway().create_checkout_session(params(), idempotency_key="k-version")
    (request,) = stripe_stand_in.requests_to("/v1/checkout/sessions")
    assert request.stripe_version == PINNED_API_VERSION
    assert request.idempotency_key == "k-version"


def test_create_retrieve_and_expire_a_session(stripe_stand_in):
    gateway = get_gateway()
    created = gateway.create_checkout_session(params(), idempotency_key="k1")
    assert created.id.startswith("cs_test_")
    assert created.url == f"{stripe_stand_in.api_base}/pay/{created.id}"
    assert (created.status, created.payment_status) == ("open", "unpaid")
    assert (created.amount_total, created.currency) == (1554, "USD")

    retrieved = gateway.retrieve_checkout_session(created.id)
    assert retrieved.line_items is not None
    assert [
        (i.description, i.quantity, i.unit_amount, i.amount_total) for i in retrieved.line_items
    ] == [("Mug", 2, 777, 1554)]
    (request,) = stripe_stand_in.requests_to(f"/v1/checkout/sessions/{created.id}")
    assert request.params == {"expand": ["line_items"]}  # one call, items expanded

    expired = gateway.expire_checkout_session(created.id)
    assert expired.status == "expired"
    with pytest.raises(errors.InvalidRequest):
        gateway.expire_checkout_session(created.id)
    assert [e["type"] for e in stripe_stand_in.state.events] == ["checkout.session.expired"]


def test_the_same_idempotency_key_returns_the_same_session(stripe_stand_in):
    gateway = get_gateway()
    first = gateway.create_checkout_session(params(), idempotency_key="same")
    again = gateway.create_checkout_session(params(), idempotency_key="same")
    assert again.id == first.id
    assert len(stripe_stand_in.state.sessions) == 1
    with pytest.raises(errors.IdempotencyConflict):
        gateway.create_checkout_session(
            params(customer_email="a@b.example"), idempotency_key="same"
        )


@pytest.mark.parametrize(
    ("fault", "exception", "message"),
    [
        ("card_error", errors.PaymentDeclined, "Your card was declined."),
        ("invalid_request", errors.InvalidRequest, "problem on our side"),
        ("authentication", errors.AuthenticationFailed, "configuration problem"),
        ("permission", errors.PermissionDenied, "configuration problem"),
        ("rate_limit", errors.RateLimited, "busy right now"),
        ("api_error", errors.StripeUnavailable, "having trouble right now"),
        ("idempotency", errors.IdempotencyConflict, "press the button again"),
    ],
)
def test_every_stripe_error_becomes_our_exception_with_a_shopper_message(
    stripe_stand_in, fault, exception, message, caplog
):
    stripe_stand_in.fail_next(fault)
    with pytest.raises(exception) as exc:
        get_gateway().create_checkout_session(params(), idempotency_key=f"k-{fault}")
    assert type(exc.value) is exception
    assert message in str(exc.value.user_message)
    assert "Stripe" not in str(exc.value.user_message)  # no provider jargon for shoppers
    assert exc.value.log_details["operation"] == "checkout.sessions.create"
    assert exc.value.log_details["request_id"].startswith("req_")
    record = next(r for r in caplog.records if r.message == "stripe_request_failed")
    assert "sk_test" not in str(record.__dict__)


def test_connection_failure_after_bounded_retries(stripe_stand_in, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES = 2
    stripe_stand_in.go_offline()
    with pytest.raises(errors.ConnectionFailed) as exc:
        get_gateway().retrieve_checkout_session("cs_test_" + "x" * 20)
    assert "could not reach" in str(exc.value.user_message)
    assert len(stripe_stand_in.requests_to("/v1/")) == 3  # one try and two retries


def test_a_dropped_connection_is_retried_and_succeeds(stripe_stand_in, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES = 2
    stripe_stand_in.fail_next("connection")
    session = get_gateway().create_checkout_session(params(), idempotency_key="retry")
    assert session.status == "open"
    attempts = stripe_stand_in.requests_to("/v1/checkout/sessions")
    assert [a.idempotency_key for a in attempts] == ["retry", "retry"]
    assert len(stripe_stand_in.state.sessions) == 1


def test_timeout(stripe_stand_in, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_TIMEOUT = 0.3
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES = 0
    stripe_stand_in.timeout_delay = 1.0
    stripe_stand_in.fail_next("timeout")
    with pytest.raises(errors.TimedOut) as exc:
        get_gateway().create_checkout_session(params(), idempotency_key="slow")
    assert "took too long" in str(exc.value.user_message)


def test_unknown_session_is_not_found(stripe_stand_in):
    with pytest.raises(errors.NotFound):
        get_gateway().retrieve_checkout_session("cs_test_" + "n" * 30)


def test_live_keys_are_refused_by_the_stand_in(stripe_stand_in, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = "sk_live_" + "x" * 24
    with pytest.raises(errors.AuthenticationFailed):
        get_gateway().create_checkout_session(params(), idempotency_key="live")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"foo": "bar"}, "Received unknown parameter: foo"),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 100,
                            "product_data": {"name": "x", "colour": "red"},
                        },
                    }
                ]
            },
            "Received unknown parameter: line_items[0][price_data][product_data][colour]",
        ),
        ({"line_items": []}, "You must provide at least one line item."),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 100,
                            "product_data": {"name": "x"},
                        },
                    }
                ]
                * 101
            },
            "up to 100 line items",
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 600,
                            "product_data": {"name": "a"},
                        },
                    },
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": 600,
                            "product_data": {"name": "b"},
                        },
                    },
                ]
            },
            "same currency",
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "xyz",
                            "unit_amount": 600,
                            "product_data": {"name": "a"},
                        },
                    }
                ]
            },
            "Invalid currency: xyz",
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 100_000_000,
                            "product_data": {"name": "a"},
                        },
                    }
                ]
            },
            "less than or equal to 99999999",
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 49,
                            "product_data": {"name": "a"},
                        },
                    }
                ]
            },
            "at least 0.50 usd",
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "kwd",
                            "unit_amount": 1234,
                            "product_data": {"name": "a"},
                        },
                    }
                ]
            },
            "multiples of 10",
        ),
        ({"success_url": None}, "Missing required param: success_url."),
        (
            {"success_url": "https://shop.example/?s={CHECKOUT_SESSION}"},
            "invalid template variable",
        ),
        ({"success_url": "https://shop.example/?s={CHECKOUT_SESSION_ID"}, "malformed"),
        ({"expires_at": int(time.time()) + 600}, "at least 30 minutes"),
    ],
)
def test_the_stand_in_refuses_what_stripe_refuses(stripe_stand_in, change, message):
    request = {k: v for k, v in params(**change).items() if v is not None}
    with pytest.raises(errors.InvalidRequest) as exc:
        get_gateway().create_checkout_session(request, idempotency_key=f"bad-{message}")
    assert stripe_stand_in.state.sessions == {}
    (answer,) = stripe_stand_in.requests_to("/v1/checkout/sessions")
    assert answer.method == "POST"
    assert exc.value.log_details["http_status"] == 400
    # The stand-in's error text is Stripe-shaped; the shopper never sees it.
    assert message in stand_in_error(stripe_stand_in, request)


def stand_in_error(stand_in, request):
    status, body = stand_in.handle_api_safe("POST", "/v1/checkout/sessions", request)
    assert status == 400
    return body["error"]["message"]
