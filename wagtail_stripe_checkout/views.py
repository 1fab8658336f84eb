"""Thin views: parse ids and quantities, call the cart, render or redirect."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import ratelimits, webhooks
from .cart import Cart, CartError, PricedCart, parse_quantity
from .conf import app_settings
from .error_pages import too_many_requests
from .services import InvalidSignature, MalformedEvent, verify_webhook
from .shortcuts import checkout_url, priced_cart

logger = logging.getLogger("wagtail_stripe_checkout.webhooks")


def safe_next_url(request: HttpRequest, fallback: str | None = None) -> str:
    """The ``next`` parameter when it points at this site; otherwise the cart page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback or reverse("wagtail_stripe_checkout:cart")


View = Callable[..., HttpResponse]


def rate_limited(group: str, *, as_json: bool = False) -> Callable[[View], View]:
    """Answer 429 (a page, or JSON for the API) once a client address is over
    the group's rate (``WAGTAIL_STRIPE_CHECKOUT_RATE_LIMITS``)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def limited_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST" and ratelimits.limited(request, group):
                wait = ratelimits.retry_after(group)
                if as_json:
                    return _too_many_json(request, wait)
                return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return limited_view

    return decorate


def _too_many_json(request: HttpRequest, wait: int) -> JsonResponse:
    message = _("Too many requests. Please wait a minute and try again; your cart is saved.")
    response = _cart_json(request, status=429, error={"message": message, "field": None})
    response["Retry-After"] = str(wait)
    return response


def cart_context(request: HttpRequest, priced: PricedCart) -> dict[str, Any]:
    return {
        "cart": priced,
        "checkout_url": checkout_url(request),
        "base_template": app_settings.BASE_TEMPLATE,
        "cart_image_spec": app_settings.CART_IMAGE_RENDITION,
        "stripe_test_mode": app_settings.is_test_mode,
    }


def _announce(request: HttpRequest, priced: PricedCart) -> None:
    for notice in priced.notices:
        messages.warning(request, notice)


@require_GET
@never_cache
def cart_detail(request: HttpRequest) -> HttpResponse:
    priced = priced_cart(request, repair=True)
    _announce(request, priced)
    return render(
        request, "wagtail_stripe_checkout/cart/cart_page.html", cart_context(request, priced)
    )


def apply_cart_action(request: HttpRequest, action: str, data: Any) -> str:
    """Change the cart as ``action`` says (only ids and quantities are read); the
    message for the shopper. Raises :class:`CartError` with the refusal."""
    cart = Cart.for_request(request)
    variant = data.get("variant")  # a product's variant: optional, an id like the product
    if action == "add":
        line, _total = cart.add(data.get("product"), data.get("quantity", 1), variant)
        added = parse_quantity(data.get("quantity", 1))  # already accepted by add()
        return _("Added %(quantity)s × %(name)s to your cart.") % {
            "quantity": added,
            "name": line.display_name,
        }
    if action == "update":
        changed, quantity = cart.set_quantity(data.get("product"), data.get("quantity"), variant)
        if quantity:
            return _("Updated %(name)s.") % {"name": getattr(changed, "display_name", "")}
        return _removed(changed)
    if action == "remove":
        return _removed(cart.remove(data.get("product"), variant))
    cart.clear()
    return _("Your cart is empty.")


def _removed(line: Any) -> str:
    if line is None:
        return _("Removed from your cart.")
    return _("Removed %(name)s from your cart.") % {"name": line.display_name}


def _form_action(action: str) -> View:
    """The cart's HTML forms: a message, then back where the shopper was."""

    @require_POST
    @rate_limited("cart")
    def view(request: HttpRequest) -> HttpResponse:
        try:
            messages.success(request, apply_cart_action(request, action, request.POST))
        except CartError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(safe_next_url(request))
        if action == "add" and request.POST.get("then") == "checkout":
            fallback = reverse("wagtail_stripe_checkout:cart")
            return HttpResponseRedirect(checkout_url(request) or fallback)
        return HttpResponseRedirect(safe_next_url(request))

    view.__name__ = f"cart_{action}"
    return view


cart_add = _form_action("add")
cart_update = _form_action("update")
cart_remove = _form_action("remove")
cart_clear = _form_action("clear")


# JSON endpoints: the same rules, for JavaScript and headless front-ends. -------


def _payload(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise CartError(_("The request body is not valid JSON."), field="body") from None
        if not isinstance(data, dict):
            raise CartError(_("The request body must be a JSON object."), field="body")
        return data
    return request.POST.dict()


def _cart_json(request: HttpRequest, status: int = 200, **extra: Any) -> JsonResponse:
    priced = priced_cart(request, repair=True)
    response = JsonResponse({"cart": priced.as_dict(), **extra}, status=status)
    add_never_cache_headers(response)  # a shopper's cart: never in a shared cache
    return response


def _error_json(request: HttpRequest, exc: CartError) -> JsonResponse:
    return _cart_json(request, status=400, error={"message": exc.message, "field": exc.field})


@require_GET
def api_cart(request: HttpRequest) -> JsonResponse:
    return _cart_json(request)


def _api_action(action: str) -> Any:
    @require_POST
    @rate_limited("cart", as_json=True)
    def view(request: HttpRequest) -> JsonResponse:
        try:
            message = apply_cart_action(request, action, _payload(request))
        except CartError as exc:
            return _error_json(request, exc)
        return _cart_json(request, message=message)

    view.__name__ = f"api_cart_{action}"
    return view


api_cart_add = _api_action("add")
api_cart_update = _api_action("update")
api_cart_remove = _api_action("remove")
api_cart_clear = _api_action("clear")


# Stripe webhooks -----------------------------------------------------------


@csrf_exempt  # Stripe cannot send a CSRF token; the signature check replaces it.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the ``Stripe-Signature`` on the raw body, then record and handle the event.

    200 for an event handled or ignored (and for a repeat); 400 with a JSON
    error for a body Stripe did not sign (or signed too long ago, or for the
    future) and for anything that is not a well-formed event, writing nothing;
    500 when handling failed (rolled back, so Stripe retries)."""
    try:
        event = verify_webhook(
            request.body, request.headers.get("Stripe-Signature"), app_settings.WEBHOOK_SECRETS
        )
    except InvalidSignature as exc:
        logger.warning("webhook_rejected", extra={"reason": str(exc)})
        return JsonResponse({"error": "invalid signature"}, status=400)
    except MalformedEvent as exc:
        logger.warning("webhook_malformed", extra={"reason": str(exc)})
        return JsonResponse({"error": "not a well-formed event"}, status=400)
    result = webhooks.handle(event)
    if result.malformed:
        return JsonResponse({"error": "not a well-formed event"}, status=400)
    if result.failed:
        return JsonResponse({"received": False}, status=500)
    if result.duplicate:
        return JsonResponse({"received": True, "duplicate": True})
    return JsonResponse({"received": True})
