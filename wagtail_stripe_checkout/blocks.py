"""StreamField blocks editors place on any page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from .cart import prefetch_images
from .conf import app_settings
from .models import Product


def prefetch_variants(products: Iterable[Product], spec: str) -> None:
    """Give ``products`` their variants (one query, however many products), and
    to those that have some their options and the variants' own images with the
    renditions at ``spec`` (one query each); a page of products without variants
    costs the one query."""
    products = [product for product in products if product is not None]
    if not products:
        return
    prefetch_related_objects(products, "variants")
    varied = [product for product in products if product.variants.all()]
    for product in products:
        if product not in varied:  # nothing to ask: no options without variants
            product._prefetched_objects_cache["options"] = product.options.none()
    if not varied:
        return
    prefetch_related_objects(varied, "options")
    variants = [variant for product in varied for variant in product.variants.all()]
    prefetch_images([variant for variant in variants if variant.active], spec)


class BuyBlock(blocks.StructBlock):
    """One product with a button that adds it to the cart or goes straight to checkout."""

    product = SnippetChooserBlock("wagtail_stripe_checkout.Product", label=_("Product"))
    button_label = blocks.CharBlock(
        label=_("Button label"),
        max_length=60,
        required=False,
        help_text=_('Leave empty for "Add to cart" (or "Buy now") in the shopper\'s language.'),
    )
    show_quantity = blocks.BooleanBlock(
        label=_("Let shoppers choose a quantity"), required=False, default=True
    )
    action = blocks.ChoiceBlock(
        label=_("The button"),
        choices=[("cart", _("Adds to the cart")), ("checkout", _("Goes straight to checkout"))],
        default="cart",
    )
    show_description = blocks.BooleanBlock(
        label=_("Show the product description"), required=False, default=True
    )

    class Meta:
        icon = "pick"
        label = _("Buy button")
        template = "wagtail_stripe_checkout/blocks/buy_block.html"
        help_text = _("A product with its price and a buy button.")

    def bulk_to_python(self, values: Any) -> list[Any]:
        """Every buy block of a page at once (Wagtail converts a stream's blocks of
        one type together): their products in one query, and the images and
        renditions of those shown in one more, however many blocks there are."""
        structs = list(super().bulk_to_python(values))
        shown = [struct["product"] for struct in structs]
        on_sale = [product for product in shown if product is not None and product.active]
        prefetch_images(on_sale, app_settings.PRODUCT_IMAGE_RENDITION)
        prefetch_variants(on_sale, app_settings.PRODUCT_IMAGE_RENDITION)
        return structs

    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> dict:
        context = super().get_context(value, parent_context=parent_context)
        context["rendition_spec"] = app_settings.PRODUCT_IMAGE_RENDITION
        return context


class ProductGridBlock(blocks.StructBlock):
    """A grid of products: the ones chosen, or every product on sale."""

    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    products = blocks.ListBlock(
        SnippetChooserBlock("wagtail_stripe_checkout.Product"),
        label=_("Products"),
        required=False,
        help_text=_("Leave empty to show every product on sale."),
    )
    limit = blocks.IntegerBlock(
        label=_("Show at most"), default=12, min_value=1, max_value=48, required=True
    )
    show_quantity = blocks.BooleanBlock(
        label=_("Let shoppers choose a quantity"), required=False, default=False
    )

    class Meta:
        icon = "table"
        label = _("Product grid")
        template = "wagtail_stripe_checkout/blocks/product_grid_block.html"

    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> dict:
        context = super().get_context(value, parent_context=parent_context)
        spec = app_settings.PRODUCT_IMAGE_RENDITION
        limit = value["limit"]
        chosen = [p for p in value["products"] if p is not None]
        if chosen:  # read with the page's stream: only those on sale are shown
            products = [p for p in chosen if p.active][:limit]
        else:
            products = list(Product.objects.active().order_by("name")[:limit])
        prefetch_images(products, spec)
        prefetch_variants(products, spec)
        context["grid_products"] = products
        context["rendition_spec"] = spec
        return context
