"""The shop's panel on the admin dashboard, the order's link to Stripe's Dashboard
and the product chooser's thumbnails."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import ImageFactory, OrderFactory, configure_shop, png_file
from tests.support.helpers import signed_post
from wagtail_stripe_checkout import dashboard, fulfilment
from wagtail_stripe_checkout.models import (
    Order,
    ReconcileRun,
    WebhookEvent,
    WebhookFailure,
)

HOME = "/admin/"
ORDERS = "/admin/shop/orders/"
CHOOSER = "/admin/snippets/choose/wagtail_stripe_checkout/product/"
NBSP = "\u00a0"


@pytest.fixture
def admin_client(db):
    client = Client()
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return client


def panel(html: str) -> str:
    """The shop panel's HTML ('' when it is not on the page)."""
    match = re.search(r'<section[^>]*id="wsc-shop-section".*?</section>', html, re.S)
    return match.group(0) if match else ""


def text(html: str) -> str:
    """Visible text, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def definition(html: str, attribute: str) -> str:
    """The text of the panel's cell marked with ``attribute``."""
    match = re.search(rf"<td {attribute}[^>]*>(.*?)</td>", html, re.S)
    assert match, f"no <td {attribute}>"
    return text(match.group(1))


def sales_row(html: str, currency: str) -> list[str]:
    """The cells of a currency's row: revenue and order count per period."""
    row = re.search(rf'<tr data-wsc-currency="{currency}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {currency}"
    return [text(cell) for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)]


def paid(when, currency="USD", status=Order.Status.PAID, **amounts) -> Order:
    order = OrderFactory.create(paid=True, currency=currency, status=status, **amounts)
    Order.objects.filter(pk=order.pk).update(created_at=when, paid_at=when)
    return order


@pytest.fixture
def orders(site):
    """Paid orders across currencies and dates, and orders that are not revenue."""
    now = timezone.now()
    paid(now)  # $17.54
    paid(now, charged_total=1654, charged_discount=100)  # Stripe charged $16.54
    paid(now - timedelta(days=3), status=Order.Status.SHIPPED, subtotal=1000, shipping=0)
    paid(now - timedelta(days=20), status=Order.Status.REFUNDED, subtotal=5000, shipping=0)
    paid(now - timedelta(days=40), subtotal=99900, shipping=0)  # too old
    paid(now, currency="JPY", subtotal=1500, shipping=500)  # ¥2,000
    paid(now - timedelta(days=10), currency="KWD", subtotal=1230, shipping=0)
    OrderFactory.create()  # pending
    old_pending = OrderFactory.create()
    Order.objects.filter(pk=old_pending.pk).update(created_at=now - timedelta(days=45))
    OrderFactory.create(status=Order.Status.CANCELLED)
    OrderFactory.create(status=Order.Status.EXPIRED)


def test_the_panel_shows_orders_and_what_stripe_charged_per_currency_and_period(
    admin_client, orders
):
    html = panel(admin_client.get(HOME).content.decode())
    assert html
    assert sales_row(html, "USD") == [
        "$34.08 2 orders",
        "$44.08 3 orders",
        "$94.08 4 orders",
    ]
    assert sales_row(html, "JPY") == ["¥2,000 1 order", "¥2,000 1 order", "¥2,000 1 order"]
    assert sales_row(html, "KWD") == [
        "KWD 0.000 0 orders",
        "KWD 0.000 0 orders",
        "KWD 1.230 1 order",
    ]
    assert f"KWD{NBSP}1.230" in html  # the code and the amount stay on one line
    assert 'data-wsc-pending="2"' in html and "2 orders awaiting payment" in text(html)
    assert f'href="{ORDERS}?status=pending"' in html


def test_the_summary_counts_in_the_database(orders):
    summary = dashboard.summary()
    by_currency = {row.currency: row.periods for row in summary.sales}
    assert [(p.orders, p.revenue) for p in by_currency["USD"]] == [
        (2, 3408),
        (3, 4408),
        (4, 9408),
    ]
    assert summary.pending == 2


def test_today_starts_at_local_midnight(admin_client, site, settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    paid(midnight - timedelta(seconds=1))  # yesterday evening, Auckland time
    paid(midnight + timedelta(seconds=1))
    usd = {row.currency: row.periods for row in dashboard.summary(now).sales}["USD"]
    assert [p.orders for p in usd] == [1, 2, 2]


def test_no_orders_yet(admin_client, site):
    html = panel(admin_client.get(HOME).content.decode())
    assert "No paid orders in the last 30 days." in text(html)
    assert "0 orders awaiting payment" in text(html)
    assert "None yet." in text(html)  # no webhook
    assert "Never. Run manage.py reconcile_stripe" in text(html)


def user_with(client, *codenames):
    user = get_user_model().objects.create_user("clerk", "clerk@example.com", "pw")
    group = Group.objects.create(name="Clerks")
    group.permissions.add(*Permission.objects.filter(codename__in=("access_admin", *codenames)))
    user.groups.add(group)
    client.force_login(user)
    return user


def test_only_staff_who_may_view_orders_see_the_panel(client, orders):
    user_with(client)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    assert panel(response.content.decode()) == ""
    assert not [q for q in queries if "wagtail_stripe_checkout_order" in q["sql"]]
    user = get_user_model().objects.get(username="clerk")
    user.groups.get().permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(get_user_model().objects.get(pk=user.pk))
    html = panel(client.get(HOME).content.decode())
    assert "$34.08" in html


def many_orders(count: int) -> None:
    now = timezone.now()
    Order.objects.bulk_create(
        [
            *OrderFactory.build_batch(count // 3, paid=True, paid_at=now, currency="USD"),
            *OrderFactory.build_batch(count // 3, paid=True, paid_at=now, currency="JPY"),
            *OrderFactory.build_batch(count - 2 * (count // 3)),
        ]
    )
    for index in range(3):
        WebhookEvent.objects.create(
            stripe_event_id=f"evt_{count}_{index}", type="checkout.session.completed"
        )
        WebhookFailure.objects.create(
            stripe_event_id=f"evt_{count}_{index}", type="checkout.session.completed", error="E"
        )
    ReconcileRun.objects.create(hours=72, checked=count)


def home_queries(client) -> int:
    client.get(HOME)  # warm caches (site root paths, settings)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert panel(response.content.decode())
    return len(queries)


def test_the_panel_costs_the_same_queries_for_3_and_300_orders(admin_client, site):
    many_orders(3)
    few = home_queries(admin_client)
    with CaptureQueriesContext(connection) as summary_queries:
        dashboard.summary()
    many_orders(297)
    assert Order.objects.count() == 300
    many = home_queries(admin_client)
    with CaptureQueriesContext(connection) as more_summary_queries:
        summary = dashboard.summary()
    assert few == many, f"3 orders: {few} queries, 300 orders: {many}"
    assert len(summary_queries) == len(more_summary_queries) == 7
    assert [p.orders for p in summary.sales[1].periods] == [100, 100, 100]  # USD


# Webhooks ---------------------------------------------------------------------


@pytest.fixture
def paid_session(client, shop, make_product, checkout_pages, stripe_stand_in):
    """A shopper paid at Stripe; returns the checkout.session.completed event."""
    configure_shop(shop, shipping_fee=Decimal("2.00"))
    mug = make_product("7.77", name="Mug", stock=5)
    client.post(reverse("wagtail_stripe_checkout:cart_add"), {"product": mug.pk, "quantity": "1"})
    page, _result = checkout_pages
    response = client.post(page.url, {"email": "shopper@example.com", "name": "Sam"})
    session_id = response["Location"].rsplit("/", 1)[1]
    stripe_stand_in.pay(session_id)
    (event,) = stripe_stand_in.events_of_type("checkout.session.completed")
    return event


def test_a_failing_webhook_shows_and_a_later_delivery_marks_it_handled(
    admin_client, paid_session, monkeypatch, django_capture_on_commit_callbacks
):
    event = paid_session
    real_fulfil = fulfilment.fulfil

    def broken(*args, **kwargs):
        real_fulfil(*args, **kwargs)
        raise RuntimeError("shopper@example.com broke it")

    monkeypatch.setattr(fulfilment, "fulfil", broken)
    assert signed_post(event).status_code == 500
    assert signed_post(event).status_code == 500  # Stripe retries
    assert not WebhookEvent.objects.exists()  # rolled back
    assert [(f.stripe_event_id, f.type, f.error) for f in WebhookFailure.objects.all()] == [
        (event["id"], "checkout.session.completed", "RuntimeError")
    ] * 2
    html = panel(admin_client.get(HOME).content.decode())
    assert 'data-wsc-failures="2" data-wsc-unrecovered="1"' in html
    assert f'data-wsc-failure="{event["id"]}" data-wsc-recovered="false"' in html
    assert "Not handled yet" in html
    last = definition(html, "data-wsc-last-webhook")
    assert "checkout.session.completed" in last and "failed (RuntimeError)" in last
    assert "shopper@example.com" not in html  # the error's message is never kept

    monkeypatch.setattr(fulfilment, "fulfil", real_fulfil)
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_post(event).status_code == 200
    html = panel(admin_client.get(HOME).content.decode())
    assert 'data-wsc-failures="2" data-wsc-unrecovered="0"' in html
    assert html.count(f'data-wsc-failure="{event["id"]}" data-wsc-recovered="true"') == 2
    assert "every event was handled by a later delivery" in text(html)
    last = definition(html, "data-wsc-last-webhook")
    assert "processed (paid)" in last
    assert "failed" not in last


def test_failures_older_than_a_day_leave_the_panel(admin_client, site):
    WebhookFailure.objects.create(stripe_event_id="evt_old", type="charge.refunded", error="E")
    WebhookFailure.objects.update(failed_at=timezone.now() - timedelta(hours=25))
    html = panel(admin_client.get(HOME).content.decode())
    assert 'data-wsc-failures="0"' in html and "evt_old" not in html


def test_a_malformed_event_is_recorded_as_a_failure(admin_client, site, stripe_stand_in):
    event = {
        "id": "evt_bad",
        "object": "event",
        "type": "charge.refunded",
        "data": {"object": {"object": "charge", "amount_refunded": "lots"}},
        "created": int(timezone.now().timestamp()),
        "livemode": False,
        "api_version": "2026-10-28.endive",
    }
    assert signed_post(event).status_code == 400
    (failure,) = WebhookFailure.objects.all()
    assert (failure.stripe_event_id, failure.error) == ("evt_bad", "MalformedEvent")


# reconcile_stripe ---------------------------------------------------------------


def test_a_reconcile_run_shows_with_its_counts(
    admin_client, paid_session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reconcile_stripe", "--hours", "6", stdout=None)
    run = ReconcileRun.objects.get()
    assert (run.hours, run.checked, run.fulfilled, run.expired, run.error) == (6, 1, 1, 0, "")
    assert run.finished_at is not None and run.finished_at >= run.started_at
    html = panel(admin_client.get(HOME).content.decode())
    report = definition(html, "data-wsc-reconcile")
    assert "checked 1 session of the last 6 hours: fulfilled 1, expired 0; closed 0" in report
    assert "It should run every hour" not in report


def test_a_failed_or_stale_reconcile_run_is_flagged(admin_client, site, stripe_stand_in, settings):
    settings.WAGTAIL_STRIPE_CHECKOUT_MAX_NETWORK_RETRIES = 0
    stripe_stand_in.go_offline()
    with pytest.raises(Exception, match="Stripe could not be asked"):
        call_command("reconcile_stripe")
    run = ReconcileRun.objects.get()
    assert run.error and run.error != "CommandError"
    html = panel(admin_client.get(HOME).content.decode())
    assert f"stopped with {run.error}." in text(html)
    ReconcileRun.objects.update(error="", started_at=timezone.now() - timedelta(hours=3))
    html = panel(admin_client.get(HOME).content.decode())
    assert "It should run every hour (cron)." in text(html)


# Mode -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "label", "prefix"),
    [
        ("sk_test_" + "x" * 24, "Test mode", "test/"),
        ("sk_live_" + "x" * 24, "Live mode", ""),
    ],
)
def test_the_panel_says_test_or_live_mode(admin_client, site, settings, key, label, prefix):
    settings.WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = key
    html = panel(admin_client.get(HOME).content.decode())
    assert label in text(html)
    assert f'href="https://dashboard.stripe.com/{prefix}payments"' in html


# The order's page -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "session", "url"),
    [
        # The order's own mode wins: its session id says where it was paid…
        ("sk_live_" + "x" * 24, "cs_test_a1", "https://dashboard.stripe.com/test/payments/pi_3Abc"),
        ("sk_test_" + "x" * 24, "cs_live_a1", "https://dashboard.stripe.com/payments/pi_3Abc"),
        # …and without one, the secret key's.
        ("sk_test_" + "x" * 24, "", "https://dashboard.stripe.com/test/payments/pi_3Abc"),
        ("sk_live_" + "x" * 24, "", "https://dashboard.stripe.com/payments/pi_3Abc"),
    ],
)
def test_the_order_page_links_to_the_payment_in_stripes_dashboard(
    admin_client, site, settings, key, session, url
):
    settings.WAGTAIL_STRIPE_CHECKOUT_SECRET_KEY = key
    order = OrderFactory.create(
        paid=True, stripe_payment_intent_id="pi_3Abc", stripe_session_id=session
    )
    html = admin_client.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    (link,) = re.findall(r"<a\b[^>]*data-wsc-stripe-payment[^>]*>.*?</a>", html, re.S)
    assert f'href="{url}"' in link
    assert 'target="_blank"' in link and "Payment in Stripe" in link


def test_an_order_without_a_payment_has_no_stripe_link(admin_client, site):
    order = OrderFactory.create()
    html = admin_client.get(f"{ORDERS}inspect/{order.pk}/").content.decode()
    assert "data-wsc-stripe-payment" not in html


# The product chooser -----------------------------------------------------------------


def test_the_product_chooser_lists_thumbnails_prices_and_stock(admin_client, shop, make_product):
    make_product(
        "18.50", name="Lamp", image=ImageFactory.create(file=png_file((200, 150))), stock=4
    )
    make_product("7.00", name="Bare mug")
    response = admin_client.get(CHOOSER)
    html = response.json()["html"]
    rows = re.findall(r"<tr\b.*?</tr>", html, re.S)[1:]
    lamp = next(r for r in rows if "Lamp" in r)
    thumb = re.search(r"<img\b[^>]*data-wsc-thumbnail[^>]*>", lamp)
    assert thumb, lamp
    assert re.search(r'src="[^"]*\.fill-48x48\.[a-z]+"', thumb.group(0))
    assert 'width="48" height="48"' in thumb.group(0)
    assert "$18.50" in text(lamp) and "4" in text(lamp)
    mug = next(r for r in rows if "Bare mug" in r)
    assert "<img" not in mug and "$7.00" in text(mug) and "Unlimited" in text(mug)
    # The search results (the same view's results panel) show them too.
    html = admin_client.get(CHOOSER + "results/", {"q": "lamp"}).content.decode()
    assert "data-wsc-thumbnail" in html and "$18.50" in html and "Bare mug" not in html


def test_the_chooser_costs_the_same_queries_for_1_and_10_images(admin_client, shop, make_product):
    def count() -> tuple[int, int]:
        admin_client.get(CHOOSER + "results/")  # the first view makes the renditions
        with CaptureQueriesContext(connection) as queries:
            html = admin_client.get(CHOOSER + "results/").content.decode()
        return len(queries), html.count("data-wsc-thumbnail")

    make_product("1.00", image=ImageFactory.create())
    one = count()
    for _ in range(9):
        make_product("1.00", image=ImageFactory.create())
    ten = count()
    assert (one[1], ten[1]) == (1, 10)
    assert one[0] == ten[0]
