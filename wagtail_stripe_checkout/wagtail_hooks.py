"""Only wiring: register the viewsets, the dashboard panel and the log actions."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .admin_views import OrderViewSet, ReadOnlyPolicy, ShopDashboardPanel
from .models import Order
from .viewsets import ProductViewSet

register_snippet(ProductViewSet)

try:  # Wagtail 8
    from wagtail.permissions import register_permission_policy
except ImportError:  # Wagtail 7.4: the viewset carries its policy
    OrderViewSet.permission_policy = ReadOnlyPolicy(Order)
else:
    register_permission_policy(Order, ReadOnlyPolicy(Order))


@hooks.register("register_admin_viewset")
def register_order_viewset() -> OrderViewSet:
    return OrderViewSet("wagtail_stripe_checkout_orders")


@hooks.register("construct_homepage_panels")
def add_shop_dashboard_panel(request: Any, panels: list[Any]) -> None:
    if ShopDashboardPanel.shown_to(request.user):
        panels.append(ShopDashboardPanel())


@hooks.register("register_log_actions")
def register_order_log_actions(actions: object) -> None:
    for action, label in [
        ("paid", _("Order paid")),
        ("cancelled", _("Order cancelled by the shopper")),
        ("superseded", _("Order replaced by a newer checkout from the same browser")),
        ("expired", _("Order expired unpaid")),
        ("failed", _("Order payment failed")),
        ("refunded", _("Order refunded")),
        ("partially_refunded", _("Order partially refunded")),
        ("refund_requested", _("Refund requested from Stripe")),
        ("shipped", _("Order shipped")),
        ("note", _("Note")),
        ("email_sent", _("Email sent")),
        ("email_failed", _("Email failed")),
        ("email_requested", _("Email resend requested")),
        ("downloads_created", _("Download links created")),
        ("downloaded", _("File downloaded")),
        ("downloads_revoked", _("Download links revoked")),
        ("downloads_extended", _("Download links extended")),
    ]:
        actions.register_action(f"wagtail_stripe_checkout.order.{action}", label, label)  # type: ignore[attr-defined]
