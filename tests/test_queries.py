"""The cart page costs the same number of queries for 1 line and for 50."""

import io

from django.core.files.images import ImageFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model

CART = reverse("wagtail_stripe_checkout:cart")
ADD = reverse("wagtail_stripe_checkout:cart_add")


def png() -> ImageFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return ImageFile(buffer, name="p.png")


def cart_page_queries(client, make_product, lines: int, settings) -> int:
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_CART_LINES = 60
    image_model = get_image_model()
    for i in range(lines):
        image = image_model.objects.create(title=f"i{i}", file=png())
        product = make_product("1.00", image=image)
        client.post(ADD, {"product": product.pk, "quantity": "2"})
    client.get(CART)  # first view creates the renditions; count the steady state
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CART)
    assert response.status_code == 200
    assert len(response.context["cart"].lines) == lines
    assert response.content.decode().count('class="wsc-cart__thumb"') == lines
    return len(queries)


def test_cart_page_query_count_does_not_grow_with_lines(
    client, make_product, shop, settings, django_db_blocker
):
    from django.test import Client

    one = cart_page_queries(client, make_product, 1, settings)
    fifty = cart_page_queries(Client(), make_product, 50, settings)
    print(f"cart page: 1 line {one} queries, 50 lines {fifty} queries")
    assert one == fifty, f"1 line: {one} queries, 50 lines: {fifty}"
