"""What the HTTP handler sends: a status, a body, a content type and headers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON = "application/json"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


def encode_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2).encode()


def json_reply(status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, encode_json(data), JSON, headers or {})


def redirect(location: str) -> Reply:
    """A 303 to ``location``, as a form post that succeeded gets."""
    return Reply(303, b"", "text/plain", {"Location": location})
