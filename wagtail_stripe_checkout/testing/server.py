"""The offline Stripe stand-in: a small threaded HTTP server the real SDK talks to.

TEST-ONLY: never run it where real money should move. See ``__init__.py``.

This module is its face: :class:`StripeStandIn` starts and stops the server and
offers the helpers tests use. The work is done by the modules beside it:

==================  ============================================================
``handler``         HTTP plumbing: ``/pay/...``, ``/invoice/...`` pages, the rest to ``api``
``api``             one API request: record it, faults/offline, API key, idempotency
``auth``            the API key check (test keys only)
``faults``          planned failures (``fail_next``) and their answers
``idempotency``     answer a POST once per Idempotency-Key, replay it after
``routes``          the endpoints, their accepted params, Stripe-shaped errors
``params``          accepted params from the SDK's own types; form decoding
``sessions``        Checkout Sessions: create, retrieve, list, line items, expire
``session_rules``   the create request's rules, area by area
``shipping``        shipping options and the ``shipping_rate`` objects behind them
``discounts``       the test coupon and promotion code, ``discounts`` rules
``collection``      phone, addresses, tax IDs, consent, custom text, invoices: rules
``custom_fields``   custom fields: rules, the session's shape, the answers
``tax_rules``       ``tax_behavior`` and ``tax_code`` parameters
``amounts``         discount, tax and presentment arithmetic (exact, per currency)
``session_totals``  a session's amounts, and the shopper's choices that change them
``expand``          ``expand[]`` of stored objects' ids
``currencies``      Stripe's currency rules (decimals, steps, minimums, 8 digits)
``shopper``         what a shopper enters, from the page's form or from ``pay()``
``answers``         the shopper's answers checked, and what paying records of them
``payments``        test cards, paying, delayed payments, charges
``invoices``        invoices of paid sessions, their hosted page and PDF
``refunds``         refunds and their bounds
``events``          events, their signatures and webhook deliveries
``objects``         Stripe-shaped objects built on Stripe's fixtures
``pay_page``        the hosted pay page (``templates/``); ``pay_form`` its fields
``markup``          HTML from ``templates/``, escaped
``state``           what is stored, and what the parts need of the stand-in
``errors``          Stripe's error answers; ``reply`` what the handler sends
==================  ============================================================
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any

from . import events, faults, payments, routes, sessions
from .amounts import TAX_RATE as TEST_TAX_RATE
from .discounts import TEST_CODE as TEST_PROMOTION_CODE
from .discounts import TEST_COUPON_ID, TEST_PROMOTION_CODE_ID
from .errors import StripeHTTPError
from .events import sign_payload
from .faults import FAULTS
from .handler import Server, handler_for
from .params import decode_form, encode_form
from .payments import CARD_DECLINED, CARD_INSUFFICIENT_FUNDS, CARD_OK
from .shopper import Shopper
from .state import Delivery, RecordedRequest, State

__all__ = [
    "CARD_DECLINED",
    "CARD_INSUFFICIENT_FUNDS",
    "CARD_OK",
    "FAULTS",
    "TEST_COUPON_ID",
    "TEST_PROMOTION_CODE",
    "TEST_PROMOTION_CODE_ID",
    "TEST_TAX_RATE",
    "Delivery",
    "RecordedRequest",
    "StripeHTTPError",
    "StripeStandIn",
    "sign_payload",
]


class StripeStandIn:
    """An offline Stripe. Start it, point the SDK's API base at ``api_base``."""

    FAULTS = FAULTS

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
        self.state = State()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # Life cycle --------------------------------------------------------------
    def start(self) -> StripeStandIn:
        self._server = Server((self.host, self.port), handler_for(self))
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
        """Forget everything: sessions, events, requests, planned faults; go online."""
        with self.lock:
            self.state = State()
            self.offline = False

    def fail_next(self, kind: str, times: int = 1, *, paths: tuple[str, ...] = ()) -> None:
        """The next ``times`` API requests (to ``paths`` prefixes, if given) fail.

        ``kind``: a key of ``FAULTS``, ``"connection"`` (the connection is dropped)
        or ``"timeout"`` (the answer comes after ``timeout_delay`` seconds).
        """
        faults.plan(self, kind, times, paths)

    def go_offline(self) -> None:
        """Stop answering: every API request has its connection dropped."""
        self.offline = True

    def go_online(self) -> None:
        self.offline = False

    def requests_to(
        self, path_prefix: str = "/v1/", method: str | None = None
    ) -> list[RecordedRequest]:
        """The API requests received to ``path_prefix`` (and ``method``), oldest first."""
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
        """A copy of the stored session (with its private ``_`` keys)."""
        with self.lock:
            return copy.deepcopy(self.state.sessions[session_id])

    def pay(
        self,
        session_id: str,
        card: str = CARD_OK,
        email: str | None = None,
        name: str | None = None,
        *,
        phone: str | None = None,
        shipping_rate: int | str | None = None,
        promotion_code: str | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        tax_id: str | Mapping[str, str] | None = None,
        accept_terms: bool = True,
        billing_address: Mapping[str, Any] | None = None,
        shipping_address: Mapping[str, Any] | None = None,
        presentment_currency: str | None = None,
    ) -> tuple[bool, str]:
        """Pay as a shopper would on the hosted page: (paid, redirect URL or error).

        What the page asks for and the test does not give is filled in with test
        values (phone, addresses, custom fields' answers). ``shipping_rate``: an
        option's index or display name; ``promotion_code``: a code to apply
        (``TESTCODE100``); ``custom_fields``: key -> answer (``""`` leaves one
        blank); ``tax_id``: a value, or ``{"type": ..., "value": ...}``;
        ``presentment_currency``: pay in that currency (Adaptive Pricing).
        """
        shopper = Shopper(
            card,
            email,
            name,
            phone=phone,
            shipping_rate=shipping_rate,
            promotion_code=promotion_code,
            custom_fields=custom_fields,
            tax_id=tax_id,
            accept_terms=accept_terms,
            billing_address=billing_address,
            shipping_address=shipping_address,
            presentment_currency=presentment_currency,
        )
        return payments.pay(self, session_id, shopper)

    def complete_unpaid(self, session_id: str) -> None:
        """A delayed payment method: the session completes unpaid (checkout.session.completed)."""
        payments.complete_unpaid(self, session_id)

    def settle_async(self, session_id: str, succeeded: bool) -> None:
        """The delayed payment settles: checkout.session.async_payment_succeeded or _failed."""
        payments.settle_async(self, session_id, succeeded)

    def expire(self, session_id: str) -> dict[str, Any]:
        """Let a session run out, as time passing would (sends checkout.session.expired)."""
        return sessions.expire_session(self, session_id, by_api=False)

    def redeliver(self, event_id: str) -> Delivery | None:
        """Deliver a recorded event to the webhook URL again."""
        return events.redeliver(self, event_id)

    def take_fault(self, path: str) -> str | None:
        return faults.take(self, path)

    # The API without HTTP ----------------------------------------------------
    def handle_api(
        self, method: str, path: str, params: dict[str, Any], headers: Any
    ) -> tuple[int, dict[str, Any]]:
        """An endpoint's answer; refusals raise ``StripeHTTPError`` or ``ParamError``."""
        return routes.dispatch(self, method, path, params, headers)

    def answer(
        self, method: str, path: str, params: dict[str, Any], headers: Any
    ) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for an API request, errors shaped as Stripe shapes them."""
        return routes.answer(self, method, path, params, headers)

    def handle_api_safe(
        self, method: str, path: str, params: dict[str, Any], headers: Any = None
    ) -> tuple[int, dict[str, Any]]:
        """Answer as the HTTP API would, without HTTP (for inspecting error bodies)."""
        return self.answer(method, path, decode_form(encode_form(params)), headers or {})
