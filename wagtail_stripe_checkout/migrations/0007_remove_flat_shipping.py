from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("wagtail_stripe_checkout", "0006_flat_shipping_to_zones")]

    operations = [
        migrations.RemoveField(
            model_name='shopsettings',
            name='free_shipping_threshold',
        ),
        migrations.RemoveField(
            model_name='shopsettings',
            name='shipping_countries',
        ),
        migrations.RemoveField(
            model_name='shopsettings',
            name='shipping_fee',
        ),
    ]
