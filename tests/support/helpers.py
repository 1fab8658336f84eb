"""Helpers the test modules share: the cart in the session, messages, signed
webhook posts and signal capture."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from django.dispatch import Signal
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from wagtail_stripe_checkout.conf import app_settings
from wagtail_stripe_checkout.testing import sign_payload
from wagtail_stripe_checkout.testing.pytest_plugin import TEST_WEBHOOK_SECRET

WEBHOOK = reverse("wagtail_stripe_checkout:webhook")
ADD = reverse("wagtail_stripe_checkout:cart_add")


def cart_session(client: Client) -> dict[str, Any]:
    """What the browser session holds for the cart."""
    return dict(client.session.get(app_settings.CART_SESSION_KEY, {"lines": {}}))


def messages_of(response: HttpResponse) -> list[str]:
    context = getattr(response, "context", None)
    return [str(m) for m in context["messages"]] if context else []


def add_to_cart(client: Client, product: Any, quantity: Any = "1", **extra: Any) -> Any:
    pk = getattr(product, "pk", product)
    return client.post(ADD, {"product": pk, "quantity": quantity, **extra}, follow=True)


def body_of(response: Any) -> str:
    """A response's text, streamed or not (exports stream)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return str(response.content.decode())


def signed_post(
    event: dict[str, Any] | None,
    *,
    secret: str = TEST_WEBHOOK_SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
    body: bytes | None = None,
    client: Client | None = None,
) -> Any:
    """POST an event to the webhook as Stripe does: signed over the raw body."""
    payload = body if body is not None else json.dumps(event).encode()
    header = (
        signature
        if signature is not None
        else sign_payload(payload, secret, timestamp or int(time.time()))
    )
    headers = {"Stripe-Signature": header} if header else {}
    client = client or Client(enforce_csrf_checks=True)
    return client.post(WEBHOOK, payload, content_type="application/json", headers=headers)


@contextmanager
def captured(signal: Signal) -> Iterator[list[dict[str, Any]]]:
    """Every sending of ``signal`` while the block runs, as the keyword arguments."""
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal", None)
        sent.append(kwargs)

    signal.connect(receiver, weak=False, dispatch_uid=f"captured-{id(sent)}")
    try:
        yield sent
    finally:
        signal.disconnect(dispatch_uid=f"captured-{id(sent)}")


def product_form(**fields: Any) -> dict[str, Any]:
    """The product snippet's admin form as a browser posts it: ``fields`` over a
    product with no options, variants or files (their empty inline formsets)."""
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

    data: dict[str, Any] = {
        "name": "Dates",
        "sku": "DATES",
        "description": rich_text(""),
        "price": "1.00",
        "active": "on",
        "stock": "",
        "max_per_order": "",
        "tax_code": "",
        "shipped": "on",
        "buy_link_enabled": "on",
        "options": inline_formset([]),
        "variants": inline_formset([]),
        "files": inline_formset([]),
    }
    data.update(fields)
    return nested_form_data(data)


def load_tool(path: Path, name: str) -> ModuleType:
    """A script of ``tools/`` imported as module ``name`` (registered, since its
    dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
