"""StreamField blocks editors place on any page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from .conf import app_settings
from .models import Product


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
        chosen = [p.pk for p in value["products"] if p is not None]
        queryset = Product.objects.active().with_images(spec)
        if chosen:
            by_id = queryset.in_bulk(chosen)
            products = [by_id[pk] for pk in chosen if pk in by_id]
        else:
            products = list(queryset.order_by("name"))
        context["grid_products"] = products[: value["limit"]]
        context["rendition_spec"] = spec
        return context
