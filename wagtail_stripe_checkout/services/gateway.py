"""The only module that talks to Stripe, and (with the offline stand-in) the only one importing it.

``get_gateway()`` returns a :class:`StripeGateway` built from settings: pinned
API version, app info, a request timeout, bounded network retries and an API
base that can point at the offline stand-in. Its methods take and return plain
typed values and raise only :mod:`.errors` exceptions.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import stripe

from .. import __version__
from ..conf import app_settings
from . import errors

logger = logging.getLogger("wagtail_stripe_checkout.stripe")

APP_NAME = "wagtail-stripe-checkout"
APP_URL = "https://github.com/wagtail-stripe-checkout/wagtail-stripe-checkout"

T = TypeVar("T")


@dataclass(frozen=True)
class LineItem:
    description: str
    quantity: int
    unit_amount: int
    amount_total: int
    currency: str


@dataclass(frozen=True)
class CheckoutSession:
    """What we use of a Stripe Checkout Session."""

    id: str
    url: str | None
    status: str  # open, complete, expired
    payment_status: str  # paid, unpaid, no_payment_required
    amount_total: int | None
    currency: str | None  # upper case, like ours
    client_reference_id: str | None
    payment_intent_id: str | None
    customer_email: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    line_items: list[LineItem] | None = None
    amount_discount: int = 0  # promotion codes taken off amount_total

    @property
    def is_paid(self) -> bool:
        return self.payment_status in ("paid", "no_payment_required")


def _map_error(exc: stripe.StripeError) -> errors.StripeServiceError:
    details: dict[str, Any] = {
        "stripe_error": type(exc).__name__,
        "http_status": exc.http_status,
        "code": exc.code,
        "request_id": exc.request_id,
    }
    if isinstance(exc, stripe.CardError):
        details["decline_code"] = getattr(exc.error, "decline_code", None) if exc.error else None
        return errors.PaymentDeclined(str(exc.user_message or ""), **details)
    if isinstance(exc, stripe.IdempotencyError):
        return errors.IdempotencyConflict(**details)
    if isinstance(exc, stripe.InvalidRequestError):
        if exc.http_status == 404 or exc.code == "resource_missing":
            return errors.NotFound(**details)
        details["param"] = exc.param
        return errors.InvalidRequest(**details)
    if isinstance(exc, stripe.AuthenticationError):
        return errors.AuthenticationFailed(**details)
    if isinstance(exc, stripe.PermissionError):
        return errors.PermissionDenied(**details)
    if isinstance(exc, stripe.RateLimitError):
        return errors.RateLimited(**details)
    if isinstance(exc, stripe.APIConnectionError):
        text = str(exc)
        if "Timeout" in text or "timed out" in text:
            return errors.TimedOut(**details)
        return errors.ConnectionFailed(**details)
    return errors.StripeUnavailable(**details)


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    currency: str
    status: str


@dataclass(frozen=True)
class Event:
    """A verified webhook event; ``object`` is a plain dict of ``data.object``."""

    id: str
    type: str
    created: int
    object: dict[str, Any]


class InvalidSignature(Exception):
    """A webhook body that Stripe did not sign with any of our secrets, or signed
    outside the tolerance (too old, or in the future)."""


class MalformedEvent(ValueError):
    """A signed body, or an object in it, that is not shaped like a Stripe event."""


def _amount(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"{key} is not a whole number")
    return value


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise MalformedEvent(f"{key} is not a string")
    return value


def _session_from_stripe(stripe_object: Any) -> CheckoutSession:
    # Since SDK v15 a StripeObject is not a dict: read a plain copy.
    return session_from_dict(stripe_object.to_dict())


def _line_items(expanded: Any) -> list[LineItem] | None:
    if expanded is None:
        return None
    if not isinstance(expanded, dict) or not isinstance(expanded.get("data", []), list):
        raise MalformedEvent("line_items is not a list object")
    items = []
    for item in expanded.get("data", []):
        if not isinstance(item, dict):
            raise MalformedEvent("a line item is not an object")
        price = item.get("price") or {}
        items.append(
            LineItem(
                description=_text(item, "description") or "",
                quantity=_amount(item, "quantity") or 0,
                unit_amount=(_amount(price, "unit_amount") if isinstance(price, dict) else 0) or 0,
                amount_total=_amount(item, "amount_total") or 0,
                currency=(_text(item, "currency") or "").upper(),
            )
        )
    return items


def session_from_dict(obj: dict[str, Any]) -> CheckoutSession:
    """A Checkout Session from Stripe's JSON; :class:`MalformedEvent` if it is not one."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise MalformedEvent("not a Checkout Session")
    payment_intent = obj.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    if payment_intent is not None and not isinstance(payment_intent, str):
        raise MalformedEvent("payment_intent is not an id")
    currency = _text(obj, "currency")
    details = obj.get("customer_details") or {}
    totals = obj.get("total_details") or {}
    metadata = obj.get("metadata") or {}
    if (
        not isinstance(details, dict)
        or not isinstance(totals, dict)
        or not isinstance(metadata, dict)
    ):
        raise MalformedEvent("customer_details, total_details or metadata is not an object")
    return CheckoutSession(
        id=obj["id"],
        url=_text(obj, "url"),
        status=_text(obj, "status") or "",
        payment_status=_text(obj, "payment_status") or "",
        amount_total=_amount(obj, "amount_total"),
        currency=currency.upper() if currency else None,
        client_reference_id=_text(obj, "client_reference_id"),
        payment_intent_id=payment_intent,
        customer_email=_text(obj, "customer_email") or _text(details, "email"),
        metadata={str(k): str(v) for k, v in metadata.items()},
        line_items=_line_items(obj.get("line_items")),
        amount_discount=_amount(totals, "amount_discount") or 0,
    )


class StripeGateway:
    def __init__(self, client: stripe.StripeClient, *, api_base: str | None = None) -> None:
        self.client = client
        self.api_base = api_base

    @contextmanager
    def _translate(self, operation: str, **context: Any) -> Iterator[None]:
        try:
            yield
        except stripe.StripeError as exc:
            mapped = _map_error(exc)
            mapped.log_details.update(operation=operation, **context)
            logger.warning("stripe_request_failed", extra={"stripe": mapped.log_details})
            raise mapped from exc

    def _call(self, operation: str, fn: Callable[[], T], **context: Any) -> T:
        with self._translate(operation, **context):
            return fn()

    def create_checkout_session(
        self, params: dict[str, Any], *, idempotency_key: str
    ) -> CheckoutSession:
        obj = self._call(
            "checkout.sessions.create",
            lambda: self.client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            ),
            client_reference_id=params.get("client_reference_id"),
        )
        return _session_from_stripe(obj)

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        """One request: the session with its line items expanded."""
        obj = self._call(
            "checkout.sessions.retrieve",
            lambda: self.client.v1.checkout.sessions.retrieve(
                session_id, params={"expand": ["line_items"]}
            ),
            session_id=session_id,
        )
        return _session_from_stripe(obj)

    def list_checkout_sessions(
        self, *, created_since: int, status: str = "complete"
    ) -> Iterator[CheckoutSession]:
        """Every session created since a Unix time, following Stripe's pagination."""
        params: dict[str, Any] = {"created": {"gte": created_since}, "status": status, "limit": 100}
        while True:
            page = self._call(
                "checkout.sessions.list",
                lambda: self.client.v1.checkout.sessions.list(params=dict(params)),  # type: ignore[arg-type]
            )
            data = page.to_dict()
            sessions = [session_from_dict(obj) for obj in data.get("data", [])]
            yield from sessions
            if not data.get("has_more") or not sessions:
                return
            params["starting_after"] = sessions[-1].id

    def create_refund(
        self, payment_intent_id: str, amount: int | None, *, idempotency_key: str
    ) -> Refund:
        params: dict[str, Any] = {"payment_intent": payment_intent_id}
        if amount is not None:
            params["amount"] = amount
        obj = self._call(
            "refunds.create",
            lambda: self.client.v1.refunds.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            ),
            payment_intent=payment_intent_id,
        ).to_dict()
        return Refund(
            id=obj["id"],
            amount=int(obj["amount"]),
            currency=str(obj.get("currency") or "").upper(),
            status=str(obj.get("status") or ""),
        )

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        obj = self._call(
            "checkout.sessions.expire",
            lambda: self.client.v1.checkout.sessions.expire(session_id),
            session_id=session_id,
        )
        return _session_from_stripe(obj)


def build_client(api_base: str | None = None) -> stripe.StripeClient:
    base = api_base or app_settings.API_BASE
    return stripe.StripeClient(
        app_settings.SECRET_KEY or "sk_test_missing",
        stripe_version=app_settings.API_VERSION,
        base_addresses={"api": base} if base else None,
        max_network_retries=app_settings.MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=app_settings.TIMEOUT),
    )


def configure_sdk() -> None:
    """Identify the package to Stripe (called once from ``AppConfig.ready``)."""
    stripe.set_app_info(APP_NAME, version=__version__, url=APP_URL)


def get_gateway() -> StripeGateway:
    """A gateway for the current settings (cheap; settings are read each call)."""
    api_base = app_settings.API_BASE
    return StripeGateway(build_client(api_base), api_base=api_base)


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
        # Signed by Stripe: parse it with the installed SDK, as Stripe shapes it.
        try:
            if not isinstance(json.loads(text), dict):
                raise MalformedEvent("the body is not a JSON object")
            event = stripe.Webhook.construct_event_without_verification(text)
            return _event_from(event.to_dict())
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise MalformedEvent(str(exc) or "not an event") from exc
    raise InvalidSignature("no secret matches")
