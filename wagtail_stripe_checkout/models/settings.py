from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Orderable, Site

from .. import pricing
from ..conf import app_settings
from .products import Product, use_money_inputs


def default_currency() -> str:
    return app_settings.DEFAULT_CURRENCY


def currencies_in_use() -> set[str]:
    """Every currency a product price must be valid in: each site's, and the
    default for sites whose editors have not saved shop settings yet."""
    codes = set(ShopSettings.objects.values_list("currency", flat=True))
    if not codes or Site.objects.exclude(pk__in=ShopSettings.objects.values("site")).exists():
        codes.add(app_settings.DEFAULT_CURRENCY)
    return {c for c in codes if c in pricing.SUPPORTED}


def default_allow_promotion_codes() -> bool:
    return app_settings.ALLOW_PROMOTION_CODES


STRIPE_TAX_BEHAVIORS = [
    ("exclusive", _("Prices exclude tax: Stripe adds it")),
    ("inclusive", _("Prices include tax: Stripe takes it out of them")),
]


class ShopSettingsForm(WagtailAdminModelForm):
    """Shows the shipping rates' amounts in the shop currency's decimals and checks
    every one against the currency chosen in the same form (the rates' own
    validation cannot see it yet)."""

    RATE_AMOUNTS = ("amount", "free_over")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currency = self._shown_currency()
        zones = self.formsets.get("zones")
        if currency is not None and zones is not None:
            self._after_add_fields(zones, lambda zone: self._money_rates(zone, currency))

    def _shown_currency(self) -> pricing.Currency | None:
        """The currency being submitted (so a re-shown form follows the editor's
        choice), else the saved one."""
        submitted = self.data.get(self.add_prefix("currency")) if self.is_bound else None
        for code in (submitted, self.instance.currency, default_currency()):
            try:
                return pricing.get_currency(code or "")
            except pricing.PricingError:
                continue
        return None

    @staticmethod
    def _after_add_fields(formset: Any, prepare: Any) -> None:
        """Call ``prepare(form)`` on each form ``formset`` builds, the blank one for
        "Add" included (``empty_form`` is built anew on each access, so it cannot be
        changed afterwards; every form passes through ``add_fields``)."""
        add_fields = formset.add_fields

        def add_fields_then_prepare(form: Any, index: Any) -> None:
            add_fields(form, index)
            prepare(form)

        formset.add_fields = add_fields_then_prepare

    @classmethod
    def _money_rates(cls, zone_form: Any, currency: pricing.Currency) -> None:
        rates = zone_form.formsets.get("rates")
        if rates is not None:
            cls._after_add_fields(
                rates, lambda rate: use_money_inputs(rate, cls.RATE_AMOUNTS, currency)
            )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        try:
            currency = pricing.get_currency(cleaned.get("currency") or "")
        except pricing.PricingError:
            return cleaned
        for zone_form in self.formsets["zones"].forms:
            for rate_form in zone_form.formsets["rates"].forms:
                if rate_form.is_valid():
                    _check_rate_amounts(rate_form, currency)
        return cleaned


def _check_rate_amounts(form: Any, currency: pricing.Currency) -> None:
    for field in ("amount", "free_over"):
        value = form.cleaned_data.get(field)
        if value is None:
            continue
        try:
            pricing.to_minor(value, currency)
        except pricing.PricingError as exc:
            form.add_error(field, str(exc))


@register_setting(icon="cogs")
class ShopSettings(ClusterableModel, BaseSiteSetting):
    """What editors may change per site: currency, tax, shipping and Checkout's options."""

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
        _("tax label"),
        max_length=40,
        blank=True,
        help_text=_('Shown to shoppers, e.g. "VAT". Leave empty for "Tax" in their language.'),
    )
    stripe_tax_behavior = models.CharField(
        _("with Stripe Tax"),
        max_length=10,
        choices=STRIPE_TAX_BEHAVIORS,
        default="exclusive",
        help_text=_("How Stripe Tax treats your prices and shipping rates."),
    )

    # Checkout's options (see the editor's guide) ----------------------------
    allow_promotion_codes = models.BooleanField(
        _("allow promotion codes"),
        default=default_allow_promotion_codes,
        help_text=_("Shoppers can enter a code you created in the Stripe Dashboard."),
    )
    collect_phone = models.BooleanField(_("ask for a phone number"), default=False)
    require_billing_address = models.BooleanField(_("require a billing address"), default=False)
    collect_tax_ids = models.BooleanField(
        _("let businesses enter a tax ID"), default=False, help_text=_("For example a VAT number.")
    )
    submit_message = models.CharField(_("text above the pay button"), max_length=1200, blank=True)
    after_submit_message = models.CharField(
        _("text after paying"),
        max_length=1200,
        blank=True,
        help_text=_("Shown on Stripe's page while the payment completes."),
    )
    terms_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("terms of service"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Shoppers must agree to this page before paying. Stripe also needs your terms "
            "of service URL in its Dashboard (Settings → Public details)."
        ),
    )
    create_invoice = models.BooleanField(
        _("create an invoice for each payment"),
        default=False,
        help_text=_("Stripe emails it and the order links to it."),
    )

    base_form_class = ShopSettingsForm
    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("currency"),
                    MultiFieldPanel(
                        [
                            FieldPanel("tax_mode"),
                            FieldPanel("tax_rate"),
                            FieldPanel("tax_label"),
                            FieldPanel("stripe_tax_behavior"),
                        ],
                        heading=_("Tax"),
                    ),
                ],
                heading=_("Prices and tax"),
            ),
            ObjectList(
                [InlinePanel("zones", heading=_("Shipping zones"), label=_("Zone"))],
                heading=_("Shipping"),
            ),
            ObjectList(
                [
                    FieldPanel("allow_promotion_codes"),
                    FieldPanel("collect_phone"),
                    FieldPanel("require_billing_address"),
                    FieldPanel("collect_tax_ids"),
                    InlinePanel(
                        "checkout_fields",
                        heading=_("Questions for the shopper"),
                        label=_("Question"),
                        max_num=3,
                    ),
                    FieldPanel("submit_message"),
                    FieldPanel("after_submit_message"),
                    FieldPanel("terms_page"),
                    FieldPanel("create_invoice"),
                ],
                heading=_("Checkout"),
            ),
        ]
    )

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

    # Shipping --------------------------------------------------------------
    def _zones(self) -> list[Any]:
        """The zones with their rates, read once per settings instance (request)."""
        if not hasattr(self, "_zone_cache"):
            self._zone_cache = list(self.zones.all().prefetch_related("rates")) if self.pk else []
        return self._zone_cache

    def shipping_countries(self) -> list[str]:
        """Every country some zone ships to, in the zones' order."""
        codes: dict[str, None] = {}
        for zone in self._zones():
            codes.update(dict.fromkeys(zone.country_codes))
        return list(codes)

    def shipping_quotes(self, country: str) -> list[pricing.ShippingQuote]:
        """The rates of the first zone that ships to ``country``."""
        currency = pricing.get_currency(self.currency)
        for zone in self._zones():
            if country in zone.country_codes:
                return [rate.quote(currency, country) for rate in zone.rates.all()]
        return []

    def shipping_quote(
        self, country: str | None, rate_id: int | None
    ) -> pricing.ShippingQuote | None:
        """The chosen rate, or the first rate of the chosen (or first) country's zone;
        ``None`` when the shop ships nothing."""
        countries = self.shipping_countries()
        if not countries:
            return None
        quotes = self.shipping_quotes(country if country in countries else countries[0])
        chosen = [q for q in quotes if q.rate_id == rate_id] or quotes
        return chosen[0] if chosen else None

    def pricing_options(
        self, shipping: pricing.ShippingQuote | None = None
    ) -> pricing.PricingOptions:
        return pricing.PricingOptions(
            currency=pricing.get_currency(self.currency),
            tax_mode=pricing.TaxMode(self.tax_mode),
            tax_rate=Decimal(self.tax_rate or 0),
            tax_label=self.tax_label or str(_("Tax")),
            shipping=shipping,
            stripe_tax_behavior=self.stripe_tax_behavior or "exclusive",
        )


class CheckoutField(Orderable):
    """A question Stripe Checkout asks the shopper (at most three per site)."""

    TYPES = [("text", _("Text")), ("dropdown", _("Choice from a list")), ("numeric", _("Number"))]

    settings = ParentalKey(ShopSettings, on_delete=models.CASCADE, related_name="checkout_fields")
    label = models.CharField(_("question"), max_length=50)
    type = models.CharField(_("answer"), max_length=10, choices=TYPES, default="text")
    options = models.TextField(
        _("choices"), blank=True, help_text=_("For a choice from a list: one choice per line.")
    )
    optional = models.BooleanField(_("optional"), default=False)

    panels = [
        FieldRowPanel([FieldPanel("label"), FieldPanel("type"), FieldPanel("optional")]),
        FieldPanel("options"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("checkout question")
        verbose_name_plural = _("checkout questions")

    def __str__(self) -> str:
        return self.label

    @property
    def choices(self) -> list[str]:
        return [line.strip() for line in (self.options or "").splitlines() if line.strip()]

    @property
    def key(self) -> str:
        """Stripe's key for the answer: letters and digits only."""
        return ("q" + "".join(c for c in slugify(self.label) if c.isalnum()))[:40] or "q"

    def clean(self) -> None:
        super().clean()
        if self.type == "dropdown" and not 1 <= len(self.choices) <= 200:
            raise ValidationError({"options": _("Give between 1 and 200 choices, one per line.")})
        if any(len(choice) > 100 for choice in self.choices):
            raise ValidationError({"options": _("Each choice can have at most 100 characters.")})
