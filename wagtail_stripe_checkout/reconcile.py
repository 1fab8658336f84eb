"""Catching up with Stripe when webhooks went missing (``manage.py reconcile_stripe``).

Paid sessions whose order is not paid here are fulfilled (through the same
``fulfil`` as the webhook); expired sessions close their pending order and give
its stock back; pending orders that never got a session are closed after
``WAGTAIL_STRIPE_CHECKOUT_UNSENT_ORDER_MINUTES``. Running it again changes
nothing. Each run's report (or the class of the error that stopped it) is kept
as a ``ReconcileRun`` for the admin dashboard.
"""

from __future__ import annotations

import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import datetime

from django.db import DatabaseError
from django.utils import timezone

from . import fulfilment
from .models import Order, ReconcileRun
from .order_states import PAID_STATUSES
from .pending import release_unsent
from .services import get_gateway


@dataclass
class Report:
    checked: int = 0
    fulfilled: int = 0
    expired: int = 0
    abandoned: int = 0

    def __str__(self) -> str:
        return (
            f"Checked {self.checked} sessions: fulfilled {self.fulfilled}, expired "
            f"{self.expired}; closed {self.abandoned} orders that never reached Stripe."
        )


def reconcile(hours: int) -> Report:
    """Ask Stripe for the last ``hours`` of sessions and apply what webhooks missed.

    Raises the service layer's ``StripeServiceError`` when Stripe cannot be asked.
    Either way the run is recorded, with what it did until then.
    """
    report = Report()
    started_at = timezone.now()
    try:
        _catch_up(hours, report)
    except Exception as exc:
        with suppress(DatabaseError):  # never hide why the run stopped
            _record(started_at, hours, report, error=type(exc).__name__)
        raise
    _record(started_at, hours, report)
    return report


def _record(started_at: datetime, hours: int, report: Report, error: str = "") -> None:
    ReconcileRun.record(
        started_at=started_at,
        finished_at=timezone.now(),
        hours=max(hours, 0),
        error=error[:100],
        **asdict(report),
    )


def _catch_up(hours: int, report: Report) -> None:
    gateway = get_gateway()
    since = int(time.time()) - hours * 3600
    paid = {}
    for session in gateway.list_checkout_sessions(created_since=since, status="complete"):
        report.checked += 1
        if session.is_paid:
            paid[session.id] = session
    missed = Order.objects.filter(stripe_session_id__in=list(paid)).exclude(
        status__in=PAID_STATUSES
    )
    for order in missed.only("stripe_session_id"):
        session = paid[str(order.stripe_session_id)]
        report.fulfilled += fulfilment.fulfil(session.id, session=session).applied
    for session in gateway.list_checkout_sessions(created_since=since, status="expired"):
        report.checked += 1
        report.expired += fulfilment.expire(session.id).applied
    report.abandoned = release_unsent()
