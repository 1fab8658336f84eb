"""Stripe's error answers: the exception the stand-in raises and the JSON it becomes."""

from __future__ import annotations

import re
from typing import Any

from .params import ParamError


class StripeHTTPError(Exception):
    """An error answer: HTTP ``status`` and Stripe's ``{"error": ...}`` ``body``."""

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


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeHTTPError:
    """A 400 for a parameter Stripe refuses."""
    return StripeHTTPError(400, message, code=code, param=param)


def missing(param: str, message: str | None = None) -> StripeHTTPError:
    """A 400 for a parameter Stripe requires (``parameter_missing``)."""
    message = message or f"Missing required param: {param}."
    return StripeHTTPError(400, message, code="parameter_missing", param=param)


def not_found(kind: str, object_id: str, param: str) -> StripeHTTPError:
    return StripeHTTPError(
        404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def no_such(kind: str, object_id: str, param: str) -> StripeHTTPError:
    """A 400 for a parameter naming an object that does not exist."""
    return StripeHTTPError(
        400, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def int_param(value: Any, param: str) -> int:
    """An integer parameter, as the form encoding carries it (``"42"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    raise StripeHTTPError(
        400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
    )


def bool_param(value: Any, param: str) -> bool:
    """A boolean parameter, as the form encoding carries it (``"true"``); unset is false."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise invalid(f"Invalid boolean: {value}", param)


def param_error_body(exc: ParamError) -> dict[str, Any]:
    """An unknown or invalid parameter, found by the SDK-typed validation."""
    unknown = exc.message.startswith("Received unknown")
    code = "parameter_unknown" if unknown else "parameter_invalid"
    error = {"type": "invalid_request_error", "message": exc.message, "param": exc.param}
    return {"error": {**error, "code": code}}


def unparsable_body(exc: ParamError) -> dict[str, Any]:
    """A form body that does not decode (``a=1&a[b]=2``)."""
    return {"error": {"type": "invalid_request_error", "message": exc.message, "param": exc.param}}


def plain_error(message: str, type: str = "invalid_request_error") -> dict[str, Any]:
    """An error body with neither code nor param."""
    return {"error": {"type": type, "message": message}}
