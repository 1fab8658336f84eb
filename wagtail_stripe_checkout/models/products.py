from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.images import get_image_model, get_image_model_string
from wagtail.search import index

from .. import pricing


class MoneyInput(forms.NumberInput):
    """A money amount in its currency's decimals (18.50 USD, 500 JPY, 1.230 KWD) with
    the currency's step; a value finer than that is shown as it is, never rounded."""

    def __init__(self, currency: pricing.Currency, attrs: dict[str, Any] | None = None) -> None:
        self.decimals = currency.display_decimals
        step = pricing.from_minor(currency.step, currency)
        super().__init__({**(attrs or {}), "step": f"{step:.{self.decimals}f}"})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal) and value.is_finite():
            shown = value.quantize(Decimal(1).scaleb(-self.decimals))
            return f"{shown if shown == value else value:f}"
        return super().format_value(value)


def use_money_inputs(
    form: forms.BaseForm, names: Iterable[str], currency: pricing.Currency
) -> None:
    """Show ``form``'s amount fields ``names`` in ``currency``; validation is unchanged."""
    for name in names:
        field = form.fields.get(name)
        if field is None:
            continue
        widget = MoneyInput(currency, attrs=field.widget.attrs)
        widget.is_required = field.required
        field.widget = widget


def _form_currency(request: Any) -> pricing.Currency | None:
    """The request's site's currency; without a request, the one currency in use
    (the one with the most decimals when sites differ, so no amount is cut short)."""
    from .settings import ShopSettings, currencies_in_use  # settings imports this module

    if request is not None:
        try:
            return pricing.get_currency(ShopSettings.for_request(request).currency)
        except pricing.PricingError:
            return None
    codes = sorted(currencies_in_use())
    currencies = [pricing.get_currency(code) for code in codes]
    return max(currencies, key=lambda c: c.display_decimals, default=None)


class ProductForm(WagtailAdminModelForm):
    """The product snippet's form: the price in the shop currency's decimals.

    The admin's views pass ``request`` (see ``viewsets.ProductViewSet``) for the
    site's currency."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currency = _form_currency(request)
        if currency is not None:
            use_money_inputs(self, ["price"], currency)


class ProductQuerySet(models.QuerySet["Product"]):
    def active(self) -> ProductQuerySet:
        return self.filter(active=True)

    def with_images(self, *filter_specs: str) -> ProductQuerySet:
        """Fetch images and the named renditions in two queries, whatever the count."""
        rendition_model = get_image_model().get_rendition_model()
        return self.select_related("image").prefetch_related(
            models.Prefetch(
                "image__renditions",
                queryset=rendition_model.objects.filter(filter_spec__in=filter_specs),
                to_attr="prefetched_renditions",
            )
        )


class Product(index.Indexed, models.Model):
    """Something the shop sells; managed by editors as a Wagtail snippet."""

    name = models.CharField(_("name"), max_length=255)
    sku = models.CharField(
        _("SKU"),
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                _("Use letters, digits, dots, dashes and underscores only."),
            )
        ],
        help_text=_("Your own stock-keeping code; unique across the shop."),
    )
    description = RichTextField(_("description"), blank=True)
    image = models.ForeignKey(
        get_image_model_string(),
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    price = models.DecimalField(
        _("price"),
        max_digits=11,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("In the shop's currency, e.g. 12.50. Taxes follow the shop settings."),
    )
    active = models.BooleanField(
        _("on sale"),
        default=True,
        help_text=_("Untick to stop selling it; carts holding it are told it is gone."),
    )
    stock = models.PositiveIntegerField(
        _("stock"),
        null=True,
        blank=True,
        help_text=_("How many are left. Leave empty for unlimited."),
    )
    tax_code = models.CharField(
        _("Stripe tax code"),
        max_length=13,
        blank=True,
        validators=[
            RegexValidator(r"^txcd_[0-9]{8}$", _("Stripe tax codes look like txcd_99999999."))
        ],
        help_text=_(
            "Only with Stripe Tax: the product's tax category from Stripe's list, e.g. "
            "txcd_99999999 (general goods). Leave empty for your Dashboard's default."
        ),
    )
    max_per_order = models.PositiveIntegerField(
        _("maximum per order"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave empty for the shop-wide limit."),
    )
    # Bumped whenever the price changes, so carts can tell shoppers about it
    # without ever storing a price in the session.
    price_version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    base_form_class = ProductForm
    panels = [
        FieldPanel("name"),
        FieldPanel("sku"),
        FieldPanel("description"),
        FieldPanel("image"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("price"), FieldPanel("active")]),
                FieldRowPanel([FieldPanel("stock"), FieldPanel("max_per_order")]),
                FieldPanel("tax_code"),
            ],
            heading=_("Price and availability"),
        ),
    ]

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("sku"),
        index.AutocompleteField("sku"),
        index.FilterField("active"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            old = type(self).objects.filter(pk=self.pk).values_list("price", flat=True).first()
            if old is not None and self.price is not None and Decimal(old) != Decimal(self.price):
                self.price_version += 1
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        super().clean()
        if self.price is None:
            return
        from .settings import currencies_in_use  # settings imports this module

        problems = []
        for code in sorted(currencies_in_use()):
            currency = pricing.get_currency(code)
            try:
                minor = pricing.to_minor(self.price, currency)
            except pricing.PricingError as exc:
                problems.append(str(exc))
                continue
            if minor > pricing.MAX_AMOUNT:
                problems.append(
                    _("Stripe cannot charge more than %(max)s in one payment.")
                    % {"max": pricing.format_amount(pricing.MAX_AMOUNT, currency)}
                )
        if problems:
            raise ValidationError({"price": problems})

    def unit_amount(self, currency: pricing.Currency) -> int:
        """The price in ``currency``'s smallest unit; raises PricingError if unrepresentable."""
        return pricing.to_minor(self.price, currency)

    def limit_per_order(self, global_cap: int) -> int:
        limits = [global_cap]
        if self.max_per_order:
            limits.append(self.max_per_order)
        return min(limits)

    @property
    def sold_out(self) -> bool:
        return self.stock is not None and self.stock <= 0
