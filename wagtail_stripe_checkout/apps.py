from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from . import checks  # noqa: F401  (registers the system checks)
from .services.gateway import configure_sdk


class WagtailStripeCheckoutConfig(AppConfig):
    name = "wagtail_stripe_checkout"
    label = "wagtail_stripe_checkout"
    verbose_name = _("Shop")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        configure_sdk()
