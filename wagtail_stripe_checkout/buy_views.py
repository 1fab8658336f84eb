"""The buy link (``/shop/buy/<slug>/``) and the staff-only QR codes of buy links.

A GET changes nothing unless a person started it: link previews, mail
scanners and prefetching browsers fetch links too. A GET that the browser marks
as a navigation the user started (Fetch Metadata: ``Sec-Fetch-User: ?1``,
``Sec-Fetch-Mode: navigate``, no ``Sec-Purpose: prefetch``) puts the item in
the cart at once, as Stripe's Payment Links do; any other GET shows a small
page with the item and a button that POSTs (with Django's CSRF token) to the
same address. See docs/buy-links.md.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from wagtail.admin.auth import require_admin_access
from wagtail.permission_policies import ModelPermissionPolicy

from . import buylinks, qrcodes, ratelimits
from .buylinks import BuyLink, NotAvailable
from .cart import CartError
from .checkout import CheckoutError
from .conf import app_settings
from .error_pages import render_error, too_many_requests
from .models import Product
from .page_mixins import DETAILS_SESSION_KEY
from .panels import VARIANT_PARAM, absolute_url, buy_path
from .shortcuts import checkout_page, checkout_url, shop_money

CONFIRM_TEMPLATE = "wagtail_stripe_checkout/buy/confirm.html"


def started_by_person(request: HttpRequest) -> bool:
    """A top-level navigation the user started (a click, a scan opened in the
    browser), not a preview, a scanner or a prefetch."""
    headers = request.headers
    purpose = " ".join(
        headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Moz", "X-Purpose")
    )
    if "prefetch" in purpose.lower() or "preview" in purpose.lower():
        return False
    return (
        headers.get("Sec-Fetch-User") == "?1"
        and headers.get("Sec-Fetch-Mode") == "navigate"
        and headers.get("Sec-Fetch-Dest", "document") == "document"
    )


@require_http_methods(["GET", "HEAD", "POST"])
def buy(request: HttpRequest, slug: str) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    try:
        link = buylinks.read(slug, params)
    except NotAvailable as exc:
        return render_error(request, 404, exc.message)
    except CartError as exc:
        product = buylinks.find_product(slug)  # found just before the quantity
        fallback = BuyLink(product, buylinks.find_variant(product, params.get(VARIANT_PARAM)), 1)
        return confirm(request, fallback, error=exc.message, status=400)
    acts = request.method == "POST" or (request.method == "GET" and started_by_person(request))
    if not acts or (link.needs_variant and request.method != "POST"):
        return confirm(request, link)  # a POST without a choice gets the cart's message
    if ratelimits.limited(request, "cart"):
        return too_many_requests(request, ratelimits.retry_after("cart"))
    try:
        added = buylinks.put_in_cart(request, link)
    except CartError as exc:
        return confirm(request, link, error=exc.message, status=409)
    for notice in added.notices:
        messages.warning(request, notice)
    messages.success(request, added.message)
    if link.to_stripe:
        return _to_stripe(request)
    return HttpResponseRedirect(checkout_url(request) or buy_path_fallback())


def buy_path_fallback() -> str:
    """The cart page, while the site has no checkout page."""
    return reverse("wagtail_stripe_checkout:cart")


def _to_stripe(request: HttpRequest) -> HttpResponse:
    """Straight to Stripe when checkout has nothing to ask; else the checkout page."""
    page = checkout_page(request)
    result = page.result_page() if page is not None else None
    details = request.session.get(DETAILS_SESSION_KEY) or {}
    if page is None or result is None or not buylinks.ready_to_pay(request, details):
        return HttpResponseRedirect(checkout_url(request) or buy_path_fallback())
    if ratelimits.limited(request, "checkout"):
        return too_many_requests(request, ratelimits.retry_after("checkout"))
    try:
        url = buylinks.pay_now(
            request,
            details,
            success_url=result.get_url(request),
            cancel_url=page.get_url(request),
        )
    except CheckoutError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(page.get_url(request))
    return HttpResponseRedirect(url, status=303)


def confirm(
    request: HttpRequest, link: BuyLink, *, error: str = "", status: int = 200
) -> HttpResponse:
    """The item, its price and a button: what a GET shows when no person started it."""
    currency, money = shop_money(request)
    amount = buylinks.unit_amount(link, currency)
    variants = buylinks.variants_on_sale(link.product)
    context: dict[str, Any] = {
        "link": link,
        "product": link.product,
        "variants": variants,
        "price": money(amount) if amount is not None else "",
        "action": buy_path(link.product.slug),
        "error": error,
        "max_quantity": min(
            link.product.limit_per_order(app_settings.MAX_QUANTITY), app_settings.MAX_QUANTITY
        ),
        "base_template": app_settings.BASE_TEMPLATE,
        "button_label": _("Pay now") if link.to_stripe else _("Add to cart and check out"),
    }
    response = TemplateResponse(request, CONFIRM_TEMPLATE, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


# The QR codes, for staff --------------------------------------------------------


def _qr_link(request: HttpRequest, product_id: int) -> tuple[Product, str]:
    if not ModelPermissionPolicy(Product).user_has_any_permission(request.user, ["change", "view"]):
        raise PermissionDenied
    product = get_object_or_404(Product, pk=product_id)
    variant_sku = request.GET.get("variant") or None
    if variant_sku and not product.variants.filter(sku=variant_sku).exists():
        raise Http404
    try:
        quantity = int(request.GET.get("quantity") or 1)
    except ValueError:
        quantity = 1
    path = buy_path(
        product.slug,
        variant=variant_sku,
        quantity=max(1, min(quantity, app_settings.MAX_QUANTITY)),
        to_stripe=request.GET.get("to") == "stripe",
    )
    return product, absolute_url(request, path)


def _qr_response(
    request: HttpRequest, product: Product, body: bytes | str, kind: str
) -> HttpResponse:
    content_type = {"svg": "image/svg+xml", "png": "image/png"}[kind]
    response = HttpResponse(body, content_type=content_type)
    if request.GET.get("download"):
        variant = request.GET.get("variant")
        name = f"{product.slug}-{variant}" if variant else product.slug
        response["Content-Disposition"] = f'attachment; filename="buy-{name}.{kind}"'
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


@require_GET
@require_admin_access
def qr_svg(request: HttpRequest, product_id: int) -> HttpResponse:
    product, link = _qr_link(request, product_id)
    title = _("QR code of %(link)s") % {"link": link}
    return _qr_response(request, product, qrcodes.svg(link, scale=8, title=title), "svg")


@require_GET
@require_admin_access
def qr_png(request: HttpRequest, product_id: int) -> HttpResponse:
    product, link = _qr_link(request, product_id)
    return _qr_response(request, product, qrcodes.png(link), "png")
