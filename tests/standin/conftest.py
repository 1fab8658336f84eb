from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe

from wagtail_stripe_checkout.testing import StripeStandIn

from .helpers import sdk_for

# CI places Stripe's published fixtures (``shared/``) beside the repository.
STRIPE_FIXTURES = Path(__file__).parent / "../../../shared/stripe/fixtures3.json"


@pytest.fixture(scope="session")
def stripe_fixtures() -> dict[str, Any]:
    """Stripe's own sample objects (``resources`` of openapi/fixtures3.json)."""
    if not STRIPE_FIXTURES.is_file():
        pytest.skip(f"Stripe's published fixtures are not at {STRIPE_FIXTURES.resolve()}")
    resources: dict[str, Any] = json.loads(STRIPE_FIXTURES.read_text())["resources"]
    return resources


@pytest.fixture
def stand_in(stripe_stand_in: StripeStandIn) -> StripeStandIn:
    return stripe_stand_in


@pytest.fixture
def sdk(stand_in: StripeStandIn) -> stripe.StripeClient:
    """The real SDK, pointed at the stand-in, without retries."""
    return sdk_for(stand_in.api_base)


@dataclass
class WebhookReceiver:
    """A site's webhook endpoint: keeps what Stripe POSTs, answers ``status`` and ``answer``."""

    url: str = ""
    status: int = 200
    answer: bytes = b""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    # What the site does before it answers (a shop's handler may call Stripe).
    react: Callable[[dict[str, Any]], None] | None = None

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _headers, body in self.received]


@pytest.fixture
def webhook(stand_in: StripeStandIn) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.received.append((dict(self.headers.items()), body))
            if receiver.react is not None:
                receiver.react(json.loads(body))
            receiver.arrived.set()
            self.send_response(receiver.status)
            self.send_header("Content-Length", str(len(receiver.answer)))
            self.end_headers()
            self.wfile.write(receiver.answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/shop/webhook/"
    stand_in.webhook_url = receiver.url
    yield receiver
    server.shutdown()
    server.server_close()
