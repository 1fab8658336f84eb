"""What the stand-in remembers between requests, and what its parts need of it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class RecordedRequest:
    """An API request as it arrived, its form parameters decoded."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    stripe_version: str | None


@dataclass
class Delivery:
    """One webhook delivery attempt: the HTTP status, or the error if none came."""

    event_id: str
    event_type: str
    status: int | None
    error: str | None = None


@dataclass
class Fault:
    """A failure planned by ``fail_next``: ``remaining`` more requests to ``paths``."""

    kind: str
    remaining: int
    paths: tuple[str, ...] = ()


@dataclass
class State:
    """Every stored object. Sessions keep private ``_``-prefixed keys the API never shows."""

    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    line_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    # Idempotency-Key -> (request fingerprint, status, encoded answer)
    idempotency: dict[str, tuple[str, int, bytes]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)  # by payment intent
    refunds: list[dict[str, Any]] = field(default_factory=list)
    shipping_rates: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The test coupon and promotion code (see ``discounts``), made on first use.
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)
    promotion_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)


class Host(Protocol):
    """What the stand-in's parts use of the running stand-in (``StripeStandIn``)."""

    @property
    def lock(self) -> threading.RLock: ...

    @property
    def state(self) -> State: ...

    @property
    def api_base(self) -> str: ...

    @property
    def webhook_url(self) -> str | None: ...

    @property
    def webhook_secret(self) -> str | None: ...

    @property
    def deliver_webhooks(self) -> bool: ...

    @property
    def offline(self) -> bool: ...

    @property
    def timeout_delay(self) -> float: ...
