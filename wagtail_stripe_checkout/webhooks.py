"""Stripe webhook handling: every event once, every handler in one transaction.

The view (``views.stripe_webhook``) verifies the signature on the raw body
through the service layer, calls :func:`handle` and turns its
:class:`WebhookResult` into an HTTP status. A repeat of an event id does
nothing. The event's row is written once, after its handler, in the handler's
transaction; the emails a payment sends are tasks queued after the commit. A
handler error rolls everything back (the event row too), so that Stripe's
retry can succeed later; the failure itself is then written as a
``WebhookFailure`` (id, type, error class) for the admin dashboard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import fulfilment
from .fulfilment import Change, Result
from .models import WebhookEvent, WebhookFailure
from .observability import Timer, payment_record, tag
from .services import Event, MalformedEvent, session_from_dict

logger = logging.getLogger("wagtail_stripe_checkout.webhooks")


@dataclass(frozen=True)
class WebhookResult:
    """What became of one delivery: recorded and handled, a repeat, or a failure."""

    outcome: str  # a WebhookEvent.Outcome value, "duplicate", "malformed" or "failed"
    detail: str = ""
    order_reference: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"

    @property
    def duplicate(self) -> bool:
        return self.outcome == "duplicate"

    @property
    def malformed(self) -> bool:
        return self.outcome == "malformed"


def _session_paid(event: Event) -> Change:
    session = session_from_dict(event.object)
    if not session.is_paid:
        return Change(Result.NOT_PAID)  # a delayed method: wait for async_payment_succeeded
    return fulfilment.fulfil(session.id, session=session)


def _session_failed(event: Event) -> Change:
    return fulfilment.fail(session_from_dict(event.object).id)


def _session_expired(event: Event) -> Change:
    return fulfilment.expire(session_from_dict(event.object).id)


def _charge_refunded(event: Event) -> Change:
    charge = event.object
    payment_intent = charge.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    refunded, currency = charge.get("amount_refunded"), charge.get("currency")
    if isinstance(refunded, bool) or not isinstance(refunded, int) or refunded < 0:
        raise MalformedEvent("amount_refunded is not an amount")
    if not isinstance(payment_intent, str) or not isinstance(currency, str):
        raise MalformedEvent("a refunded charge needs payment_intent and currency")
    return fulfilment.record_refund(payment_intent, refunded, currency)


HANDLERS: dict[str, Callable[[Event], Change]] = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "checkout.session.async_payment_failed": _session_failed,
    "checkout.session.expired": _session_expired,
    "charge.refunded": _charge_refunded,
}


class _Duplicate(Exception):
    """This event id was recorded before (or by a delivery committing meanwhile)."""


def _process(event: Event) -> WebhookResult:
    """Handle the event, then write its row, once, in the same transaction.

    The row comes last so that it is written once, complete. A repeat of the
    event id fails on the unique key there, which rolls back whatever the
    handler did again (every transition is idempotent: it did nothing).
    Concurrent deliveries of one event queue on the order's row lock first,
    then on the key, so they cannot deadlock.
    """
    try:
        with transaction.atomic():
            handler = HANDLERS.get(event.type)
            change = handler(event) if handler else None
            record = _record(event, change)
    except _Duplicate:
        return WebhookResult("duplicate")
    order = change.order if change else None
    return WebhookResult(record.outcome, record.detail, order.reference if order else None)


def _record(event: Event, change: Change | None) -> WebhookEvent:
    applied = change is not None and change.applied
    record = WebhookEvent(
        stripe_event_id=event.id,
        type=event.type[:100],
        order=change.order if change else None,
        outcome=WebhookEvent.Outcome.PROCESSED if applied else WebhookEvent.Outcome.IGNORED,
        detail=change.detail if change else "unhandled type",
        processed_at=timezone.now(),
    )
    try:
        record.save(force_insert=True)
    except IntegrityError as exc:  # the transaction is rolled back on the way out
        raise _Duplicate from exc
    return record


def _ids(event: Event) -> dict[str, Any]:
    """What the log and the error report may say about an event: ids and amounts."""
    obj = event.object
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    is_session = obj.get("object") == "checkout.session"
    return {
        "stripe_event": event.id,
        "type": event.type,
        "stripe_session": obj.get("id") if is_session else None,
        "order": (metadata or {}).get("order_number"),
        "amount": obj.get("amount_total") if is_session else obj.get("amount_refunded"),
        "currency": obj.get("currency"),
    }


def _record_failure(event: Event, error: BaseException) -> None:
    """After the rollback: what failed, for the dashboard (never the payload)."""
    try:
        with transaction.atomic():
            WebhookFailure.record(event.id, event.type, error)
    except Exception:  # the database itself may be what failed; the log has it
        logger.warning("webhook_failure_not_recorded", extra={"stripe_event": event.id})


def handle(event: Event) -> WebhookResult:
    """Record and handle a verified event, once; never raises."""
    ids = _ids(event)
    tag(order=ids["order"], stripe_session=ids["stripe_session"], stripe_event=event.id)
    timer = Timer()
    try:
        result = _process(event)
    except MalformedEvent as exc:  # rolled back: no row, and Stripe need not retry
        payment_record(logger, "webhook_malformed", level=logging.WARNING, reason=str(exc), **ids)
        _record_failure(event, exc)
        return WebhookResult("malformed")
    except Exception as exc:
        logger.exception("webhook_handler_failed", extra={**ids, "duration_ms": timer.ms})
        _record_failure(event, exc)
        return WebhookResult("failed")
    payment_record(
        logger,
        "webhook_duplicate" if result.duplicate else "webhook_processed",
        **{**ids, "order": result.order_reference or ids["order"]},
        outcome=result.detail or result.outcome,
        duration_ms=timer.ms,
    )
    return result
