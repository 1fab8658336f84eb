"""Buy links: ``/shop/buy/<product slug>/?variant=<sku>&quantity=<n>&to=stripe``
puts an item in the cart, then the shopper goes to checkout (or straight to
Stripe). See docs/buy-links.md.

Only a slug, a variant's SKU or id, a quantity and ``to=stripe`` are read from
the browser. The item goes into the cart through the cart's own rules (on
sale, stock, the limit per order and per cart), exactly as the "Add to cart"
button puts it there. A product that is unknown, off sale or whose link is
switched off answers with one message, so trying slugs reveals nothing.

The link *sets* the item's quantity in the cart rather than adding to it:
opening the same link twice (a reload, Back, a second scan) leaves the cart
as it was after the first time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from . import checkout, pricing
from .cart import Cart, line_key, parse_quantity
from .models import Product, ProductVariant, ShopSettings
from .models.catalogue import item_name
from .panels import QUANTITY_PARAM, TO_PARAM, TO_STRIPE, VARIANT_PARAM, buy_path


class NotAvailable(Exception):
    """Unknown, off sale, or its buy link switched off: one answer for all."""

    @property
    def message(self) -> str:
        return _("That product is not available.")


@dataclass(frozen=True)
class BuyLink:
    """What a buy link asks for, read against the database."""

    product: Product
    variant: ProductVariant | None
    quantity: int
    to_stripe: bool = False

    @property
    def name(self) -> str:
        """``T-shirt – M / Navy``, or the product's name."""
        return item_name(self.product.name, self.variant.label if self.variant else "")

    @property
    def needs_variant(self) -> bool:
        """The product comes in variants and the link names none: the shopper picks."""
        return self.variant is None and self.product.has_variants

    def path(self) -> str:
        sku = self.variant.sku if self.variant is not None else None
        return buy_path(
            self.product.slug, variant=sku, quantity=self.quantity, to_stripe=self.to_stripe
        )


def find_product(slug: str) -> Product:
    product = Product.objects.filter(slug=slug, active=True, buy_link_enabled=True).first()
    if product is None:
        raise NotAvailable
    return product


def variants_on_sale(product: Product) -> list[ProductVariant]:
    """The product's variants a link may name, in the editor's order."""
    cached = getattr(product, "_wsc_variants_on_sale", None)
    if cached is None:
        cached = list(product.variants.filter(active=True).order_by("sort_order", "pk"))
        product._wsc_variants_on_sale = cached
    return list(cached)


def find_variant(product: Product, raw: Any) -> ProductVariant | None:
    """The variant ``raw`` names (its SKU, or its id) among the product's
    variants on sale; ``None`` when nothing is named."""
    value = str(raw or "").strip()[:64]
    if not value:
        return None
    variants = variants_on_sale(product)
    for variant in variants:
        if variant.sku == value:
            return variant
    if value.isdigit():
        for variant in variants:
            if variant.pk == int(value):
                return variant
    raise NotAvailable


def read(slug: str, params: Mapping[str, Any]) -> BuyLink:
    """The link's product, variant and quantity. Raises :class:`NotAvailable`
    (the same for every reason) or :class:`CartError` for a bad quantity."""
    product = find_product(slug)
    variant = find_variant(product, params.get(VARIANT_PARAM))
    if variant is None and product.has_variants and not variants_on_sale(product):
        raise NotAvailable  # every variant is off sale
    to_stripe = params.get(TO_PARAM) == TO_STRIPE
    raw = params.get(QUANTITY_PARAM)
    quantity = 1 if raw in (None, "") else parse_quantity(raw)
    return BuyLink(product, variant, quantity, to_stripe)


def unit_amount(link: BuyLink, currency: pricing.Currency) -> int | None:
    """The price shown on the confirmation page (the cart prices the order)."""
    item: Product | ProductVariant = link.variant or link.product
    try:
        return item.unit_amount(currency)
    except pricing.PricingError:
        return None


@dataclass(frozen=True)
class Added:
    """What :func:`put_in_cart` did: the shopper's message, and what pricing the
    cart beforehand repaired in its other lines (sold out, repriced)."""

    message: str
    notices: list[str]


def put_in_cart(request: HttpRequest, link: BuyLink) -> Added:
    """Make the cart hold the link's quantity of its item, by the cart's rules.
    Raises :class:`CartError` with the shopper's message (the cart unchanged)."""
    cart = Cart.for_request(request)
    before = cart.price()  # stored lines as they stand, repairs saved and explained
    variant_id = link.variant.pk if link.variant is not None else None
    key = line_key(link.product.pk, variant_id)
    if any(line.key == key for line in before.lines):
        cart.set_quantity(link.product.pk, link.quantity, variant_id)
    else:
        cart.add(link.product.pk, link.quantity, variant_id)
    message = _("%(quantity)s × %(name)s in your cart.") % {
        "quantity": link.quantity,
        "name": link.name,
    }
    return Added(message, list(before.notices))


def ready_to_pay(request: HttpRequest, details: Mapping[str, Any]) -> bool:
    """Whether checkout needs to ask nothing before Stripe: the cart ships
    nowhere or to the shop's one country by its one rate (Stripe's page takes
    the address for that country, and the email when this browser gave none)."""
    priced = Cart.for_request(request).price()
    quote = priced.shipping
    if quote is None:
        return True
    settings = ShopSettings.for_request(request)
    return (
        len(settings.shipping_countries()) == 1
        and len(settings.shipping_quotes(quote.country)) == 1
    )


def pay_now(
    request: HttpRequest, details: Mapping[str, Any], *, success_url: str, cancel_url: str
) -> str:
    """The cart to a pending order and a Checkout Session, as the checkout page
    does; the Stripe URL. Raises :class:`checkout.CheckoutError`."""
    started = checkout.start_checkout(
        request,
        email=str(details.get("email") or ""),
        name=str(details.get("name") or ""),
        success_url=success_url,
        cancel_url=cancel_url,
    )
    return started.url
