from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Site

from .. import pricing
from ..conf import app_settings
from ..countries import SHIPPING_COUNTRIES
from .products import Product


def default_currency() -> str:
    return app_settings.DEFAULT_CURRENCY


def currencies_in_use() -> set[str]:
    """Every currency a product price must be valid in: each site's, and the
    default for sites whose editors have not saved shop settings yet."""
    codes = set(ShopSettings.objects.values_list("currency", flat=True))
    if not codes or Site.objects.exclude(pk__in=ShopSettings.objects.values("site")).exists():
        codes.add(app_settings.DEFAULT_CURRENCY)
    return {c for c in codes if c in pricing.SUPPORTED}


def parse_countries(value: str) -> list[str]:
    codes = [c.strip().upper() for c in value.replace(";", ",").replace(" ", ",").split(",")]
    return list(dict.fromkeys(c for c in codes if c))


@register_setting(icon="cogs")
class ShopSettings(BaseSiteSetting):
    """What editors may change per site: currency, tax and shipping."""

    currency = models.CharField(
        _("currency"),
        max_length=3,
        choices=pricing.currency_choices(),
        default=default_currency,
        help_text=_("Product prices are in this currency."),
    )
    tax_mode = models.CharField(
        _("tax"),
        max_length=16,
        choices=pricing.TAX_MODE_CHOICES,
        default=pricing.TaxMode.NONE.value,
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=6,
        decimal_places=3,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("For example 20 for 20%. Used when tax is added or included."),
    )
    tax_label = models.CharField(
        _("tax label"), max_length=40, default="Tax", help_text=_('Shown to shoppers, e.g. "VAT".')
    )
    shipping_fee = models.DecimalField(
        _("flat shipping fee"),
        max_digits=11,
        decimal_places=3,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    free_shipping_threshold = models.DecimalField(
        _("free shipping from"),
        max_digits=11,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Orders whose items reach this amount ship free. Leave empty for never."),
    )
    shipping_countries = models.CharField(
        _("shipping countries"),
        max_length=1000,
        blank=True,
        help_text=_(
            "Two-letter country codes separated by commas, e.g. GB, IE, FR. "
            "Leave empty if you do not ship physical goods."
        ),
    )

    panels = [
        FieldPanel("currency"),
        MultiFieldPanel(
            [FieldPanel("tax_mode"), FieldPanel("tax_rate"), FieldPanel("tax_label")],
            heading=_("Tax"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("shipping_fee"),
                FieldPanel("free_shipping_threshold"),
                FieldPanel("shipping_countries"),
            ],
            heading=_("Shipping"),
        ),
    ]

    class Meta:
        verbose_name = _("shop settings")
        verbose_name_plural = _("shop settings")

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[Any]] = {}
        try:
            currency = pricing.get_currency(self.currency)
        except pricing.PricingError as exc:
            raise ValidationError({"currency": str(exc)}) from exc

        for field in ("shipping_fee", "free_shipping_threshold"):
            value = getattr(self, field)
            if value is None:
                continue
            try:
                pricing.to_minor(value, currency)
            except pricing.PricingError as exc:
                errors.setdefault(field, []).append(str(exc))

        countries = parse_countries(self.shipping_countries or "")
        unknown = [c for c in countries if c not in SHIPPING_COUNTRIES]
        if unknown:
            errors.setdefault("shipping_countries", []).append(
                _("Stripe does not ship to these codes: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        else:
            self.shipping_countries = ", ".join(countries)

        taxed = (pricing.TaxMode.ADDED.value, pricing.TaxMode.INCLUDED.value)
        if self.tax_mode in taxed and not self.tax_rate:
            errors.setdefault("tax_rate", []).append(_("Enter the rate to apply."))

        unsellable = []
        for name, price in Product.objects.values_list("name", "price"):
            try:
                pricing.to_minor(price, currency)
            except pricing.PricingError:
                unsellable.append(name)
        if unsellable:
            errors.setdefault("currency", []).append(
                _("These products have prices %(code)s cannot represent: %(names)s.")
                % {"code": currency.code, "names": ", ".join(unsellable[:10])}
            )
        if errors:
            raise ValidationError(errors)

    @property
    def countries(self) -> list[str]:
        return parse_countries(self.shipping_countries or "")

    def pricing_options(self) -> pricing.PricingOptions:
        currency = pricing.get_currency(self.currency)
        threshold = self.free_shipping_threshold
        return pricing.PricingOptions(
            currency=currency,
            tax_mode=pricing.TaxMode(self.tax_mode),
            tax_rate=Decimal(self.tax_rate or 0),
            tax_label=self.tax_label or "Tax",
            shipping_fee=pricing.round_to_step(
                Decimal(self.shipping_fee or 0).scaleb(currency.exponent), currency
            ),
            free_shipping_over=(
                None
                if threshold is None
                else pricing.round_to_step(Decimal(threshold).scaleb(currency.exponent), currency)
            ),
        )
