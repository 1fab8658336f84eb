from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from ...page_mixins import CheckoutPageMixin, CheckoutResultPageMixin


class CheckoutPage(CheckoutPageMixin, Page):
    content_panels = [*Page.content_panels, *CheckoutPageMixin.content_panels]
    template = CheckoutPageMixin.template
    subpage_types = ["wagtail_stripe_checkout_pages.CheckoutResultPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("checkout page")


class CheckoutResultPage(CheckoutResultPageMixin, Page):
    content_panels = [*Page.content_panels, *CheckoutResultPageMixin.content_panels]
    template = CheckoutResultPageMixin.template
    parent_page_types = ["wagtail_stripe_checkout_pages.CheckoutPage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("checkout result page")
