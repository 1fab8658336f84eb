"""An order's history: Wagtail log entries, one per status change, refund,
note and email, with who and when (shown on the order's page in the admin)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import get_active_log_context, registry
from wagtail.models import ModelLogEntry

from .models import Order

PREFIX = "wagtail_stripe_checkout.order."


def log_action(
    order: Order, action: str, data: dict[str, Any] | None = None, user: Any = None
) -> None:
    """Add ``wagtail_stripe_checkout.order.<action>`` to the order's history."""
    log_actions(order, [(action, data or {})], user)


def log_actions(
    order: Order, actions: Iterable[tuple[str, dict[str, Any]]], user: Any = None
) -> None:
    """Add lines to the order's history: one INSERT each, nothing more.

    The lines are Wagtail's own ``ModelLogEntry`` rows, as ``wagtail.log_actions.log``
    writes them, but saved without ``BaseLogEntry.save``'s ``full_clean()``
    (a query per foreign key, on the webhook's path): the one thing it checks
    that could be wrong here, a registered action, is checked first instead.
    """
    registry.scan_for_actions()
    context = get_active_log_context()
    content_type = ContentType.objects.get_for_model(Order, for_concrete_model=False)
    now = timezone.now()
    for action, data in actions:
        name = f"{PREFIX}{action}"
        if not registry.action_exists(name):
            raise ValueError(f"The log action {name!r} has not been registered.")
        entry = ModelLogEntry(
            content_type=content_type,
            object_id=str(order.pk),
            label=str(order),
            action=name,
            data=data,
            timestamp=now,
            user=user or context.user,
            uuid=context.uuid,
        )
        models.Model.save(entry, force_insert=True)


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    action: str
    label: str
    who: str
    detail: str


def _detail(order: Order, action: str, data: dict[str, Any]) -> str:
    parts = []
    if data.get("from"):
        parts.append(f"{data['from']} → {action.removeprefix(PREFIX)}")
    if isinstance(data.get("amount"), int):
        parts.append(order.display(data["amount"]))
    for key in ("text", "kind", "carrier", "tracking_number", "refund", "error"):
        if data.get(key):
            parts.append(str(data[key]))
    return " · ".join(parts)


def _label(entry: ModelLogEntry) -> str:
    # get_formatter() reads the registered actions first (get_action_label does
    # not: in a fresh process it raised KeyError until another page had).
    formatter = registry.get_formatter(entry)
    return str(formatter.label) if formatter else entry.action


def order_history(order: Order) -> list[HistoryEntry]:
    """Newest first."""
    entries = ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk)
    ).select_related("user")
    return [
        HistoryEntry(
            when=entry.timestamp,
            action=entry.action,
            label=_label(entry),
            who=entry.user_display_name if entry.user_id else _("Stripe / shop"),
            detail=_detail(order, entry.action, entry.data or {}),
        )
        for entry in entries.order_by("-timestamp", "-pk")
    ]
