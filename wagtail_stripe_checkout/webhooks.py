"""Stripe webhook handling: every event once, every handler in one transaction.

The view (``views.stripe_webhook``) verifies the signature on the raw body
through the service layer; this module records and dispatches the event.
A repeat of an event id is answered 200 without doing anything. A handler
error rolls everything back (the event row too) and answers 500, so Stripe's
retry can succeed later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone

from . import fulfilment
from .fulfilment import Outcome
from .models import Order, WebhookEvent
from .services import Event, session_from_dict

logger = logging.getLogger("wagtail_stripe_checkout.webhooks")

HANDLED_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
)


def _session_paid(event: Event) -> Outcome:
    session = session_from_dict(event.object)
    if not session.is_paid:
        return Outcome.NOT_PAID  # a delayed method: wait for async_payment_succeeded
    return fulfilment.fulfil(session.id, session=session)


def _session_failed(event: Event) -> Outcome:
    return fulfilment.fail(str(event.object.get("id")))


def _session_expired(event: Event) -> Outcome:
    return fulfilment.expire(str(event.object.get("id")))


def _charge_refunded(event: Event) -> Outcome:
    charge = event.object
    return fulfilment.record_refund(
        str(charge.get("payment_intent") or ""),
        int(charge.get("amount_refunded") or 0),
        str(charge.get("currency") or ""),
    )


HANDLERS: dict[str, Callable[[Event], Outcome]] = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "checkout.session.async_payment_failed": _session_failed,
    "checkout.session.expired": _session_expired,
    "charge.refunded": _charge_refunded,
}


def _order_for(event: Event) -> Order | None:
    obj = event.object
    if obj.get("object") == "checkout.session":
        return Order.objects.filter(stripe_session_id=obj.get("id")).first()
    if obj.get("payment_intent"):
        return Order.objects.filter(stripe_payment_intent_id=obj["payment_intent"]).first()
    return None


def handle(event: Event) -> JsonResponse:
    log = {"event": event.id, "type": event.type}
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = WebhookEvent.objects.create(
                        stripe_event_id=event.id, type=event.type[:100]
                    )
            except IntegrityError:
                logger.info("webhook_duplicate", extra=log)
                return JsonResponse({"received": True, "duplicate": True})
            handler = HANDLERS.get(event.type)
            outcome = handler(event) if handler else None
            order = _order_for(event)
            record.order = order
            record.outcome = (
                WebhookEvent.Outcome.PROCESSED
                if outcome in (Outcome.FULFILLED, Outcome.CHANGED)
                else WebhookEvent.Outcome.IGNORED
            )
            record.detail = outcome.value if outcome else "unhandled type"
            record.processed_at = timezone.now()
            record.save(update_fields=["order", "outcome", "detail", "processed_at"])
    except Exception:
        logger.exception("webhook_handler_failed", extra=log)
        return JsonResponse({"received": False}, status=500)
    logger.info(
        "webhook_processed",
        extra={**log, "outcome": record.detail, "order": order.reference if order else None},
    )
    return JsonResponse({"received": True})
