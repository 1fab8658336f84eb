from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.images import get_image_model, get_image_model_string
from wagtail.search import index

from .. import pricing
from ..panels import BuyLinkPanel


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


SKU_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    _("Use letters, digits, dots, dashes and underscores only."),
)


class ProductForm(WagtailAdminModelForm):
    """The product snippet's form: the price in the shop currency's decimals.

    The admin's views pass ``request`` (see ``viewsets.ProductViewSet``) for the
    site's currency."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currency = _form_currency(request)
        if currency is not None:
            use_money_inputs(self, ["price"], currency)
            variants = getattr(self, "formsets", {}).get("variants")
            if variants is not None:  # the variants' prices too, the empty form included
                variants.form = _with_money_inputs(variants.form, currency)

    def clean(self) -> dict[str, Any]:
        from .catalogue import check_options_and_variants  # catalogue imports this module

        cleaned = super().clean()
        check_options_and_variants(self)
        return cleaned


def _with_money_inputs(form_class: type[forms.BaseForm], currency: pricing.Currency) -> type:
    def __init__(form: forms.BaseForm, *args: Any, **kwargs: Any) -> None:
        form_class.__init__(form, *args, **kwargs)
        use_money_inputs(form, ["price"], currency)

    return type(form_class.__name__, (form_class,), {"__init__": __init__})


def price_problems(price: Decimal) -> list[str]:
    """Why ``price`` cannot be charged in some currency in use (empty: it can)."""
    from .settings import currencies_in_use  # settings imports this module

    problems = []
    for code in sorted(currencies_in_use()):
        currency = pricing.get_currency(code)
        try:
            minor = pricing.to_minor(price, currency)
        except pricing.PricingError as exc:
            problems.append(str(exc))
            continue
        if minor > pricing.MAX_AMOUNT:
            problems.append(
                _("Stripe cannot charge more than %(max)s in one payment.")
                % {"max": pricing.format_amount(pricing.MAX_AMOUNT, currency)}
            )
    return problems


def unique_slug(name: str, taken: models.QuerySet[Any], max_length: int = 80) -> str:
    """``name`` as a slug not used by ``taken``: ``tote-bag``, ``tote-bag-2``, ..."""
    base = (slugify(name) or "product")[: max_length - 6].strip("-") or "product"
    used = set(taken.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in used:
        n += 1
        slug = f"{base}-{n}"
    return slug


class ProductQuerySet(models.QuerySet["Product"]):
    def active(self) -> ProductQuerySet:
        return self.filter(active=True)

    def with_variant_flag(self) -> ProductQuerySet:
        """Each product knows whether it has variants, in the same query."""
        variants = self.model._meta.get_field("variants").related_model
        return self.annotate(
            variant_flag=models.Exists(variants.objects.filter(product=models.OuterRef("pk")))
        )

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


class Product(index.Indexed, ClusterableModel):
    """Something the shop sells; managed by editors as a Wagtail snippet."""

    name = models.CharField(_("name"), max_length=255)
    sku = models.CharField(
        _("SKU"),
        max_length=64,
        unique=True,
        validators=[SKU_VALIDATOR],
        help_text=_("Your own stock-keeping code; unique across the shop."),
    )
    slug = models.SlugField(
        _("slug"),
        max_length=80,
        unique=True,
        blank=True,
        help_text=_(
            "The product's part of its buy link, /shop/buy/<slug>/. Made from the name when empty."
        ),
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
    shipped = models.BooleanField(
        _("shipped"),
        default=True,
        help_text=_(
            "Untick for digital goods (files to download): a cart holding only such "
            "products asks for no shipping address or rate."
        ),
    )
    buy_link_enabled = models.BooleanField(
        _("buy link"),
        default=True,
        help_text=_("Untick to switch off the product's shareable buy link and QR code."),
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
        InlinePanel("options", heading=_("Options"), label=_("Option")),
        InlinePanel("variants", heading=_("Variants"), label=_("Variant")),
        MultiFieldPanel(
            [FieldPanel("shipped"), InlinePanel("files", label=_("File to download"))],
            heading=_("Digital goods"),
        ),
        MultiFieldPanel(
            [FieldPanel("slug"), FieldPanel("buy_link_enabled"), BuyLinkPanel()],
            heading=_("Buy link"),
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
        if not self.slug:
            self.slug = unique_slug(self.name, type(self).objects.exclude(pk=self.pk))
        if self.pk is not None:
            old = type(self).objects.filter(pk=self.pk).values_list("price", flat=True).first()
            if old is not None and self.price is not None and Decimal(old) != Decimal(self.price):
                self.price_version += 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.price is None:
            return
        problems = price_problems(self.price)
        if problems:
            raise ValidationError({"price": problems})

    @property
    def has_variants(self) -> bool:
        """Whether shoppers must choose a variant: read with the product when it was
        annotated (``with_variant_flag``) or its variants prefetched, else one query."""
        flag = getattr(self, "variant_flag", None)
        if flag is not None:
            return bool(flag)
        return self.variants.exists()

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
