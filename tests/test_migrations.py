"""Existing shops survive the upgrade: a flat shipping fee becomes one zone with
one rate that charges exactly what the fee did."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

APP = "wagtail_stripe_checkout"
BEFORE = (APP, "0005_shipping_zones_charged_amounts_fulfilment")
AFTER = (APP, "0007_remove_flat_shipping")
BEFORE_LABELS = (APP, "0009_reconcilerun_webhookfailure")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_flat_fee_becomes_one_zone_with_one_rate():
    old = migrate(BEFORE)
    site = old.get_model("wagtailcore", "Site").objects.get(is_default_site=True)
    settings = old.get_model(APP, "ShopSettings").objects.create(
        site_id=site.pk,
        currency="GBP",
        shipping_fee=Decimal("3.950"),
        free_shipping_threshold=Decimal("50.000"),
        shipping_countries="GB, IE",
    )
    try:
        new = migrate(AFTER)
        zone = new.get_model(APP, "ShippingZone").objects.get(settings_id=settings.pk)
        rate = zone.rates.get()
        assert (zone.name, zone.countries) == ("Shipping", "GB, IE")
        assert (rate.name, rate.amount, rate.free_over) == (
            "Standard",
            Decimal("3.950"),
            Decimal("50.000"),
        )
        # And back: the fee is restored from the zone.
        old = migrate(BEFORE)
        restored = old.get_model(APP, "ShopSettings").objects.get(pk=settings.pk)
        assert (restored.shipping_fee, restored.shipping_countries) == (Decimal("3.950"), "GB, IE")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_shop_that_shipped_nothing_gets_no_zone():
    old = migrate(BEFORE)
    site = old.get_model("wagtailcore", "Site").objects.get(is_default_site=True)
    old.get_model(APP, "ShopSettings").objects.create(site_id=site.pk, currency="USD")
    try:
        new = migrate(AFTER)
        assert not new.get_model(APP, "ShippingZone").objects.exists()
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_english_default_labels_make_way_for_the_shoppers_language():
    """A tax label still on the old English default is emptied (so it follows the
    shopper's language); a label an editor chose stays."""
    old = migrate(BEFORE_LABELS)
    Site = old.get_model("wagtailcore", "Site")
    default = Site.objects.get(is_default_site=True)
    other = Site.objects.create(hostname="vat.example", root_page_id=default.root_page_id)
    ShopSettings = old.get_model(APP, "ShopSettings")
    ShopSettings.objects.create(site_id=default.pk, currency="USD", tax_label="Tax")
    ShopSettings.objects.create(site_id=other.pk, currency="EUR", tax_label="VAT")
    try:
        new = migrate((APP, "0010_tax_label_in_the_shoppers_language"))
        labels = dict(
            new.get_model(APP, "ShopSettings").objects.values_list("currency", "tax_label")
        )
        assert labels == {"USD": "", "EUR": "VAT"}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


BEFORE_VARIANTS = (APP, "0010_tax_label_in_the_shoppers_language")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_products_orders_and_carts_from_before_variants_keep_working(rf):
    """0011 (options, variants, slugs): an existing product gets a slug and no
    variants, its order line reads back as it was, and a cart saved in the
    session's old format (``{"12": {"q": 2, "pv": 1}}``) prices as before."""
    import uuid

    from django.contrib.sessions.backends.db import SessionStore

    from wagtail_stripe_checkout.cart import Cart
    from wagtail_stripe_checkout.conf import app_settings

    old = migrate(BEFORE_VARIANTS)
    site = old.get_model("wagtailcore", "Site").objects.get(is_default_site=True)
    old.get_model(APP, "ShopSettings").objects.create(site_id=site.pk, currency="USD")
    product = old.get_model(APP, "Product").objects.create(
        name="Tote Bag", sku="TOTE", price=Decimal("12.500"), stock=4
    )
    order = old.get_model(APP, "Order").objects.create(
        public_id=uuid.uuid4(),
        reference="WSC-OLD1",
        site_id=site.pk,
        email="old@example.com",
        currency="USD",
        subtotal=2500,
        tax=0,
        shipping=0,
        total=2500,
    )
    old.get_model(APP, "OrderLine").objects.create(
        order=order,
        product=product,
        name="Tote Bag",
        sku="TOTE",
        unit_amount=1250,
        quantity=2,
        total=2500,
    )
    try:
        migrate((APP, "0011_catalogue_variants_downloads_buy_links"))
        from wagtail_stripe_checkout.models import Order, Product

        migrated = Product.objects.get(pk=product.pk)
        assert (migrated.slug, migrated.shipped, migrated.has_variants) == ("tote-bag", True, False)
        (line,) = Order.objects.get(pk=order.pk).lines.all()
        assert (line.name, line.sku, line.variant, line.variant_name, line.shipped) == (
            "Tote Bag",
            "TOTE",
            None,
            "",
            True,
        )
        assert (line.unit_amount, line.quantity, line.total, line.product_id) == (
            1250,
            2,
            2500,
            product.pk,
        )
        request = rf.get("/")
        request.session = SessionStore()
        request.session[app_settings.CART_SESSION_KEY] = {
            "lines": {str(product.pk): {"q": 2, "pv": 1}}
        }
        priced = Cart(request).price()
        assert priced.notices == []
        assert [(ln.display_name, ln.sku, ln.quantity, ln.total) for ln in priced.lines] == [
            ("Tote Bag", "TOTE", 2, 2500)
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
