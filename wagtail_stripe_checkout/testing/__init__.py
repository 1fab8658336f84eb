"""An offline Stripe for tests, the sandbox and site developers' own tests.

TEST-ONLY. It accepts test keys only; production code never imports it, and
the system checks ``wagtail_stripe_checkout.E010``/``E011`` refuse an API base
on this machine or over plain http when ``DEBUG`` is off. The real
``stripe`` SDK talks to it over HTTP, so the SDK's own request encoding and
response parsing run for real; its objects are shaped like Stripe's published
fixtures (``fixtures.json`` beside this file).

    from wagtail_stripe_checkout.testing import StripeStandIn

    with StripeStandIn(webhook_url=..., webhook_secret="whsec_...") as stand_in:
        settings.WAGTAIL_STRIPE_CHECKOUT_API_BASE = stand_in.api_base
        ...
        stand_in.pay(session_id)              # as a shopper paying with 4242…
        stand_in.pay(session_id, promotion_code=TEST_PROMOTION_CODE, shipping_rate="Express")
        stand_in.requests_to("/v1/checkout/sessions")

As its own process: ``python -m wagtail_stripe_checkout.testing --help``.

For pytest, add ``pytest_plugins = ["wagtail_stripe_checkout.testing.pytest_plugin"]``
to your ``conftest.py`` and use the ``stripe_stand_in`` fixture.

How it is built: see the module map in ``server.py``.
"""

from .server import (
    CARD_DECLINED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_OK,
    TEST_COUPON_ID,
    TEST_PROMOTION_CODE,
    TEST_PROMOTION_CODE_ID,
    TEST_TAX_RATE,
    StripeStandIn,
    sign_payload,
)

__all__ = [
    "CARD_DECLINED",
    "CARD_INSUFFICIENT_FUNDS",
    "CARD_OK",
    "TEST_COUPON_ID",
    "TEST_PROMOTION_CODE",
    "TEST_PROMOTION_CODE_ID",
    "TEST_TAX_RATE",
    "StripeStandIn",
    "sign_payload",
]
