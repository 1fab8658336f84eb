"""Every event the stand-in sends: shaped like Stripe's, signed like Stripe's."""

from __future__ import annotations

import json

import pytest
import stripe
from stripe.checkout import Session

from wagtail_stripe_checkout.testing import sign_payload
from wagtail_stripe_checkout.testing.pytest_plugin import TEST_WEBHOOK_SECRET

from .helpers import API_VERSION, session_params
from .shapes import assert_shaped_like


def create(sdk, **change) -> str:
    return sdk.v1.checkout.sessions.create(params=session_params(**change)).id


def assert_event_shaped(event, stripe_fixtures, obj_sample, obj_type):
    assert_shaped_like(event, {**stripe_fixtures["event"], "data": {}}, stripe.Event)
    assert_shaped_like(event["data"]["object"], stripe_fixtures[obj_sample], obj_type)


def only_event(stand_in, event_type):
    (event,) = stand_in.events_of_type(event_type)
    return event


def test_paying_sends_checkout_session_completed(sdk, stand_in, stripe_fixtures):
    session_id = create(sdk, shipping_address_collection={"allowed_countries": ["GB"]})
    paid, _url = stand_in.pay(session_id, email="ann@example.com")
    assert paid
    event = only_event(stand_in, "checkout.session.completed")
    assert_event_shaped(event, stripe_fixtures, "checkout.session", Session)
    session = event["data"]["object"]
    assert (session["id"], session["status"], session["payment_status"]) == (
        session_id,
        "complete",
        "paid",
    )
    assert session["payment_intent"].startswith("pi_")
    assert session["customer_details"]["email"] == "ann@example.com"
    assert session["customer_details"]["address"]["country"] == "GB"
    assert session["collected_information"]["shipping_details"]["name"] == "Test Shopper"
    assert event["api_version"] == API_VERSION
    assert event["id"].startswith("evt_")
    assert (event["object"], event["livemode"]) == ("event", False)


def test_expiring_sends_checkout_session_expired(sdk, stand_in, stripe_fixtures):
    session_id = create(sdk)
    stand_in.expire(session_id)
    event = only_event(stand_in, "checkout.session.expired")
    assert_event_shaped(event, stripe_fixtures, "checkout.session", Session)
    assert event["data"]["object"]["status"] == "expired"
    with pytest.raises(Exception, match="can be expired"):
        stand_in.expire(session_id)


def test_a_delayed_payment_completes_unpaid_then_succeeds(sdk, stand_in, stripe_fixtures):
    session_id = create(sdk)
    stand_in.complete_unpaid(session_id)
    completed = only_event(stand_in, "checkout.session.completed")
    assert_event_shaped(completed, stripe_fixtures, "checkout.session", Session)
    assert completed["data"]["object"]["payment_status"] == "unpaid"
    assert stand_in.state.charges == {}
    stand_in.settle_async(session_id, succeeded=True)
    succeeded = only_event(stand_in, "checkout.session.async_payment_succeeded")
    assert_event_shaped(succeeded, stripe_fixtures, "checkout.session", Session)
    assert succeeded["data"]["object"]["payment_status"] == "paid"
    payment_intent = succeeded["data"]["object"]["payment_intent"]
    assert stand_in.state.charges[payment_intent]["amount"] == 2468


def test_a_delayed_payment_that_fails(sdk, stand_in, stripe_fixtures):
    session_id = create(sdk)
    stand_in.complete_unpaid(session_id)
    stand_in.settle_async(session_id, succeeded=False)
    failed = only_event(stand_in, "checkout.session.async_payment_failed")
    assert_event_shaped(failed, stripe_fixtures, "checkout.session", Session)
    assert failed["data"]["object"]["payment_status"] == "unpaid"
    assert stand_in.state.charges == {}


def test_refunding_sends_charge_refunded(sdk, stand_in, stripe_fixtures):
    session_id = create(sdk, metadata={"order": "7"})
    stand_in.pay(session_id)
    payment_intent = stand_in.session(session_id)["payment_intent"]
    sdk.v1.refunds.create(params={"payment_intent": payment_intent, "amount": 468})
    event = only_event(stand_in, "charge.refunded")
    assert_event_shaped(event, stripe_fixtures, "charge", stripe.Charge)
    charge = event["data"]["object"]
    assert (charge["amount"], charge["amount_refunded"], charge["refunded"]) == (2468, 468, False)
    assert (charge["payment_intent"], charge["metadata"]) == (payment_intent, {"order": "7"})
    assert event["api_version"] == API_VERSION


def test_events_are_delivered_signed_and_verifiable(sdk, stand_in, webhook):
    session_id = create(sdk)
    stand_in.pay(session_id)
    ((headers, body),) = webhook.received
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], TEST_WEBHOOK_SECRET)
    assert (event.id, event.type) == (stand_in.state.events[0]["id"], "checkout.session.completed")
    assert headers["User-Agent"].startswith("Stripe/1.0")
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert stand_in.state.events[0]["pending_webhooks"] == 1
    (delivery,) = stand_in.state.deliveries
    assert (delivery.event_id, delivery.status, delivery.error) == (event.id, 200, None)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_other")


def test_every_event_type_is_delivered(sdk, stand_in, webhook):
    paid, expired, failed = create(sdk), create(sdk), create(sdk)
    stand_in.pay(paid)
    sdk.v1.checkout.sessions.expire(expired)
    stand_in.complete_unpaid(failed)
    stand_in.settle_async(failed, succeeded=False)
    payment_intent = stand_in.session(paid)["payment_intent"]
    sdk.v1.refunds.create(params={"payment_intent": payment_intent})
    assert [b["type"] for b in webhook.bodies()] == [
        "checkout.session.completed",
        "checkout.session.expired",
        "checkout.session.completed",
        "checkout.session.async_payment_failed",
        "charge.refunded",
    ]
    assert webhook.bodies() == stand_in.state.events


def test_a_failing_endpoint_is_recorded_and_the_event_can_be_redelivered(sdk, stand_in, webhook):
    webhook.status = 500
    stand_in.pay(create(sdk))
    (event,) = stand_in.state.events
    (failed,) = stand_in.state.deliveries
    assert failed.status == 500
    assert failed.error
    webhook.status = 200
    again = stand_in.redeliver(event["id"])
    assert again is not None
    assert (again.event_id, again.status) == (event["id"], 200)
    assert [json.loads(b)["id"] for _h, b in webhook.received] == [event["id"], event["id"]]


def test_each_delivery_is_logged_and_a_bad_secret_says_so(sdk, stand_in, webhook, caplog):
    caplog.set_level("INFO", logger="wagtail_stripe_checkout.testing")
    stand_in.pay(create(sdk))
    (ok,) = caplog.records
    assert ok.levelname == "INFO"
    assert ok.getMessage().startswith("webhook checkout.session.completed (evt_")
    assert ok.getMessage().endswith(f"to {webhook.url}: 200")
    caplog.clear()
    webhook.status, webhook.answer = 400, b'{"error": "invalid signature"}'
    stand_in.pay(create(sdk))
    (refused,) = caplog.records
    assert refused.levelname == "WARNING"
    assert "400 invalid signature. Is --webhook-secret the same as the site's" in (
        refused.getMessage()
    )
    assert "invalid signature" in stand_in.state.deliveries[-1].error


def test_an_unreachable_endpoint_is_recorded_without_a_status(sdk, stand_in):
    stand_in.webhook_url = "http://127.0.0.1:9/unreachable"
    stand_in.pay(create(sdk))
    (delivery,) = stand_in.state.deliveries
    assert delivery.status is None
    assert delivery.error


def test_nothing_is_delivered_without_a_url_or_when_deliveries_are_off(sdk, stand_in, webhook):
    stand_in.deliver_webhooks = False
    stand_in.pay(create(sdk))
    assert webhook.received == []
    assert stand_in.state.deliveries == []
    stand_in.deliver_webhooks = True
    stand_in.webhook_url = None
    stand_in.pay(create(sdk))
    assert webhook.received == []
    assert [e["pending_webhooks"] for e in stand_in.state.events] == [1, 0]


def test_sign_payload_is_what_stripe_verifies():
    payload = b'{"id": "evt_1", "object": "event"}'
    header = sign_payload(payload, "whsec_abc", timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    event = stripe.Webhook.construct_event(payload, sign_payload(payload, "whsec_abc"), "whsec_abc")
    assert event.id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_abc")  # too old


def test_an_api_call_answers_before_its_webhook_and_the_site_may_call_back(sdk, stand_in, webhook):
    """Expiring a session through the API (with an idempotency key, as the SDK
    sends) delivers ``checkout.session.expired`` once the stand-in is free again:
    the site's handler can call the stand-in while handling it, as a shop's does,
    instead of waiting on the request that caused the event."""
    session_id, other_id = create(sdk), create(sdk)
    quick = stripe.StripeClient(
        "sk_test_" + "x" * 24,
        base_addresses={"api": stand_in.api_base},
        stripe_version=API_VERSION,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=5),
    )
    seen: list[tuple[str, str]] = []

    def handler_calls_stripe(event: dict) -> None:
        status = quick.v1.checkout.sessions.retrieve(other_id).status
        seen.append((event["type"], str(status)))

    webhook.react = handler_calls_stripe
    expired = sdk.v1.checkout.sessions.expire(session_id, options={"idempotency_key": "exp-1"})
    assert expired.status == "expired"
    assert webhook.arrived.wait(10)
    assert seen == [("checkout.session.expired", "open")]
    assert [d.status for d in stand_in.state.deliveries] == [200]
