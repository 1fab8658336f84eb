"""The orders admin: a read-only viewset with an inspect page and a refund action."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy

from . import pricing
from .fulfilment import RefundError, request_refund
from .models import Order
from .services import StripeServiceError

REFUND_PERMISSION = "wagtail_stripe_checkout.refund_order"


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
    def get_value(self, instance: Any) -> str:
        value = instance.total_display
        if instance.refunded_amount and instance.status == Order.Status.PAID:
            value += " " + _("(%(amount)s refunded)") % {
                "amount": instance.display(instance.refunded_amount)
            }
        return value


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount to refund"), min_value=Decimal(0))

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        currency = order.currency_info
        self.fields["amount"].help_text = _("At most %(max)s.") % {
            "max": order.display(order.refundable_amount)
        }
        self.fields["amount"].initial = pricing.from_minor(order.refundable_amount, currency)

    def clean_amount(self) -> int:
        value = self.cleaned_data["amount"]
        try:
            minor = pricing.to_minor(value, self.order.currency_info)
        except (pricing.PricingError, InvalidOperation) as exc:
            raise forms.ValidationError(str(exc)) from exc
        if minor <= 0:
            raise forms.ValidationError(_("Enter an amount greater than zero."))
        if minor > self.order.refundable_amount:
            raise forms.ValidationError(
                _("At most %(max)s can be refunded.")
                % {"max": self.order.display(self.order.refundable_amount)}
            )
        return minor


def can_refund(user: Any) -> bool:
    return bool(user.has_perm(REFUND_PERMISSION))


def refund_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_refund(request.user):
        raise PermissionDenied
    order = get_object_or_404(Order, pk=pk)
    inspect_url = reverse("wagtail_stripe_checkout_orders:inspect", args=[order.pk])
    if order.refundable_amount <= 0 or not order.stripe_payment_intent_id:
        messages.error(
            request, _("Order %(number)s has nothing left to refund.") % {"number": order.reference}
        )
        return redirect(inspect_url)
    form = RefundForm(request.POST or None, order=order)
    if request.method == "POST" and form.is_valid():
        _refund(request, order, form.cleaned_data["amount"])
        return redirect(inspect_url)
    return TemplateResponse(
        request,
        "wagtail_stripe_checkout/admin/refund.html",
        {
            "order": order,
            "form": form,
            "inspect_url": inspect_url,
            "page_title": _("Refund %(number)s") % {"number": order.reference},
        },
    )


def _refund(request: HttpRequest, order: Order, amount: int) -> None:
    try:
        refund = request_refund(order, amount, request.user)
    except (RefundError, StripeServiceError) as exc:
        reason = (
            str(exc)
            if isinstance(exc, RefundError)
            else exc.log_details.get("code") or exc.__class__.__name__
        )
        messages.error(
            request,
            _("Stripe did not refund order %(number)s: %(reason)s")
            % {"number": order.reference, "reason": reason},
        )
        return
    messages.success(
        request,
        _(
            "Refund of %(amount)s for order %(number)s sent to Stripe (%(status)s). "
            "The order's status changes when Stripe confirms it."
        )
        % {"amount": order.display(amount), "number": order.reference, "status": refund.status},
    )


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
            primary=lambda o: o.status == "paid",
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
        "status",
        "email",
        "name",
        "currency",
        "subtotal_amount",
        "tax_amount",
        "shipping_amount",
        "total_amount",
        "refunded_total_amount",
        "stripe_session_id",
        "stripe_payment_intent_id",
    ]
    export_headings = {
        "reference": "Order",
        "subtotal_amount": "Subtotal",
        "tax_amount": "Tax",
        "shipping_amount": "Shipping",
        "total_amount": "Total",
        "refunded_total_amount": "Refunded",
    }
    export_filename = "orders"
    inspect_template_name = "wagtail_stripe_checkout/admin/order_inspect.html"

    class InspectView(ModelViewSet.inspect_view_class):
        def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
            context: dict[str, Any] = super().get_context_data(**kwargs)
            order = self.object
            context.update(
                order=order,
                lines=list(order.lines.all()),
                events=list(order.events.all()[:50]),
                can_refund=can_refund(self.request.user) and order.refundable_amount > 0,
                refund_url=reverse("wagtail_stripe_checkout_orders:refund", args=[order.pk]),
            )
            return context

        @property
        def header_buttons(self) -> list[Any]:
            buttons = list(super().header_buttons)
            if can_refund(self.request.user) and self.object.refundable_amount > 0:
                buttons.append(
                    HeaderButton(
                        _("Refund"),
                        url=reverse("wagtail_stripe_checkout_orders:refund", args=[self.object.pk]),
                        icon_name="undo",
                    )
                )
            return buttons

    inspect_view_class = InspectView

    def get_urlpatterns(self) -> list[Any]:
        return [*super().get_urlpatterns(), path("refund/<int:pk>/", refund_view, name="refund")]

    inspect_view_fields = [
        "reference",
        "status",
        "created_at",
        "paid_at",
        "email",
        "name",
        "stripe_session_id",
        "stripe_payment_intent_id",
    ]
