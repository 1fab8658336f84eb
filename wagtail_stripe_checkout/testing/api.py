"""One request to ``/v1/``, from bytes to a reply, the way Stripe's edge handles it.

In order: decode the form, record the request, the planned faults (or being
offline), the API key, then the endpoint, once per idempotency key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from . import auth, faults, idempotency, routes
from .errors import unparsable_body
from .params import ParamError, decode_form
from .reply import Reply, json_reply
from .state import Host, RecordedRequest


class Headers(Protocol):
    """Request headers: an ``http.client.HTTPMessage`` or a plain dict."""

    def get(self, name: str, default: Any = None, /) -> Any: ...


@dataclass(frozen=True)
class APIRequest:
    method: str
    path: str
    pairs: list[tuple[str, str]]  # query and form body, in order
    headers: Headers

    @classmethod
    def parse(cls, method: str, path: str, query: str, body: bytes, headers: Headers) -> APIRequest:
        pairs = parse_qsl(query, keep_blank_values=True)
        pairs += parse_qsl(body.decode(), keep_blank_values=True)
        return cls(method, path, pairs, headers)


def respond(host: Host, request: APIRequest) -> Reply | None:
    """The reply, or ``None`` when the connection should be dropped unanswered."""
    params, parse_error = _decode(request.pairs)
    _record(host, request, params)
    if host.offline:
        return None
    fault = faults.take(host, request.path)
    if fault == faults.CONNECTION:
        return None
    if fault == faults.TIMEOUT:
        state = host.state
        time.sleep(host.timeout_delay)
        if host.state is not state:
            return None  # reset meanwhile (the next test): it must not see this request
    elif fault:
        return faults.error_reply(fault)
    refusal = auth.refusal(request.headers.get("Authorization", ""))
    return refusal or _answer(host, request, params, parse_error)


def _decode(pairs: list[tuple[str, str]]) -> tuple[dict[str, Any], ParamError | None]:
    try:
        return decode_form(pairs), None
    except ParamError as exc:
        return {}, exc


def _record(host: Host, request: APIRequest, params: dict[str, Any]) -> None:
    headers = request.headers
    recorded = RecordedRequest(
        request.method,
        request.path,
        params,
        headers.get("Idempotency-Key"),
        headers.get("Stripe-Version"),
    )
    with host.lock:
        host.state.requests.append(recorded)


def _answer(
    host: Host, request: APIRequest, params: dict[str, Any], parse_error: ParamError | None
) -> Reply:
    """The endpoint's reply; a POST with an Idempotency-Key is answered once per key."""

    def answer() -> tuple[int, dict[str, Any]]:
        if parse_error is not None:
            return 400, unparsable_body(parse_error)
        return routes.answer(host, request.method, request.path, params, request.headers)

    key = request.headers.get("Idempotency-Key")
    if request.method == "POST" and key:
        fingerprint = idempotency.fingerprint(request.method, request.path, request.pairs)
        return idempotency.answer_once(host, key, fingerprint, answer)
    return json_reply(*answer())
