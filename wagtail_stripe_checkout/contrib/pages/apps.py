from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutPagesConfig(AppConfig):
    name = "wagtail_stripe_checkout.contrib.pages"
    label = "wagtail_stripe_checkout_pages"
    verbose_name = _("Shop pages")
    default_auto_field = "django.db.models.BigAutoField"
