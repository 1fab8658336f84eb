"""``expand[]``: an answer's ids replaced by the objects they name, as Stripe expands them.

A path is dotted (``shipping_cost.shipping_rate``); through an array it applies
to each element (``discounts.promotion_code``). The stand-in can expand the
ids of what it stores: shipping rates, promotion codes, coupons and invoices,
plus what an endpoint adds itself (a session's ``line_items``). Anything else is
refused as Stripe refuses a property that cannot be expanded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from . import discounts
from .errors import StripeHTTPError
from .state import Host

# The fields naming what the stand-in stores (a null one is left null).
EXPANDABLE = frozenset({"coupon", "invoice", "promotion_code", "shipping_rate"})


def cannot_expand(path: str) -> StripeHTTPError:
    return StripeHTTPError(400, f"This property cannot be expanded ({path}).")


def expand(
    host: Host,
    obj: dict[str, Any],
    paths: list[str],
    extras: Mapping[str, Callable[[], Any]] | None = None,
) -> dict[str, Any]:
    """``obj`` with ``paths`` expanded; ``extras``: paths the endpoint fills itself."""
    extras = extras or {}
    with host.lock:
        discounts.known(host)
        for path in paths:
            if path in extras:
                obj[path] = extras[path]()
            else:
                _walk(host, obj, path.split("."), path)
    return obj


def _walk(host: Host, node: Any, parts: list[str], path: str) -> None:
    key, rest = parts[0], parts[1:]
    if not isinstance(node, dict) or key not in node or not (rest or key in EXPANDABLE):
        raise cannot_expand(path)
    value = node[key]
    if value is None:
        return
    if rest:
        for element in value if isinstance(value, list) else [value]:
            _walk(host, element, rest, path)
        return
    if isinstance(value, dict) and "object" in value:
        return  # expanded already (the same path twice)
    found = _stored(host, value) if isinstance(value, str) else None
    if found is None:
        raise cannot_expand(path)
    node[key] = found


def _stored(host: Host, object_id: str) -> dict[str, Any] | None:
    state = host.state
    for store in (state.shipping_rates, state.promotion_codes, state.coupons, state.invoices):
        if object_id in store:
            return copy.deepcopy(store[object_id])
    return None
