"""The API key check: test secret (or restricted) keys only."""

from __future__ import annotations

import re

from .errors import plain_error
from .reply import Reply, json_reply

TEST_KEY_RE = re.compile(r"^(sk|rk)_test_[A-Za-z0-9_]+$")


def refusal(authorization: str) -> Reply | None:
    """Stripe's 401 for a missing or unacceptable key, or ``None`` to go on."""
    api_key = authorization[7:] if authorization.startswith("Bearer ") else ""
    if not api_key:
        return json_reply(401, plain_error("You did not provide an API key."))
    if not TEST_KEY_RE.match(api_key):
        return json_reply(
            401,
            plain_error(
                f"Invalid API Key provided: {api_key[:8]}****. The stand-in accepts test keys only."
            ),
        )
    return None
