"""The orders admin: a read-only viewset with the order's page (details, what
Stripe charged and collected, history, notes) and its actions (refund, ship,
resend the confirmation); a listing whose cost does not grow with the number
of orders and an export that streams; the shop's panel on the admin dashboard."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button, HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy

from . import dashboard, downloads
from .admin_actions import (
    ExtendDownloadsView,
    RefundView,
    ResendConfirmationView,
    ResendDownloadsView,
    ShipView,
    can_fulfil,
    can_refund,
    note_view,
)
from .conf import Mode
from .history import order_history
from .models import Order, OrderLine
from .models.catalogue import item_name


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Orders are written by checkout and Stripe only: staff may view, never edit."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action in ("add", "change", "delete"):
            return False
        return bool(super().user_has_permission(user, action))

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def instances_user_has_permission_for(self, user: Any, action: str) -> Any:
        if action in ("add", "change", "delete"):
            return self.model.objects.none()
        return super().instances_user_has_permission_for(user, action)


class TotalColumn(Column):
    """What Stripe charged (our total until paid), and what was refunded of it."""

    def get_value(self, instance: Any) -> str:
        value = instance.total_display
        if instance.refunded_amount and instance.status != Order.Status.REFUNDED:
            value += " " + _("(%(amount)s refunded)") % {
                "amount": instance.display(instance.refunded_amount)
            }
        return value


# Orders read from the database at a time by an export.
EXPORT_CHUNK_SIZE = 100


class StreamedRows:
    """A queryset read in chunks of :data:`EXPORT_CHUNK_SIZE` (``iterator()``: no
    result cache), with the ``model`` Wagtail's export reads its headings from."""

    def __init__(self, queryset: QuerySet[Order]) -> None:
        self.queryset = queryset
        self.model = queryset.model

    def __iter__(self) -> Iterator[Order]:
        chunk: list[Order] = []
        for order in self.queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE):
            chunk.append(order)
            if len(chunk) == EXPORT_CHUNK_SIZE:
                yield from with_items(chunk)
                chunk = []
        yield from with_items(chunk)


def with_items(orders: list[Order]) -> list[Order]:
    """Give each order ``items``, its lines in one cell (``2 × T-shirt – M / Navy
    (TEE-M-NAVY); 1 × Mug (MUG-01)``), read in one query for all of them: plain
    text, so nothing ties an exported order to its lines in memory."""
    if not orders:
        return orders
    cells: dict[int, list[str]] = {}
    rows = OrderLine.objects.filter(order__in=orders).order_by("pk")
    for order_id, quantity, name, variant_name, sku in rows.values_list(
        "order_id", "quantity", "name", "variant_name", "sku"
    ):
        cells.setdefault(order_id, []).append(
            f"{quantity} × {item_name(name, variant_name)} ({sku})"
        )
    for order in orders:
        order.items = "; ".join(cells.get(order.pk, []))  # type: ignore[attr-defined]
    return orders


class OrderIndexView(ModelViewSet.index_view_class):
    """An export goes straight from the filtered, searched, ordered queryset to
    Wagtail's writer, a chunk of orders at a time: the CSV streams with flat
    memory, however many orders there are. (The listing's own context would
    read every order at once to count them.)"""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if self.is_export:
            rows = StreamedRows(self.get_queryset())
            return self.as_spreadsheet(rows, request.GET.get("export"))
        return super().get(request, *args, **kwargs)


class OrderViewSet(ModelViewSet):
    model = Order
    icon = "list-ul"
    menu_label = gettext_lazy("Orders")
    menu_name = "shop-orders"
    add_to_admin_menu = True
    menu_order = 251
    url_prefix = "shop/orders"
    url_namespace = "wagtail_stripe_checkout_orders"
    inspect_view_enabled = True
    copy_view_enabled = False
    # Never edited in the admin (the permission policy refuses add/change/delete);
    # a form class is still required by ModelViewSet.
    form_fields = ["name"]
    list_display = [
        TitleColumn(
            "reference",
            label=gettext_lazy("Order"),
            sort_key="reference",
            get_url=lambda order: reverse(
                "wagtail_stripe_checkout_orders:inspect", args=[order.pk]
            ),
        ),
        DateColumn("created_at", label=gettext_lazy("Date"), sort_key="created_at"),
        Column("email", label=gettext_lazy("Email"), sort_key="email"),
        TotalColumn("total", label=gettext_lazy("Total"), sort_key="total"),
        StatusTagColumn(
            "get_status_display",
            label=gettext_lazy("Status"),
            primary=lambda o: o.status in ("paid", "shipped"),
            sort_key="status",
        ),
    ]
    list_filter = {"status": ["exact"], "created_at": ["gte", "lte"]}
    search_fields = ["email", "reference", "stripe_session_id", "stripe_payment_intent_id"]
    search_backend_name = None
    ordering = ["-created_at"]
    list_export = [
        "reference",
        "created_at",
        "paid_at",
        "status",
        "email",
        "name",
        "customer_name",
        "customer_phone",
        "currency",
        "items",
        "subtotal_amount",
        "discount_amount",
        "promotion_code",
        "tax_amount",
        "shipping_amount",
        "total_amount",
        "refunded_total_amount",
        "shipping_rate_name",
        "shipping_address_text",
        "tax_ids_text",
        "custom_fields_text",
        "shipped_at",
        "carrier",
        "tracking_number",
        "invoice_url",
        "stripe_session_id",
        "stripe_payment_intent_id",
    ]
    export_headings = {
        "reference": gettext_lazy("Order"),
        "customer_name": gettext_lazy("Name at Stripe"),
        "items": gettext_lazy("Items"),
        "subtotal_amount": gettext_lazy("Subtotal"),
        "discount_amount": gettext_lazy("Discount"),
        "tax_amount": gettext_lazy("Tax"),
        "shipping_amount": gettext_lazy("Shipping"),
        "total_amount": gettext_lazy("Total charged"),
        "refunded_total_amount": gettext_lazy("Refunded"),
        "shipping_rate_name": gettext_lazy("Shipping rate"),
        "shipping_address_text": gettext_lazy("Ship to"),
        "tax_ids_text": gettext_lazy("Tax IDs"),
        "custom_fields_text": gettext_lazy("Answers"),
    }
    export_filename = "orders"
    inspect_template_name = "wagtail_stripe_checkout/admin/order_inspect.html"
    index_view_class = OrderIndexView

    class InspectView(ModelViewSet.inspect_view_class):
        def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
            context: dict[str, Any] = super().get_context_data(**kwargs)
            order, user = self.object, self.request.user
            context.update(
                order=order,
                lines=list(order.lines.all()),
                events=list(order.events.all()[:50]),
                history=order_history(order),
                can_refund=can_refund(user) and order.refundable_amount > 0,
                can_ship=can_fulfil(user) and order.can_ship,
                can_note=can_fulfil(user),
                note_url=_url("note", order),
                download_links=downloads.links_for(order, include_revoked=True),
            )
            return context

        @property
        def header_buttons(self) -> list[Any]:
            """What staff do most: ship, refund; and the payment in Stripe."""
            order, user = self.object, self.request.user
            buttons = list(super().header_buttons)
            if can_fulfil(user) and order.can_ship:
                buttons.append(
                    HeaderButton(
                        _("Mark shipped"), url=_url("ship", order), icon_name="mail", priority=10
                    )
                )
            if can_refund(user) and order.refundable_amount > 0:
                buttons.append(
                    HeaderButton(
                        _("Refund"), url=_url("refund", order), icon_name="undo", priority=20
                    )
                )
            if order.stripe_payment_intent_id:
                buttons.append(stripe_payment_button(order))
            return buttons

        @cached_property
        def header_more_buttons(self) -> list[Any]:
            """The rarer actions, in the header's "Actions" menu (a header with
            every button in it leaves no room for the order's title)."""
            order, user = self.object, self.request.user
            buttons = list(super().header_more_buttons)
            if can_fulfil(user) and order.is_paid:
                buttons.append(
                    Button(
                        _("Resend confirmation email"),
                        url=_url("resend", order),
                        icon_name="mail",
                        priority=30,
                    )
                )
                if order.has_downloads and order.downloads.exists():
                    buttons += [
                        Button(
                            _("Resend download links"),
                            url=_url("resend_downloads", order),
                            icon_name="download",
                            priority=40,
                        ),
                        Button(
                            _("Extend download links"),
                            url=_url("extend_downloads", order),
                            icon_name="time",
                            priority=50,
                        ),
                    ]
            return buttons

    inspect_view_class = InspectView

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("refund/<int:pk>/", RefundView.as_view(), name="refund"),
            path("ship/<int:pk>/", ShipView.as_view(), name="ship"),
            path("note/<int:pk>/", note_view, name="note"),
            path("resend/<int:pk>/", ResendConfirmationView.as_view(), name="resend"),
            path(
                "downloads/resend/<int:pk>/",
                ResendDownloadsView.as_view(),
                name="resend_downloads",
            ),
            path(
                "downloads/extend/<int:pk>/",
                ExtendDownloadsView.as_view(),
                name="extend_downloads",
            ),
        ]

    inspect_view_fields = [
        "reference",
        "status",
        "created_at",
        "paid_at",
        "email",
        "name",
        "customer_name",
        "customer_phone",
        "shipping_rate_name",
        "promotion_code",
        "shipped_at",
        "carrier",
        "tracking_number",
        "stripe_session_id",
        "stripe_payment_intent_id",
    ]


def _url(action: str, order: Order) -> str:
    return reverse(f"wagtail_stripe_checkout_orders:{action}", args=[order.pk])


def stripe_payment_button(order: Order) -> HeaderButton:
    """The order's payment in Stripe's Dashboard, in the mode it was paid in (its
    session id says: ``cs_live_`` or ``cs_test_``), else the secret key's."""
    session = order.stripe_session_id or ""
    mode: Mode | None = None
    if session:
        mode = "live" if session.startswith("cs_live_") else "test"
    return HeaderButton(
        _("Payment in Stripe"),
        url=dashboard.payment_url(order.stripe_payment_intent_id, mode),
        icon_name="link-external",
        attrs={"target": "_blank", "rel": "noopener noreferrer", "data-wsc-stripe-payment": ""},
        priority=1100,  # after the order's own actions: it leaves the admin
    )


class ShopDashboardPanel(Component):
    """The shop on the admin's dashboard: paid orders and revenue per currency,
    pending orders, and the health of the link with Stripe."""

    name = "wagtail_stripe_checkout_shop"
    order = 90  # above Wagtail's own panels (workflow tasks from 100)
    template_name = "wagtail_stripe_checkout/admin/dashboard_panel.html"

    @staticmethod
    def shown_to(user: Any) -> bool:
        """Staff who may view orders (the same rule as the Orders menu)."""
        return ReadOnlyPolicy(Order).user_has_permission(user, "view")

    def get_context_data(self, parent_context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        summary = dashboard.summary()
        orders_url = reverse("wagtail_stripe_checkout_orders:index")
        return {
            "summary": summary,
            "periods": [_("Today"), _("Last 7 days"), _("Last 30 days")],
            "orders_url": orders_url,
            "pending_url": f"{orders_url}?status={Order.Status.PENDING.value}",
            "webhooks_url": dashboard.stripe_dashboard_url("webhooks", summary.mode),
            "payments_url": dashboard.stripe_dashboard_url("payments", summary.mode),
        }
