"""Editors manage products and shop settings in the Wagtail admin."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from tests.factories import OrderFactory, configure_shop
from tests.support.helpers import body_of, product_form
from wagtail_stripe_checkout.models import Order, Product, ShopSettings

PRODUCTS = "/admin/snippets/wagtail_stripe_checkout/product/"


@pytest.fixture
def editor(client, db):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


def test_product_list_shows_formatted_price_stock_and_filters(editor, make_product, shop):
    make_product("7.77", name="Mug", sku="MUG-01", stock=3)
    make_product("12.50", name="Tote", sku="TOTE-01", active=False)
    html = editor.get(PRODUCTS).content.decode()
    assert "$7.77" in html and "$12.50" in html
    assert "Unlimited" in html
    html = editor.get(PRODUCTS, {"active": "true"}).content.decode()
    assert "Mug" in html and "Tote" not in html
    html = editor.get(PRODUCTS + "results/", {"q": "TOTE"}).content.decode()
    assert "Tote" in html and "Mug" not in html


def test_product_list_exports_csv(editor, make_product, shop):
    make_product("7.77", name="Mug", sku="MUG-01")
    response = editor.get(PRODUCTS, {"export": "csv"})
    assert response.status_code == 200
    body = body_of(response)
    assert "MUG-01" in body and "7.770" in body


def test_creating_a_product_in_the_admin_validates_the_price(editor, shop):
    configure_shop(shop, currency="KWD")
    data = product_form(price="1.234")
    response = editor.post(PRODUCTS + "add/", data)
    assert response.status_code == 200
    assert "KWD amounts must be multiples of 0.010." in response.content.decode()
    assert not Product.objects.exists()
    data = product_form(price="1.230")
    response = editor.post(PRODUCTS + "add/", data)
    assert response.status_code == 302
    product = Product.objects.get()
    assert product.price == Decimal("1.230")


def shop_settings_form(currency="GBP", countries="gb, ie", amount="3.95", **checkout):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data

    rate = {"name": "Royal Mail", "amount": amount, "free_over": "50", "min_days": "2"}
    rate["max_days"] = "4"
    zone = {"name": "UK and Ireland", "countries": countries, "rates": inline_formset([rate])}
    return nested_form_data(
        {
            "currency": currency,
            "tax_mode": "included",
            "tax_rate": "20",
            "tax_label": "VAT",
            "stripe_tax_behavior": "exclusive",
            "zones": inline_formset([zone]),
            "checkout_fields": inline_formset(checkout.pop("fields", [])),
            **checkout,
        }
    )


def test_shop_settings_are_edited_per_site(editor, site):
    url = f"/admin/settings/wagtail_stripe_checkout/shopsettings/{site.pk}/"
    response = editor.post(url, shop_settings_form(collect_phone="on"))
    assert response.status_code == 302
    shop = ShopSettings.for_site(site)
    assert (shop.currency, shop.tax_mode, shop.tax_rate, shop.collect_phone) == (
        "GBP",
        "included",
        Decimal("20.000"),
        True,
    )
    (zone,) = shop.zones.all()
    (rate,) = zone.rates.all()
    assert (zone.name, zone.countries) == ("UK and Ireland", "GB, IE")
    assert (rate.name, rate.amount, rate.free_over, rate.min_days, rate.max_days) == (
        "Royal Mail",
        Decimal("3.950"),
        Decimal("50.000"),
        2,
        4,
    )
    html = editor.post(url, shop_settings_form(countries="GB, Narnia")).content.decode()
    assert "Stripe does not ship to these codes: NARNIA." in html
    html = editor.post(url, shop_settings_form(currency="KWD", amount="1.005")).content.decode()
    assert "KWD amounts must be multiples of 0.010." in html
    assert ShopSettings.for_site(site).currency == "GBP"  # nothing was saved


def test_at_most_three_checkout_questions(editor, site):
    url = f"/admin/settings/wagtail_stripe_checkout/shopsettings/{site.pk}/"
    question = {"label": "Gift message", "type": "text", "options": ""}
    response = editor.post(url, shop_settings_form(fields=[question] * 4))
    assert response.status_code == 200
    assert not ShopSettings.for_site(site).checkout_fields.exists()
    dropdown = {"label": "Colour", "type": "dropdown", "options": ""}
    html = editor.post(url, shop_settings_form(fields=[dropdown])).content.decode()
    assert "Give between 1 and 200 choices, one per line." in html
    dropdown["options"] = "Red\nBlue"
    assert editor.post(url, shop_settings_form(fields=[question, dropdown])).status_code == 302
    assert [f.choices for f in ShopSettings.for_site(site).checkout_fields.all()] == [
        [],
        ["Red", "Blue"],
    ]


def test_users_without_permission_cannot_see_products(client, make_product, shop):
    make_product("7.77", name="Mug")
    user = get_user_model().objects.create_user("visitor", "v@example.com", "pw")
    group = Group.objects.create(name="Admin access only")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    client.force_login(user)
    response = client.get(PRODUCTS)
    # Wagtail answers a missing permission with a redirect to the dashboard.
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert Product.objects.count() == 1


ORDERS = "/admin/shop/orders/"


@pytest.fixture
def orders(db, site):
    paid = OrderFactory.create(
        paid=True,
        email="alice@example.com",
        stripe_session_id="cs_test_" + "a" * 20,
        stripe_payment_intent_id="pi_alice",
    )
    pending = OrderFactory.create(
        email="bob@example.com",
        subtotal=500,
        shipping=0,
        stripe_session_id="cs_test_" + "b" * 20,
        lines=[{"unit_amount": 500}],
    )
    return paid, pending


DENIED = (302, "/admin/")  # Wagtail redirects to the dashboard with a message


def denied(response):
    return (response.status_code, response.get("Location")) == DENIED


def unchanged(order):
    before = (order.status, order.name, order.refunded_amount)
    order.refresh_from_db()
    return (order.status, order.name, order.refunded_amount) == before


def test_orders_list_filter_search_and_export(editor, orders):
    paid, pending = orders
    html = editor.get(ORDERS).content.decode()
    assert paid.reference in html and pending.reference in html
    assert f'href="{ORDERS}inspect/{paid.pk}/"' in html  # the number opens the order
    assert "$17.54" in html and "alice@example.com" in html
    html = editor.get(ORDERS, {"status": "paid"}).content.decode()
    assert paid.reference in html and pending.reference not in html
    html = editor.get(ORDERS + "results/", {"q": "bob@"}).content.decode()
    assert pending.reference in html and paid.reference not in html
    html = editor.get(ORDERS + "results/", {"q": paid.reference}).content.decode()
    assert paid.reference in html and pending.reference not in html
    html = editor.get(ORDERS + "results/", {"q": "cs_test_bbbb"}).content.decode()
    assert pending.reference in html and paid.reference not in html
    response = editor.get(ORDERS, {"export": "csv"})
    body = body_of(response)
    assert "Order" in body.splitlines()[0] and "Total" in body.splitlines()[0]
    assert f"{paid.reference}" in body and "17.54" in body and "alice@example.com" in body
    response = editor.get(ORDERS, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_orders_are_read_only_in_the_admin(editor, orders):
    paid, _ = orders
    html = editor.get(ORDERS).content.decode()
    assert f"{ORDERS}new/" not in html
    assert denied(editor.get(f"{ORDERS}new/"))
    assert denied(editor.post(f"{ORDERS}new/", {"name": "x", "email": "x@example.com"}))
    assert denied(editor.post(f"{ORDERS}edit/{paid.pk}/", {"name": "x"}))
    assert denied(editor.post(f"{ORDERS}delete/{paid.pk}/"))
    assert unchanged(paid) and Order.objects.count() == 2


def test_order_inspect_shows_lines_amounts_and_events(editor, orders):
    from wagtail_stripe_checkout.models import WebhookEvent

    paid, _ = orders
    WebhookEvent.objects.create(
        stripe_event_id="evt_1",
        type="checkout.session.completed",
        order=paid,
        outcome="processed",
        detail="fulfilled",
    )
    html = editor.get(f"{ORDERS}inspect/{paid.pk}/").content.decode()
    assert "MUG-01" in html and "$15.54" in html and "$17.54" in html
    assert "checkout.session.completed" in html and "evt_1" in html
    assert "Refund" in html


def test_refund_asks_for_confirmation_then_asks_stripe(editor, orders, stripe_stand_in):
    paid, _ = orders
    stripe_stand_in.state.charges["pi_alice"] = {
        "id": "ch_alice",
        "object": "charge",
        "amount": 1754,
        "amount_refunded": 0,
        "currency": "usd",
        "payment_intent": "pi_alice",
        "refunded": False,
    }
    url = f"{ORDERS}refund/{paid.pk}/"
    html = editor.get(url).content.decode()
    assert "This cannot be undone." in html and 'value="17.54"' in html
    response = editor.post(url, {"amount": "20.00"})
    assert "At most $17.54 can be refunded." in response.content.decode()
    assert stripe_stand_in.requests_to("/v1/refunds") == []
    response = editor.post(url, {"amount": "5.00", "confirm": "1"}, follow=True)
    assert "Refund of $5.00 for order" in response.content.decode()
    (request,) = stripe_stand_in.requests_to("/v1/refunds")
    assert request.params == {"payment_intent": "pi_alice", "amount": "500"}
    assert (
        stripe_stand_in.events_of_type("charge.refunded")[0]["data"]["object"]["amount_refunded"]
        == 500
    )
    paid.refresh_from_db()
    assert paid.status == "paid"  # changes when charge.refunded arrives at the webhook


def test_refund_needs_its_own_permission(client, orders):
    paid, _ = orders
    user = get_user_model().objects.create_user("viewer", "viewer@example.com", "pw")
    group = Group.objects.create(name="Order viewers")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    user.groups.add(group)
    client.force_login(user)
    html = client.get(ORDERS).content.decode()
    assert paid.reference in html
    inspect = client.get(f"{ORDERS}inspect/{paid.pk}/").content.decode()
    assert "Refund…" not in inspect
    assert denied(client.get(f"{ORDERS}refund/{paid.pk}/"))
    assert denied(client.post(f"{ORDERS}refund/{paid.pk}/", {"amount": "1", "confirm": "1"}))
    assert unchanged(paid)
    group.permissions.add(Permission.objects.get(codename="refund_order"))
    user = get_user_model().objects.get(pk=user.pk)
    client.force_login(user)
    assert client.get(f"{ORDERS}refund/{paid.pk}/").status_code == 200


def test_users_without_permission_cannot_see_orders(client, orders):
    paid, _ = orders
    user = get_user_model().objects.create_user("clerk", "c@example.com", "pw")
    group = Group.objects.create(name="Admin only")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    client.force_login(user)
    response = client.get(ORDERS)
    assert denied(response)
    assert paid.reference not in response.content.decode()
    response = client.get(f"{ORDERS}inspect/{paid.pk}/")
    assert denied(response)
    assert "alice@example.com" not in response.content.decode()
    assert unchanged(paid)


def staff(client, *codenames):
    """A logged-in member of staff with admin access, order viewing and ``codenames``."""
    user = get_user_model().objects.create_user("staff", "staff@example.com", "pw")
    group = Group.objects.create(name="Shop staff")
    wanted = ("access_admin", "view_order", *codenames)
    group.permissions.add(*Permission.objects.filter(codename__in=wanted))
    user.groups.add(group)
    client.force_login(user)
    return user


def test_refund_page_has_wagtails_header_breadcrumbs_and_money_in_the_currencys_decimals(
    editor, orders
):
    paid, _ = orders
    html = editor.get(f"{ORDERS}refund/{paid.pk}/").content.decode()
    assert f"Refund {paid.reference}" in html
    assert "data-w-breadcrumbs" in html or "w-breadcrumbs" in html
    assert f'href="{ORDERS}inspect/{paid.pk}/"' in html  # the order, in the breadcrumbs
    assert 'value="17.54"' in html and 'step="0.01"' in html
    # The confirm button says what it does (an unsized icon once hid its words).
    assert (
        '<button type="submit" class="button serious" name="confirm" value="1">Yes, refund</button>'
        in html
    )
    jpy = OrderFactory.create(paid=True, currency="JPY", subtotal=1500, shipping=500)
    html = editor.get(f"{ORDERS}refund/{jpy.pk}/").content.decode()
    assert 'value="2000"' in html and 'step="1"' in html


def test_a_refund_stripe_refuses_shows_stripes_message(editor, orders, stripe_stand_in):
    paid, _ = orders  # Stripe (the stand-in) knows no charge for pi_alice
    response = editor.post(f"{ORDERS}refund/{paid.pk}/", {"amount": "5.00"}, follow=True)
    html = response.content.decode()
    assert f"Stripe did not refund order {paid.reference}: No such payment_intent" in html
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == ("paid", 0)


def test_refunds_are_capped_by_what_stripe_charged(editor, site):
    # $1.00 off with a promotion code: Stripe charged 16.54, not our 17.54.
    order = OrderFactory.create(paid=True, charged_total=1654, charged_discount=100)
    html = editor.get(f"{ORDERS}refund/{order.pk}/").content.decode()
    assert 'value="16.54"' in html
    response = editor.post(f"{ORDERS}refund/{order.pk}/", {"amount": "17.54"})
    assert "At most $16.54 can be refunded." in response.content.decode()


def test_mark_shipped_needs_its_permission_emails_and_is_in_the_history(
    client, orders, mailoutbox, django_capture_on_commit_callbacks
):
    paid, pending = orders
    staff(client)
    url = f"{ORDERS}ship/{paid.pk}/"
    assert "Mark shipped" not in client.get(f"{ORDERS}inspect/{paid.pk}/").content.decode()
    assert denied(client.get(url))
    assert denied(client.post(url, {"carrier": "Post"}))
    assert unchanged(paid) and mailoutbox == []
    user = staff_with(client, "fulfil_order")
    html = client.get(url).content.decode()
    assert f"Ship {paid.reference}" in html and "Carrier" in html
    form = {
        "carrier": "Royal Mail",
        "tracking_number": "RM123",
        "tracking_url": "https://t.example/RM123",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form, follow=True)
    assert f"Order {paid.reference} is shipped" in response.content.decode()
    paid.refresh_from_db()
    assert (paid.status, paid.carrier, paid.tracking_number) == ("shipped", "Royal Mail", "RM123")
    (email,) = mailoutbox
    assert email.subject == f"Your Test shop order {paid.reference} has shipped"
    assert "Tracking number: RM123" in email.body and "https://t.example/RM123" in email.body
    inspect = client.get(f"{ORDERS}inspect/{paid.pk}/").content.decode()
    assert "Order shipped" in inspect and "Royal Mail" in inspect and user.username in inspect
    assert "Email sent" in inspect
    # Once only; a pending order cannot be shipped.
    response = client.post(url, form, follow=True)
    assert "cannot be marked shipped (it is Shipped)" in response.content.decode()
    assert len(mailoutbox) == 1
    assert (
        "cannot be marked shipped"
        in client.get(f"{ORDERS}ship/{pending.pk}/", follow=True).content.decode()
    )


def staff_with(client, codename):
    user = get_user_model().objects.get(username="staff")
    user.groups.get().permissions.add(Permission.objects.get(codename=codename))
    user = get_user_model().objects.get(pk=user.pk)
    client.force_login(user)
    return user


def test_notes_are_added_to_the_history_by_staff_who_may(client, orders):
    paid, _ = orders
    staff(client)
    note = f"{ORDERS}note/{paid.pk}/"
    assert denied(client.post(note, {"text": "Customer called"}))
    staff_with(client, "fulfil_order")
    response = client.post(note, {"text": "Customer called about the colour"}, follow=True)
    html = response.content.decode()
    assert "Note added to order" in html
    assert "Customer called about the colour" in html and "staff@example.com" not in html
    assert "Write the note first." in client.post(note, {"text": " "}, follow=True).content.decode()


def test_resending_the_confirmation_needs_its_permission_a_paid_order_and_a_confirmation(
    client, orders, mailoutbox, django_capture_on_commit_callbacks
):
    paid, pending = orders
    staff(client)
    url = f"{ORDERS}resend/{paid.pk}/"
    assert (
        "Resend confirmation email"
        not in client.get(f"{ORDERS}inspect/{paid.pk}/").content.decode()
    )
    assert denied(client.get(url))
    assert denied(client.post(url, {"confirm": "1"}))
    assert mailoutbox == []
    user = staff_with(client, "fulfil_order")
    inspect = client.get(f"{ORDERS}inspect/{paid.pk}/").content.decode()
    assert f'href="{url}"' in inspect and "Resend confirmation email" in inspect
    html = client.get(url).content.decode()  # asks first; nothing is sent by a GET
    assert f"Resend the confirmation of {paid.reference}" in html
    assert "data-w-breadcrumbs" in html or "w-breadcrumbs" in html
    assert "Yes, send it again" in html and mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "1"}, follow=True)
    assert f"The confirmation of order {paid.reference} is being sent again." in (
        response.content.decode()
    )
    (email,) = mailoutbox
    assert email.to == ["alice@example.com"] and paid.reference in email.subject
    history = client.get(f"{ORDERS}inspect/{paid.pk}/").content.decode()
    assert "Email resend requested" in history and user.username in history
    assert "Email sent" in history
    # A pending order has no confirmation to send.
    refused = client.get(f"{ORDERS}resend/{pending.pk}/", follow=True).content.decode()
    assert "is not paid: it has no confirmation to send" in refused
    assert (
        "Resend confirmation email"
        not in client.get(f"{ORDERS}inspect/{pending.pk}/").content.decode()
    )
    assert len(mailoutbox) == 1
