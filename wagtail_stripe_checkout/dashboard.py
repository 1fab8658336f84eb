"""What the admin dashboard's shop panel shows: paid orders and revenue per
currency, pending orders, and the health of the link with Stripe (webhooks,
``reconcile_stripe``, test or live mode).

Every number is aggregated in the database: the panel costs the same few
queries for three orders or three million.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django.db.models import Aggregate, Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import pricing
from .conf import Mode, app_settings
from .models import Order, ReconcileRun, WebhookEvent, WebhookFailure
from .order_states import PAID_STATUSES

# The windows of the sales table, newest first: (key, days back; 0 is since midnight).
PERIODS: tuple[tuple[str, int], ...] = (("today", 0), ("7d", 7), ("30d", 30))
FAILURES_SHOWN = 10
FAILURE_WINDOW = timedelta(hours=24)
# The docs ask for an hourly cron job; two hours without a run is worth a look.
RECONCILE_STALE_AFTER = timedelta(hours=2)

STRIPE_DASHBOARD = "https://dashboard.stripe.com/"


def stripe_dashboard_url(path: str, mode: Mode | None = None) -> str:
    """A page of Stripe's Dashboard in the mode of the secret key (``/test/`` unless live)."""
    mode = mode or app_settings.mode
    prefix = "" if mode == "live" else "test/"
    return f"{STRIPE_DASHBOARD}{prefix}{path.lstrip('/')}"


def payment_url(payment_intent_id: str, mode: Mode | None = None) -> str:
    """The payment's page in Stripe's Dashboard."""
    return stripe_dashboard_url(f"payments/{quote(payment_intent_id, safe='')}", mode)


@dataclass(frozen=True)
class PeriodSales:
    orders: int
    revenue: int  # smallest units of the row's currency
    revenue_display: str


@dataclass(frozen=True)
class CurrencySales:
    currency: str
    periods: tuple[PeriodSales, ...]  # in the order of PERIODS


@dataclass(frozen=True)
class LastDelivery:
    at: datetime
    type: str
    outcome: str  # "processed", "ignored" or "failed"
    detail: str  # what the handler said, or the error's class

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"


@dataclass(frozen=True)
class Failure:
    stripe_event_id: str
    type: str
    error: str
    failed_at: datetime
    recovered_at: datetime | None  # when a delivery of the same event succeeded

    @property
    def recovered(self) -> bool:
        return self.recovered_at is not None


@dataclass(frozen=True)
class Summary:
    now: datetime
    mode: Mode | None
    sales: list[CurrencySales]
    pending: int
    last_delivery: LastDelivery | None
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0  # failed deliveries in the last 24 hours
    unrecovered: int = 0  # distinct events among them not handled since
    last_run: ReconcileRun | None = None

    @property
    def reconcile_stale(self) -> bool:
        return self.last_run is None or self.now - self.last_run.started_at > RECONCILE_STALE_AFTER


def period_starts(now: datetime) -> list[datetime]:
    """Where each of :data:`PERIODS` begins: local midnight for today, else days back."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return [midnight if days == 0 else now - timedelta(days=days) for _, days in PERIODS]


def _display(amount: int, code: str) -> str:
    try:
        return pricing.format_amount(amount, pricing.get_currency(code))
    except pricing.PricingError:
        return f"{code} {amount}"


def sales(now: datetime) -> list[CurrencySales]:
    """Paid orders and what Stripe charged for them, per currency, in one query."""
    starts = period_starts(now)
    charged = Coalesce("charged_total", "total")
    aggregates: dict[str, Aggregate] = {}
    for (key, _days), start in zip(PERIODS, starts, strict=True):
        in_period = Q(paid_when__gte=start)
        aggregates[f"orders_{key}"] = Count("pk", filter=in_period)
        aggregates[f"revenue_{key}"] = Sum(charged, filter=in_period)
    rows = (
        Order.objects.filter(status__in=PAID_STATUSES)
        .annotate(paid_when=Coalesce("paid_at", "created_at"))
        .filter(paid_when__gte=min(starts))
        .order_by()
        .values("currency")
        .annotate(**aggregates)
        .order_by("currency")
    )
    result = []
    for values in rows:
        row: dict[str, Any] = dict(values)
        periods = []
        for key, _days in PERIODS:
            revenue = int(row[f"revenue_{key}"] or 0)
            periods.append(
                PeriodSales(row[f"orders_{key}"], revenue, _display(revenue, row["currency"]))
            )
        result.append(CurrencySales(row["currency"], tuple(periods)))
    return result


def last_delivery() -> LastDelivery | None:
    """The newest webhook delivery, handled or failed (two queries)."""
    event = WebhookEvent.objects.order_by("-received_at", "-pk").first()
    failure = WebhookFailure.objects.order_by("-failed_at", "-pk").first()
    if failure is not None and (event is None or failure.failed_at > event.received_at):
        return LastDelivery(failure.failed_at, failure.type, "failed", failure.error)
    if event is None:
        return None
    return LastDelivery(event.received_at, event.type, event.outcome or "", event.detail)


def failures(now: datetime) -> tuple[list[Failure], int, int]:
    """The latest failed deliveries of the last 24 hours, each with whether the same
    event was handled since; how many failed; how many events are still unhandled."""
    handled = WebhookEvent.objects.filter(stripe_event_id=OuterRef("stripe_event_id"))
    recent = WebhookFailure.objects.filter(failed_at__gte=now - FAILURE_WINDOW)
    counts = recent.aggregate(
        total=Count("pk"),
        unrecovered=Count("stripe_event_id", distinct=True, filter=~Exists(handled)),
    )
    rows = recent.annotate(
        recovered_at=Subquery(handled.order_by("received_at").values("received_at")[:1])
    ).order_by("-failed_at", "-pk")[:FAILURES_SHOWN]
    shown = [
        Failure(row.stripe_event_id, row.type, row.error, row.failed_at, row.recovered_at)
        for row in rows
    ]
    return shown, counts["total"], counts["unrecovered"]


def summary(now: datetime | None = None) -> Summary:
    """Everything the panel shows, in a constant number of queries."""
    now = now or timezone.now()
    shown, failure_count, unrecovered = failures(now)
    return Summary(
        now=now,
        mode=app_settings.mode,
        sales=sales(now),
        pending=Order.objects.filter(status=Order.Status.PENDING).count(),
        last_delivery=last_delivery(),
        failures=shown,
        failure_count=failure_count,
        unrecovered=unrecovered,
        last_run=ReconcileRun.objects.order_by("-started_at", "-pk").first(),
    )
