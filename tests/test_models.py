from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import configure_shop
from wagtail_stripe_checkout.models import Product


def test_kwd_price_finer_than_fils_step_is_refused_at_entry(shop, make_product):
    configure_shop(shop, currency="KWD")
    product = Product(name="Dates", sku="DATES", price=Decimal("1.234"))
    with pytest.raises(ValidationError) as exc:
        product.full_clean()
    assert exc.value.message_dict["price"] == ["KWD amounts must be multiples of 0.010."]
    product.price = Decimal("1.230")
    product.full_clean()  # accepted


def test_price_must_fit_every_currency_in_use(shop):
    configure_shop(shop, currency="JPY")
    product = Product(name="Tea", sku="TEA", price=Decimal("5.50"))
    with pytest.raises(ValidationError) as exc:
        product.full_clean()
    # USD is the default currency and accepts it; JPY does not.
    assert exc.value.message_dict["price"] == ["JPY amounts can have at most 0 decimal places."]


def test_price_over_stripes_eight_digits_is_refused(shop):
    product = Product(name="Yacht", sku="YACHT", price=Decimal("1000000.00"))
    with pytest.raises(ValidationError, match="cannot charge more than"):
        product.full_clean()


def test_sku_format_and_uniqueness(shop, make_product):
    make_product(sku="MUG-01")
    with pytest.raises(ValidationError) as exc:
        Product(name="x", sku="MUG-01", price=Decimal(1)).full_clean()
    assert "sku" in exc.value.message_dict
    with pytest.raises(ValidationError):
        Product(name="x", sku="has space", price=Decimal(1)).full_clean()


def test_price_version_moves_only_when_the_price_changes(make_product):
    product = make_product("10.00")
    product.name = "Renamed"
    product.save()
    assert product.price_version == 1
    product.price = Decimal("11.00")
    product.save()
    product.refresh_from_db()
    assert product.price_version == 2


def test_shop_settings_refuse_bad_fees_countries_and_rates(shop):
    shop.currency = "KWD"
    shop.shipping_fee = Decimal("1.005")
    shop.shipping_countries = "GB, XX, fr"
    shop.tax_mode = "added"
    shop.tax_rate = Decimal(0)
    with pytest.raises(ValidationError) as exc:
        shop.full_clean()
    errors = exc.value.message_dict
    assert errors["shipping_fee"] == ["KWD amounts must be multiples of 0.010."]
    assert errors["shipping_countries"] == ["Stripe does not ship to these codes: XX."]
    assert errors["tax_rate"] == ["Enter the rate to apply."]


def test_shop_settings_normalise_country_codes(shop):
    configure_shop(shop, shipping_countries="gb  fr;us,GB")
    assert shop.shipping_countries == "GB, FR, US"
    assert shop.countries == ["GB", "FR", "US"]


def test_changing_currency_names_products_it_cannot_price(shop, make_product):
    make_product("9.99", name="Notebook")
    shop.currency = "JPY"
    with pytest.raises(ValidationError) as exc:
        shop.full_clean()
    assert exc.value.message_dict["currency"] == [
        "These products have prices JPY cannot represent: Notebook."
    ]


def test_pricing_options_are_integers_in_the_smallest_unit(shop):
    configure_shop(
        shop, currency="KWD", shipping_fee=Decimal("1.250"), free_shipping_threshold=Decimal("20")
    )
    options = shop.pricing_options()
    assert options.shipping_fee == 1250
    assert options.free_shipping_over == 20000
    assert options.currency.code == "KWD"
