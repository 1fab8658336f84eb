"""Admin viewsets; ``wagtail_hooks.py`` only registers them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from . import pricing
from .models import Product, ShopSettings


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
