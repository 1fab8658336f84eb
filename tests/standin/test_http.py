"""What happens around every API call: API keys, routing, recording, idempotency, faults."""

from __future__ import annotations

import contextlib
import time

import pytest
import stripe

from wagtail_stripe_checkout.testing.pytest_plugin import TEST_SECRET_KEY
from wagtail_stripe_checkout.testing.server import FAULTS

from .helpers import API_VERSION, error_of, http, session_params

SESSIONS = "/v1/checkout/sessions"


# API keys ------------------------------------------------------------------------
def test_a_request_without_an_api_key_is_refused(stand_in):
    answer = http(stand_in.api_base, "POST", SESSIONS, session_params(), key=None)
    assert answer.status == 401
    assert answer.json() == {
        "error": {"type": "invalid_request_error", "message": "You did not provide an API key."}
    }
    assert stand_in.state.sessions == {}


@pytest.mark.parametrize(
    "key", ["sk_live_" + "x" * 24, "pk_test_" + "x" * 24, "sk_test_", "whatever"]
)
def test_anything_but_a_test_secret_key_is_refused(stand_in, key):
    answer = http(stand_in.api_base, "POST", SESSIONS, session_params(), key=key)
    assert answer.status == 401
    assert answer.error["message"] == (
        f"Invalid API Key provided: {key[:8]}****. The stand-in accepts test keys only."
    )
    assert stand_in.state.sessions == {}


def test_the_sdk_reports_a_live_key_as_an_authentication_error(stand_in):
    live = stripe.StripeClient("sk_live_" + "x" * 24, base_addresses={"api": stand_in.api_base})
    with pytest.raises(stripe.AuthenticationError):
        live.v1.checkout.sessions.create(params=session_params())


@pytest.mark.parametrize("key", [TEST_SECRET_KEY, "rk_test_" + "x" * 24])
def test_test_secret_and_restricted_keys_are_accepted(stand_in, key):
    answer = http(stand_in.api_base, "POST", SESSIONS, session_params(), key=key)
    assert answer.status == 200


# Routing and plumbing ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/customers"), ("DELETE", SESSIONS), ("POST", "/v1/events/evt_1")],
)
def test_an_unknown_url_is_a_404(stand_in, method, path):
    answer = http(stand_in.api_base, method, path)
    assert answer.status == 404
    assert answer.error["code"] == "resource_missing"
    assert answer.error["message"] == f"Unrecognized request URL ({method}: {path})."


def test_every_answer_has_a_request_id_and_json(stand_in):
    answer = http(stand_in.api_base, "GET", SESSIONS)
    assert answer.headers["Request-Id"].startswith("req_")
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["object"] == "list"


def test_a_form_body_that_does_not_decode_is_refused(stand_in):
    answer = http(stand_in.api_base, "POST", SESSIONS, body=b"a=1&a[b]=2")
    assert answer.status == 400
    assert answer.json() == {
        "error": {
            "type": "invalid_request_error",
            "message": "Invalid parameter: a[b]",
            "param": "a[b]",
        }
    }


def test_every_request_is_recorded_with_its_params_key_and_version(sdk, stand_in):
    sdk.v1.checkout.sessions.create(
        params=session_params(metadata={"order": "7"}), options={"idempotency_key": "k1"}
    )
    sdk.v1.checkout.sessions.list(params={"limit": 3})
    create, listing = stand_in.requests_to("/v1/")
    assert (create.method, create.path) == ("POST", SESSIONS)
    assert create.params["metadata"] == {"order": "7"}
    assert create.params["line_items"][0]["price_data"]["unit_amount"] == "1234"
    assert (create.idempotency_key, create.stripe_version) == ("k1", API_VERSION)
    assert (listing.method, listing.params) == ("GET", {"limit": "3"})
    assert stand_in.requests_to(SESSIONS, method="GET") == [listing]
    assert stand_in.requests_to("/v1/refunds") == []


def test_the_api_answers_without_http_too(stand_in):
    status, body = stand_in.handle_api_safe("POST", SESSIONS, session_params(bogus=True))
    assert (status, body["error"]["code"]) == (400, "parameter_unknown")
    status, body = stand_in.handle_api_safe("POST", SESSIONS, session_params())
    assert (status, body["object"]) == (200, "checkout.session")
    assert stand_in.requests_to() == []  # not an HTTP request


# Idempotency ------------------------------------------------------------------------
def test_a_repeated_key_replays_the_first_answer(sdk, stand_in):
    first = sdk.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "same"}
    )
    again = http(
        stand_in.api_base, "POST", SESSIONS, session_params(), headers={"Idempotency-Key": "same"}
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.id
    assert list(stand_in.state.sessions) == [first.id]


def test_a_key_reused_with_other_params_is_refused(sdk):
    sdk.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "k"})
    with pytest.raises(stripe.IdempotencyError) as exc:
        sdk.v1.checkout.sessions.create(
            params=session_params(customer_email="a@b.example"), options={"idempotency_key": "k"}
        )
    assert exc.value.http_status == 400
    assert error_of(exc.value)["type"] == "idempotency_error"
    assert "Try using a key other than 'k'" in error_of(exc.value)["message"]


def test_the_order_of_params_does_not_make_another_request(stand_in):
    headers = {"Idempotency-Key": "order"}
    body = b"mode=payment&success_url=https%3A%2F%2Fa.example"
    swapped = b"success_url=https%3A%2F%2Fa.example&mode=payment"
    first = http(stand_in.api_base, "POST", SESSIONS, headers=headers, body=body)
    second = http(stand_in.api_base, "POST", SESSIONS, headers=headers, body=swapped)
    assert first.status == second.status == 400  # no line items, but the same request
    assert second.headers["Idempotent-Replayed"] == "true"


def test_a_refusal_is_replayed_too_and_the_first_answer_names_its_key(stand_in):
    headers = {"Idempotency-Key": "bad"}
    first = http(stand_in.api_base, "POST", SESSIONS, {"mode": "x"}, headers=headers)
    again = http(stand_in.api_base, "POST", SESSIONS, {"mode": "x"}, headers=headers)
    assert (first.status, first.headers["Idempotency-Key"]) == (400, "bad")
    assert first.headers["Idempotent-Replayed"] is None
    assert (again.status, again.body) == (400, first.body)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_keys_are_ignored_on_get_requests(stand_in):
    headers = {"Idempotency-Key": "read"}
    answer = http(stand_in.api_base, "GET", SESSIONS, headers=headers)
    assert answer.headers["Idempotency-Key"] is None
    assert stand_in.state.idempotency == {}


# Faults --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "error_class"),
    [
        ("api_error", stripe.APIError),
        ("rate_limit", stripe.RateLimitError),
        ("authentication", stripe.AuthenticationError),
        ("permission", stripe.PermissionError),
        ("invalid_request", stripe.InvalidRequestError),
        ("card_error", stripe.CardError),
        ("idempotency", stripe.IdempotencyError),
    ],
)
def test_each_planned_fault_answers_as_stripe_does(sdk, stand_in, kind, error_class):
    status, type_, message, code = FAULTS[kind]
    stand_in.fail_next(kind)
    with pytest.raises(error_class) as exc:
        sdk.v1.checkout.sessions.create(params=session_params())
    error = error_of(exc.value)
    assert exc.value.http_status == status
    assert (error["type"], error["message"], error.get("code")) == (type_, message, code)
    assert error.get("decline_code") == ("generic_decline" if kind == "card_error" else None)
    assert exc.value.headers["Stripe-Should-Retry"] == "false"
    assert stand_in.state.sessions == {}
    sdk.v1.checkout.sessions.create(params=session_params())  # the next one works


def test_a_fault_can_repeat_and_be_limited_to_paths(stand_in):
    stand_in.fail_next("api_error", times=2, paths=("/v1/refunds",))
    assert http(stand_in.api_base, "GET", SESSIONS).status == 200
    assert http(stand_in.api_base, "POST", "/v1/refunds").status == 500
    assert http(stand_in.api_base, "POST", "/v1/refunds").status == 500
    assert http(stand_in.api_base, "POST", "/v1/refunds").status == 400  # no payment intent


def test_a_dropped_connection(sdk, stand_in):
    stand_in.fail_next("connection")
    with pytest.raises(stripe.APIConnectionError):
        sdk.v1.checkout.sessions.create(params=session_params())
    assert len(stand_in.requests_to(SESSIONS)) == 1  # it did arrive
    assert stand_in.state.sessions == {}


def test_a_slow_answer(sdk, stand_in):
    stand_in.timeout_delay = 0.3
    stand_in.fail_next("timeout")
    started = time.monotonic()
    session = sdk.v1.checkout.sessions.create(params=session_params())
    assert time.monotonic() - started >= 0.3
    assert session.status == "open"


def test_an_unknown_fault_kind_is_a_mistake(stand_in):
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        stand_in.fail_next("nope")


def test_offline_drops_every_request_until_online_again(sdk, stand_in):
    stand_in.go_offline()
    with pytest.raises(stripe.APIConnectionError):
        sdk.v1.checkout.sessions.list()
    assert len(stand_in.requests_to()) == 1
    stand_in.go_online()
    assert sdk.v1.checkout.sessions.list().data == []


def test_reset_forgets_everything_and_goes_online(sdk, stand_in):
    sdk.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "k"})
    stand_in.fail_next("api_error")
    stand_in.go_offline()
    stand_in.reset()
    assert stand_in.offline is False
    state = stand_in.state
    assert (state.sessions, state.line_items, state.requests, state.faults) == ({}, {}, [], [])
    assert (state.idempotency, state.events, state.charges) == ({}, [], {})
    assert sdk.v1.checkout.sessions.create(params=session_params()).status == "open"


def test_a_late_answer_does_not_reach_the_state_after_a_reset(stand_in):
    """A request held by a timeout fault, then a reset (the next test begins):
    the late request must not create anything in the new state."""
    import threading

    stand_in.timeout_delay = 0.5
    stand_in.fail_next("timeout")

    def post() -> None:
        # The stand-in drops the connection: there is nothing to answer any more.
        with contextlib.suppress(OSError):
            http(stand_in.api_base, "POST", SESSIONS, session_params())

    late = threading.Thread(target=post)
    late.start()
    time.sleep(0.1)
    stand_in.reset()
    late.join(timeout=5)
    assert stand_in.state.sessions == {}
