"""Editors manage products and shop settings in the Wagtail admin."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from tests.conftest import configure_shop
from wagtail_stripe_checkout.models import Product, ShopSettings

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
    body = (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )
    assert "MUG-01" in body and "7.770" in body


def test_creating_a_product_in_the_admin_validates_the_price(editor, shop):
    configure_shop(shop, currency="KWD")
    from wagtail.test.utils.form_data import rich_text

    data = {
        "name": "Dates",
        "sku": "DATES",
        "description": rich_text(""),
        "price": "1.234",
        "active": "on",
        "stock": "",
        "max_per_order": "",
    }
    response = editor.post(PRODUCTS + "add/", data)
    assert response.status_code == 200
    assert "KWD amounts must be multiples of 0.010." in response.content.decode()
    assert not Product.objects.exists()
    data["price"] = "1.230"
    response = editor.post(PRODUCTS + "add/", data)
    assert response.status_code == 302
    product = Product.objects.get()
    assert product.price == Decimal("1.230")


def test_shop_settings_are_edited_per_site(editor, site):
    url = f"/admin/settings/wagtail_stripe_checkout/shopsettings/{site.pk}/"
    data = {
        "currency": "GBP",
        "tax_mode": "included",
        "tax_rate": "20",
        "tax_label": "VAT",
        "shipping_fee": "3.95",
        "free_shipping_threshold": "50",
        "shipping_countries": "gb, ie",
    }
    response = editor.post(url, data)
    assert response.status_code == 302
    shop = ShopSettings.for_site(site)
    assert (shop.currency, shop.tax_mode, shop.tax_rate, shop.shipping_countries) == (
        "GBP",
        "included",
        Decimal("20.000"),
        "GB, IE",
    )
    data["shipping_countries"] = "GB, Narnia"
    response = editor.post(url, data)
    assert "Stripe does not ship to these codes: NARNIA." in response.content.decode()


def test_users_without_permission_cannot_see_products(client, make_product, shop):
    make_product("7.77", name="Mug")
    user = get_user_model().objects.create_user("visitor", "v@example.com", "pw")
    group = Group.objects.create(name="Admin access only")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    client.force_login(user)
    response = client.get(PRODUCTS)
    assert response.status_code in (302, 403)
    assert "Mug" not in response.content.decode()
