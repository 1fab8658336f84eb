"""The offline Stripe stand-in: a small threaded HTTP server the real SDK talks to.

TEST-ONLY: never run it where real money should move. See ``__init__.py``.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import html
import json
import logging
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from stripe.params import RefundCreateParams
from stripe.params.checkout import (
    SessionCreateParams,
    SessionExpireParams,
    SessionListParams,
    SessionRetrieveParams,
)

from .. import pricing
from .params import ParamError, decode_form, validate

logger = logging.getLogger("wagtail_stripe_checkout.stand_in")

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"

_FIXTURES = json.loads((Path(__file__).with_name("fixtures.json")).read_text())["resources"]
_TEMPLATE_RE = re.compile(r"\{([^{}]*)\}")
_KEY_RE = re.compile(r"^(sk|rk)_test_[A-Za-z0-9_]+$")


def fixture(name: str) -> dict[str, Any]:
    return copy.deepcopy(_FIXTURES[name])


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(24).replace('-', 'a').replace('_', 'b')}"


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value, computed the way Stripe does."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class StripeHTTPError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        should_retry: bool | None = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.should_retry = should_retry
        self.body: dict[str, Any] = {"type": type, "message": message}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        if decline_code:
            self.body["decline_code"] = decline_code


FAULTS: dict[str, tuple[int, str, str, str | None]] = {
    # kind: (status, type, message, code)
    "api_error": (500, "api_error", "An unknown error occurred.", None),
    "rate_limit": (429, "invalid_request_error", "Too many requests hit the API too quickly.", "rate_limit"),
    "authentication": (401, "invalid_request_error", "Invalid API Key provided: sk_test_****", None),
    "permission": (403, "invalid_request_error", "The provided key does not have access to this resource.", "secret_key_required"),
    "invalid_request": (400, "invalid_request_error", "Invalid request.", "parameter_invalid_empty"),
    "card_error": (402, "card_error", "Your card was declined.", "card_declined"),
    "idempotency": (400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with.", None),
}  # fmt: skip


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    stripe_version: str | None


@dataclass
class Delivery:
    event_id: str
    event_type: str
    status: int | None
    error: str | None = None


@dataclass
class _Fault:
    kind: str
    remaining: int
    paths: tuple[str, ...] = ()


@dataclass
class _State:
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    line_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    idempotency: dict[str, tuple[str, int, bytes]] = field(default_factory=dict)
    faults: list[_Fault] = field(default_factory=list)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)  # by payment intent
    refunds: list[dict[str, Any]] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # the client gave up (a timeout test); nothing to report
        super().handle_error(request, client_address)


class StripeStandIn:
    """An offline Stripe. Start it, point the SDK's API base at ``api_base``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        deliver_webhooks: bool = True,
        timeout_delay: float = 3.0,
    ) -> None:
        self.host = host
        self.port = port
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.deliver_webhooks = deliver_webhooks
        self.timeout_delay = timeout_delay
        self.offline = False
        self.lock = threading.RLock()
        self.state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Life cycle --------------------------------------------------------------
    def start(self) -> StripeStandIn:
        handler = type("Handler", (_Handler,), {"stand_in": self})
        self._server = _Server((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="stripe-stand-in", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StripeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_base(self) -> str:
        return f"http://{self.host}:{self.port}"

    # Test helpers -----------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.state = _State()
            self.offline = False

    def fail_next(self, kind: str, times: int = 1, *, paths: tuple[str, ...] = ()) -> None:
        """The next ``times`` API requests (to ``paths`` prefixes, if given) fail.

        ``kind``: a key of ``FAULTS``, ``"connection"`` (the connection is dropped)
        or ``"timeout"`` (the answer comes after ``timeout_delay`` seconds).
        """
        if kind not in FAULTS and kind not in ("connection", "timeout"):
            raise ValueError(f"unknown fault {kind!r}")
        with self.lock:
            self.state.faults.append(_Fault(kind, times, paths))

    def go_offline(self) -> None:
        """Stop answering: every API request has its connection dropped."""
        self.offline = True

    def go_online(self) -> None:
        self.offline = False

    def requests_to(
        self, path_prefix: str = "/v1/", method: str | None = None
    ) -> list[RecordedRequest]:
        with self.lock:
            return [
                r
                for r in self.state.requests
                if r.path.startswith(path_prefix) and (method is None or r.method == method)
            ]

    def events_of_type(self, event_type: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.state.events if e["type"] == event_type]

    def session(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.state.sessions[session_id])

    def pay(
        self, session_id: str, card: str = CARD_OK, email: str | None = None
    ) -> tuple[bool, str]:
        """Pay as a shopper would on the hosted page: (paid, redirect URL or error)."""
        return self._pay(session_id, card, email=email)

    def complete_unpaid(self, session_id: str) -> None:
        """A delayed payment method: the session completes unpaid (sends checkout.session.completed)."""
        with self.lock:
            session = self._get_session(session_id)
            session.update(
                status="complete", payment_status="unpaid", payment_intent=_id("pi"), url=None
            )
            event = self._record_event(
                "checkout.session.completed", self._public(session), session.get("_api_version")
            )
        self._deliver(event)

    def settle_async(self, session_id: str, succeeded: bool) -> None:
        """The delayed payment settles: checkout.session.async_payment_succeeded or _failed."""
        with self.lock:
            session = self._get_session(session_id)
            if succeeded:
                session["payment_status"] = "paid"
                self._new_charge(session)
            kind = "succeeded" if succeeded else "failed"
            event = self._record_event(
                f"checkout.session.async_payment_{kind}",
                self._public(session),
                session.get("_api_version"),
            )
        self._deliver(event)

    def expire(self, session_id: str) -> dict[str, Any]:
        """Let a session run out, as time passing would (sends checkout.session.expired)."""
        return self._expire(session_id, by_api=False)

    # API ---------------------------------------------------------------------
    def handle_api(
        self, method: str, path: str, params: dict[str, Any], headers: Any
    ) -> tuple[int, dict[str, Any]]:
        parts = [p for p in path.split("/") if p]
        if parts[:3] == ["v1", "checkout", "sessions"]:
            rest = parts[3:]
            if method == "POST" and not rest:
                validate(params, SessionCreateParams)
                return 200, self._create_session(params, headers.get("Stripe-Version"))
            if method == "GET" and not rest:
                validate(params, SessionListParams)
                return 200, self._list_sessions(params)
            if method == "GET" and len(rest) == 1:
                validate(params, SessionRetrieveParams)
                return 200, self._retrieve(rest[0], params.get("expand") or [])
            if method == "GET" and len(rest) == 2 and rest[1] == "line_items":
                return 200, self._line_item_list(rest[0])
            if method == "POST" and len(rest) == 2 and rest[1] == "expire":
                validate(params, SessionExpireParams)
                return 200, self._expire(rest[0], by_api=True)
        if parts == ["v1", "refunds"] and method == "POST":
            validate(params, RefundCreateParams)
            return 200, self._refund(params, headers.get("Stripe-Version"))
        if parts[:2] == ["v1", "events"] and method == "GET" and len(parts) == 3:
            with self.lock:
                for event in self.state.events:
                    if event["id"] == parts[2]:
                        return 200, copy.deepcopy(event)
            raise StripeHTTPError(
                404, f"No such event: '{parts[2]}'", code="resource_missing", param="id"
            )
        raise StripeHTTPError(
            404, f"Unrecognized request URL ({method}: {path}).", code="resource_missing"
        )

    def handle_api_safe(
        self, method: str, path: str, params: dict[str, Any], headers: Any = None
    ) -> tuple[int, dict[str, Any]]:
        """Answer as the HTTP API would, without HTTP (for inspecting error bodies)."""
        return self.answer(method, path, decode_form(_encode(params)), headers or {})

    def answer(
        self, method: str, path: str, params: dict[str, Any], headers: Any
    ) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for an API request, errors shaped as Stripe shapes them."""
        try:
            return self.handle_api(method, path, params, headers)
        except ParamError as exc:
            code = (
                "parameter_unknown"
                if exc.message.startswith("Received unknown")
                else "parameter_invalid"
            )
            error = {"type": "invalid_request_error", "message": exc.message, "param": exc.param}
            return 400, {"error": {**error, "code": code}}
        except StripeHTTPError as exc:
            return exc.status, {"error": exc.body}

    def _get_session(self, session_id: str) -> dict[str, Any]:
        session = self.state.sessions.get(session_id)
        if session is None:
            raise StripeHTTPError(
                404,
                f"No such checkout.session: '{session_id}'",
                code="resource_missing",
                param="session",
            )
        return session

    def _create_session(self, params: dict[str, Any], api_version: str | None) -> dict[str, Any]:
        mode = params.get("mode")
        if not mode:
            raise StripeHTTPError(
                400, "Missing required param: mode.", code="parameter_missing", param="mode"
            )
        if mode != "payment":
            raise StripeHTTPError(400, "The stand-in supports mode=payment only.", param="mode")
        success_url = params.get("success_url")
        if not success_url:
            raise StripeHTTPError(
                400,
                "Missing required param: success_url.",
                code="parameter_missing",
                param="success_url",
            )
        for name in ("success_url", "cancel_url"):
            url = params.get(name)
            if url is None:
                continue
            if not re.match(r"^https?://[^\s/]+", url):
                raise StripeHTTPError(
                    400, f"Not a valid URL: {name}", code="url_invalid", param=name
                )
            for variable in _TEMPLATE_RE.findall(url):
                if variable != "CHECKOUT_SESSION_ID":
                    raise StripeHTTPError(
                        400,
                        f"The {name} contains an invalid template variable {{{variable}}}; the only "
                        "supported one is {CHECKOUT_SESSION_ID}.",
                        param=name,
                    )
            if url.count("{") != url.count("}") or re.search(r"\{[^}]*$|^[^{]*\}", url):
                raise StripeHTTPError(
                    400, f"The {name} has a malformed {{CHECKOUT_SESSION_ID}} template.", param=name
                )

        items_in = params.get("line_items") or []
        if not items_in:
            raise StripeHTTPError(
                400,
                "You must provide at least one line item.",
                code="parameter_missing",
                param="line_items",
            )
        if len(items_in) > 100:
            raise StripeHTTPError(
                400, "You may only specify up to 100 line items.", param="line_items"
            )
        currencies = set()
        items: list[dict[str, Any]] = []
        for index, item in enumerate(items_in):
            path = f"line_items[{index}]"
            price_data = item.get("price_data")
            if not price_data:
                raise StripeHTTPError(
                    400,
                    f"The stand-in needs {path}[price_data].",
                    code="parameter_missing",
                    param=f"{path}[price_data]",
                )
            item_currency = str(price_data.get("currency") or "").lower()
            if not item_currency:
                raise StripeHTTPError(
                    400,
                    f"Missing required param: {path}[price_data][currency].",
                    code="parameter_missing",
                    param=f"{path}[price_data][currency]",
                )
            try:
                pricing.get_currency(item_currency)
            except pricing.PricingError:
                raise StripeHTTPError(
                    400,
                    f"Invalid currency: {item_currency}.",
                    param=f"{path}[price_data][currency]",
                ) from None
            currencies.add(item_currency)
            unit_amount = _int(price_data.get("unit_amount"), f"{path}[price_data][unit_amount]")
            if unit_amount < 0 or unit_amount > pricing.MAX_AMOUNT:
                raise StripeHTTPError(
                    400,
                    "This value must be greater than or equal to 0 and less than or equal to 99999999.",
                    param=f"{path}[price_data][unit_amount]",
                )
            quantity = _int(item.get("quantity"), f"{path}[quantity]")
            if quantity < 1 or quantity > 999999:
                raise StripeHTTPError(
                    400, "This value must be greater than or equal to 1.", param=f"{path}[quantity]"
                )
            name = ((price_data.get("product_data") or {}).get("name") or "").strip()
            if not name:
                raise StripeHTTPError(
                    400,
                    f"Missing required param: {path}[price_data][product_data][name].",
                    code="parameter_missing",
                    param=f"{path}[price_data][product_data][name]",
                )
            items.append(
                {
                    "name": name,
                    "unit_amount": unit_amount,
                    "quantity": quantity,
                    "currency": item_currency,
                    "images": (price_data.get("product_data") or {}).get("images") or [],
                }
            )
        if len(currencies) > 1:
            raise StripeHTTPError(
                400,
                "All line items must use the same currency; got "
                + ", ".join(sorted(currencies))
                + ".",
                param="line_items",
            )
        currency_code = currencies.pop()
        currency = pricing.get_currency(currency_code)

        shipping_amount = 0
        shipping_options = []
        for index, option in enumerate(params.get("shipping_options") or []):
            rate = option.get("shipping_rate_data") or {}
            fixed = rate.get("fixed_amount") or {}
            amount = _int(
                fixed.get("amount"),
                f"shipping_options[{index}][shipping_rate_data][fixed_amount][amount]",
            )
            if str(fixed.get("currency", "")).lower() != currency_code:
                raise StripeHTTPError(
                    400,
                    "The shipping rate's currency must match the line items' currency.",
                    param=f"shipping_options[{index}][shipping_rate_data][fixed_amount][currency]",
                )
            shipping_options.append({"shipping_amount": amount, "shipping_rate": _id("shr")})
            if index == 0:
                shipping_amount = amount

        subtotal = sum(i["unit_amount"] * i["quantity"] for i in items)
        total = subtotal + shipping_amount
        for name, amount in [("line_items", i["unit_amount"]) for i in items] + [
            ("amount_total", total)
        ]:
            if amount % currency.step:
                raise StripeHTTPError(
                    400,
                    f"Amounts in {currency_code} must be multiples of {currency.step} "
                    f"(the last digit{'s' if currency.step == 100 else ''} must be 0).",
                    param=name,
                )
        if total < currency.minimum:
            raise StripeHTTPError(
                400,
                "The Checkout Session's total amount due must add up to at least "
                f"{pricing.format_plain(currency.minimum, currency)} {currency_code.lower()}",
                code="amount_too_small",
            )
        if total > pricing.MAX_AMOUNT:
            raise StripeHTTPError(
                400,
                "The Checkout Session's total amount due must be no more than 99999999.",
                code="amount_too_large",
            )

        now = int(time.time())
        expires_at = params.get("expires_at")
        if expires_at is not None:
            expires_at = _int(expires_at, "expires_at")
            if expires_at < now + 30 * 60 - 5:
                raise StripeHTTPError(
                    400,
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                    param="expires_at",
                )
            if expires_at > now + 24 * 3600 + 5:
                raise StripeHTTPError(
                    400,
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                    param="expires_at",
                )
        else:
            expires_at = now + 24 * 3600
        metadata = params.get("metadata") or {}
        if len(metadata) > 50 or any(len(k) > 40 or len(str(v)) > 500 for k, v in metadata.items()):
            raise StripeHTTPError(
                400,
                "Metadata can have up to 50 keys of 40 characters and values of 500 characters.",
                param="metadata",
            )
        reference = params.get("client_reference_id")
        if reference is not None and len(reference) > 200:
            raise StripeHTTPError(
                400,
                "client_reference_id can be at most 200 characters.",
                param="client_reference_id",
            )
        email = params.get("customer_email")
        if email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            raise StripeHTTPError(
                400, "Invalid email address: " + email, code="email_invalid", param="customer_email"
            )
        automatic_tax = params.get("automatic_tax") or {}
        tax_enabled = str(automatic_tax.get("enabled", "false")) == "true"
        collection = params.get("shipping_address_collection")

        session_id = _id("cs_test")
        session = fixture("checkout.session")
        session.update(
            {
                "id": session_id,
                "object": "checkout.session",
                "after_expiration": None,
                "adaptive_pricing": {"enabled": False},
                "allow_promotion_codes": str(params.get("allow_promotion_codes")) == "true" or None,
                "amount_subtotal": subtotal,
                "amount_total": total,
                "automatic_tax": {
                    "enabled": tax_enabled,
                    "liability": {"type": "self"} if tax_enabled else None,
                    "provider": "stripe" if tax_enabled else None,
                    "status": "complete" if tax_enabled else None,
                },
                "cancel_url": params.get("cancel_url"),
                "client_reference_id": reference,
                "collected_information": None,
                "consent": None,
                "consent_collection": None,
                "created": now,
                "currency": currency_code,
                "custom_text": {
                    "after_submit": None,
                    "shipping_address": None,
                    "submit": None,
                    "terms_of_service_acceptance": None,
                },
                "customer_details": None,
                "customer_email": email,
                "discounts": [],
                "expires_at": expires_at,
                "invoice_creation": {
                    "enabled": False,
                    "invoice_data": {
                        "account_tax_ids": None,
                        "custom_fields": None,
                        "description": None,
                        "footer": None,
                        "issuer": None,
                        "metadata": {},
                        "rendering_options": None,
                    },
                },
                "livemode": False,
                "locale": params.get("locale"),
                "metadata": dict(metadata),
                "mode": "payment",
                "payment_intent": None,
                "payment_method_configuration_details": None,
                "payment_status": "unpaid",
                "recovered_from": None,
                "shipping_address_collection": collection,
                "shipping_cost": (
                    {
                        "amount_subtotal": shipping_amount,
                        "amount_tax": 0,
                        "amount_total": shipping_amount,
                        "shipping_rate": shipping_options[0]["shipping_rate"],
                    }
                    if shipping_options
                    else None
                ),
                "shipping_options": shipping_options,
                "status": "open",
                "success_url": success_url,
                "total_details": {
                    "amount_discount": 0,
                    "amount_shipping": shipping_amount,
                    "amount_tax": 0,
                },
                "ui_mode": "hosted",
                "url": f"{self.api_base}/pay/{session_id}",
                "_api_version": api_version,
            }
        )
        line_items = []
        for item in items:
            line = fixture("item")
            price = line["price"]
            price.update(
                {
                    "id": _id("price"),
                    "currency": item["currency"],
                    "unit_amount": item["unit_amount"],
                    "unit_amount_decimal": str(item["unit_amount"]),
                    "product": _id("prod"),
                    "recurring": None,
                    "transform_quantity": None,
                    "custom_unit_amount": None,
                    "type": "one_time",
                    "created": now,
                }
            )
            amount = item["unit_amount"] * item["quantity"]
            line.update(
                {
                    "id": _id("li"),
                    "description": item["name"],
                    "currency": item["currency"],
                    "quantity": item["quantity"],
                    "amount_subtotal": amount,
                    "amount_total": amount,
                    "amount_discount": 0,
                    "amount_tax": 0,
                    "adjustable_quantity": None,
                    "metadata": {},
                    "price": price,
                }
            )
            line_items.append(line)
        with self.lock:
            self.state.sessions[session_id] = session
            self.state.line_items[session_id] = line_items
        return self._public(session)

    def _public(self, session: dict[str, Any], expand: list[str] | None = None) -> dict[str, Any]:
        result = {k: copy.deepcopy(v) for k, v in session.items() if not k.startswith("_")}
        if expand and "line_items" in expand:
            result["line_items"] = self._line_item_list(session["id"])
        return result

    def _line_item_list(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            self._get_session(session_id)
            data = copy.deepcopy(self.state.line_items[session_id])
        return {
            "object": "list",
            "data": data,
            "has_more": False,
            "url": f"/v1/checkout/sessions/{session_id}/line_items",
        }

    def _retrieve(self, session_id: str, expand: list[str]) -> dict[str, Any]:
        with self.lock:
            return self._public(self._get_session(session_id), expand)

    def _list_sessions(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = min(_int(params.get("limit", 10), "limit"), 100)
        created = params.get("created") or {}
        with self.lock:
            sessions = sorted(
                self.state.sessions.values(), key=lambda s: s["created"], reverse=True
            )
            if isinstance(created, dict) and "gte" in created:
                sessions = [
                    s for s in sessions if s["created"] >= _int(created["gte"], "created[gte]")
                ]
            if params.get("status"):
                sessions = [s for s in sessions if s["status"] == params["status"]]
            if params.get("starting_after"):
                ids = [s["id"] for s in sessions]
                if params["starting_after"] in ids:
                    sessions = sessions[ids.index(params["starting_after"]) + 1 :]
            page = sessions[:limit]
            return {
                "object": "list",
                "data": [self._public(s) for s in page],
                "has_more": len(sessions) > limit,
                "url": "/v1/checkout/sessions",
            }

    def _expire(self, session_id: str, *, by_api: bool) -> dict[str, Any]:
        with self.lock:
            session = self._get_session(session_id)
            if session["status"] != "open":
                raise StripeHTTPError(
                    400,
                    "Only Checkout Sessions with a status of `open` can be expired.",
                    code="checkout_session_not_open" if by_api else None,
                )
            session["status"] = "expired"
            session["url"] = None
            public = self._public(session)
            event = self._record_event(
                "checkout.session.expired", public, session.get("_api_version")
            )
        self._deliver(event)
        return public

    def _pay(
        self, session_id: str, card: str, *, email: str | None = None, name: str | None = None
    ) -> tuple[bool, str]:
        card = re.sub(r"[\s-]", "", card or "")
        with self.lock:
            session = self._get_session(session_id)
            if session["status"] != "open":
                return False, "This checkout session is no longer active."
            if card == CARD_DECLINED:
                return False, "Your card was declined."
            if card == CARD_INSUFFICIENT_FUNDS:
                return False, "Your card has insufficient funds."
            if card != CARD_OK:
                return False, "Your card number is incorrect."
            email = session.get("customer_email") or email or "shopper@example.com"
            collection = session.get("shipping_address_collection") or None
            country = ((collection or {}).get("allowed_countries") or ["US"])[0]
            shopper = name or "Test Shopper"
            address = {
                "city": "Testville",
                "country": country,
                "line1": "1 Test Street",
                "line2": None,
                "postal_code": "T35 7ST",
                "state": None,
            }
            session.update(
                {
                    "status": "complete",
                    "payment_status": "paid",
                    "payment_intent": _id("pi"),
                    "url": None,
                    "customer_details": {
                        "address": dict(address),
                        "email": email,
                        "name": shopper,
                        "phone": None,
                        "tax_exempt": "none",
                        "tax_ids": [],
                        "business_name": None,
                        "individual_name": None,
                    },
                    "collected_information": (
                        {
                            "shipping_details": {
                                "name": shopper,
                                "address": dict(address),
                            },
                            "business_name": None,
                            "individual_name": None,
                            "tax_ids": None,
                        }
                        if collection
                        else None
                    ),
                }
            )
            self._new_charge(session)
            public = self._public(session)
            event = self._record_event(
                "checkout.session.completed", public, session.get("_api_version")
            )
            success = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        self._deliver(event)
        return True, success

    def _new_charge(self, session: dict[str, Any]) -> dict[str, Any]:
        """The charge behind a paid session (what refunds act on)."""
        charge = fixture("charge")
        charge.update(
            {
                "id": _id("ch"),
                "amount": session["amount_total"],
                "amount_captured": session["amount_total"],
                "amount_refunded": 0,
                "captured": True,
                "currency": session["currency"],
                "created": int(time.time()),
                "livemode": False,
                "paid": True,
                "payment_intent": session["payment_intent"],
                "refunded": False,
                "status": "succeeded",
                "metadata": dict(session.get("metadata") or {}),
            }
        )
        self.state.charges[session["payment_intent"]] = charge
        return charge

    def _refund(self, params: dict[str, Any], api_version: str | None) -> dict[str, Any]:
        payment_intent = params.get("payment_intent")
        if not payment_intent:
            raise StripeHTTPError(
                400,
                "One of charge or payment_intent is required.",
                code="parameter_missing",
                param="payment_intent",
            )
        with self.lock:
            charge = self.state.charges.get(payment_intent)
            if charge is None:
                raise StripeHTTPError(
                    404,
                    f"No such payment_intent: '{payment_intent}'",
                    code="resource_missing",
                    param="payment_intent",
                )
            remaining = charge["amount"] - charge["amount_refunded"]
            amount = _int(params.get("amount", remaining), "amount")
            if amount <= 0:
                raise StripeHTTPError(400, "Refund amount must be greater than 0.", param="amount")
            if amount > remaining:
                raise StripeHTTPError(
                    400,
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                    code="amount_too_large",
                    param="amount",
                )
            refund = fixture("refund")
            refund.update(
                {
                    "id": _id("re"),
                    "amount": amount,
                    "charge": charge["id"],
                    "currency": charge["currency"],
                    "created": int(time.time()),
                    "payment_intent": payment_intent,
                    "status": "succeeded",
                    "metadata": {},
                }
            )
            self.state.refunds.append(refund)
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            event = self._record_event("charge.refunded", copy.deepcopy(charge), api_version)
        self._deliver(event)
        return copy.deepcopy(refund)

    def _record_event(
        self, event_type: str, obj: dict[str, Any], api_version: str | None
    ) -> dict[str, Any]:
        event = fixture("event")
        event.update(
            {
                "id": _id("evt"),
                "object": "event",
                "api_version": api_version,
                "created": int(time.time()),
                "data": {"object": copy.deepcopy(obj)},
                "livemode": False,
                "pending_webhooks": 1 if self.webhook_url else 0,
                "request": {"id": None, "idempotency_key": None},
                "type": event_type,
            }
        )
        self.state.events.append(event)
        return event

    def _deliver(self, event: dict[str, Any]) -> Delivery | None:
        """POST a signed event to the webhook URL, as Stripe does (one attempt)."""
        if not (self.deliver_webhooks and self.webhook_url and self.webhook_secret):
            return None
        payload = json.dumps(event, indent=2).encode()
        request = urllib.request.Request(  # noqa: S310 (a URL the test configured)
            self.webhook_url,
            data=payload,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign_payload(payload, self.webhook_secret),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                delivery = Delivery(event["id"], event["type"], response.status)
        except urllib.error.HTTPError as exc:
            delivery = Delivery(event["id"], event["type"], exc.code, str(exc))
        except OSError as exc:
            delivery = Delivery(event["id"], event["type"], None, str(exc))
        with self.lock:
            self.state.deliveries.append(delivery)
        return delivery

    def redeliver(self, event_id: str) -> Delivery | None:
        with self.lock:
            event = next(e for e in self.state.events if e["id"] == event_id)
        return self._deliver(event)

    def take_fault(self, path: str) -> str | None:
        with self.lock:
            for fault in self.state.faults:
                if fault.remaining > 0 and (not fault.paths or path.startswith(fault.paths)):
                    fault.remaining -= 1
                    return fault.kind
        return None


def _encode(params: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Plain params into the SDK's form encoding (the inverse of ``decode_form``)."""
    pairs: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, dict) else enumerate(params)
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, (dict, list)):
            pairs.extend(_encode(value, name))
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


def _int(value: Any, param: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    raise StripeHTTPError(
        400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
    )


def _money(minor: int, currency_code: str) -> str:
    try:
        currency = pricing.get_currency(currency_code)
    except pricing.PricingError:
        return f"{minor} {currency_code}"
    return f"{pricing.format_plain(minor, currency)} {currency.code}"


class _Handler(BaseHTTPRequestHandler):
    stand_in: StripeStandIn
    server_version = "stripe-stand-in/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("stand-in %s", format % args)

    # Plumbing ----------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", _id("req"))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(
        self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(data, indent=2).encode(), "application/json", headers)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(2)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        body = self._body()
        if split.path.startswith("/pay/"):
            self._pay_page(method, split.path, body)
            return
        self._api(method, split.path, split.query, body)

    # The API -----------------------------------------------------------------
    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        stand_in = self.stand_in
        pairs = parse_qsl(query, keep_blank_values=True) + parse_qsl(
            body.decode(), keep_blank_values=True
        )
        try:
            params = decode_form(pairs)
        except ParamError as exc:
            params = {}
            parse_error: ParamError | None = exc
        else:
            parse_error = None
        key = self.headers.get("Idempotency-Key")
        with stand_in.lock:
            stand_in.state.requests.append(
                RecordedRequest(method, path, params, key, self.headers.get("Stripe-Version"))
            )
        if stand_in.offline:
            self._drop()
            return
        fault = stand_in.take_fault(path)
        if fault == "connection":
            self._drop()
            return
        if fault == "timeout":
            time.sleep(stand_in.timeout_delay)
        elif fault:
            status, type_, message, code = FAULTS[fault]
            error = StripeHTTPError(
                status,
                message,
                type=type_,
                code=code,
                decline_code="generic_decline" if fault == "card_error" else None,
            )
            self._send_json(status, {"error": error.body}, {"Stripe-Should-Retry": "false"})
            return

        auth = self.headers.get("Authorization", "")
        api_key = auth[7:] if auth.startswith("Bearer ") else ""
        if not api_key:
            self._send_json(
                401,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": "You did not provide an API key.",
                    }
                },
            )
            return
        if not _KEY_RE.match(api_key):
            self._send_json(
                401,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": f"Invalid API Key provided: {api_key[:8]}****. "
                        "The stand-in accepts test keys only.",
                    }
                },
            )
            return

        fingerprint = hashlib.sha256(f"{method} {path} {sorted(pairs)}".encode()).hexdigest()
        if method == "POST" and key:
            with stand_in.lock:
                cached = stand_in.state.idempotency.get(key)
                if cached is not None:
                    if cached[0] != fingerprint:
                        error = StripeHTTPError(
                            400,
                            "Keys for idempotent requests can only be used with the same parameters "
                            f"they were first used with. Try using a key other than '{key}' if you "
                            "meant to execute a different request.",
                            type="idempotency_error",
                        )
                        self._send_json(400, {"error": error.body})
                        return
                    self._send(
                        cached[1], cached[2], "application/json", {"Idempotent-Replayed": "true"}
                    )
                    return
                status, payload = self._answer(method, path, params, parse_error)
                encoded = json.dumps(payload, indent=2).encode()
                if status < 500:
                    stand_in.state.idempotency[key] = (fingerprint, status, encoded)
            self._send(status, encoded, "application/json", {"Idempotency-Key": key})
            return
        status, payload = self._answer(method, path, params, parse_error)
        self._send_json(status, payload)

    def _answer(
        self, method: str, path: str, params: dict[str, Any], parse_error: ParamError | None
    ) -> tuple[int, dict[str, Any]]:
        if parse_error is not None:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "message": parse_error.message,
                    "param": parse_error.param,
                }
            }
        return self.stand_in.answer(method, path, params, self.headers)

    # The hosted payment page -------------------------------------------------
    def _pay_page(self, method: str, path: str, body: bytes) -> None:
        parts = [p for p in path.split("/") if p]
        session_id = parts[1] if len(parts) > 1 else ""
        with self.stand_in.lock:
            session = self.stand_in.state.sessions.get(session_id)
            session = copy.deepcopy(session) if session else None
        if session is None:
            self._send(
                404,
                _page("Not found", "<p>This payment page does not exist.</p>"),
                "text/html; charset=utf-8",
            )
            return
        if len(parts) == 3 and parts[2] == "cancel":
            target = session.get("cancel_url") or "/"
            self._send(303, b"", "text/plain", {"Location": target})
            return
        error = ""
        if method == "POST":
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
            paid, result = self.stand_in._pay(
                session_id,
                form.get("card_number", ""),
                email=form.get("email") or None,
                name=form.get("name") or None,
            )
            if paid:
                self._send(303, b"", "text/plain", {"Location": result})
                return
            error = result
        self._send(
            402 if error else 200,
            _pay_html(session, self.stand_in.state.line_items.get(session_id, []), error),
            "text/html; charset=utf-8",
        )


def _page(title: str, content: str) -> bytes:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f6f9fc; color: #1a1f36; margin: 0; }}
.wrap {{ max-width: 30rem; margin: 2rem auto; background: #fff; border-radius: 8px; padding: 1.5rem 2rem;
        box-shadow: 0 2px 8px rgba(0,0,0,.08); }}
.badge {{ background: #ffde92; color: #5f3a00; font-weight: 700; font-size: .75rem; padding: .15rem .5rem; border-radius: 4px; }}
table {{ width: 100%; border-collapse: collapse; }} td {{ padding: .35rem 0; }} td.n {{ text-align: right; }}
.total td {{ font-weight: 700; border-top: 1px solid #e3e8ee; }}
label {{ display: block; margin-top: .75rem; font-size: .9rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .6rem; font: inherit; border: 1px solid #c4ccd8; border-radius: 6px; }}
button {{ margin-top: 1rem; width: 100%; padding: .75rem; font: inherit; font-weight: 600; color: #fff;
          background: #635bff; border: 0; border-radius: 6px; cursor: pointer; }}
.error {{ color: #c0123c; background: #fff0f3; padding: .6rem .8rem; border-radius: 6px; }}
.hint {{ color: #697386; font-size: .8rem; }}
</style></head><body><div class="wrap">{content}</div></body></html>""".encode()


def _pay_html(session: dict[str, Any], line_items: list[dict[str, Any]], error: str) -> bytes:
    currency = session.get("currency") or "usd"
    rows = "".join(
        f"<tr><td>{html.escape(item['description'])} × {item['quantity']}</td>"
        f"<td class='n'>{_money(item['amount_total'], currency)}</td></tr>"
        for item in line_items
    )
    shipping = (session.get("total_details") or {}).get("amount_shipping") or 0
    if shipping:
        rows += f"<tr><td>Shipping</td><td class='n'>{_money(shipping, currency)}</td></tr>"
    rows += f"<tr class='total'><td>Total</td><td class='n' data-total>{_money(session['amount_total'], currency)}</td></tr>"
    if session["status"] != "open":
        body = f"<p>This checkout session is {html.escape(session['status'])}.</p>"
        return _page("Checkout", body)
    email_field = (
        ""
        if session.get("customer_email")
        else '<label>Email<input type="email" name="email" autocomplete="email" required></label>'
    )
    error_html = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    cancel = (
        f'<p><a href="/pay/{session["id"]}/cancel">← Back (cancel payment)</a></p>'
        if session.get("cancel_url")
        else ""
    )
    content = f"""
{cancel}
<p><span class="badge">TEST MODE</span> Stripe stand-in</p>
<h1>Pay {_money(session["amount_total"], currency)}</h1>
<table>{rows}</table>
{error_html}
<form method="post">
  {email_field}
  <label>Card number<input name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required></label>
  <label>Expiry<input name="expiry" placeholder="12 / 34" value="12 / 34"></label>
  <label>CVC<input name="cvc" placeholder="123" value="123"></label>
  <label>Name on card<input name="name" autocomplete="cc-name" value="Test Shopper"></label>
  <button type="submit">Pay</button>
</form>
<p class="hint">Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined;
4000 0000 0000 9995 has insufficient funds.</p>"""
    return _page("Pay", content)
