"""The tax parameters of prices and shipping rates: ``tax_behavior`` and ``tax_code``."""

from __future__ import annotations

import re
from typing import Any

from .errors import invalid, no_such

TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
DEFAULT_TAX_BEHAVIOR = "unspecified"
TAX_CODE_RE = re.compile(r"^txcd_[0-9]{8}$")  # Stripe's product tax codes: txcd_99999999


def check_tax_behavior(value: Any, param: str) -> str:
    if value is None or value == "":
        return DEFAULT_TAX_BEHAVIOR
    if value not in TAX_BEHAVIORS:
        raise invalid(f"Invalid {param}: must be one of {', '.join(TAX_BEHAVIORS)}", param)
    return str(value)


def check_tax_code(value: Any, param: str) -> str | None:
    if value is None or value == "":
        return None
    if not TAX_CODE_RE.match(str(value)):
        raise no_such("tax code", str(value), param)
    return str(value)
