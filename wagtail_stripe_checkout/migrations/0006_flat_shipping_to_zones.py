"""Each site's flat shipping fee becomes one zone with one rate, so existing
shops charge exactly what they charged before."""

from decimal import Decimal

from django.db import migrations


def to_zones(apps, schema_editor):
    ShopSettings = apps.get_model("wagtail_stripe_checkout", "ShopSettings")
    ShippingZone = apps.get_model("wagtail_stripe_checkout", "ShippingZone")
    ShippingRate = apps.get_model("wagtail_stripe_checkout", "ShippingRate")
    for settings in ShopSettings.objects.all():
        fee = settings.shipping_fee or Decimal(0)
        if not fee and not settings.shipping_countries:
            continue  # nothing was shipped: no zone
        zone = ShippingZone.objects.create(
            settings=settings, name="Shipping", countries=settings.shipping_countries, sort_order=0
        )
        ShippingRate.objects.create(
            zone=zone,
            name="Standard",
            amount=fee,
            free_over=settings.free_shipping_threshold,
            sort_order=0,
        )


def to_flat_fee(apps, schema_editor):
    ShippingZone = apps.get_model("wagtail_stripe_checkout", "ShippingZone")
    for zone in ShippingZone.objects.filter(sort_order=0).select_related("settings"):
        rate = zone.rates.order_by("sort_order").first()
        settings = zone.settings
        settings.shipping_countries = zone.countries
        if rate is not None:
            settings.shipping_fee = rate.amount
            settings.free_shipping_threshold = rate.free_over
        settings.save()


class Migration(migrations.Migration):
    dependencies = [("wagtail_stripe_checkout", "0005_shipping_zones_charged_amounts_fulfilment")]

    operations = [migrations.RunPython(to_zones, to_flat_fee)]
