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


def test_shop_settings_refuse_a_tax_mode_without_a_rate(shop):
    shop.tax_mode = "added"
    shop.tax_rate = Decimal(0)
    with pytest.raises(ValidationError) as exc:
        shop.full_clean()
    assert exc.value.message_dict["tax_rate"] == ["Enter the rate to apply."]


def test_shipping_zones_refuse_unknown_countries_and_normalise_codes(shop):
    from wagtail_stripe_checkout.models import ShippingZone

    zone = ShippingZone(settings=shop, name="Europe", countries="GB, XX, fr")
    with pytest.raises(ValidationError) as exc:
        zone.full_clean(exclude=["settings"])
    assert exc.value.message_dict["countries"] == ["Stripe does not ship to these codes: XX."]
    zone.countries = "gb  fr;us,GB"
    zone.full_clean(exclude=["settings"])
    assert zone.countries == "GB, FR, US"
    assert zone.country_codes == ["GB", "FR", "US"]
    assert len(ShippingZone(settings=shop, name="World").country_codes) > 200


def test_shipping_rates_are_exact_in_the_shops_currency(shop):
    from wagtail_stripe_checkout.models import ShippingRate, ShippingZone

    configure_shop(shop, currency="KWD")
    zone = ShippingZone(settings=shop, name="Gulf", countries="KW")
    rate = ShippingRate(zone=zone, name="Courier", amount=Decimal("1.005"), min_days=5, max_days=2)
    with pytest.raises(ValidationError) as exc:
        rate.full_clean(exclude=["zone"])
    assert exc.value.message_dict == {
        "amount": ["KWD amounts must be multiples of 0.010."],
        "max_days": ["The longest delivery time cannot be shorter than the shortest."],
    }


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
        shop,
        currency="KWD",
        zones=[
            ("Gulf", "KW, BH", [("Courier", "1.250", "20", 1, 2), ("Express", "3.000", None)]),
            ("World", "", [("Post", "4.500", None, 5, 10)]),
        ],
    )
    quote = shop.shipping_quote("BH", None)
    assert (quote.name, quote.amount, quote.free_over, quote.label) == (
        "Courier",
        1250,
        20000,
        "Courier (1–2 days)",
    )
    express = shop.shipping_quotes("KW")[1]
    assert shop.shipping_quote("KW", express.rate_id) == express
    assert shop.shipping_quote("FR", None).name == "Post"  # the world zone
    assert shop.shipping_quote("XX", None).country == "KW"  # unknown: the first country
    options = shop.pricing_options(quote)
    assert options.shipping == quote and options.currency.code == "KWD"
    assert options.totals([(10000, 1)]).shipping == 1250
    assert options.totals([(20000, 1)]).shipping == 0  # free from 20.000
