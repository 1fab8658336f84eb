"""The tax label may be left empty: shoppers then read "Tax" in their own
language. Shops still on the old English default are emptied; labels an
editor chose ("VAT", "Sales tax") stay."""

from django.db import migrations, models

OLD_DEFAULT = "Tax"


def forget_the_english_default(apps, schema_editor):
    ShopSettings = apps.get_model("wagtail_stripe_checkout", "ShopSettings")
    ShopSettings.objects.filter(tax_label=OLD_DEFAULT).update(tax_label="")


def restore_the_english_default(apps, schema_editor):
    ShopSettings = apps.get_model("wagtail_stripe_checkout", "ShopSettings")
    ShopSettings.objects.filter(tax_label="").update(tax_label=OLD_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_stripe_checkout", "0009_reconcilerun_webhookfailure"),
    ]

    operations = [
        migrations.AlterField(
            model_name="shopsettings",
            name="tax_label",
            field=models.CharField(
                blank=True,
                help_text='Shown to shoppers, e.g. "VAT". Leave empty for "Tax" in their language.',
                max_length=40,
                verbose_name="tax label",
            ),
        ),
        migrations.RunPython(forget_the_english_default, restore_the_english_default),
    ]
