"""The checkout button's label may be left empty: the page then says "Proceed
to payment" in the shopper's language. Pages still on the old English default
are emptied so that they follow the language too; labels editors chose stay."""

from django.db import migrations, models

OLD_DEFAULT = "Proceed to payment"


def forget_the_english_default(apps, schema_editor):
    CheckoutPage = apps.get_model("wagtail_stripe_checkout_pages", "CheckoutPage")
    CheckoutPage.objects.filter(button_label=OLD_DEFAULT).update(button_label="")


def restore_the_english_default(apps, schema_editor):
    CheckoutPage = apps.get_model("wagtail_stripe_checkout_pages", "CheckoutPage")
    CheckoutPage.objects.filter(button_label="").update(button_label=OLD_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_stripe_checkout_pages", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="checkoutpage",
            name="button_label",
            field=models.CharField(
                blank=True,
                help_text='Leave empty for "Proceed to payment" in the shopper\'s language.',
                max_length=60,
                verbose_name="button label",
            ),
        ),
        migrations.RunPython(forget_the_english_default, restore_the_english_default),
    ]
