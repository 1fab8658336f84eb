"""Verifying Stripe's webhook signatures on the raw body, and parsing the event."""

from __future__ import annotations

import json
import time
from typing import Any

import stripe

from .objects import Event, MalformedEvent


class InvalidSignature(Exception):
    """A webhook body that Stripe did not sign with any of our secrets, or signed
    outside the tolerance (too old, or in the future)."""


WEBHOOK_TOLERANCE_SECONDS = 300


def _signed_at(signature: str) -> int:
    for part in signature.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            return int(value)
    raise InvalidSignature("no timestamp in the signature")


def _event_from(data: Any) -> Event:
    """The event in a verified body, or :class:`MalformedEvent`."""
    if not isinstance(data, dict):
        raise MalformedEvent("the body is not a JSON object")
    event_id, event_type, created = data.get("id"), data.get("type"), data.get("created", 0)
    obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else None
    if not isinstance(event_id, str) or not event_id.startswith("evt_"):
        raise MalformedEvent("no event id")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedEvent("no event type")
    if not isinstance(obj, dict):
        raise MalformedEvent("no data.object")
    if isinstance(created, bool) or not isinstance(created, int):
        raise MalformedEvent("created is not a timestamp")
    return Event(id=event_id, type=event_type, created=created, object=obj)


def verify_webhook(payload: bytes, signature: str | None, secrets: list[str]) -> Event:
    """Check ``Stripe-Signature`` on the raw body against each secret (rotation),
    then parse the event.

    Raises :class:`InvalidSignature` (unsigned, wrong secret, a timestamp more
    than the tolerance in the past or in the future) or :class:`MalformedEvent`
    (signed, but not a well-formed event).
    """
    if not signature or not secrets:
        raise InvalidSignature("missing signature or secret")
    if _signed_at(signature) > time.time() + WEBHOOK_TOLERANCE_SECONDS:
        raise InvalidSignature("timestamp in the future")
    text = payload.decode("utf-8", errors="replace")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                text, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            continue
        # Signed by Stripe: the JSON itself is the event. (The SDK's
        # construct_event would build a StripeObject tree only for us to turn it
        # back into these dicts: an eighth of a webhook's time.)
        try:
            return _event_from(json.loads(text))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise MalformedEvent(str(exc) or "not an event") from exc
    raise InvalidSignature("no secret matches")
