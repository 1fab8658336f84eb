"""The shopper's cart, kept in the Django session.

The session holds product ids and quantities (and the price version each line
was added at, so a repricing can be announced) and never a price: every amount
is computed from the database when the cart is read. The cart knows nothing of
Stripe.
"""

from __future__ import annotations

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
from .models import Order, OrderLine, Product, ShopSettings

if TYPE_CHECKING:
    from django.http import HttpRequest

_WHOLE_NUMBER = re.compile(r"^\s*\+?[0-9]{1,6}\s*$")

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


@dataclass
class CartLine:
    product: Product
    quantity: int
    unit_amount: int
    total: int
    max_quantity: int


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
        return self._options()

    @cached_property
    def totals(self) -> pricing.Totals:
        return self.options.totals([(line.unit_amount, line.quantity) for line in self.lines])

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
            "lines": [
                {
                    "product": line.product.pk,
                    "sku": line.product.sku,
                    "name": line.product.name,
                    "quantity": line.quantity,
                    "max_quantity": line.max_quantity,
                    "unit_price": money(line.unit_amount),
                    "total": money(line.total),
                }
                for line in self.lines
            ],
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


# Product images, for the pages that show them ---------------------------------


def prefetch_images(products: Iterable[Product | None], spec: str) -> None:
    """Give ``products`` their images with the renditions at ``spec`` already read,
    in one query however many there are (and one more while some image has never
    been shown at that size). Wagtail then finds each rendition without a query,
    and makes one that is missing as usual. Pricing never reads images: only the
    pages that show them ask for them."""
    by_image: dict[int, list[Product]] = {}
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
    }
    return Sellable(quantity, unit, refusal, messages[refusal] % names)


def sellable(
    product: Product | None,
    quantity: int,
    currency: pricing.Currency,
    *,
    in_cart: bool = False,
    held: int = 0,
) -> Sellable:
    """Decide whether ``quantity`` of ``product`` can be sold, for adding,
    changing a quantity and pricing alike. ``held`` units are reserved for this
    very shopper's pending checkout, so they count as available to them."""
    named: dict[str, object] = {"name": product.name} if product is not None and in_cart else {}
    if product is None or not product.active:
        return _refused(Refusal.NOT_AVAILABLE, named)
    try:
        unit = product.unit_amount(currency)
    except pricing.PricingError:
        return _refused(Refusal.NOT_AVAILABLE, named)
    if product.sold_out and held <= 0:
        return _refused(Refusal.SOLD_OUT, {"name": product.name})
    cap = max_quantity(product, held)
    if quantity <= cap:
        return Sellable(quantity, unit)
    if cap < product.limit_per_order(app_settings.MAX_QUANTITY):  # stock is the limit
        return _refused(Refusal.OVER_STOCK, {"stock": cap, "name": product.name}, cap, unit)
    return _refused(Refusal.OVER_LIMIT, {"limit": cap, "name": product.name}, cap, unit)


def max_quantity(product: Product, held: int = 0) -> int:
    """The most of a product one cart may hold right now (``held``: see :func:`sellable`)."""
    limit = product.limit_per_order(app_settings.MAX_QUANTITY)
    return limit if product.stock is None else min(limit, product.stock + held)


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
        # Read once per request: the products asked about, and what this
        # browser's pending checkout holds (keyed by that order's id).
        self._products: dict[int, Product | None] = {}
        self._held: tuple[str, dict[int, int]] | None = None

    @classmethod
    def for_request(cls, request: HttpRequest) -> Cart:
        cart = _CARTS.get(request)
        if cart is None:
            cart = _CARTS[request] = cls(request)
        return cart

    @staticmethod
    def _load(raw: Any) -> dict[str, dict[str, int]]:
        lines: dict[str, dict[str, int]] = {}
        if not isinstance(raw, Mapping):
            return lines
        for key, value in dict(raw.get("lines", {})).items():
            if (
                isinstance(key, str)
                and key.isdigit()
                and isinstance(value, Mapping)
                and isinstance(value.get("q"), int)
                and value["q"] > 0
            ):
                lines[key] = {"q": int(value["q"]), "pv": int(value.get("pv", 0))}
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
        return {int(pid): line["q"] for pid, line in self._lines.items()}

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

    def held_by_shopper(self) -> dict[int, int]:
        """Units of each product this browser's pending checkout has reserved."""
        public_id = self.session.get(PENDING_ORDER_SESSION_KEY)
        if not public_id:
            return {}
        if self._held is None or self._held[0] != public_id:
            self._held = (public_id, self._read_held(public_id))
        return self._held[1]

    @staticmethod
    def _read_held(public_id: str) -> dict[int, int]:
        held: dict[int, int] = {}
        rows = OrderLine.objects.filter(
            order__public_id=public_id,
            order__status=Order.Status.PENDING,
            order__stock_reserved=True,
            product__isnull=False,
        ).values_list("product_id", "quantity")
        for product_id, quantity in rows:
            held[product_id] = held.get(product_id, 0) + quantity
        return held

    def _read_products(self, pids: Iterable[int]) -> dict[int, Product | None]:
        """The products with these ids (``None``: no such product), each read from
        the database once per request, all missing ones in one query."""
        wanted = list(dict.fromkeys(pids))
        missing = [pid for pid in wanted if pid not in self._products]
        if missing:
            found = Product.objects.in_bulk(missing)
            self._products.update({pid: found.get(pid) for pid in missing})
        return {pid: self._products[pid] for pid in wanted}

    def _set(self, pid: int, quantity: int, *, in_cart: bool) -> Product:
        # The cart's other products come in the same query: the cart is usually
        # priced next (the JSON answer, the page the shopper returns to).
        product = self._read_products([pid, *map(int, self._lines)])[pid]
        held = self.held_by_shopper().get(pid, 0)
        verdict = sellable(product, quantity, self.currency(), in_cart=in_cart, held=held)
        if not verdict.ok or product is None:
            field = (
                "product"
                if verdict.refusal in (Refusal.NOT_AVAILABLE, Refusal.SOLD_OUT)
                else "quantity"
            )
            raise CartError(verdict.message, field=field)
        self._lines[str(pid)] = {"q": quantity, "pv": product.price_version}
        self._save()
        return product

    def _quantity(self, pid: int, raw: Any, *, allow_zero: bool = False) -> int:
        """The quantity, or a refusal that names the product (when the shopper may
        know it: on sale, or already in the cart)."""
        try:
            return parse_quantity(raw, allow_zero=allow_zero)
        except CartError as exc:
            product = self._read_products([pid])[pid]
            if product is None or not (product.active or str(pid) in self._lines):
                raise
            message = _("%(name)s: %(problem)s") % {"name": product.name, "problem": exc.message}
            raise CartError(message) from None

    def add(self, product_id: Any, quantity: Any = 1) -> tuple[Product, int]:
        """Add ``quantity`` more of a product; returns it and the new line quantity."""
        pid = parse_product_id(product_id)
        qty = self._quantity(pid, quantity)
        key = str(pid)
        if key not in self._lines and len(self._lines) >= app_settings.MAX_CART_LINES:
            raise CartError(
                _("A cart can hold at most %(n)s different products.")
                % {"n": app_settings.MAX_CART_LINES},
                field="product",
            )
        new_quantity = self._lines.get(key, {}).get("q", 0) + qty
        return self._set(pid, new_quantity, in_cart=key in self._lines), new_quantity

    def set_quantity(self, product_id: Any, quantity: Any) -> tuple[Product | None, int]:
        """Change a line's quantity; 0 removes the line. Returns the product (``None``
        if it went away) and the new quantity."""
        pid = parse_product_id(product_id)
        if str(pid) not in self._lines:
            raise CartError(_("That product is not in your cart."), field="product")
        qty = self._quantity(pid, quantity, allow_zero=True)
        if qty == 0:
            return self.remove(pid), 0
        return self._set(pid, qty, in_cart=True), qty

    def remove(self, product_id: Any) -> Product | None:
        """Remove a line; returns its product, if it still exists (for the message)."""
        pid = parse_product_id(product_id)
        if self._lines.pop(str(pid), None) is None:
            raise CartError(_("That product is not in your cart."), field="product")
        self._save()
        return self._read_products([pid])[pid]

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
        pids = [int(pid) for pid in self._lines]
        products = self._read_products(pids) if pids else {}
        held = self.held_by_shopper() if pids else {}
        notices, self._carried_notices = self._carried_notices, []
        lines: list[CartLine] = []
        for key, stored in list(self._lines.items()):
            line = self._repair(
                key, stored, products.get(int(key)), currency, notices, held.get(int(key), 0)
            )
            if line is not None:
                lines.append(line)
        shipping = dict(self._shipping)  # the choice as priced, whatever happens later
        return PricedCart(lines, currency, lambda: self.options(shipping), notices)

    def _repair(
        self,
        key: str,
        stored: dict[str, int],
        product: Product | None,
        currency: pricing.Currency,
        notices: list[str],
        held: int,
    ) -> CartLine | None:
        """The priced line for a stored one, repaired (and the repair explained) if needed."""
        verdict = sellable(product, stored["q"], currency, in_cart=True, held=held)
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
        if stored.get("pv") != product.price_version:
            notices.append(
                _("The price of %(name)s changed to %(price)s.")
                % {
                    "name": product.name,
                    "price": pricing.format_amount(verdict.unit_amount, currency),
                }
            )
        if not verdict.ok or stored.get("pv") != product.price_version:
            self._lines[key] = {"q": verdict.quantity, "pv": product.price_version}
            self._unsaved_repairs = True
        return CartLine(
            product=product,
            quantity=verdict.quantity,
            unit_amount=verdict.unit_amount,
            total=pricing.line_total(verdict.unit_amount, verdict.quantity),
            max_quantity=max_quantity(product, held),
        )
