"""One Stripe client per thread, reused while its settings stay the same: its
HTTP connection stays open between requests, and the SDK's retries and
idempotency keys still apply (the stand-in's faults, through the real SDK)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from wagtail_stripe_checkout.conf import app_settings
from wagtail_stripe_checkout.services import errors, get_gateway
from wagtail_stripe_checkout.services.gateway import get_client

EXPIRES_AT = int(time.time()) + 6 * 3600  # one value: a repeated request is the same request


def params() -> dict[str, Any]:
    return {
        "mode": "payment",
        "success_url": "https://shop.example/thanks/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/checkout/",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 777,
                    "product_data": {"name": "Mug"},
                },
            }
        ],
        "expires_at": EXPIRES_AT,
    }


def connection_pool(client: Any, api_base: str) -> Any:
    """urllib3's pool for ``api_base`` behind the SDK's ``RequestsClient`` session
    on this thread."""
    session = client._requestor._get_http_client()._thread_local.session
    pools = session.get_adapter(api_base).poolmanager.pools
    # (urllib3 2.8 refuses to iterate its container; keys() is its locked copy)
    (pool,) = [pools[key] for key in pools.keys() if api_base.endswith(f":{key.key_port}")]  # noqa: SIM118
    return pool


def test_the_client_is_built_once_per_thread_and_keeps_its_connection(stripe_stand_in):
    gateway = get_gateway()
    assert get_gateway().client is gateway.client is get_client()
    first = gateway.create_checkout_session(params(), idempotency_key="k-first")
    pool = connection_pool(gateway.client, stripe_stand_in.api_base)
    requests, connections = pool.num_requests, pool.num_connections
    for n in range(3):
        created = get_gateway().create_checkout_session(params(), idempotency_key=f"k-{n}")
        get_gateway().retrieve_checkout_session(created.id)
    assert pool.num_requests == requests + 6
    assert pool.num_connections == connections  # no new connection: the first one, kept open
    assert first.id in stripe_stand_in.state.sessions

    other: list[Any] = []
    thread = threading.Thread(target=lambda: other.append(get_client()))
    thread.start()
    thread.join()
    assert other[0] is not gateway.client  # each thread its own


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY", "sk_test_" + "C" * 24),
        ("WAGTAIL_STRIPE_CHECKOUT_API_VERSION", "2025-01-27.acacia"),
        ("WAGTAIL_STRIPE_CHECKOUT_TIMEOUT", 3),
        ("WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES", 5),
    ],
)
def test_a_changed_setting_builds_a_new_client(stripe_stand_in, settings, setting, value):
    before = get_client()
    setattr(settings, setting, value)
    after = get_client()
    assert after is not before and get_client() is after
    options = after._requestor._options
    assert (options.api_key, options.stripe_version, options.max_network_retries) == (
        app_settings.SECRET_KEY,
        app_settings.API_VERSION,
        app_settings.MAX_NETWORK_RETRIES,
    )
    http_client: Any = after._requestor._get_http_client()
    assert http_client._timeout == app_settings.TIMEOUT


def test_a_new_api_base_is_used_at_once(stripe_stand_in, settings):
    get_gateway().create_checkout_session(params(), idempotency_key="first")
    settings.WAGTAIL_STRIPE_CHECKOUT_API_BASE = "http://127.0.0.1:9"  # nothing listens
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES = 0
    with pytest.raises(errors.ConnectionFailed):
        get_gateway().create_checkout_session(params(), idempotency_key="second")
    assert len(stripe_stand_in.requests_to("/v1/checkout/sessions")) == 1


def test_the_reused_client_retries_a_dropped_connection_with_the_same_idempotency_key(
    stripe_stand_in, settings
):
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES = 2
    gateway = get_gateway()
    gateway.create_checkout_session(params(), idempotency_key="warm-up")  # the client is in use
    stripe_stand_in.fail_next("connection")
    session = get_gateway().create_checkout_session(params(), idempotency_key="retried")
    assert get_gateway().client is gateway.client
    attempts = stripe_stand_in.requests_to("/v1/checkout/sessions")
    assert [a.idempotency_key for a in attempts] == ["warm-up", "retried", "retried"]
    assert session.id in stripe_stand_in.state.sessions and len(stripe_stand_in.state.sessions) == 2
    # The same key again is the same session (Stripe's idempotency), not a third.
    again = get_gateway().create_checkout_session(params(), idempotency_key="retried")
    assert again.id == session.id and len(stripe_stand_in.state.sessions) == 2


def test_fewer_retries_take_effect_on_the_next_request(stripe_stand_in, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES = 2
    get_gateway().create_checkout_session(params(), idempotency_key="warm-up")
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES = 0
    stripe_stand_in.fail_next("connection")
    with pytest.raises(errors.ConnectionFailed):
        get_gateway().create_checkout_session(params(), idempotency_key="once")
    assert [a.idempotency_key for a in stripe_stand_in.requests_to("/v1/checkout/sessions")] == [
        "warm-up",
        "once",
    ]
