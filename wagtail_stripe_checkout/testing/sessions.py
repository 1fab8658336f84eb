"""Checkout Sessions: create, retrieve, list, list line items, expire."""

from __future__ import annotations

import copy
import dataclasses
import time
from typing import Any

from . import objects, session_totals, shipping
from .errors import StripeHTTPError, int_param, not_found
from .events import deliver, record_event
from .expand import expand as expand_paths
from .session_rules import parse_session_request
from .state import Host

MAX_LIST_LIMIT = 100


def get_session(host: Host, session_id: str) -> dict[str, Any]:
    """The stored session (the caller holds the lock), or Stripe's 404."""
    session = host.state.sessions.get(session_id)
    if session is None:
        raise not_found("checkout.session", session_id, "session")
    return session


def create_session(host: Host, params: dict[str, Any], api_version: str | None) -> dict[str, Any]:
    """``POST /v1/checkout/sessions``."""
    now = int(time.time())
    with host.lock:
        known_rates = copy.deepcopy(host.state.shipping_rates)
    request = parse_session_request(params, now, known_rates)
    session_id = objects.new_id("cs_test")
    url = f"{host.api_base}/pay/{session_id}"
    with host.lock:
        rates = shipping.store_rates(host, request.shipping_rates, now)
        request = dataclasses.replace(request, shipping_rates=rates)
        session = objects.checkout_session(
            session_id, request, url=url, api_version=api_version, now=now
        )
        line_items = [objects.line_item(item, now) for item in request.items]
        session_totals.start(session, line_items, request)
        host.state.sessions[session_id] = session
        host.state.line_items[session_id] = line_items
    return _expanded(host, session, params.get("expand") or [])


def retrieve_session(host: Host, session_id: str, expand: list[str]) -> dict[str, Any]:
    """``GET /v1/checkout/sessions/:id``, with ``expand[]`` (``line_items``, ``invoice``,
    ``discounts.promotion_code``, ``discounts.coupon``, ``shipping_cost.shipping_rate``...)."""
    with host.lock:
        return _expanded(host, get_session(host, session_id), expand)


def _expanded(host: Host, session: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    session_id = session["id"]
    extras = {"line_items": lambda: line_item_list(host, session_id)}
    return expand_paths(host, objects.public(session), paths, extras)


def line_item_list(host: Host, session_id: str) -> dict[str, Any]:
    """``GET /v1/checkout/sessions/:id/line_items``."""
    with host.lock:
        get_session(host, session_id)
        data = copy.deepcopy(host.state.line_items[session_id])
    return objects.list_object(data, f"/v1/checkout/sessions/{session_id}/line_items")


def list_sessions(host: Host, params: dict[str, Any]) -> dict[str, Any]:
    """``GET /v1/checkout/sessions``: newest first, filtered, one page."""
    limit = min(int_param(params.get("limit", 10), "limit"), MAX_LIST_LIMIT)
    with host.lock:
        sessions = sorted(host.state.sessions.values(), key=lambda s: s["created"], reverse=True)
        sessions = _filtered(sessions, params)
        page = [objects.public(s) for s in sessions[:limit]]
    return objects.list_object(page, "/v1/checkout/sessions", has_more=len(sessions) > limit)


def _filtered(sessions: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    created = params.get("created") or {}
    if isinstance(created, dict) and "gte" in created:
        since = int_param(created["gte"], "created[gte]")
        sessions = [s for s in sessions if s["created"] >= since]
    if params.get("status"):
        sessions = [s for s in sessions if s["status"] == params["status"]]
    after = params.get("starting_after")
    if after:
        ids = [s["id"] for s in sessions]
        if after in ids:
            sessions = sessions[ids.index(after) + 1 :]
    return sessions


def expire_session(host: Host, session_id: str, *, by_api: bool) -> dict[str, Any]:
    """Expire an open session and send ``checkout.session.expired``.

    ``by_api``: ``POST /v1/checkout/sessions/:id/expire`` (its refusal carries a
    code), rather than time running out.
    """
    with host.lock:
        session = get_session(host, session_id)
        if session["status"] != "open":
            raise StripeHTTPError(
                400,
                "Only Checkout Sessions with a status of `open` can be expired.",
                code="checkout_session_not_open" if by_api else None,
            )
        session.update(status="expired", url=None)
        result = objects.public(session)
        event = record_event(host, "checkout.session.expired", result, session.get("_api_version"))
    deliver(host, event)
    return result
