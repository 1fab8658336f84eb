"""Admin viewsets; ``wagtail_hooks.py`` only registers them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BaseColumn, BooleanColumn, Column, DateColumn
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet

from . import pricing
from .models import Product, ShopSettings

# The product's picture in the chooser, next to its name.
CHOOSER_THUMBNAIL = "fill-48x48"


class PriceColumn(Column):
    """The price formatted in the current site's currency."""

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        if request is not None:
            currency = ShopSettings.for_request(request).pricing_options().currency
            try:
                context["value"] = pricing.format_amount(instance.unit_amount(currency), currency)
            except pricing.PricingError:
                context["value"] = _("%(price)s (not valid in %(code)s)") % {
                    "price": instance.price,
                    "code": currency.code,
                }
        return context


class StockColumn(Column):
    def get_value(self, instance: Any) -> Any:
        return _("Unlimited") if instance.stock is None else instance.stock


class ThumbnailColumn(Column):
    """The product's image as a small rendition (renditions prefetched with the rows)."""

    cell_template_name = "wagtail_stripe_checkout/admin/thumbnail_cell.html"

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_cell_context_data(instance, parent_context)
        image = instance.image
        context["rendition"] = image.get_rendition(CHOOSER_THUMBNAIL) if image else None
        return context


class ProductChooserMixin:
    """Each product with its thumbnail, price and stock, two queries for the images
    whatever the page holds."""

    model_class: Any

    def get_object_list(self) -> Any:
        return self.model_class.objects.with_images(CHOOSER_THUMBNAIL)

    @property
    def columns(self) -> list[BaseColumn]:
        title, *rest = super().columns  # type: ignore[misc]
        return [
            ThumbnailColumn("image", label=_("Image"), width="1%"),
            title,
            PriceColumn("price", label=_("Price")),
            StockColumn("stock", label=_("Stock")),
            *rest,
        ]


class ProductChooseView(ProductChooserMixin, snippet_chooser.ChooseView):
    pass


class ProductChooseResultsView(ProductChooserMixin, snippet_chooser.ChooseResultsView):
    pass


class ProductChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    """The chooser of ``SnippetChooserBlock("wagtail_stripe_checkout.Product")``, the
    same on Wagtail 7.4 and 8 (both build it from ``chooser_viewset_class``)."""

    choose_view_class = ProductChooseView
    choose_results_view_class = ProductChooseResultsView


class RequestFormMixin:
    """Give the product form the request, for the site's currency (``ProductForm``)."""

    request: Any

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}  # type: ignore[misc]


class ProductCreateView(RequestFormMixin, snippet_views.CreateView):
    pass


class ProductCopyView(RequestFormMixin, snippet_views.CopyView):
    pass


class ProductEditView(RequestFormMixin, snippet_views.EditView):
    pass


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "pick"
    menu_label = _("Products")
    menu_name = "shop-products"
    add_to_admin_menu = True
    menu_order = 250
    list_display = [
        "name",
        "sku",
        PriceColumn("price", label=_("Price"), sort_key="price"),
        BooleanColumn("active", label=_("On sale"), sort_key="active"),
        StockColumn("stock", label=_("Stock"), sort_key="stock"),
        DateColumn("updated_at", label=_("Updated"), sort_key="updated_at"),
    ]
    list_filter = ["active"]
    list_export = ["name", "sku", "price", "active", "stock", "max_per_order", "updated_at"]
    export_filename = "products"
    # Plain database lookups: partial SKUs match, on every database backend.
    search_fields = ["name", "sku"]
    search_backend_name = None
    ordering = ["name"]
    inspect_view_enabled = True
    copy_view_enabled = True
    add_view_class = ProductCreateView
    copy_view_class = ProductCopyView
    edit_view_class = ProductEditView
    chooser_viewset_class = ProductChooserViewSet
