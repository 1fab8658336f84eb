"""The JSON cart API for a headless front-end on another origin: only the
listed origins, with the shopper's cookies, and CSRF still checked."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ProductFactory

API = reverse("wagtail_stripe_checkout:api_cart")
API_ADD = reverse("wagtail_stripe_checkout:api_cart_add")
FRONT = "https://front.example"


def preflight(client, path, origin):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-csrftoken",
        },
    )


def test_a_listed_origin_may_call_the_api_with_credentials(client, shop):
    response = preflight(client, API_ADD, FRONT)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONT
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "x-csrftoken" in response["Access-Control-Allow-Headers"]
    assert client.get(API, headers={"Origin": FRONT})["Access-Control-Allow-Origin"] == FRONT


@pytest.mark.parametrize("origin", ["https://evil.example", "http://front.example", "null"])
def test_other_origins_get_no_cors_headers(client, shop, origin):
    assert "Access-Control-Allow-Origin" not in preflight(client, API_ADD, origin)
    assert "Access-Control-Allow-Origin" not in client.get(API, headers={"Origin": origin})


def test_pages_outside_the_api_are_same_origin_only(client, shop):
    response = client.get(reverse("wagtail_stripe_checkout:cart"), headers={"Origin": FRONT})
    assert "Access-Control-Allow-Origin" not in response


def test_a_cross_origin_post_still_needs_the_csrf_token(shop, shop_page):
    """The front-end reads the csrftoken cookie (set by any page with a form) and
    sends it back as X-CSRFToken; Django checks the Origin against
    CSRF_TRUSTED_ORIGINS."""
    mug = ProductFactory.create(name="Mug")
    page = shop_page([("buy", {"product": mug})])
    front = Client(enforce_csrf_checks=True)
    front.get(page.url)  # any page with a form sets the cookie
    csrf = front.cookies["csrftoken"].value
    body = {"product": mug.pk, "quantity": 1}
    headers = {"Origin": FRONT, "Referer": FRONT + "/shop", "X-CSRFToken": csrf}
    ok = front.post(API_ADD, body, "application/json", headers=headers, secure=True)
    assert ok.status_code == 200 and ok.json()["cart"]["count"] == 1
    no_token = {"Origin": FRONT, "Referer": FRONT + "/shop"}
    assert (
        front.post(API_ADD, body, "application/json", headers=no_token, secure=True).status_code
        == 403
    )
    evil = {**headers, "Origin": "https://evil.example", "Referer": "https://evil.example/"}
    assert (
        front.post(API_ADD, body, "application/json", headers=evil, secure=True).status_code == 403
    )
    assert front.get(API).json()["cart"]["count"] == 1
