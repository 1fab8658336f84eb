"""What staff do to an order in the admin: refund it, mark it shipped, add a
note, send the confirmation email again, resend and extend download links.

Each action has its own permission (``refund_order``, ``fulfil_order``), a page
with Wagtail's header and breadcrumbs and a confirmation step, and goes
through :mod:`.fulfilment`, which writes the order's history.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.generic.edit import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import downloads, pricing, tasks
from .conf import app_settings
from .fulfilment import RefundError, add_note, mark_shipped, request_refund
from .history import log_action
from .models import Order
from .services import StripeServiceError

REFUND_PERMISSION = "wagtail_stripe_checkout.refund_order"
FULFIL_PERMISSION = "wagtail_stripe_checkout.fulfil_order"


def can_refund(user: Any) -> bool:
    return bool(user.has_perm(REFUND_PERMISSION))


def can_fulfil(user: Any) -> bool:
    return bool(user.has_perm(FULFIL_PERMISSION))


def inspect_url(order: Order) -> str:
    return reverse("wagtail_stripe_checkout_orders:inspect", args=[order.pk])


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount to refund"), min_value=Decimal(0))

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        currency = order.currency_info
        field = self.fields["amount"]
        field.help_text = _("At most %(max)s: what Stripe charged, less what was refunded.") % {
            "max": order.display(order.refundable_amount)
        }
        # The currency's own decimals: 18.50 in USD, 500 in JPY, 1.230 in KWD.
        field.initial = pricing.from_minor(order.refundable_amount, currency)
        field.widget = forms.NumberInput(attrs={"step": f"{Decimal(1).scaleb(-currency.exponent)}"})

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


class ShipForm(forms.Form):
    carrier = forms.CharField(label=gettext_lazy("Carrier"), max_length=100, required=False)
    tracking_number = forms.CharField(
        label=gettext_lazy("Tracking number"), max_length=100, required=False
    )
    tracking_url = forms.URLField(
        label=gettext_lazy("Tracking link"),
        max_length=2000,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("The shopper's email links to it."),
    )

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class ConfirmForm(forms.Form):
    """Nothing to fill in: the page asks, the button confirms."""

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class OrderActionView(WagtailAdminTemplateMixin, FormView):
    """A page about one order with a form, behind a permission."""

    template_name = "wagtail_stripe_checkout/admin/order_action.html"
    permission = ""
    order: Order

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        self.order = get_object_or_404(Order, pk=kwargs["pk"])
        refused = self.refusal()
        if refused:
            messages.error(request, refused)
            return HttpResponseRedirect(inspect_url(self.order))
        return super().dispatch(request, *args, **kwargs)

    def refusal(self) -> str:
        return ""

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "order": self.order}

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtail_stripe_checkout_orders:index"), "label": _("Orders")},
            {"url": inspect_url(self.order), "label": self.order.reference},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(order=self.order, inspect_url=inspect_url(self.order))
        return context

    def get_success_url(self) -> str:
        return inspect_url(self.order)


class RefundView(OrderActionView):
    permission = REFUND_PERMISSION
    form_class = RefundForm
    header_icon = "undo"
    submit_label = gettext_lazy("Yes, refund")

    def get_page_title(self) -> str:
        return _("Refund %(number)s") % {"number": self.order.reference}

    def refusal(self) -> str:
        if self.order.refundable_amount > 0 and self.order.stripe_payment_intent_id:
            return ""
        return _("Order %(number)s has nothing left to refund.") % {"number": self.order.reference}

    def form_valid(self, form: RefundForm) -> HttpResponse:
        amount = form.cleaned_data["amount"]
        try:
            refund = request_refund(self.order, amount, self.request.user)
        except (RefundError, StripeServiceError) as exc:
            messages.error(
                self.request,
                _("Stripe did not refund order %(number)s: %(reason)s")
                % {"number": self.order.reference, "reason": _refusal_reason(exc)},
            )
            return HttpResponseRedirect(self.get_success_url())
        messages.success(
            self.request,
            _(
                "Refund of %(amount)s for order %(number)s sent to Stripe (%(status)s). "
                "The order's status changes when Stripe confirms it."
            )
            % {
                "amount": self.order.display(amount),
                "number": self.order.reference,
                "status": refund.status,
            },
        )
        return HttpResponseRedirect(self.get_success_url())


def _refusal_reason(exc: Exception) -> str:
    """Stripe's own message (for staff), or what the service layer knows."""
    if isinstance(exc, StripeServiceError):
        return exc.stripe_message or str(exc.log_details.get("code") or type(exc).__name__)
    return str(exc)


class ShipView(OrderActionView):
    permission = FULFIL_PERMISSION
    form_class = ShipForm
    header_icon = "mail"
    submit_label = gettext_lazy("Mark shipped and email the shopper")

    def get_page_title(self) -> str:
        return _("Ship %(number)s") % {"number": self.order.reference}

    def refusal(self) -> str:
        if self.order.can_ship:
            return ""
        if self.order.is_paid and not self.order.has_shipped_lines:
            return _("Order %(number)s has nothing to ship: its goods are downloads.") % {
                "number": self.order.reference
            }
        return _("Order %(number)s cannot be marked shipped (it is %(status)s).") % {
            "number": self.order.reference,
            "status": self.order.get_status_display(),
        }

    def form_valid(self, form: ShipForm) -> HttpResponse:
        change = mark_shipped(self.order, user=self.request.user, **form.cleaned_data)
        if change.applied:
            messages.success(
                self.request,
                _("Order %(number)s is shipped; the shopper gets an email.")
                % {"number": self.order.reference},
            )
        return HttpResponseRedirect(self.get_success_url())


class ResendConfirmationView(OrderActionView):
    """Send the shopper's confirmation again (it failed, or went to spam), as a
    task like the first one; its history shows when it has gone."""

    permission = FULFIL_PERMISSION
    form_class = ConfirmForm
    header_icon = "mail"
    submit_label = gettext_lazy("Yes, send it again")
    description = gettext_lazy(
        "The order confirmation goes again to the email address of the order. "
        "The order's history shows when it has been sent."
    )

    def get_page_title(self) -> str:
        return _("Resend the confirmation of %(number)s") % {"number": self.order.reference}

    def refusal(self) -> str:
        if self.order.is_paid:
            return ""
        return _("Order %(number)s is not paid: it has no confirmation to send.") % {
            "number": self.order.reference
        }

    def form_valid(self, form: ConfirmForm) -> HttpResponse:
        log_action(self.order, "email_requested", {"kind": "confirmation"}, self.request.user)
        tasks.enqueue_emails(self.order, ["confirmation"])
        messages.success(
            self.request,
            _("The confirmation of order %(number)s is being sent again.")
            % {"number": self.order.reference},
        )
        return HttpResponseRedirect(self.get_success_url())


class ExtendDownloadsForm(forms.Form):
    hours = forms.IntegerField(
        label=gettext_lazy("Hours from now"),
        min_value=1,
        max_value=24 * 366,
        help_text=gettext_lazy("The links work until then; the count of downloads stays."),
    )
    reset_counts = forms.BooleanField(
        label=gettext_lazy("Also give back every download"),
        required=False,
    )

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hours"].initial = app_settings.DOWNLOAD_EXPIRY_HOURS


class DownloadsActionView(OrderActionView):
    """An action on the download links of a paid order."""

    permission = FULFIL_PERMISSION
    header_icon = "download"

    def refusal(self) -> str:
        if self.order.is_paid and self.order.downloads.filter(revoked_at__isnull=True).exists():
            return ""
        return _("Order %(number)s has no download links that can be used.") % {
            "number": self.order.reference
        }


class ResendDownloadsView(DownloadsActionView):
    """Email the shopper the order's download links again, as a task."""

    form_class = ConfirmForm
    submit_label = gettext_lazy("Yes, send the links")
    description = gettext_lazy(
        "The download links go again to the email address of the order, with the "
        "downloads each has left. The order's history shows when it has been sent."
    )

    def get_page_title(self) -> str:
        return _("Resend the download links of %(number)s") % {"number": self.order.reference}

    def form_valid(self, form: ConfirmForm) -> HttpResponse:
        log_action(self.order, "email_requested", {"kind": "download_links"}, self.request.user)
        tasks.enqueue_emails(self.order, ["download_links"])
        messages.success(
            self.request,
            _("The download links of order %(number)s are being sent again.")
            % {"number": self.order.reference},
        )
        return HttpResponseRedirect(self.get_success_url())


class ExtendDownloadsView(DownloadsActionView):
    """Give the order's links a new expiry (and, if asked, their downloads back)."""

    form_class = ExtendDownloadsForm
    submit_label = gettext_lazy("Extend the links")
    description = gettext_lazy(
        "Every link of the order that was not revoked works again until the time you set."
    )

    def get_page_title(self) -> str:
        return _("Extend the download links of %(number)s") % {"number": self.order.reference}

    def form_valid(self, form: ExtendDownloadsForm) -> HttpResponse:
        count = downloads.extend(
            self.order,
            form.cleaned_data["hours"],
            reset_counts=form.cleaned_data["reset_counts"],
            user=self.request.user,
        )
        message = ngettext(
            "%(count)s download link of order %(number)s extended.",
            "%(count)s download links of order %(number)s extended.",
            count,
        )
        messages.success(self.request, message % {"count": count, "number": self.order.reference})
        return HttpResponseRedirect(self.get_success_url())


@require_POST
def note_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A staff note in the order's history (from the order's page)."""
    if not can_fulfil(request.user):
        raise PermissionDenied
    order = get_object_or_404(Order, pk=pk)
    text = request.POST.get("text", "").strip()
    if text:
        add_note(order, text, request.user)
        messages.success(
            request, _("Note added to order %(number)s.") % {"number": order.reference}
        )
    else:
        messages.error(request, _("Write the note first."))
    return HttpResponseRedirect(inspect_url(order))
