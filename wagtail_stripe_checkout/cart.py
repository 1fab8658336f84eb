"""The shopper's cart, kept in the Django session.

The session holds product ids and quantities (and the price version each line
was added at, so a repricing can be announced) and never a price: every amount
is computed from the database when the cart is read. The cart knows nothing of
Stripe.

A line is a product (key ``"12"``) or one of its variants (key ``"12:34"``),
stored as ``{"q": quantity, "pv": product price version}`` plus ``"vv"``, the
variant's price version, for a variant.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import re
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.images import get_image_model

from . import pricing
from .conf import app_settings
from .models import Order, OrderLine, Product, ProductVariant, ShopSettings
from .models.catalogue import item_name

if TYPE_CHECKING:
    from django.http import HttpRequest

_WHOLE_NUMBER = re.compile(r"^\s*\+?[0-9]{1,6}\s*$")
_LINE_KEY = re.compile(r"^([0-9]{1,12})(?::([0-9]{1,12}))?$")

# The order this browser is paying for, if any: its stock counts as the
# shopper's own (a retry, or Back from Stripe, must not find it sold out).
PENDING_ORDER_SESSION_KEY = "wagtail_stripe_checkout_pending"


def browser_key(request: HttpRequest) -> str:
    """A digest standing for this browser session (never the session key itself)."""
    if not request.session.session_key:
        request.session.save()
    key = f"wagtail-stripe-checkout:{request.session.session_key}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class CartError(ValueError):
    """Input the cart refused; ``message`` is for the shopper."""

    def __init__(self, message: str, field: str = "quantity") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_quantity(raw: Any, *, allow_zero: bool = False) -> int:
    """A whole number of at least 1 (or 0, which removes a line, when changing a
    quantity), from a form field or JSON; anything else is refused."""
    message = (
        _("Enter a whole number (0 removes it).")
        if allow_zero
        else _("Enter a whole number of at least 1.")
    )
    if isinstance(raw, bool):
        raise CartError(message)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _WHOLE_NUMBER.match(raw):
        value = int(raw)
    elif isinstance(raw, str) and re.match(r"^\s*[0-9]{7,}\s*$", raw):
        value = app_settings.MAX_QUANTITY + 1  # too many digits: over any cap
    else:
        raise CartError(message)
    if value < (0 if allow_zero else 1):
        raise CartError(message)
    return value


def parse_product_id(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CartError(_("That product is not available."), field="product")
    if isinstance(raw, int) and raw > 0:
        return raw
    if isinstance(raw, str) and re.match(r"^\s*[0-9]{1,12}\s*$", raw) and int(raw) > 0:
        return int(raw)
    raise CartError(_("That product is not available."), field="product")


def parse_variant_id(raw: Any) -> int | None:
    """The chosen variant's id; ``None`` when none was sent."""
    if raw is None or raw == "":
        return None
    try:
        return parse_product_id(raw)
    except CartError:
        raise CartError(_("That product is not available."), field="variant") from None


def line_key(product_id: int, variant_id: int | None = None) -> str:
    """The session key of a line: ``"12"``, or ``"12:34"`` for variant 34."""
    return str(product_id) if variant_id is None else f"{product_id}:{variant_id}"


def split_key(key: str) -> tuple[int, int | None]:
    match = _LINE_KEY.match(key)
    if match is None:
        raise ValueError(key)
    return int(match[1]), int(match[2]) if match[2] else None


@dataclass
class CartLine:
    product: Product
    quantity: int
    unit_amount: int
    total: int
    max_quantity: int
    variant: ProductVariant | None = None

    # Named like an order line's fields, so that templates show either.
    @property
    def name(self) -> str:
        return self.product.name

    @property
    def variant_name(self) -> str:
        return self.variant.label if self.variant is not None else ""

    @property
    def display_name(self) -> str:
        """``T-shirt – M / Navy``, or the product's name."""
        return item_name(self.product.name, self.variant_name)

    @property
    def sku(self) -> str:
        return self.variant.sku if self.variant is not None else self.product.sku

    @property
    def key(self) -> str:
        return line_key(self.product.pk, self.variant.pk if self.variant is not None else None)

    @property
    def image_source(self) -> Any:
        """What holds the line's image: the variant when it has its own, else the product."""
        if self.variant is not None and self.variant.image_id is not None:
            return self.variant
        return self.product


class PricedCart:
    """A cart read against the database: lines, totals and what to tell the shopper.

    The lines and the currency are read at once; the site's pricing rules with
    the shopper's shipping rate (``options``), and the ``totals`` and
    ``problems`` that follow from them, the first time something asks for them.
    The header's cart summary shows the items and their ``subtotal`` and so never
    reads the shipping zones.
    """

    def __init__(
        self,
        lines: list[CartLine],
        currency: pricing.Currency,
        options: Callable[[], pricing.PricingOptions],
        notices: list[str] | None = None,
    ) -> None:
        self.lines = lines
        self.currency = currency
        self._options = options
        self.notices = notices if notices is not None else []

    @cached_property
    def options(self) -> pricing.PricingOptions:
        options = self._options()
        if options.shipping is not None and not self.requires_shipping:
            return dataclasses.replace(options, shipping=None)  # digital goods only
        return options

    @cached_property
    def totals(self) -> pricing.Totals:
        totals = self.options.totals([(line.unit_amount, line.quantity) for line in self.lines])
        return totals if self.requires_shipping else dataclasses.replace(totals, ships=False)

    @cached_property
    def problems(self) -> list[str]:
        """Why Stripe would refuse this cart's total; empty when it would not."""
        return pricing.charge_problems(self.totals.total, self.currency) if self.lines else []

    @property
    def subtotal(self) -> int:
        """The items' total (``totals.subtotal``), without reading the shipping rules."""
        return sum(line.total for line in self.lines)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def can_checkout(self) -> bool:
        return bool(self.lines) and not self.problems

    @property
    def shipping(self) -> pricing.ShippingQuote | None:
        """The shipping rate this cart is priced with; ``None`` when nothing ships."""
        return self.options.shipping

    @property
    def free_shipping_gap(self) -> int:
        """How much more the items must come to for the rate to ship free (0: none)."""
        quote = self.shipping
        if quote is None or quote.free_over is None or not quote.amount or not self.lines:
            return 0
        return max(quote.free_over - self.totals.subtotal, 0)

    @property
    def count_label(self) -> str:
        """``"Cart: 2 items"``, ``"Cart: empty"``: the header's words."""
        if not self.count:
            return _("Cart: empty")
        return ngettext("Cart: %(n)s item", "Cart: %(n)s items", self.count) % {"n": self.count}

    def as_dict(self) -> dict[str, Any]:
        cur = self.currency
        display = pricing.amount_formatter(cur)

        def money(amount: int) -> dict[str, Any]:
            return {"amount": amount, "display": display(amount)}

        return {
            "currency": cur.code,
            "count": self.count,
            "lines": [_line_dict(line, money) for line in self.lines],
            "subtotal": money(self.totals.subtotal),
            "tax": money(self.totals.tax),
            "tax_mode": self.totals.tax_mode.value,
            "tax_label": self.options.tax_label,
            "shipping": money(self.totals.shipping),
            "shipping_rate": (
                {
                    "id": self.shipping.rate_id,
                    "name": self.shipping.name,
                    "country": self.shipping.country,
                    "delivery": self.shipping.delivery,
                }
                if self.shipping
                else None
            ),
            "total": money(self.totals.total),
            "summary": {
                "label": self.count_label,
                "subtotal": display(self.totals.subtotal),
            },
            "free_shipping_gap": money(self.free_shipping_gap),
            "can_checkout": self.can_checkout,
            "problems": self.problems,
            "notices": self.notices,
        }

    @property
    def requires_shipping(self) -> bool:
        """Whether anything in the cart ships. A cart of digital goods only
        (products marked not shipped) has no shipping rate, address or cost; an
        empty cart is priced as before (the shop's rate, nothing to pay for it)."""
        return not self.lines or any(line.product.shipped for line in self.lines)


def _line_dict(line: CartLine, money: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
    """A line in the JSON API; a variant's line also names the variant."""
    data: dict[str, Any] = {
        "product": line.product.pk,
        "sku": line.sku,
        "name": line.display_name,
        "quantity": line.quantity,
        "max_quantity": line.max_quantity,
        "unit_price": money(line.unit_amount),
        "total": money(line.total),
    }
    if line.variant is not None:
        data.update(variant=line.variant.pk, variant_name=line.variant_name)
    return data


# Product images, for the pages that show them ---------------------------------


def prefetch_images(products: Iterable[Product | ProductVariant | None], spec: str) -> None:
    """Give ``products`` their images with the renditions at ``spec`` already read,
    in one query however many there are (and one more while some image has never
    been shown at that size). Wagtail then finds each rendition without a query,
    and makes one that is missing as usual. Pricing never reads images: only the
    pages that show them ask for them."""
    by_image: dict[int, list[Product | ProductVariant]] = {}
    for product in products:
        if product is not None and product.image_id is not None:
            by_image.setdefault(product.image_id, []).append(product)
    if not by_image:
        return
    image_model = get_image_model()
    renditions = (
        image_model.get_rendition_model()
        .objects.filter(image_id__in=list(by_image), filter_spec=spec)
        .select_related("image")
    )
    images: dict[int, Any] = {}
    found: dict[int, list[Any]] = {}
    for rendition in renditions:
        rendition.image = images.setdefault(rendition.image_id, rendition.image)
        found.setdefault(rendition.image_id, []).append(rendition)
    missing = [pk for pk in by_image if pk not in images]
    if missing:
        images.update(image_model.objects.in_bulk(missing))
    for pk, image in images.items():
        image.prefetched_renditions = found.get(pk, [])
        for product in by_image[pk]:
            product.image = image


# Whether a product can be sold: the one set of rules and messages --------------


class Refusal(enum.Enum):
    NOT_AVAILABLE = "not_available"  # unknown, off sale, or not priceable here
    SOLD_OUT = "sold_out"
    OVER_LIMIT = "over_limit"
    OVER_STOCK = "over_stock"
    CHOOSE_VARIANT = "choose_variant"  # a product with variants, without one chosen


@dataclass(frozen=True)
class Sellable:
    """How many of a product can be sold now, at what unit price, and if fewer
    than asked, why (``refusal``) in words for the shopper (``message``)."""

    quantity: int
    unit_amount: int = 0
    refusal: Refusal | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _refused(
    refusal: Refusal, names: dict[str, object], quantity: int = 0, unit: int = 0
) -> Sellable:
    messages = {
        # One message for unknown, unpublished and off-sale ids, so trying ids
        # reveals nothing; a product already in the cart is named.
        Refusal.NOT_AVAILABLE: (
            _("%(name)s is no longer available.")
            if "name" in names
            else _("That product is not available.")
        ),
        Refusal.SOLD_OUT: _("%(name)s is sold out."),
        Refusal.OVER_LIMIT: _("You can order at most %(limit)s of %(name)s."),
        Refusal.OVER_STOCK: _("Only %(stock)s of %(name)s left in stock."),
        Refusal.CHOOSE_VARIANT: _("Choose the %(options)s of %(name)s."),
    }
    return Sellable(quantity, unit, refusal, messages[refusal] % names)


def option_names(product: Product) -> str:
    """``"Size / Colour"``: what a shopper must choose (one query unless prefetched)."""
    return " / ".join(option.name for option in product.options.all())


def sellable(
    product: Product | None,
    quantity: int,
    currency: pricing.Currency,
    *,
    variant: ProductVariant | None = None,
    in_cart: bool = False,
    held: int = 0,
) -> Sellable:
    """Decide whether ``quantity`` of ``product`` (its ``variant``, if chosen) can
    be sold, for adding, changing a quantity and pricing alike. ``held`` units
    are reserved for this very shopper's pending checkout, so they count as
    available to them. The variant's price (else the product's), stock and
    on-sale flag apply, with the product's limit per order."""
    name = item_name(product.name, variant.label if variant else "") if product else ""
    named: dict[str, object] = {"name": name} if product is not None and in_cart else {}
    if product is None or not product.active:
        return _refused(Refusal.NOT_AVAILABLE, named)
    if variant is not None and (not variant.active or variant.product_id != product.pk):
        return _refused(Refusal.NOT_AVAILABLE, named)
    if variant is None and product.has_variants:
        return _refused(
            Refusal.CHOOSE_VARIANT, {"options": option_names(product), "name": product.name}
        )
    item: Product | ProductVariant = variant if variant is not None else product
    try:
        unit = item.unit_amount(currency)
    except pricing.PricingError:
        return _refused(Refusal.NOT_AVAILABLE, named)
    if item.sold_out and held <= 0:
        return _refused(Refusal.SOLD_OUT, {"name": name})
    cap = max_quantity(product, held, variant)
    if quantity <= cap:
        return Sellable(quantity, unit)
    if cap < product.limit_per_order(app_settings.MAX_QUANTITY):  # stock is the limit
        return _refused(Refusal.OVER_STOCK, {"stock": cap, "name": name}, cap, unit)
    return _refused(Refusal.OVER_LIMIT, {"limit": cap, "name": name}, cap, unit)


def max_quantity(product: Product, held: int = 0, variant: ProductVariant | None = None) -> int:
    """The most of a product (or of its ``variant``: its own stock, the product's
    limit) one cart may hold right now (``held``: see :func:`sellable`)."""
    limit = product.limit_per_order(app_settings.MAX_QUANTITY)
    stock = variant.stock if variant is not None else product.stock
    return limit if stock is None else min(limit, stock + held)


_CARTS: weakref.WeakKeyDictionary[Any, Cart] = weakref.WeakKeyDictionary()


class Cart:
    """Session-backed cart for one request.

    :meth:`for_request` gives every caller in a request the same cart, so the
    cart is priced once per request (the page and its header summary share it).
    """

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.session = request.session
        raw = self.session.get(app_settings.CART_SESSION_KEY)
        self._lines: dict[str, dict[str, int]] = self._load(raw)
        self._shipping = self._load_shipping(raw)
        self._priced: PricedCart | None = None
        self._unsaved_repairs = False
        # Repairs explained by a priced cart that a shipping choice then replaced:
        # told with the next pricing, so that checkout still stops and says so.
        self._carried_notices: list[str] = []
        # Read once per request: the products and variants asked about, and
        # what this browser's pending checkout holds (keyed by that order's id).
        self._products: dict[int, Product | None] = {}
        self._variants: dict[int, ProductVariant | None] = {}
        self._held: tuple[str, dict[str, int]] | None = None

    @classmethod
    def for_request(cls, request: HttpRequest) -> Cart:
        cart = _CARTS.get(request)
        if cart is None:
            cart = _CARTS[request] = cls(request)
        return cart

    @staticmethod
    def _load(raw: Any) -> dict[str, dict[str, int]]:
        """The stored lines; carts saved before variants (keys ``"12"``) read as they were."""
        lines: dict[str, dict[str, int]] = {}
        if not isinstance(raw, Mapping):
            return lines
        for key, value in dict(raw.get("lines", {})).items():
            if (
                isinstance(key, str)
                and _LINE_KEY.match(key)
                and isinstance(value, Mapping)
                and isinstance(value.get("q"), int)
                and value["q"] > 0
            ):
                line = {"q": int(value["q"]), "pv": int(value.get("pv", 0))}
                if ":" in key:
                    line["vv"] = int(value.get("vv", 0))
                lines[key] = line
        return lines

    @staticmethod
    def _load_shipping(raw: Any) -> dict[str, Any]:
        """The shopper's choice of country and rate: a code and an id, nothing else."""
        stored = raw.get("shipping") if isinstance(raw, Mapping) else None
        if not isinstance(stored, Mapping):
            return {}
        country, rate = stored.get("country"), stored.get("rate")
        return {
            "country": country if isinstance(country, str) and len(country) == 2 else None,
            "rate": rate if isinstance(rate, int) and not isinstance(rate, bool) else None,
        }

    def _save(self) -> None:
        data: dict[str, Any] = {"lines": self._lines}
        if self._shipping:
            data["shipping"] = self._shipping
        self.session[app_settings.CART_SESSION_KEY] = data
        self.session.modified = True
        self._priced = None
        self._unsaved_repairs = False

    # Reading without the database ----------------------------------------
    def quantities(self) -> dict[int, int]:
        """Units per product id, its variants' lines together."""
        totals: dict[int, int] = {}
        for key, line in self._lines.items():
            pid = split_key(key)[0]
            totals[pid] = totals.get(pid, 0) + line["q"]
        return totals

    @property
    def count(self) -> int:
        return sum(line["q"] for line in self._lines.values())

    # Changing --------------------------------------------------------------
    def currency(self) -> pricing.Currency:
        """The site's currency (its shop settings are read once per request)."""
        return pricing.get_currency(ShopSettings.for_request(self.request).currency)

    def options(self, shipping: Mapping[str, Any] | None = None) -> pricing.PricingOptions:
        """The site's pricing rules with the shipping rate this shopper chose (or the
        first one); ``shipping``: that choice as it was when the cart was priced."""
        chosen = self._shipping if shipping is None else shipping
        settings = ShopSettings.for_request(self.request)
        quote = settings.shipping_quote(chosen.get("country"), chosen.get("rate"))
        return settings.pricing_options(shipping=quote)

    def choose_shipping(self, country: Any, rate: Any) -> pricing.ShippingQuote | None:
        """Keep the shopper's country and rate (ids only; anything unknown falls back
        to the first rate of the zone). Returns the rate now in use."""
        settings = ShopSettings.for_request(self.request)
        country = str(country or "").strip().upper()[:2] or None
        try:
            rate_id = int(rate) if rate not in (None, "") else None
        except (TypeError, ValueError):
            rate_id = None
        quote = settings.shipping_quote(country, rate_id)
        self._shipping = {"country": quote.country, "rate": quote.rate_id} if quote else {}
        repaired = self._priced.notices if self._priced is not None else []
        self._save()
        self._carried_notices += repaired
        return quote

    def held_by_shopper(self) -> dict[str, int]:
        """Units this browser's pending checkout has reserved, by line key
        (``"12"`` for a product, ``"12:34"`` for its variant 34)."""
        public_id = self.session.get(PENDING_ORDER_SESSION_KEY)
        if not public_id:
            return {}
        if self._held is None or self._held[0] != public_id:
            self._held = (public_id, self._read_held(public_id))
        return self._held[1]

    @staticmethod
    def _read_held(public_id: str) -> dict[str, int]:
        held: dict[str, int] = {}
        rows = OrderLine.objects.filter(
            order__public_id=public_id,
            order__status=Order.Status.PENDING,
            order__stock_reserved=True,
            product__isnull=False,
        ).values_list("product_id", "variant_id", "quantity")
        for product_id, variant_id, quantity in rows:
            key = line_key(product_id, variant_id)
            held[key] = held.get(key, 0) + quantity
        return held

    def _read_products(self, pids: Iterable[int]) -> dict[int, Product | None]:
        """The products with these ids (``None``: no such product), each read from
        the database once per request, all missing ones in one query (each knowing
        whether it has variants)."""
        wanted = list(dict.fromkeys(pids))
        missing = [pid for pid in wanted if pid not in self._products]
        if missing:
            found = Product.objects.with_variant_flag().in_bulk(missing)
            self._products.update({pid: found.get(pid) for pid in missing})
        return {pid: self._products[pid] for pid in wanted}

    def _read_variants(self, keys: Iterable[str]) -> dict[int, ProductVariant | None]:
        """The variants of these line keys, in one query for all not read yet, each
        given its product (read by :meth:`_read_products`) without another query."""
        wanted = [vid for pid, vid in map(split_key, keys) if vid is not None]
        missing = [vid for vid in dict.fromkeys(wanted) if vid not in self._variants]
        if missing:
            found = ProductVariant.objects.in_bulk(missing)
            self._variants.update({vid: found.get(vid) for vid in missing})
        variants = {vid: self._variants[vid] for vid in wanted}
        products = self._read_products(v.product_id for v in variants.values() if v is not None)
        for variant in variants.values():
            if variant is not None and products.get(variant.product_id) is not None:
                variant.product = products[variant.product_id]
        return variants

    def _item(self, key: str) -> tuple[Product | None, ProductVariant | None]:
        """A line's product and variant; ``(None, None)`` when either is unknown
        or the variant is another product's. Reads the cart's other lines with it."""
        pid, vid = split_key(key)
        keys = [key, *self._lines]
        product = self._read_products([split_key(k)[0] for k in keys])[pid]
        if vid is None:
            return product, None
        variant = self._read_variants(keys)[vid]
        if product is None or variant is None or variant.product_id != pid:
            return None, None
        return product, variant

    def _set(self, key: str, quantity: int, *, in_cart: bool) -> CartLine:
        # The cart's other lines come in the same queries: the cart is usually
        # priced next (the JSON answer, the page the shopper returns to).
        product, variant = self._item(key)
        held = self.held_by_shopper().get(key, 0)
        verdict = sellable(
            product, quantity, self.currency(), variant=variant, in_cart=in_cart, held=held
        )
        if not verdict.ok or product is None:
            field = {
                Refusal.NOT_AVAILABLE: "product",
                Refusal.SOLD_OUT: "product",
                Refusal.CHOOSE_VARIANT: "variant",
            }.get(verdict.refusal, "quantity")  # type: ignore[arg-type]
            raise CartError(verdict.message, field=field)
        self._lines[key] = self._stored(quantity, product, variant)
        self._save()
        return CartLine(product, quantity, verdict.unit_amount, 0, 0, variant)

    @staticmethod
    def _stored(quantity: int, product: Product, variant: ProductVariant | None) -> dict[str, int]:
        stored = {"q": quantity, "pv": product.price_version}
        if variant is not None:
            stored["vv"] = variant.price_version
        return stored

    def _key(self, product_id: Any, variant_id: Any) -> str:
        return line_key(parse_product_id(product_id), parse_variant_id(variant_id))

    def _quantity(self, key: str, raw: Any, *, allow_zero: bool = False) -> int:
        """The quantity, or a refusal that names the product (when the shopper may
        know it: on sale, or already in the cart)."""
        try:
            return parse_quantity(raw, allow_zero=allow_zero)
        except CartError as exc:
            product, variant = self._item(key)
            if product is None or not (product.active or key in self._lines):
                raise
            name = item_name(product.name, variant.label if variant else "")
            message = _("%(name)s: %(problem)s") % {"name": name, "problem": exc.message}
            raise CartError(message) from None

    def add(
        self, product_id: Any, quantity: Any = 1, variant_id: Any = None
    ) -> tuple[CartLine, int]:
        """Add ``quantity`` more of a product (of its variant ``variant_id``, which a
        product with variants needs); returns the line and its new quantity."""
        key = self._key(product_id, variant_id)
        qty = self._quantity(key, quantity)
        if key not in self._lines and len(self._lines) >= app_settings.MAX_CART_LINES:
            raise CartError(
                _("A cart can hold at most %(n)s different products.")
                % {"n": app_settings.MAX_CART_LINES},
                field="product",
            )
        new_quantity = self._lines.get(key, {}).get("q", 0) + qty
        return self._set(key, new_quantity, in_cart=key in self._lines), new_quantity

    def set_quantity(
        self, product_id: Any, quantity: Any, variant_id: Any = None
    ) -> tuple[CartLine | None, int]:
        """Change a line's quantity; 0 removes the line. Returns the line (``None``
        if its product went away) and the new quantity."""
        key = self._key(product_id, variant_id)
        if key not in self._lines:
            raise CartError(_("That product is not in your cart."), field="product")
        qty = self._quantity(key, quantity, allow_zero=True)
        if qty == 0:
            return self.remove(product_id, variant_id), 0
        return self._set(key, qty, in_cart=True), qty

    def remove(self, product_id: Any, variant_id: Any = None) -> CartLine | None:
        """Remove a line; returns it, if its product still exists (for the message)."""
        key = self._key(product_id, variant_id)
        stored = self._lines.pop(key, None)
        if stored is None:
            raise CartError(_("That product is not in your cart."), field="product")
        self._save()
        product, variant = self._item(key)
        return CartLine(product, stored["q"], 0, 0, 0, variant) if product is not None else None

    def clear(self) -> None:
        self._lines = {}
        self._save()

    # Pricing ---------------------------------------------------------------
    def price(self, *, repair: bool = True) -> PricedCart:
        """Read the cart against the database: a fixed number of queries for any
        size, once per request.

        Lines whose product went away, stopped being sold, sold out or changed
        price are repaired and each repair is explained in ``notices``. With
        ``repair=False`` (the cart summary tag) the session is left as it is,
        so that the cart page can still explain the repairs.
        """
        if self._priced is None:
            self._priced = self._compute()
        if repair and self._unsaved_repairs:
            priced = self._priced
            self._save()
            self._priced = priced
        return self._priced

    def _compute(self) -> PricedCart:
        currency = self.currency()
        keys = list(self._lines)
        products = self._read_products(split_key(k)[0] for k in keys) if keys else {}
        variants = self._read_variants(keys) if keys else {}
        held = self.held_by_shopper() if keys else {}
        notices, self._carried_notices = self._carried_notices, []
        lines: list[CartLine] = []
        for key, stored in list(self._lines.items()):
            pid, vid = split_key(key)
            product, variant = products.get(pid), variants.get(vid) if vid else None
            if vid is not None and (variant is None or variant.product_id != pid):
                product = None  # a variant gone, or never this product's
            line = self._repair(
                key, stored, (product, variant), currency, notices, held.get(key, 0)
            )
            if line is not None:
                lines.append(line)
        shipping = dict(self._shipping)  # the choice as priced, whatever happens later
        return PricedCart(lines, currency, lambda: self.options(shipping), notices)

    def _repair(
        self,
        key: str,
        stored: dict[str, int],
        item: tuple[Product | None, ProductVariant | None],
        currency: pricing.Currency,
        notices: list[str],
        held: int,
    ) -> CartLine | None:
        """The priced line for a stored one, repaired (and the repair explained) if needed."""
        product, variant = item
        verdict = sellable(product, stored["q"], currency, variant=variant, in_cart=True, held=held)
        if product is None or verdict.quantity == 0:
            notices.append(
                " ".join([verdict.message, _("It was removed from your cart.")])
                if product is not None
                else _("An item in your cart is no longer sold and was removed.")
            )
            del self._lines[key]
            self._unsaved_repairs = True
            return None
        if not verdict.ok:
            notices.append(" ".join([verdict.message, _("Your cart was updated.")]))
        fresh = self._stored(verdict.quantity, product, variant)
        if _repriced(stored, fresh, variant):
            notices.append(
                _("The price of %(name)s changed to %(price)s.")
                % {
                    "name": item_name(product.name, variant.label if variant else ""),
                    "price": pricing.format_amount(verdict.unit_amount, currency),
                }
            )
        if fresh != stored:
            self._lines[key] = fresh
            self._unsaved_repairs = True
        return CartLine(
            product=product,
            quantity=verdict.quantity,
            unit_amount=verdict.unit_amount,
            total=pricing.line_total(verdict.unit_amount, verdict.quantity),
            max_quantity=max_quantity(product, held, variant),
            variant=variant,
        )


def _repriced(
    stored: dict[str, int], fresh: dict[str, int], variant: ProductVariant | None
) -> bool:
    """Whether the price a line was added at changed: the variant's own, or the
    product's when the variant (if any) takes the product's."""
    if variant is not None and stored.get("vv") != fresh["vv"]:
        return True
    uses_product_price = variant is None or variant.price is None
    return uses_product_price and stored.get("pv") != fresh["pv"]
