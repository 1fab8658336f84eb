"""Logs and error reports name orders, sessions and events, never secrets or
personal data (RELIABILITY.md: "secrets and PII in logs and error reports")."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest
import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.transport import Transport

from tests.factories import ProductFactory
from tests.support.helpers import signed_post
from wagtail_stripe_checkout import fulfilment
from wagtail_stripe_checkout.observability import JsonFormatter, before_send, scrub
from wagtail_stripe_checkout.testing.pytest_plugin import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET

SECRETS = ("sk_test_", "whsec_", "shopper@example.com", "v1=", "Stripe-Signature")


class Captured(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes: list[bytes] = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope.serialize())


@pytest.fixture
def sentry():
    transport = Captured()
    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=transport,
        before_send=before_send,
        integrations=[DjangoIntegration()],
        default_integrations=True,
        max_request_body_size="always",
    )
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: reporting off again


@pytest.fixture
def paid_session(client, shop, checkout_pages, stripe_stand_in):
    mug = ProductFactory.create(name="Mug", price=Decimal("7.77"))
    client.post("/shop/cart/add/", {"product": mug.pk, "quantity": "1"})
    checkout, _result = checkout_pages
    location = client.post(checkout.url, {"email": "shopper@example.com"})["Location"]
    session_id = location.rsplit("/", 1)[1]
    stripe_stand_in.pay(session_id)
    (event,) = stripe_stand_in.events_of_type("checkout.session.completed")
    return event, session_id


def test_a_failing_webhook_reaches_sentry_with_ids_and_without_secrets(
    paid_session, sentry, monkeypatch
):
    event, session_id = paid_session
    from wagtail_stripe_checkout.models import Order

    order = Order.objects.get()

    def broken(*args, **kwargs):
        raise RuntimeError(f"database hiccup for {TEST_SECRET_KEY} shopper@example.com")

    monkeypatch.setattr(fulfilment, "fulfil", broken)
    response = signed_post(event)
    assert response.status_code == 500
    sentry_sdk.flush()
    assert sentry.envelopes, "the error was not reported"
    envelope = b"\n".join(sentry.envelopes).decode()
    for secret in (TEST_SECRET_KEY, TEST_WEBHOOK_SECRET, "shopper@example.com", "v1="):
        assert secret not in envelope
    assert "stripe-signature" not in envelope.lower()
    reported = next(
        json.loads(line)
        for line in envelope.splitlines()
        if line.startswith("{") and '"tags"' in line and "webhook_handler_failed" in line
    )
    assert reported["tags"]["wsc.stripe_event"] == event["id"]
    assert reported["tags"]["wsc.stripe_session"] == session_id
    assert reported["tags"]["wsc.order"] == order.reference


def test_the_payment_log_records_ids_amounts_and_outcomes_only(paid_session, caplog):
    event, session_id = paid_session
    with caplog.at_level(logging.INFO, logger="wagtail_stripe_checkout"):
        assert signed_post(event).status_code == 200
    (record,) = [r for r in caplog.records if r.message == "webhook_processed"]
    assert (record.stripe_event, record.stripe_session, record.outcome) == (
        event["id"],
        session_id,
        "paid",
    )
    assert (record.amount, record.currency) == (777, "usd")
    assert isinstance(record.duration_ms, int) and record.order
    formatter = JsonFormatter()
    for r in caplog.records:
        line = formatter.format(r)
        assert json.loads(line)["message"] == r.getMessage()
        for secret in ("shopper@example.com", TEST_SECRET_KEY, TEST_WEBHOOK_SECRET):
            assert secret not in line


def test_scrub_removes_keys_emails_and_signature_headers():
    dirty = {
        "message": "sk_live_abcDEF123 and rk_test_xyz and whsec_abc+/= for a@b.example",
        "request": {"headers": {"Stripe-Signature": "t=1,v1=abc", "Accept": "text/html"}},
        "email": "a@b.example",
        "nested": ["pk is fine", {"customer_email": "c@d.example"}],
    }
    clean = before_send(json.loads(json.dumps(dirty)), {})
    text = json.dumps(clean)
    for secret in ("sk_live_", "rk_test_", "whsec_", "a@b.example", "c@d.example", "v1=abc"):
        assert secret not in text
    assert clean["request"]["headers"] == {"Accept": "text/html"}
    assert scrub("order K7Q2-MX4P, 777 usd") == "order K7Q2-MX4P, 777 usd"
