"""The only module that talks to Stripe, and (with the offline stand-in) the only one importing it.

``get_gateway()`` returns a :class:`StripeGateway` on a client built from
settings: pinned API version, app info, a request timeout, bounded network
retries and an API base that can point at the offline stand-in. Its methods
take and return plain typed values and raise only :mod:`.errors` exceptions.

The client is built once per thread and reused while the settings it is built
from stay the same, so its HTTP session (the SDK's ``RequestsClient`` keeps one
per thread) keeps its connections to Stripe open between requests.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

import stripe
from stripe.params.checkout import SessionCreateParams

from .. import __version__
from ..conf import app_settings
from . import errors
from .objects import CheckoutSession, Refund, session_from_dict

logger = logging.getLogger("wagtail_stripe_checkout.stripe")

APP_NAME = "wagtail-stripe-checkout"
APP_URL = "https://github.com/wagtail-stripe-checkout/wagtail-stripe-checkout"

T = TypeVar("T")


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


def _session_from_stripe(stripe_object: Any) -> CheckoutSession:
    # Since SDK v15 a StripeObject is not a dict: read a plain copy.
    return session_from_dict(stripe_object.to_dict())


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
            # Stripe's own words, for staff (the admin shows them on a failed refund).
            mapped.stripe_message = str(
                exc.user_message or (exc.error.message if exc.error else "")
            )
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

    def retrieve_checkout_session(
        self, session_id: str, *, expand: tuple[str, ...] = ()
    ) -> CheckoutSession:
        """One request: the session with its line items (and ``expand``) expanded."""
        params = {"expand": ["line_items", *expand]}
        obj = self._call(
            "checkout.sessions.retrieve",
            lambda: self.client.v1.checkout.sessions.retrieve(session_id, params=params),  # type: ignore[arg-type]
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


@cache
def checkout_locales() -> frozenset[str]:
    """The languages Stripe Checkout speaks, read from the installed SDK's own
    parameter types (``SessionCreateParams.locale``)."""
    annotation = str(SessionCreateParams.__annotations__.get("locale", ""))
    return frozenset(re.findall(r"'([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)'", annotation)) - {"auto"}


def checkout_locale(language: str | None) -> str:
    """Checkout's locale for a Django language code: ``fr`` → ``fr``, ``pt-br`` →
    ``pt-BR``, ``de-at`` → ``de``; ``auto`` (the browser's) when Stripe has none."""
    if not language:
        return "auto"
    base, _, region = language.replace("_", "-").partition("-")
    by_lower = {code.lower(): code for code in checkout_locales()}
    exact = f"{base}-{region}".lower() if region else base.lower()
    return by_lower.get(exact) or by_lower.get(base.lower()) or "auto"


def build_client(api_base: str | None = None) -> stripe.StripeClient:
    base = api_base or app_settings.API_BASE
    return stripe.StripeClient(
        app_settings.SECRET_KEY or "sk_test_missing",
        stripe_version=app_settings.API_VERSION,
        base_addresses={"api": base} if base else None,
        max_network_retries=app_settings.MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=app_settings.TIMEOUT),
    )


ClientKey = tuple[str, str | None, str, float, int]

_clients = threading.local()


def _client_key() -> ClientKey:
    """What a client is built from: another value means another client."""
    return (
        app_settings.SECRET_KEY or "",
        app_settings.API_BASE,
        app_settings.API_VERSION,
        app_settings.TIMEOUT,
        app_settings.MAX_NETWORK_RETRIES,
    )


def get_client() -> stripe.StripeClient:
    """This thread's client for the current settings, built on first use and
    again only when one of them changes (``override_settings`` in tests)."""
    key = _client_key()
    cached: tuple[ClientKey, stripe.StripeClient] | None = getattr(_clients, "current", None)
    if cached is None or cached[0] != key:
        cached = (key, build_client(key[1]))
        _clients.current = cached
    return cached[1]


def configure_sdk() -> None:
    """Identify the package to Stripe (called once from ``AppConfig.ready``)."""
    stripe.set_app_info(APP_NAME, version=__version__, url=APP_URL)


def get_gateway() -> StripeGateway:
    """A gateway for the current settings, on this thread's reused client."""
    return StripeGateway(get_client(), api_base=app_settings.API_BASE)
