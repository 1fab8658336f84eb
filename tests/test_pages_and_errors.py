"""What shared caches may keep, and the friendly error pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ProductFactory

CART = reverse("wagtail_stripe_checkout:cart")
API = reverse("wagtail_stripe_checkout:api_cart")
API_ADD = reverse("wagtail_stripe_checkout:api_cart_add")
ADD = reverse("wagtail_stripe_checkout:cart_add")


def private(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


@pytest.fixture
def paid_shopper(client, shop, checkout_pages, stripe_stand_in):
    mug = ProductFactory.create(name="Mug", price=Decimal("7.77"))
    client.post(ADD, {"product": mug.pk, "quantity": "2"})
    checkout, _result = checkout_pages
    session_id = client.post(checkout.url, {"email": "shopper@example.com"})["Location"]
    _paid, success_url = stripe_stand_in.pay(session_id.rsplit("/", 1)[1])
    return client, checkout, success_url


def test_pages_with_personal_data_are_never_kept_by_shared_caches(paid_shopper):
    client, checkout, success_url = paid_shopper
    result = client.get(success_url)
    assert "shopper@example.com" in result.content.decode() and private(result)
    assert private(client.get(CART))
    assert private(client.get(checkout.url))
    assert private(client.post(checkout.url, {"email": "not an email"}))
    assert private(client.get(API))
    assert private(client.post(API_ADD, {"product": 999}, "application/json"))
    # Someone else's view of the result page is private too (it names the order).
    assert private(Client().get(success_url))


def test_a_plain_page_stays_cacheable(client, shop_page):
    page = shop_page([("text", "<p>Hello</p>")], title="About")
    response = client.get(page.url)
    assert response.status_code == 200 and not private(response)


def test_an_unknown_address_gets_the_friendly_404_in_the_base_template(client, site):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-wsc-error="404"' in html and "Page not found" in html
    assert 'class="wsc-header"' in html  # the site's base template
    assert 'href="/">Continue shopping</a>' in html


def test_a_csrf_failure_gets_a_friendly_403_and_keeps_the_cart(shop):
    mug = ProductFactory.create(name="Mug")
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(ADD, {"product": mug.pk, "quantity": "1"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "This form had expired" in html and 'data-wsc-error="403"' in html


@pytest.mark.parametrize(("status", "title"), [(400, "Bad request"), (500, "Something went wrong")])
def test_400_and_500_pages(rf, site, status, title):
    from wagtail_stripe_checkout import error_pages

    request = rf.get("/")
    response = (
        error_pages.bad_request(request) if status == 400 else error_pages.server_error(request)
    )
    html = response.content.decode()
    assert response.status_code == status and title in html
    assert f'data-wsc-error="{status}"' in html and private(response)


def test_the_500_page_survives_a_broken_base_template(rf, site, settings):
    from wagtail_stripe_checkout import error_pages

    settings.WAGTAIL_STRIPE_CHECKOUT_BASE_TEMPLATE = "does/not/exist.html"
    response = error_pages.server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
