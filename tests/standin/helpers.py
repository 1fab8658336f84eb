"""Requests to the stand-in, as the SDK or a plain HTTP client sends them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlencode

import stripe

from wagtail_stripe_checkout.testing.pytest_plugin import TEST_SECRET_KEY

API_VERSION = "2025-03-31.basil"


def item(
    currency: str = "usd", unit_amount: Any = 1000, quantity: Any = 1, name: str = "Mug"
) -> dict[str, Any]:
    return {
        "quantity": quantity,
        "price_data": {
            "currency": currency,
            "unit_amount": unit_amount,
            "product_data": {"name": name},
        },
    }


def shipping(amount: Any, currency: str = "usd") -> dict[str, Any]:
    return {
        "shipping_rate_data": {
            "display_name": "Post",
            "type": "fixed_amount",
            "fixed_amount": {"amount": amount, "currency": currency},
        }
    }


def rate(amount: Any, name: str = "Post", currency: str = "usd", **extra: Any) -> dict[str, Any]:
    """A ``shipping_options[]`` entry with its own ``shipping_rate_data``."""
    option = shipping(amount, currency)
    option["shipping_rate_data"].update(display_name=name, **extra)
    return option


def text_field(key: str, label: str, **extra: Any) -> dict[str, Any]:
    """A ``custom_fields[]`` entry (``type`` text unless ``extra`` says otherwise)."""
    return {"key": key, "label": {"type": "custom", "custom": label}, "type": "text", **extra}


def session_params(**change: Any) -> Any:
    """A valid create request, changed by ``change`` (``None`` leaves a parameter out).

    Typed ``Any``: many tests send what the SDK's parameter types do not allow.
    """
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart",
        "line_items": [item(unit_amount=1234, quantity=2)],
    }
    params.update(change)
    return {key: value for key, value in params.items() if value is not None}


def sdk_for(api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        TEST_SECRET_KEY,
        base_addresses={"api": api_base},
        stripe_version=API_VERSION,
        max_network_retries=0,
    )


def error_of(exc: stripe.StripeError) -> dict[str, Any]:
    """The ``error`` object of Stripe's JSON answer to a failed request."""
    body = exc.json_body
    assert isinstance(body, dict)
    error: dict[str, Any] = body["error"]
    return error


def raw(obj: Any) -> dict[str, Any]:
    """The JSON the stand-in sent for an SDK result."""
    data: dict[str, Any] = obj.last_response.data
    return data


def encode(params: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Form-encode nested params the way Stripe's SDKs do (``a[b][0]=v``)."""
    pairs: list[tuple[str, str]] = []
    entries = params.items() if isinstance(params, dict) else enumerate(params)
    for key, value in entries:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, (dict, list)):
            pairs.extend(encode(value, name))
        elif isinstance(value, bool):
            pairs.append((name, str(value).lower()))
        else:
            pairs.append((name, str(value)))
    return pairs


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = self.json()["error"]
        return error

    @property
    def text(self) -> str:
        return self.body.decode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def http(
    api_base: str,
    method: str,
    path: str,
    params: Any = None,
    *,
    key: str | None = TEST_SECRET_KEY,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One plain HTTP request (redirects are not followed)."""
    encoded = urlencode(encode(params or {}))
    url = api_base + path
    if method == "GET" and encoded:
        url += "?" + encoded
    elif body is None:
        body = encoded.encode()
    all_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if key is not None:
        all_headers["Authorization"] = f"Bearer {key}"
    all_headers.update(headers or {})
    request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=10) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers, exc.read())


def now() -> int:
    return int(time.time())


def pay_page(api_base: str, session_id: str, suffix: str = "") -> Answer:
    """The hosted pay page, as a browser GETs it."""
    return http(api_base, "GET", f"/pay/{session_id}{suffix}", key=None)


def post_pay_page(api_base: str, session_id: str, **form: Any) -> Answer:
    """The pay page's form, posted (card 4242… unless ``card_number`` says otherwise)."""
    fields = {"card_number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123", **form}
    return http(api_base, "POST", f"/pay/{session_id}", fields, key=None)
