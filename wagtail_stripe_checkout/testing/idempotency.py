"""Idempotency keys: a POST repeated with its key gets the first answer again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from .errors import StripeHTTPError
from .events import held_deliveries
from .reply import JSON, Reply, encode_json, json_reply
from .state import Host


def fingerprint(method: str, path: str, pairs: list[tuple[str, str]]) -> str:
    """What makes two requests the same request, whatever the order of their parameters."""
    return hashlib.sha256(f"{method} {path} {sorted(pairs)}".encode()).hexdigest()


def answer_once(
    host: Host, key: str, request: str, answer: Callable[[], tuple[int, dict[str, Any]]]
) -> Reply:
    """``answer()`` the first time ``key`` is used; replay it for the same ``request``.

    A different request under a used key is refused. Server errors (5xx) are not
    kept, so a retry runs again. The lock is held while answering, so concurrent
    retries with one key wait for the first; the webhooks the answer causes are
    delivered once the lock is free (``events.held_deliveries``).
    """
    with held_deliveries(host), host.lock:
        cached = host.state.idempotency.get(key)
        if cached is not None:
            return _replay(key, request, cached)
        status, payload = answer()
        encoded = encode_json(payload)
        if status < 500:
            host.state.idempotency[key] = (request, status, encoded)
    return Reply(status, encoded, JSON, {"Idempotency-Key": key})


def _replay(key: str, request: str, cached: tuple[str, int, bytes]) -> Reply:
    first_request, status, encoded = cached
    if first_request != request:
        error = StripeHTTPError(
            400,
            "Keys for idempotent requests can only be used with the same parameters they "
            f"were first used with. Try using a key other than '{key}' if you meant to "
            "execute a different request.",
            type="idempotency_error",
        )
        return json_reply(400, {"error": error.body})
    return Reply(status, encoded, JSON, {"Idempotent-Replayed": "true"})
