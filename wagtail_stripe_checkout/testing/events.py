"""Events: recorded as they happen, signed and POSTed to the webhook URL as Stripe does."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import objects
from .errors import not_found
from .state import Delivery, Host

logger = logging.getLogger("wagtail_stripe_checkout.testing")

WEBHOOK_USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
WEBHOOK_TIMEOUT = 30  # seconds


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value, computed the way Stripe does."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def record_event(
    host: Host, event_type: str, obj: dict[str, Any], api_version: str | None
) -> dict[str, Any]:
    """Store a new event about ``obj``; the caller holds the lock and delivers it after."""
    pending = 1 if host.webhook_url else 0
    event = objects.event(event_type, obj, api_version, pending)
    host.state.events.append(event)
    return event


def retrieve_event(host: Host, event_id: str) -> dict[str, Any]:
    """``GET /v1/events/:id``."""
    with host.lock:
        for event in host.state.events:
            if event["id"] == event_id:
                return copy.deepcopy(event)
    raise not_found("event", event_id, "id")


# Events an API request caused, held back until the request lets go of the
# stand-in's lock (per thread): see ``held_deliveries``.
_held = threading.local()


@contextmanager
def held_deliveries(host: Host) -> Iterator[None]:
    """While an API request is answered under the stand-in's lock, the events it
    causes (an expired session, a refund) wait; once the block ends they are
    delivered from a thread of their own, in order, as Stripe answers the API
    call without waiting for its webhook. Delivering under the lock made every
    other request wait for the shop's answer, and a shop whose sync workers
    were all waiting on the stand-in could not answer its webhooks."""
    outer = getattr(_held, "events", None)
    _held.events = [] if outer is None else outer
    try:
        yield
    finally:
        if outer is None:
            events, _held.events = _held.events, None
            if events:  # after the API's answer, as Stripe does: the site may be busy
                threading.Thread(
                    target=_deliver_all, args=(host, events), name="stand-in-webhooks", daemon=True
                ).start()


def _deliver_all(host: Host, events: list[dict[str, Any]]) -> None:
    for event in events:
        deliver(host, event)


def deliver(host: Host, event: dict[str, Any]) -> Delivery | None:
    """POST a signed event to the webhook URL, as Stripe does (one attempt).

    ``None`` when there is nowhere to deliver (no URL or secret, or deliveries off),
    or when it waits for the API request that caused it (``held_deliveries``).
    """
    waiting = getattr(_held, "events", None)
    if waiting is not None:
        waiting.append(event)
        return None
    url, secret = host.webhook_url, host.webhook_secret
    if not (host.deliver_webhooks and url and secret):
        return None
    delivery = post_event(url, secret, event)
    with host.lock:
        host.state.deliveries.append(delivery)
    log_delivery(delivery, url)
    return delivery


def log_delivery(delivery: Delivery, url: str) -> None:
    """One line per delivery; a refused one says what usually causes it."""
    what = f"webhook {delivery.event_type} ({delivery.event_id}) to {url}"
    if delivery.status is not None and 200 <= delivery.status < 300:
        logger.info("%s: %s", what, delivery.status)
    elif delivery.status == 400 and "signature" in (delivery.error or ""):
        logger.warning(
            "%s: 400 invalid signature. Is --webhook-secret the same as the site's "
            "WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET?",
            what,
        )
    else:
        logger.warning("%s: %s", what, delivery.error or delivery.status)


def post_event(url: str, secret: str, event: dict[str, Any]) -> Delivery:
    payload = json.dumps(event, indent=2).encode()
    request = urllib.request.Request(  # noqa: S310 (a URL the test configured)
        url,
        data=payload,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign_payload(payload, secret),
            "User-Agent": WEBHOOK_USER_AGENT,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
            return Delivery(event["id"], event["type"], response.status)
    except urllib.error.HTTPError as exc:
        body = exc.read(500).decode("utf-8", "replace")
        return Delivery(event["id"], event["type"], exc.code, f"{exc} {body}".strip())
    except OSError as exc:
        return Delivery(event["id"], event["type"], None, str(exc))


def redeliver(host: Host, event_id: str) -> Delivery | None:
    """Deliver a recorded event again (``StopIteration`` if there is none)."""
    with host.lock:
        event = next(e for e in host.state.events if e["id"] == event_id)
    return deliver(host, event)
