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

Like Wagtail's ``FormMixin``, ``serve`` only dispatches to hooks a site may
override: ``get_form``, ``process_form_submission``, ``process_cancel`` and
``render_form`` on the checkout page; ``process_return``,
``render_landing_page`` and ``render_not_found`` on the result page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField

from . import checkout, pricing, ratelimits
from .cart import Cart, PricedCart
from .checkout import CheckoutError, ReturnResult
from .conf import app_settings
from .countries import country_name
from .models import ShopSettings

logger = logging.getLogger("wagtail_stripe_checkout.pages")

DETAILS_SESSION_KEY = "wagtail_stripe_checkout_details"


class CheckoutForm(forms.Form):
    """Email and name, and where and how to ship when the shop ships.

    Only a country code and a rate id come from the browser; the rates, their
    prices and the totals come from the shop settings."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We send your receipt here."),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter a valid email address."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    country = forms.ChoiceField(
        label=_("Ship to"),
        required=False,  # left out: the choice the page showed stands
        widget=forms.Select(attrs={"autocomplete": "shipping country", "data-wsc-shipping": ""}),
    )
    shipping_rate = forms.TypedChoiceField(
        label=_("Delivery"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect(attrs={"data-wsc-shipping": ""}),
    )

    def __init__(self, *args: Any, shipping: ShippingChoices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if shipping is None:  # nothing ships: no country, no rate
            del self.fields["country"], self.fields["shipping_rate"]
            return
        country, rate = self.fields["country"], self.fields["shipping_rate"]
        assert isinstance(country, forms.ChoiceField) and isinstance(rate, forms.ChoiceField)
        country.choices, country.initial = shipping.country_choices, shipping.chosen.country
        rate.choices, rate.initial = shipping.rate_choices, shipping.chosen.rate_id


@dataclass(frozen=True)
class ShippingChoices:
    """What the checkout form offers: the countries, the chosen country's rates."""

    chosen: pricing.ShippingQuote
    country_choices: list[tuple[str, str]]
    rate_choices: list[tuple[int, str]]

    @classmethod
    def for_cart(cls, request: HttpRequest, priced: PricedCart) -> ShippingChoices | None:
        chosen = priced.shipping
        if chosen is None:
            return None
        settings = ShopSettings.for_request(request)
        countries = sorted(
            ((code, country_name(code)) for code in settings.shipping_countries()),
            key=lambda choice: choice[1],
        )
        currency = priced.currency
        rates = [
            (quote.rate_id, _rate_label(quote, currency, priced.totals.subtotal))
            for quote in settings.shipping_quotes(chosen.country)
        ]
        return cls(chosen, countries, rates)

    @property
    def key(self) -> str:
        """What the page showed, to tell whether the shopper changed it since."""
        return f"{self.chosen.country}:{self.chosen.rate_id}"


def _rate_label(quote: pricing.ShippingQuote, currency: pricing.Currency, subtotal: int) -> str:
    free = quote.free_over is not None and subtotal >= quote.free_over
    price = (
        gettext("free")
        if free or not quote.amount
        else pricing.format_amount(quote.amount, currency)
    )
    return f"{quote.label}: {price}"


class CheckoutPageMixin(models.Model):
    """The page with the cart summary, the email field and "Proceed to payment"."""

    intro = RichTextField(_("introduction"), blank=True)
    button_label = models.CharField(
        _("button label"),
        max_length=60,
        blank=True,
        help_text=_('Leave empty for "Proceed to payment" in the shopper\'s language.'),
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

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and request.POST.get("update_shipping"):
            return self.process_shipping_choice(request)
        if request.method == "POST":
            form = self.get_form(request)
            if not form.is_valid():
                return self.render_form(request, form, status=400)
            return self.process_form_submission(request, form)
        if request.GET.get("cancelled"):
            return self.process_cancel(request, request.GET["cancelled"])
        return self.render_form(request, self.get_form(request))

    # Hooks ------------------------------------------------------------------
    def get_form(self, request: HttpRequest, *, bound: bool = True) -> forms.Form:
        """The form, bound to the POST data; its shipping choices from the cart.
        Unbound, it shows what the shopper typed last (back from Stripe)."""
        shipping = ShippingChoices.for_cart(request, Cart.for_request(request).price())
        if request.method == "POST" and bound:
            return self.form_class(request.POST, shipping=shipping)
        typed = request.POST if request.method == "POST" else {}
        kept = request.session.get(DETAILS_SESSION_KEY) or {}
        initial = {k: typed.get(k) or kept.get(k, "") for k in ("email", "name")}
        return self.form_class(initial=initial, shipping=shipping)

    def process_shipping_choice(self, request: HttpRequest) -> HttpResponse:
        """ "Update shipping": keep the country and rate, show the new totals, keep
        what was typed. Nothing goes to Stripe."""
        Cart.for_request(request).choose_shipping(
            request.POST.get("country"), request.POST.get("shipping_rate")
        )
        return self.render_form(request, self.get_form(request, bound=False))

    def _shipping_changed(self, request: HttpRequest, form: forms.Form) -> bool:
        """The shopper picked another country or rate than the page showed totals for."""
        country = form.cleaned_data.get("country")
        rate = form.cleaned_data.get("shipping_rate")
        if "country" not in form.fields or (not country and rate is None):
            return False
        quote = Cart.for_request(request).choose_shipping(country, rate)
        shown = request.POST.get("shown_shipping", "")
        return quote is not None and shown != f"{quote.country}:{quote.rate_id}"

    def process_form_submission(self, request: HttpRequest, form: forms.Form) -> HttpResponse:
        """Save the pending order, create its Checkout Session and send the shopper there."""
        # Kept in this browser's session: a cancel or a decline brings the shopper
        # back to a form that still holds them.
        request.session[DETAILS_SESSION_KEY] = {
            "email": form.cleaned_data["email"],
            "name": form.cleaned_data.get("name", ""),
        }
        if self._shipping_changed(request, form):
            notice = gettext("Delivery changed. Please check the total and press the button again.")
            return self.render_form(
                request, self.get_form(request, bound=False), checkout_error=notice
            )
        if ratelimits.limited(request, "checkout"):
            error = gettext(
                "You pressed the button many times in a short while. Please wait a minute "
                "and try again; your cart and details are kept."
            )
            response = self.render_form(request, form, status=429, checkout_error=error)
            response["Retry-After"] = str(ratelimits.retry_after("checkout"))
            return response
        result_page = self.result_page()
        if result_page is None:
            logger.error("checkout_page_without_result_page", extra={"page": self.pk})
            error = gettext("Checkout is not set up yet: it has no result page.")
            return self.render_form(request, form, checkout_error=error)
        try:
            started = checkout.start_checkout(
                request,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                success_url=result_page.get_url(request),
                cancel_url=self.get_url(request),  # type: ignore[attr-defined]
            )
        except CheckoutError as exc:
            return self.render_form(request, form, status=exc.status, checkout_error=exc.message)
        return HttpResponseRedirect(started.url, status=303)

    def process_cancel(self, request: HttpRequest, order_id: str) -> HttpResponse:
        """The shopper came back from Stripe with "cancel": the cart is kept."""
        if checkout.cancel_order(request, order_id) is not None:
            messages.info(request, gettext("Payment cancelled; your cart is saved."))
        return HttpResponseRedirect(self.get_url(request))  # type: ignore[attr-defined]

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(request, *args, **kwargs)  # type: ignore[misc]
        priced = Cart.for_request(request).price()
        if not kwargs.get("checkout_error"):  # a checkout error already lists what changed
            for notice in priced.notices:
                messages.warning(request, notice)
        form = kwargs.get("form") or self.get_form(request)
        shipping = ShippingChoices.for_cart(request, priced)
        context.update(
            cart=priced,
            form=form,
            shown_shipping=shipping.key if shipping else "",
            stripe_test_mode=app_settings.is_test_mode,
            base_template=app_settings.BASE_TEMPLATE,
            checkout_error=kwargs.get("checkout_error"),
        )
        return context

    def render_form(
        self, request: HttpRequest, form: forms.Form, status: int = 200, **kwargs: Any
    ) -> HttpResponse:
        response = TemplateResponse(
            request,
            self.get_template(request),  # type: ignore[attr-defined]
            self.get_context(request, form=form, **kwargs),
            status=status,
        )
        add_never_cache_headers(response)  # the shopper's cart and details
        return response


class CheckoutResultPageMixin(models.Model):
    """Where Stripe sends the shopper back: the confirmation."""

    thank_you = RichTextField(_("thank-you message"), blank=True)

    content_panels = [FieldPanel("thank_you")]
    template = "wagtail_stripe_checkout/pages/checkout_result_page.html"
    not_found_template = "wagtail_stripe_checkout/pages/order_not_found.html"

    class Meta:
        abstract = True

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        result = self.process_return(request, request.GET.get("session_id", ""))
        if result.order is None:
            return self.render_not_found(request)
        return self.render_landing_page(request, result)

    # Hooks ------------------------------------------------------------------
    def process_return(self, request: HttpRequest, session_id: str) -> ReturnResult:
        """Confirm the payment with Stripe and fulfil the order (once). Asking
        Stripe counts against the ``result`` rate limit."""
        return checkout.confirm_return(
            request, session_id, may_ask_stripe=lambda: not ratelimits.limited(request, "result")
        )

    def render_landing_page(self, request: HttpRequest, result: ReturnResult) -> HttpResponse:
        context = self.get_context(request)  # type: ignore[attr-defined]
        context.update(
            result=result,
            order=result.order,
            owner=result.owner,
            session=result.session,
            state=result.state,
            stripe_test_mode=app_settings.is_test_mode,
            base_template=app_settings.BASE_TEMPLATE,
        )
        response = TemplateResponse(
            request,
            self.get_template(request),  # type: ignore[attr-defined]
            context,
            status=result.status_code,
        )
        add_never_cache_headers(response)  # the owner sees their order
        if result.state == "busy":
            response["Retry-After"] = str(ratelimits.retry_after("result"))
        return response

    def render_not_found(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(
            request,
            self.not_found_template,
            {"page": self, "self": self, "base_template": app_settings.BASE_TEMPLATE},
            status=404,
        )
