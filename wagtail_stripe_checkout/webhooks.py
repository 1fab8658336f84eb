"""Stripe webhook handling: every event once, every handler in one transaction.

The view (``views.stripe_webhook``) verifies the signature on the raw body
through the service layer, calls :func:`handle` and turns its
:class:`WebhookResult` into an HTTP status. A repeat of an event id does
nothing. A handler error rolls everything back (the event row too), so that
Stripe's retry can succeed later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import fulfilment
from .fulfilment import Change, Result
from .models import WebhookEvent
from .services import Event, session_from_dict

logger = logging.getLogger("wagtail_stripe_checkout.webhooks")


@dataclass(frozen=True)
class WebhookResult:
    """What became of one delivery: recorded and handled, a repeat, or a failure."""

    outcome: str  # a WebhookEvent.Outcome value, "duplicate" or "failed"
    detail: str = ""
    order_reference: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"

    @property
    def duplicate(self) -> bool:
        return self.outcome == "duplicate"


def _session_paid(event: Event) -> Change:
    session = session_from_dict(event.object)
    if not session.is_paid:
        return Change(Result.NOT_PAID)  # a delayed method: wait for async_payment_succeeded
    return fulfilment.fulfil(session.id, session=session)


def _session_failed(event: Event) -> Change:
    return fulfilment.fail(str(event.object.get("id")))


def _session_expired(event: Event) -> Change:
    return fulfilment.expire(str(event.object.get("id")))


def _charge_refunded(event: Event) -> Change:
    charge = event.object
    return fulfilment.record_refund(
        str(charge.get("payment_intent") or ""),
        int(charge.get("amount_refunded") or 0),
        str(charge.get("currency") or ""),
    )


HANDLERS: dict[str, Callable[[Event], Change]] = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "checkout.session.async_payment_failed": _session_failed,
    "checkout.session.expired": _session_expired,
    "charge.refunded": _charge_refunded,
}


def _record(event: Event) -> WebhookEvent | None:
    """The event's row, or ``None`` when this event id was seen before."""
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(stripe_event_id=event.id, type=event.type[:100])
    except IntegrityError:
        return None


def _process(event: Event) -> WebhookResult:
    with transaction.atomic():
        record = _record(event)
        if record is None:
            return WebhookResult("duplicate")
        handler = HANDLERS.get(event.type)
        change = handler(event) if handler else None
        record.order = change.order if change else None
        applied = change is not None and change.applied
        record.outcome = WebhookEvent.Outcome.PROCESSED if applied else WebhookEvent.Outcome.IGNORED
        record.detail = change.detail if change else "unhandled type"
        record.processed_at = timezone.now()
        record.save(update_fields=["order", "outcome", "detail", "processed_at"])
    return WebhookResult(
        record.outcome, record.detail, record.order.reference if record.order else None
    )


def handle(event: Event) -> WebhookResult:
    """Record and handle a verified event, once; never raises."""
    log = {"event": event.id, "type": event.type}
    try:
        result = _process(event)
    except Exception:
        logger.exception("webhook_handler_failed", extra=log)
        return WebhookResult("failed")
    logger.info(
        "webhook_duplicate" if result.duplicate else "webhook_processed",
        extra={**log, "outcome": result.detail, "order": result.order_reference},
    )
    return result
