"""A product's options and variants, and the files of digital goods, edited
inline on the product (Wagtail ``InlinePanel``s)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.documents import get_document_model_string
from wagtail.images import get_image_model_string
from wagtail.models import Orderable

from .. import pricing
from .products import SKU_VALIDATOR, Product, price_problems


def split_values(text: str) -> list[str]:
    """An option's values as the editor typed them: ``"S, M, L"`` → ``["S", "M", "L"]``."""
    return list(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))


class ProductOption(Orderable):
    """One way a product varies, e.g. Size with the values S, M and L."""

    product = ParentalKey(
        "wagtail_stripe_checkout.Product", on_delete=models.CASCADE, related_name="options"
    )
    name = models.CharField(_("option"), max_length=50, help_text=_("For example Size."))
    values = models.CharField(
        _("values"),
        max_length=500,
        help_text=_(
            "Separated by commas, in the order shoppers see them, e.g. S, M, L or Navy, Sand."
        ),
    )

    panels = [FieldRowPanel([FieldPanel("name"), FieldPanel("values")])]

    class Meta(Orderable.Meta):
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return f"{self.name}: {self.values}"

    @property
    def value_list(self) -> list[str]:
        return split_values(self.values)


class ProductVariant(Orderable):
    """One combination of a product's option values, with its own SKU, price,
    stock, image and on-sale flag; its ``label`` names the values in the order of
    the options, e.g. ``M / Navy``."""

    product = ParentalKey(
        "wagtail_stripe_checkout.Product", on_delete=models.CASCADE, related_name="variants"
    )
    label = models.CharField(
        _("option values"),
        max_length=120,
        help_text=_(
            "One value of each option, in the options' order, separated by a slash, e.g. M / Navy."
        ),
    )
    sku = models.CharField(
        _("SKU"),
        max_length=64,
        unique=True,
        validators=[SKU_VALIDATOR],
        help_text=_("Unique across the shop, products and variants."),
    )
    price = models.DecimalField(
        _("price"),
        max_digits=11,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Leave empty for the product's price."),
    )
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Leave empty for unlimited.")
    )
    active = models.BooleanField(_("on sale"), default=True)
    image = models.ForeignKey(
        get_image_model_string(),
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Leave empty for the product's image."),
    )
    # Bumped when the variant's own price changes (see Product.price_version).
    price_version = models.PositiveIntegerField(default=1, editable=False)

    panels = [
        FieldRowPanel([FieldPanel("label"), FieldPanel("sku")]),
        FieldRowPanel([FieldPanel("price"), FieldPanel("stock"), FieldPanel("active")]),
        FieldPanel("image"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.UniqueConstraint(fields=["product", "label"], name="wsc_variant_label_unique")
        ]

    def __str__(self) -> str:
        return item_name(self.product.name, self.label) if self.product_id else self.label

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            old = type(self).objects.filter(pk=self.pk).values("price").first()
            if old is not None and _differs(old["price"], self.price):
                self.price_version += 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        problems = price_problems(self.price) if self.price is not None else []
        if problems:
            raise ValidationError({"price": problems})

    @property
    def values(self) -> list[str]:
        return [v.strip() for v in self.label.split("/")]

    def unit_amount(self, currency: pricing.Currency) -> int:
        """Its own price, else the product's, in ``currency``'s smallest unit;
        raises PricingError if unrepresentable."""
        price = self.price if self.price is not None else self.product.price
        return pricing.to_minor(price, currency)

    @property
    def sold_out(self) -> bool:
        return self.stock is not None and self.stock <= 0


def _differs(old: Decimal | None, new: Decimal | None) -> bool:
    if old is None or new is None:
        return old is not new
    return Decimal(old) != Decimal(new)


def item_name(product: str, variant: str) -> str:
    """What shoppers read for a product's variant: ``T-shirt – M / Navy``."""
    if not variant:
        return product
    return gettext("%(product)s – %(variant)s") % {"product": product, "variant": variant}


class ProductFile(Orderable):
    """A file a shopper may download once the order is paid (a Wagtail document),
    for every variant of the product or for one."""

    product = ParentalKey(
        "wagtail_stripe_checkout.Product", on_delete=models.CASCADE, related_name="files"
    )
    document = models.ForeignKey(
        get_document_model_string(),
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    variant = models.ForeignKey(
        ProductVariant,
        verbose_name=_("only for the variant"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="files",
        help_text=_("Leave empty for every variant."),
    )

    panels = [FieldRowPanel([FieldPanel("document"), FieldPanel("variant")])]

    class Meta(Orderable.Meta):
        verbose_name = _("file to download")
        verbose_name_plural = _("files to download")

    def __str__(self) -> str:
        return str(self.document)


# The product form's checks of its options and variants -------------------------


def _kept(formset: Any, keys: tuple[str, ...]) -> list[Any]:
    """The formset's forms that will be saved (not deleted, not left blank) and
    whose ``keys`` are valid so far."""
    if formset is None:
        return []
    formset.is_valid()  # cleans every form
    return [
        form
        for form in formset.forms
        if getattr(form, "cleaned_data", None)
        and not formset._should_delete_form(form)
        and all(key in form.cleaned_data for key in keys)
    ]


def check_options_and_variants(form: Any) -> None:
    """Add a clear error to the field at fault when the product's options and
    variants do not fit together (see ``docs/variants.md``)."""
    formsets = getattr(form, "formsets", {})
    options = _kept(formsets.get("options"), ("name", "values"))
    variants = _kept(formsets.get("variants"), ("label", "sku"))
    names = [option.cleaned_data["name"].strip() for option in options]
    values = [split_values(option.cleaned_data["values"]) for option in options]
    seen: set[str] = set()
    for option, name, option_values in zip(options, names, values, strict=True):
        if name.casefold() in seen:
            option.add_error("name", _("Each option needs its own name."))
        seen.add(name.casefold())
        if not option_values:
            option.add_error("values", _("Enter at least one value, e.g. S, M, L."))
    if options and not variants:
        options[0].add_error(
            "values",
            _("Add the variants too: each combination of these values with its own SKU."),
        )
    if variants and not options:
        variants[0].add_error(
            "label", _("Add the options first (e.g. Size: S, M, L), then their combinations.")
        )
        return
    _check_labels(variants, names, values)
    _check_skus(form, variants)


def _check_labels(variants: list[Any], names: list[str], values: list[list[str]]) -> None:
    seen: set[tuple[str, ...]] = set()
    example = " / ".join(v[0] for v in values if v)
    for variant in variants:
        given = [v.strip() for v in variant.cleaned_data["label"].split("/")]
        if len(given) != len(names):
            variant.add_error(
                "label",
                _("Give one value of each option (%(options)s) separated by /, e.g. %(example)s.")
                % {"options": ", ".join(names), "example": example},
            )
            continue
        wrong = [(n, v, ok) for n, v, ok in zip(names, given, values, strict=True) if v not in ok]
        if wrong:
            name, value, allowed = wrong[0]
            variant.add_error(
                "label",
                _("%(value)s is not a value of %(option)s (%(values)s).")
                % {"value": value or '""', "option": name, "values": ", ".join(allowed)},
            )
            continue
        if tuple(given) in seen:
            variant.add_error("label", _("Another variant already has these values."))
        seen.add(tuple(given))
        label = " / ".join(given)
        variant.cleaned_data["label"] = variant.instance.label = label


def _check_skus(form: Any, variants: list[Any]) -> None:
    own = (form.cleaned_data.get("sku") or "").casefold()
    product_pk = form.instance.pk
    skus = [v.cleaned_data["sku"] for v in variants]
    taken = set(
        Product.objects.filter(sku__in=skus).exclude(pk=product_pk).values_list("sku", flat=True)
    )
    seen: set[str] = set()
    for variant, sku in zip(variants, skus, strict=True):
        if sku.casefold() == own or sku in taken:
            variant.add_error("sku", _("A product already has this SKU; each needs its own."))
        elif sku.casefold() in seen:
            variant.add_error("sku", _("Another variant already has this SKU."))
        seen.add(sku.casefold())
    if own and ProductVariant.objects.filter(sku__iexact=own).exclude(product=product_pk).exists():
        form.add_error("sku", _("A variant of another product already has this SKU."))
