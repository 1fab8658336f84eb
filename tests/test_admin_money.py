"""Money inputs in the admin show the shop currency's decimals (18.50 USD, 500 JPY,
1.230 KWD) with a matching step; values stay exact and validation is unchanged."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from tests.factories import configure_shop
from tests.support.helpers import product_form
from wagtail_stripe_checkout.models import Product, ShopSettings

PRODUCTS = "/admin/snippets/wagtail_stripe_checkout/product/"


@pytest.fixture
def editor(client, db):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


def input_attrs(html: str, name: str) -> dict[str, str]:
    """The attributes of the ``<input>`` named ``name``."""
    tags = [t for t in re.findall(r"<input\b[^>]*>", html) if f'name="{name}"' in t]
    assert len(tags) == 1, f"{len(tags)} inputs named {name}"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tags[0]))


CASES = [
    ("USD", "18.5", "18.50", "0.01"),
    ("JPY", "500", "500", "1"),
    ("KWD", "1.23", "1.230", "0.010"),
]


@pytest.mark.parametrize(("currency", "price", "shown", "step"), CASES)
def test_the_product_form_shows_the_price_in_the_currencys_decimals(
    editor, shop, make_product, currency, price, shown, step
):
    configure_shop(shop, currency=currency)
    product = make_product(price, sku="P-1")
    html = editor.get(f"{PRODUCTS}edit/{product.pk}/").content.decode()
    attrs = input_attrs(html, "price")
    assert (attrs["type"], attrs["value"], attrs["step"]) == ("number", shown, step)
    html = editor.get(f"{PRODUCTS}add/").content.decode()
    assert input_attrs(html, "price")["step"] == step
    assert "value" not in input_attrs(html, "price")  # no price until the editor gives one
    html = editor.get(f"{PRODUCTS}copy/{product.pk}/").content.decode()
    assert input_attrs(html, "price")["value"] == shown


def product_data(price: str) -> dict[str, str]:
    return product_form(price=price)


def test_saving_keeps_the_value_exact_and_validation_is_unchanged(editor, shop):
    configure_shop(shop, currency="KWD")
    response = editor.post(f"{PRODUCTS}add/", product_data("1.234"))
    html = response.content.decode()
    assert "KWD amounts must be multiples of 0.010." in html
    assert input_attrs(html, "price")["value"] == "1.234"  # what the editor typed, kept
    assert not Product.objects.exists()
    assert editor.post(f"{PRODUCTS}add/", product_data("1.23")).status_code == 302
    assert Product.objects.get().price == Decimal("1.230")


def test_a_price_finer_than_the_currency_is_shown_as_it_is(editor, shop, make_product):
    product = make_product("18.50")
    Product.objects.filter(pk=product.pk).update(price=Decimal("18.505"))  # set before a change
    html = editor.get(f"{PRODUCTS}edit/{product.pk}/").content.decode()
    assert input_attrs(html, "price")["value"] == "18.505"


@pytest.mark.parametrize(("currency", "price", "shown", "step"), CASES)
def test_without_a_request_the_form_uses_the_one_currency_in_use(
    shop, make_product, currency, price, shown, step
):
    configure_shop(shop, currency=currency)
    product = make_product(price)
    form_class = Product.snippet_viewset.get_edit_handler().get_form_class()
    html = str(form_class(instance=product)["price"])
    attrs = input_attrs(html, "price")
    assert (attrs["value"], attrs["step"]) == (shown, step)


def settings_url(site) -> str:
    return f"/admin/settings/wagtail_stripe_checkout/shopsettings/{site.pk}/"


RATE_CASES = [
    ("USD", "5", "50", "5.00", "50.00", "0.01"),
    ("JPY", "500", "5000", "500", "5000", "1"),
    ("KWD", "1.23", "20", "1.230", "20.000", "0.010"),
]


@pytest.mark.parametrize(("currency", "amount", "free", "shown", "free_shown", "step"), RATE_CASES)
def test_shipping_rates_show_their_amounts_in_the_currencys_decimals(
    editor, site, shop, currency, amount, free, shown, free_shown, step
):
    configure_shop(shop, currency=currency, zones=[("Home", "GB", [("Post", amount, free)])])
    html = editor.get(settings_url(site)).content.decode()
    rate = input_attrs(html, "zones-0-rates-0-amount")
    assert (rate["value"], rate["step"]) == (shown, step)
    free_over = input_attrs(html, "zones-0-rates-0-free_over")
    assert (free_over["value"], free_over["step"]) == (free_shown, step)
    # The blank rate behind "Add rate", and the blank zone's blank rate, too.
    for blank in ("zones-0-rates-__prefix__-amount", "zones-__prefix__-rates-__prefix__-amount"):
        assert input_attrs(html, blank)["step"] == step
    # Other decimals are not money: the tax rate keeps its own step.
    assert input_attrs(html, "tax_rate")["step"] == "0.001"


def rates_form(currency: str, amount: str) -> dict[str, str]:
    rate = {"name": "Post", "amount": amount, "free_over": "", "min_days": "", "max_days": ""}
    zone = {"name": "Home", "countries": "GB", "rates": inline_formset([rate])}
    return nested_form_data(
        {
            "currency": currency,
            "tax_mode": "none",
            "tax_rate": "0",
            "tax_label": "Tax",
            "stripe_tax_behavior": "exclusive",
            "zones": inline_formset([zone]),
            "checkout_fields": inline_formset([]),
        }
    )


def test_rate_amounts_save_exactly_and_a_reshown_form_follows_the_chosen_currency(
    editor, site, shop
):
    response = editor.post(settings_url(site), rates_form("KWD", "1.005"))
    html = response.content.decode()
    assert "KWD amounts must be multiples of 0.010." in html
    rate = input_attrs(html, "zones-0-rates-0-amount")
    assert (rate["value"], rate["step"]) == ("1.005", "0.010")  # as typed; KWD's step
    assert ShopSettings.for_site(site).currency == "USD"
    assert editor.post(settings_url(site), rates_form("KWD", "1.01")).status_code == 302
    (rate_row,) = [r for z in ShopSettings.for_site(site).zones.all() for r in z.rates.all()]
    assert rate_row.amount == Decimal("1.010")
