"""A product's buy links: their addresses, and the "Buy link" panel of the
product's edit page in the Wagtail admin (the link to copy, its QR code and the
downloads, and a link for each variant).

This module sits below the models (``Product.panels`` names the panel), so it
imports nothing of the package but :mod:`.qrcodes` and reads the product only
through the instance Wagtail binds to the panel.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from wagtail.admin.panels import Panel
from wagtail.models import Site

from . import qrcodes

# The query parameters of a buy link (docs/buy-links.md). Only these are read.
VARIANT_PARAM = "variant"  # the variant's SKU (or its id)
QUANTITY_PARAM = "quantity"  # a whole number, 1 when left out
TO_PARAM = "to"  # "stripe": straight to payment
TO_STRIPE = "stripe"


def buy_path(
    slug: str,
    *,
    variant: str | None = None,
    quantity: int | None = None,
    to_stripe: bool = False,
) -> str:
    """``/shop/buy/<slug>/?variant=<sku>&quantity=<n>&to=stripe``, leaving out
    what is not set (quantity 1 is the default and is left out too)."""
    path = reverse("wagtail_stripe_checkout:buy", kwargs={"slug": slug})
    query: dict[str, str] = {}
    if variant:
        query[VARIANT_PARAM] = variant
    if quantity is not None and quantity != 1:
        query[QUANTITY_PARAM] = str(quantity)
    if to_stripe:
        query[TO_PARAM] = TO_STRIPE
    return f"{path}?{urlencode(query)}" if query else path


def absolute_url(request: Any, path: str) -> str:
    """``path`` on the request's Wagtail site (the default site for an admin
    host that is no site of its own), so a link copied in the admin points at
    the shop, not at the admin's host."""
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        return f"{site.root_url}{path}"
    return str(request.build_absolute_uri(path)) if request is not None else path


def qr_path(product_id: int, kind: str, **link: Any) -> str:
    """The staff-only QR code view of a product's link (``kind``: ``svg``/``png``)."""
    path = reverse(f"wagtail_stripe_checkout:buy_qr_{kind}", kwargs={"product_id": product_id})
    query = {k: v for k, v in link.items() if v not in (None, "", False)}
    return f"{path}?{urlencode(query)}" if query else path


class BuyLinkPanel(Panel):
    """The product's shareable link, its QR code (inline SVG) with SVG and PNG
    downloads, and one link per variant. A product not yet saved has no link."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_stripe_checkout/admin/buy_link_panel.html"

        def get_context_data(self, parent_context: Any = None) -> Any:
            context = super().get_context_data(parent_context)
            product = self.instance
            context["saved"] = bool(product is not None and product.pk and product.slug)
            if not context["saved"]:
                return context
            try:
                path = buy_path(product.slug)
            except NoReverseMatch:  # the site did not include the package's URLs
                context["no_urls"] = True
                return context
            link = absolute_url(self.request, path)
            context.update(
                link=link,
                enabled=product.buy_link_enabled,
                qr_svg=qrcodes.svg(link, title=_("QR code of %(link)s") % {"link": link}),
                svg_download=qr_path(product.pk, "svg", download=1),
                png_download=qr_path(product.pk, "png", download=1),
                variants=[
                    {
                        "label": variant.label,
                        "sku": variant.sku,
                        "active": variant.active,
                        "link": absolute_url(
                            self.request, buy_path(product.slug, variant=variant.sku)
                        ),
                        "svg_download": qr_path(product.pk, "svg", variant=variant.sku, download=1),
                        "png_download": qr_path(product.pk, "png", variant=variant.sku, download=1),
                    }
                    for variant in product.variants.all()
                    if variant.pk
                ],
            )
            return context
