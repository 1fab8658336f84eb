"""HTTP plumbing: a threaded server whose handler sends ``/pay/`` to the pay page,
``/invoice/`` to the hosted invoices and everything else to the API, and writes
their replies."""

from __future__ import annotations

import contextlib
import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit

from . import api, invoices, pay_page
from .objects import new_id
from .reply import Reply
from .state import Host

logger = logging.getLogger("wagtail_stripe_checkout.stand_in")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # the client gave up (a timeout test); nothing to report
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """Subclassed per stand-in with ``host`` set (see :func:`handler_for`)."""

    host: ClassVar[Host]
    server_version = "stripe-stand-in/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("stand-in %s", format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply: Reply | None
        if split.path.startswith("/pay/"):
            reply = pay_page.respond(self.host, method, split.path, body)
        elif split.path.startswith("/invoice/") and method == "GET":
            reply = invoices.respond(self.host, split.path)
        else:
            request = api.APIRequest.parse(method, split.path, split.query, body, self.headers)
            reply = api.respond(self.host, request)
        if reply is None:
            self._drop()
        else:
            self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Request-Id", new_id("req"))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _drop(self) -> None:
        """Close the connection without an answer, as a network failure would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(2)


def handler_for(host: Host) -> type[Handler]:
    return type("Handler", (Handler,), {"host": host})
