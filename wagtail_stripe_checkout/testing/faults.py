"""Planned failures (``fail_next``): Stripe's error answers, dropped connections, slowness."""

from __future__ import annotations

from .errors import StripeHTTPError
from .reply import Reply, json_reply
from .state import Fault, Host

FAULTS: dict[str, tuple[int, str, str, str | None]] = {
    # kind: (status, type, message, code)
    "api_error": (500, "api_error", "An unknown error occurred.", None),
    "rate_limit": (
        429,
        "invalid_request_error",
        "Too many requests hit the API too quickly.",
        "rate_limit",
    ),
    "authentication": (
        401,
        "invalid_request_error",
        "Invalid API Key provided: sk_test_****",
        None,
    ),
    "permission": (
        403,
        "invalid_request_error",
        "The provided key does not have access to this resource.",
        "secret_key_required",
    ),
    "invalid_request": (
        400,
        "invalid_request_error",
        "Invalid request.",
        "parameter_invalid_empty",
    ),
    "card_error": (402, "card_error", "Your card was declined.", "card_declined"),
    "idempotency": (
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with.",
        None,
    ),
}
CONNECTION = "connection"  # the connection is dropped without an answer
TIMEOUT = "timeout"  # the answer comes after the stand-in's ``timeout_delay``
KINDS = (*FAULTS, CONNECTION, TIMEOUT)


def plan(host: Host, kind: str, times: int, paths: tuple[str, ...]) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown fault {kind!r}")
    with host.lock:
        host.state.faults.append(Fault(kind, times, paths))


def take(host: Host, path: str) -> str | None:
    """The kind of the first planned fault for ``path``, using one of its times."""
    with host.lock:
        for fault in host.state.faults:
            if fault.remaining > 0 and (not fault.paths or path.startswith(fault.paths)):
                fault.remaining -= 1
                return fault.kind
    return None


def error_reply(kind: str) -> Reply:
    """Stripe's answer for an error fault; the SDK is told not to retry it."""
    status, type_, message, code = FAULTS[kind]
    decline_code = "generic_decline" if kind == "card_error" else None
    error = StripeHTTPError(status, message, type=type_, code=code, decline_code=decline_code)
    return json_reply(status, {"error": error.body}, {"Stripe-Should-Retry": "false"})
