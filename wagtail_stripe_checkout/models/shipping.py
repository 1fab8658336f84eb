"""Shipping zones and their rates, edited per site inside the shop settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.models import Orderable

from .. import pricing
from ..countries import SHIPPING_COUNTRIES


def parse_countries(value: str) -> list[str]:
    codes = [c.strip().upper() for c in value.replace(";", ",").replace(" ", ",").split(",")]
    return list(dict.fromkeys(c for c in codes if c))


class ShippingZone(ClusterableModel, Orderable):
    """Countries that share shipping rates, e.g. "Domestic" or "Europe"."""

    settings = ParentalKey(
        "wagtail_stripe_checkout.ShopSettings", on_delete=models.CASCADE, related_name="zones"
    )
    name = models.CharField(_("name"), max_length=100)
    countries = models.CharField(
        _("countries"),
        max_length=1000,
        blank=True,
        help_text=_(
            "Two-letter country codes separated by commas, e.g. GB, IE, FR. Leave empty for "
            "every country Stripe ships to."
        ),
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("countries"),
        InlinePanel("rates", heading=_("Rates"), label=_("Rate"), min_num=1),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("shipping zone")
        verbose_name_plural = _("shipping zones")

    def __str__(self) -> str:
        return self.name

    @property
    def country_codes(self) -> list[str]:
        """The zone's countries; every country Stripe ships to when none are listed."""
        return parse_countries(self.countries or "") or sorted(SHIPPING_COUNTRIES)

    def clean(self) -> None:
        super().clean()
        codes = parse_countries(self.countries or "")
        unknown = [c for c in codes if c not in SHIPPING_COUNTRIES]
        if unknown:
            raise ValidationError(
                {
                    "countries": _("Stripe does not ship to these codes: %(codes)s.")
                    % {"codes": ", ".join(unknown)}
                }
            )
        self.countries = ", ".join(codes)


class ShippingRate(Orderable):
    """One way to ship to a zone, e.g. "Standard, 3–5 days, $4.95, free from $50"."""

    zone = ParentalKey(ShippingZone, on_delete=models.CASCADE, related_name="rates")
    name = models.CharField(
        _("name"), max_length=100, help_text=_('Shown to shoppers, e.g. "Standard" or "Express".')
    )
    amount = models.DecimalField(
        _("price"),
        max_digits=11,
        decimal_places=3,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("In the shop's currency; 0 for free."),
    )
    free_over = models.DecimalField(
        _("free from"),
        max_digits=11,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Orders whose items reach this amount ship free. Leave empty for never."),
    )
    min_days = models.PositiveSmallIntegerField(_("delivery from (days)"), null=True, blank=True)
    max_days = models.PositiveSmallIntegerField(_("delivery up to (days)"), null=True, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("amount"), FieldPanel("free_over")]),
        FieldRowPanel([FieldPanel("min_days"), FieldPanel("max_days")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("shipping rate")
        verbose_name_plural = _("shipping rates")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        currency = self._currency()
        for field in ("amount", "free_over"):
            value = getattr(self, field)
            if value is None or currency is None:
                continue
            try:
                pricing.to_minor(value, currency)
            except pricing.PricingError as exc:
                errors[field] = str(exc)
        if self.min_days and self.max_days and self.min_days > self.max_days:
            errors["max_days"] = _("The longest delivery time cannot be shorter than the shortest.")
        if errors:
            raise ValidationError(errors)

    def _currency(self) -> pricing.Currency | None:
        zone = getattr(self, "zone", None)
        settings = getattr(zone, "settings", None) if zone is not None else None
        try:
            return pricing.get_currency(settings.currency) if settings is not None else None
        except pricing.PricingError:
            return None

    def quote(self, currency: pricing.Currency, country: str) -> pricing.ShippingQuote:
        """This rate as pricing sees it: amounts in the currency's smallest unit."""

        def minor(value: Decimal | None) -> int | None:
            if value is None:
                return None
            return pricing.round_to_step(Decimal(value).scaleb(currency.exponent), currency)

        return pricing.ShippingQuote(
            rate_id=self.pk or 0,
            name=self.name,
            country=country,
            amount=minor(self.amount) or 0,
            free_over=minor(self.free_over),
            min_days=self.min_days,
            max_days=self.max_days,
        )
