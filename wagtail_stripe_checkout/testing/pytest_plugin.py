"""pytest fixtures for testing a site offline against the Stripe stand-in.

Enable with ``-p wagtail_stripe_checkout.testing.pytest_plugin`` (or
``pytest_plugins = [...]`` in your top-level ``conftest.py``). Needs pytest-django.

``stripe_stand_in``
    A running :class:`~wagtail_stripe_checkout.testing.StripeStandIn`, reset
    for each test, with the package's settings pointed at it (test keys, API
    base, webhook secret).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .server import StripeStandIn

TEST_SECRET_KEY = "sk_test_" + "standin" + "0" * 17
TEST_PUBLISHABLE_KEY = "pk_test_" + "standin" + "0" * 17
TEST_WEBHOOK_SECRET = "whsec_" + "standin" + "0" * 25


@pytest.fixture(scope="session")
def _stripe_stand_in_server() -> Iterator[StripeStandIn]:
    with StripeStandIn(webhook_secret=TEST_WEBHOOK_SECRET) as stand_in:
        yield stand_in


@pytest.fixture
def stripe_stand_in(_stripe_stand_in_server: StripeStandIn, settings: Any) -> StripeStandIn:
    stand_in = _stripe_stand_in_server
    stand_in.reset()
    stand_in.webhook_url = None
    stand_in.webhook_secret = TEST_WEBHOOK_SECRET
    stand_in.deliver_webhooks = True
    settings.WAGTAIL_STRIPE_CHECKOUT_API_BASE = stand_in.api_base
    settings.WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = TEST_SECRET_KEY
    settings.WAGTAIL_STRIPE_CHECKOUT_PUBLISHABLE_KEY = TEST_PUBLISHABLE_KEY
    settings.WAGTAIL_STRIPE_CHECKOUT_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    return stand_in
