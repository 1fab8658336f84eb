"""Real threads against PostgreSQL (WSC_DB=postgres; CI's tox postgres environments run it)."""

import os
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from wagtail_stripe_checkout.models import Order

pytestmark = pytest.mark.skipif(
    os.environ.get("WSC_DB") != "postgres",
    reason="needs PostgreSQL (WSC_DB=postgres), which CI's tox postgres environments provide",
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_makes_one_order_and_one_session(
    make_product, shop, checkout_pages, stripe_stand_in
):
    checkout, _ = checkout_pages
    mug = make_product(Decimal("7.77"), name="Mug")
    shopper = Client()
    shopper.post(reverse("wagtail_stripe_checkout:cart_add"), {"product": mug.pk, "quantity": "2"})
    cookie = shopper.cookies["sessionid"].value
    barrier = threading.Barrier(4)
    locations: list[str] = []
    failures: list[BaseException] = []

    def submit() -> None:
        try:
            client = Client()
            client.cookies["sessionid"] = cookie
            barrier.wait()
            response = client.post(checkout.url, {"email": "shopper@example.com"})
            locations.append(response["Location"])
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(locations)) == 1
    assert Order.objects.count() == 1
    assert len(stripe_stand_in.state.sessions) == 1
