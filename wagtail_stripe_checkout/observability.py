"""Payment records for logs and error reports, without secrets or personal data.

* :func:`payment_record` writes one structured log record per payment event:
  what happened, the order reference, the Checkout Session and event ids, the
  amount and currency, the outcome and how long it took. Never card data,
  keys, signatures, raw bodies or email addresses.
* :class:`JsonFormatter` turns every record into one line of JSON (see the
  deployment guide's ``LOGGING``), scrubbing what slipped through.
* With the ``sentry`` extra: :func:`tag` puts order, session and event ids on
  Sentry's scope, and :func:`before_send` (pass it to ``sentry_sdk.init``)
  removes ``sk_``/``rk_``/``whsec_`` strings, email addresses and the
  ``Stripe-Signature`` header from every report.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

try:  # the optional "sentry" extra
    import sentry_sdk
except ImportError:  # pragma: no cover - exercised without the extra
    sentry_sdk = None  # type: ignore[assignment]

FILTERED = "[Filtered]"
SECRET_RE = re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9+/=_]+")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
SENSITIVE_HEADERS = {"stripe-signature", "authorization", "cookie"}
SENSITIVE_KEYS = {"email", "customer_email", "receipt_email", "card_number", "signature"}


def scrub(value: Any) -> Any:
    """``value`` with secrets and email addresses replaced, recursively."""
    if isinstance(value, str):
        return EMAIL_RE.sub(FILTERED, SECRET_RE.sub(FILTERED, value))
    if isinstance(value, dict):
        return {
            k: FILTERED if str(k).lower() in SENSITIVE_KEYS and v else scrub(v)
            for k, v in value.items()
            if str(k).lower() not in SENSITIVE_HEADERS
        }
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def before_send(event: Any, hint: Any = None) -> Any:
    """Sentry's ``before_send``: the report (a dict) without secrets, signatures or emails."""
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                k: v for k, v in headers.items() if k.lower() not in SENSITIVE_HEADERS
            }
        request.pop("cookies", None)
    return dict(scrub(event))


def tag(**ids: Any) -> None:
    """Put payment ids (``order``, ``stripe_session``, ``stripe_event``) on Sentry's scope."""
    if sentry_sdk is None:
        return
    for name, value in ids.items():
        if value:
            sentry_sdk.set_tag(f"wsc.{name}", str(value))


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)


def payment_record(
    logger: logging.Logger, what: str, *, level: int = logging.INFO, **fields: Any
) -> None:
    """One structured record: ``what`` as the message, ids and amounts as fields."""
    logger.log(level, what, extra=scrub({k: v for k, v in fields.items() if v is not None}))


# Attributes every LogRecord has; anything else on a record is an "extra".
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(scrub(data), default=str)
