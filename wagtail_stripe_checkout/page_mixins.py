"""Abstract checkout page behaviour, for any base page model.

Wagtail 8 lets a site swap its base page model, and a reusable app cannot
subclass a page model it does not know. So the behaviour lives in these
abstract mixins; ``wagtail_stripe_checkout.contrib.pages`` combines them with
``wagtail.models.Page`` into ready-to-use page types, and a site with its own
base page writes::

    class CheckoutPage(CheckoutPageMixin, BasePage):
        template = CheckoutPageMixin.template  # Wagtail sets a per-model default
        subpage_types = ["shop.CheckoutResultPage"]

    class CheckoutResultPage(CheckoutResultPageMixin, BasePage):
        template = CheckoutResultPageMixin.template
        parent_page_types = ["shop.CheckoutPage"]
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField

from .cart import Cart
from .conf import app_settings

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger("wagtail_stripe_checkout.pages")

SESSION_ID_RE = re.compile(r"^cs_(test|live)_[A-Za-z0-9]{10,250}$")


class CheckoutForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We send your receipt here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class CheckoutPageMixin(models.Model):
    """The page with the cart summary, the email field and "Proceed to payment"."""

    intro = RichTextField(_("introduction"), blank=True)
    button_label = models.CharField(
        _("button label"), max_length=60, default=_("Proceed to payment")
    )

    content_panels = [FieldPanel("intro"), FieldPanel("button_label")]
    template = "wagtail_stripe_checkout/pages/checkout_page.html"
    form_class = CheckoutForm

    class Meta:
        abstract = True

    def result_page(self) -> Any:
        for child in self.get_children().live().specific():  # type: ignore[attr-defined]
            if isinstance(child, CheckoutResultPageMixin):
                return child
        return None

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(request, *args, **kwargs)  # type: ignore[misc]
        priced = Cart(request).price()
        for notice in priced.notices:
            messages.warning(request, notice)
        context.update(
            cart=priced,
            form=kwargs.get("form") or self.form_class(),
            stripe_test_mode=app_settings.is_test_mode,
            base_template=app_settings.BASE_TEMPLATE,
            checkout_error=kwargs.get("checkout_error"),
            cancelled_order=kwargs.get("cancelled_order"),
        )
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from .checkout import CheckoutError, cancel_order, start_checkout
        from .models import ShopSettings

        if request.method == "POST":
            form = self.form_class(request.POST)
            if not form.is_valid():
                return self._render(request, form=form, status=400)
            result_page = self.result_page()
            if result_page is None:
                logger.error("checkout_page_without_result_page", extra={"page": self.pk})
                return self._render(
                    request,
                    form=form,
                    checkout_error=gettext("Checkout is not set up yet: it has no result page."),
                )
            try:
                started = start_checkout(
                    request,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                    success_url=result_page.get_url(request),
                    cancel_url=self.get_url(request),  # type: ignore[attr-defined]
                    countries=ShopSettings.for_request(request).countries,
                )
            except CheckoutError as exc:
                return self._render(request, form=form, checkout_error=exc.message)
            return HttpResponseRedirect(started.url, status=303)

        cancelled = request.GET.get("cancelled")
        if cancelled:
            order = cancel_order(request, cancelled)
            if order is not None:
                messages.info(request, gettext("Payment cancelled; your cart is saved."))
            return HttpResponseRedirect(self.get_url(request))  # type: ignore[attr-defined]
        return self._render(request, form=self.form_class())

    def _render(self, request: HttpRequest, status: int = 200, **kwargs: Any) -> HttpResponse:
        return TemplateResponse(
            request,
            self.get_template(request),  # type: ignore[attr-defined]
            self.get_context(request, **kwargs),
            status=status,
        )


class CheckoutResultPageMixin(models.Model):
    """Where Stripe sends the shopper back: the confirmation."""

    thank_you = RichTextField(_("thank-you message"), blank=True)

    content_panels = [FieldPanel("thank_you")]
    template = "wagtail_stripe_checkout/pages/checkout_result_page.html"

    class Meta:
        abstract = True

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from .checkout import placed_by
        from .fulfilment import fulfil
        from .models import Order
        from .services import NotFound, StripeServiceError, get_gateway

        session_id = request.GET.get("session_id", "")
        order = None
        if SESSION_ID_RE.match(session_id):
            order = Order.objects.filter(stripe_session_id=session_id).first()
        if order is None:
            return self._not_found(request)
        try:
            session = get_gateway().retrieve_checkout_session(session_id)
        except NotFound:
            return self._not_found(request)
        except StripeServiceError as exc:
            logger.error(
                "result_page_retrieve_failed",
                extra={"order": order.reference, "stripe": exc.log_details},
            )
            return self._render(
                request,
                order=order,
                owner=placed_by(request, order),
                session=None,
                state="unknown",
                status=503,
            )
        if session.is_paid:
            fulfil(session_id, session=session)
            order.refresh_from_db()
        owner = placed_by(request, order)
        if owner and order.status == Order.Status.PAID:
            Cart(request).clear()
        if session.is_paid:
            state = "paid"
        elif session.status == "complete":
            state = "processing"  # a payment method that settles later
        elif session.status == "expired":
            state = "expired"
        else:
            state = "open"
        logger.info(
            "result_page_viewed", extra={"order": order.reference, "state": state, "owner": owner}
        )
        return self._render(request, order=order, owner=owner, session=session, state=state)

    def _not_found(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(
            request,
            "wagtail_stripe_checkout/pages/order_not_found.html",
            {"page": self, "self": self, "base_template": app_settings.BASE_TEMPLATE},
            status=404,
        )

    def _render(self, request: HttpRequest, status: int = 200, **kwargs: Any) -> HttpResponse:
        context = self.get_context(request)  # type: ignore[attr-defined]
        context.update(kwargs)
        context["stripe_test_mode"] = app_settings.is_test_mode
        context["base_template"] = app_settings.BASE_TEMPLATE
        return TemplateResponse(
            request,
            self.get_template(request),  # type: ignore[attr-defined]
            context,
            status=status,
        )
