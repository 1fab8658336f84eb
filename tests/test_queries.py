"""Query counts that must not grow with the size of a page: pinned here, timed in
``tools/bench.py`` (docs/performance.md).

Each test renders the same page small and large, after a first request that
makes the image renditions, and compares the steady state: the cart page with 1
and with 200 lines, the header's cart summary with an empty and a 3-line cart, a
page with a 24-product grid and 1 or 10 buy blocks, and the checkout POST with 1
and with 20 lines. A sale makes two Stripe calls, one when the webhook came first.
"""

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.images import ImageFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model

from tests.factories import configure_shop
from tests.support.helpers import signed_post
from wagtail_stripe_checkout.conf import app_settings
from wagtail_stripe_checkout.models import Order

CART = reverse("wagtail_stripe_checkout:cart")
ADD = reverse("wagtail_stripe_checkout:cart_add")


def png() -> ImageFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return ImageFile(buffer, name="p.png")


@pytest.fixture
def pictured(make_product):
    """Products with their own image each."""
    image_model = get_image_model()

    def make(count: int, price: str = "1.00") -> list:
        return [
            make_product(
                price,
                name=f"Thing {i}",
                image=image_model.objects.create(title=f"i{i}", file=png()),
            )
            for i in range(count)
        ]

    return make


@pytest.fixture(autouse=True)
def _no_cart_rate_limit(settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS = {"cart": None}


def queries_for(request) -> tuple[int, Any]:
    """(queries, response) of the second call of ``request``: the first makes the
    renditions an editor's first visit makes once."""
    request()
    with CaptureQueriesContext(connection) as captured:
        response = request()
    return len(captured), response


def filled_client(products, quantity: str = "2") -> Client:
    client = Client()  # (the cart's rate limit is off: see the autouse fixture)
    for product in products:
        assert client.post(ADD, {"product": product.pk, "quantity": quantity}).status_code == 302
    return client


def test_the_cart_page_costs_the_same_for_1_and_200_lines(shop, pictured, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_CART_LINES = 200
    products = pictured(200)
    counts = {}
    for lines in (1, 200):
        client = filled_client(products[:lines])
        counts[lines], response = queries_for(lambda c=client: c.get(CART))
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count("data-wsc-line=") == lines
        assert html.count('class="wsc-cart__thumb"') == lines  # every image is shown
        assert html.count('name="csrfmiddlewaretoken"') == 2 * lines + 1
    assert counts[1] == counts[200], counts


def test_a_3_line_cart_in_the_header_costs_at_most_one_query_more_than_an_empty_one(
    shop, shop_page, pictured
):
    configure_shop(shop, shipping_fee=Decimal("5.00"))
    page = shop_page([("text", "<p>Just words.</p>")], title="About")
    emptied = filled_client(pictured(1))  # a shopper whose cart is empty again:
    emptied.post(reverse("wagtail_stripe_checkout:cart_clear"))  # a session, no lines
    empty, response = queries_for(lambda: emptied.get(page.url))
    assert "Cart: empty" in response.content.decode()
    client = filled_client(pictured(3))
    full, response = queries_for(lambda: client.get(page.url))
    html = response.content.decode()
    assert "6 items" in html and "$6.00" in html  # the subtotal, no shipping read
    assert full <= empty + 1, (empty, full)


def test_a_grid_page_with_10_buy_blocks_costs_the_same_as_with_1(shop, shop_page, pictured):
    products = pictured(24)
    grid = ("grid", {"products": [], "limit": 24})

    def page_with(blocks: int):
        buys = [
            ("buy", {"product": product, "show_quantity": True, "action": "cart"})
            for product in products[:blocks]
        ]
        return shop_page([grid, *buys], title=f"{blocks} blocks")

    counts = {}
    for blocks in (1, 10):
        page = page_with(blocks)
        counts[blocks], response = queries_for(lambda p=page: Client().get(p.url))
        html = response.content.decode()
        assert html.count("data-wsc-buy-form") == 24 + blocks
        assert html.count("<img") == 24 + blocks  # every product shows its image
    assert counts[1] == counts[10], counts


def test_the_checkout_post_costs_the_same_for_1_and_20_lines(
    shop, pictured, checkout_pages, stripe_stand_in
):
    configure_shop(shop, tax_mode="added", tax_rate=Decimal("8.25"), shipping_fee=Decimal("5.00"))
    products = pictured(20)
    for product in products:  # the size Stripe shows, made when the product pages were seen
        product.image.get_rendition(app_settings.PRODUCT_IMAGE_RENDITION)
    checkout, _result = checkout_pages
    warm = filled_client(products[:1], quantity="1")  # a first checkout fills per-process caches
    assert warm.post(checkout.url, {"email": "w@example.com", "name": "W"}).status_code == 303
    counts = {}
    for lines in (1, 20):
        client = filled_client(products[:lines], quantity="1")
        with CaptureQueriesContext(connection) as captured:
            response = client.post(checkout.url, {"email": "s@example.com", "name": "Sam"})
        assert response.status_code == 303
        counts[lines] = len(captured)
        order = Order.objects.order_by("-pk").first()
        assert order is not None and order.lines.count() == lines
    assert counts[1] == counts[20], counts


@pytest.mark.parametrize("webhook_first", [True, False])
def test_a_sale_makes_two_stripe_calls_and_one_when_the_webhook_came_first(
    shop,
    make_product,
    checkout_pages,
    stripe_stand_in,
    webhook_first,
    django_capture_on_commit_callbacks,
):
    checkout, _result = checkout_pages
    client = filled_client([make_product("7.77", name="Mug")])
    response = client.post(checkout.url, {"email": "s@example.com", "name": "Sam"})
    session_id = response["Location"].rsplit("/", 1)[1]
    _paid, success_url = stripe_stand_in.pay(session_id)
    if webhook_first:
        (event,) = stripe_stand_in.events_of_type("checkout.session.completed")
        with django_capture_on_commit_callbacks(execute=True):
            assert signed_post(event).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(success_url)
    assert page.status_code == 200 and "is confirmed and paid" in page.content.decode()
    assert Order.objects.get().status == "paid"
    calls = [(c.method, c.path) for c in stripe_stand_in.requests_to("/v1/")]
    expected = [("POST", "/v1/checkout/sessions")]
    if not webhook_first:
        expected.append(("GET", f"/v1/checkout/sessions/{session_id}"))
    assert calls == expected
