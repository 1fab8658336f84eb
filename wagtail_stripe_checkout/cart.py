"""The shopper's cart, kept in the Django session.

The session holds product ids and quantities (and the price version each line
was added at, so a repricing can be announced) and never a price: every amount
is computed from the database when the cart is read. The cart knows nothing of
Stripe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from . import pricing
from .conf import app_settings

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Product
    from .models.settings import PricingOptions

_WHOLE_NUMBER = re.compile(r"^\s*\+?[0-9]{1,6}\s*$")


class CartError(ValueError):
    """Input the cart refused; ``message`` is for the shopper."""

    def __init__(self, message: str, field: str = "quantity") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_quantity(raw: Any) -> int:
    """A positive whole number, from a form field or JSON; anything else is refused."""
    if isinstance(raw, bool):
        raise CartError(_("Enter a whole number of at least 1."))
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _WHOLE_NUMBER.match(raw):
        value = int(raw)
    elif isinstance(raw, str) and re.match(r"^\s*[0-9]{7,}\s*$", raw):
        value = app_settings.MAX_QUANTITY + 1  # too many digits: over any cap
    else:
        raise CartError(_("Enter a whole number of at least 1."))
    if value < 1:
        raise CartError(_("Enter a whole number of at least 1."))
    return value


def parse_product_id(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CartError(_("That product does not exist."), field="product")
    if isinstance(raw, int) and raw > 0:
        return raw
    if isinstance(raw, str) and re.match(r"^\s*[0-9]{1,12}\s*$", raw) and int(raw) > 0:
        return int(raw)
    raise CartError(_("That product does not exist."), field="product")


@dataclass
class CartLine:
    product: Product
    quantity: int
    unit_amount: int
    total: int
    max_quantity: int


@dataclass
class PricedCart:
    """A cart read against the database: lines, totals and what to tell the shopper."""

    lines: list[CartLine]
    options: PricingOptions
    totals: pricing.Totals
    notices: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def currency(self) -> pricing.Currency:
        return self.options.currency

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def can_checkout(self) -> bool:
        return bool(self.lines) and not self.problems

    def as_dict(self) -> dict[str, Any]:
        cur = self.currency

        def money(amount: int) -> dict[str, Any]:
            return {"amount": amount, "display": pricing.format_amount(amount, cur)}

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
            "total": money(self.totals.total),
            "can_checkout": self.can_checkout,
            "problems": self.problems,
            "notices": self.notices,
        }


class Cart:
    """Session-backed cart for one request."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.session = request.session
        raw = self.session.get(app_settings.CART_SESSION_KEY)
        self._lines: dict[str, dict[str, int]] = self._load(raw)

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

    def _save(self) -> None:
        self.session[app_settings.CART_SESSION_KEY] = {"lines": self._lines}
        self.session.modified = True

    # Reading without the database ----------------------------------------
    def quantities(self) -> dict[int, int]:
        return {int(pid): line["q"] for pid, line in self._lines.items()}

    @property
    def count(self) -> int:
        return sum(line["q"] for line in self._lines.values())

    # Changing --------------------------------------------------------------
    def _options(self) -> PricingOptions:
        from .models import ShopSettings

        return ShopSettings.for_request(self.request).pricing_options()

    def _sellable_product(self, product_id: int) -> Product:
        from .models import Product

        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            raise CartError(_("That product does not exist."), field="product")
        if not product.active:
            raise CartError(
                _("%(name)s is no longer available.") % {"name": product.name}, field="product"
            )
        if product.sold_out:
            raise CartError(_("%(name)s is sold out.") % {"name": product.name}, field="product")
        try:
            product.unit_amount(self._options().currency)
        except pricing.PricingError:
            raise CartError(
                _("%(name)s cannot be sold right now.") % {"name": product.name},
                field="product",
            ) from None
        return product

    def _check_quantity(self, product: Product, quantity: int) -> None:
        limit = product.limit_per_order(app_settings.MAX_QUANTITY)
        if quantity > limit:
            raise CartError(
                _("You can order at most %(limit)s of %(name)s.")
                % {"limit": limit, "name": product.name}
            )
        if product.stock is not None and quantity > product.stock:
            raise CartError(
                _("Only %(stock)s of %(name)s left in stock.")
                % {"stock": product.stock, "name": product.name}
            )

    def add(self, product_id: Any, quantity: Any = 1) -> tuple[Product, int]:
        """Add ``quantity`` more of a product; returns it and the new line quantity."""
        pid = parse_product_id(product_id)
        qty = parse_quantity(quantity)
        product = self._sellable_product(pid)
        key = str(pid)
        if key not in self._lines and len(self._lines) >= app_settings.MAX_CART_LINES:
            raise CartError(
                _("A cart can hold at most %(n)s different products.")
                % {"n": app_settings.MAX_CART_LINES},
                field="product",
            )
        new_quantity = self._lines.get(key, {}).get("q", 0) + qty
        self._check_quantity(product, new_quantity)
        self._lines[key] = {"q": new_quantity, "pv": product.price_version}
        self._save()
        return product, new_quantity

    def set_quantity(self, product_id: Any, quantity: Any) -> Product:
        pid = parse_product_id(product_id)
        qty = parse_quantity(quantity)
        if str(pid) not in self._lines:
            raise CartError(_("That product is not in your cart."), field="product")
        product = self._sellable_product(pid)
        self._check_quantity(product, qty)
        self._lines[str(pid)] = {"q": qty, "pv": product.price_version}
        self._save()
        return product

    def remove(self, product_id: Any) -> None:
        pid = parse_product_id(product_id)
        if self._lines.pop(str(pid), None) is None:
            raise CartError(_("That product is not in your cart."), field="product")
        self._save()

    def clear(self) -> None:
        self._lines = {}
        self._save()

    # Pricing ---------------------------------------------------------------
    def price(self, *, repair: bool = True) -> PricedCart:
        """Read the cart against the database: a fixed number of queries for any size.

        Lines whose product went away, stopped being sold, sold out or changed
        price are repaired here and each repair is explained in ``notices``.
        With ``repair=False`` (the cart summary tag) the session is left as it
        is, so the cart page can still explain the repairs.
        """
        from .models import Product

        options = self._options()
        currency = options.currency
        products = {}
        if self._lines:
            products = Product.objects.with_images(app_settings.CART_IMAGE_RENDITION).in_bulk(
                [int(pid) for pid in self._lines]
            )
        notices: list[str] = []
        lines: list[CartLine] = []
        changed = False
        for key, stored in list(self._lines.items()):
            product = products.get(int(key))
            if product is None:
                notices.append(_("An item in your cart is no longer sold and was removed."))
                del self._lines[key]
                changed = True
                continue
            name = product.name
            if not product.active or product.sold_out:
                if product.active:
                    msg = _("%(name)s sold out and was removed from your cart.")
                else:
                    msg = _("%(name)s is no longer available and was removed from your cart.")
                notices.append(msg % {"name": name})
                del self._lines[key]
                changed = True
                continue
            try:
                unit = product.unit_amount(currency)
            except pricing.PricingError:
                notices.append(
                    _("%(name)s cannot be sold right now and was removed from your cart.")
                    % {"name": name}
                )
                del self._lines[key]
                changed = True
                continue
            quantity = stored["q"]
            limit = product.limit_per_order(app_settings.MAX_QUANTITY)
            if product.stock is not None:
                limit = min(limit, product.stock)
            if quantity > limit:
                notices.append(
                    _("Only %(n)s of %(name)s can be ordered now; your cart was updated.")
                    % {"n": limit, "name": name}
                )
                quantity = limit
                changed = True
            if stored.get("pv") != product.price_version:
                notices.append(
                    _("The price of %(name)s changed to %(price)s.")
                    % {"name": name, "price": pricing.format_amount(unit, currency)}
                )
                changed = True
            self._lines[key] = {"q": quantity, "pv": product.price_version}
            lines.append(
                CartLine(
                    product=product,
                    quantity=quantity,
                    unit_amount=unit,
                    total=pricing.line_total(unit, quantity),
                    max_quantity=limit,
                )
            )
        if changed and repair:
            self._save()
        totals = options.totals([(line.unit_amount, line.quantity) for line in lines])
        problems = pricing.charge_problems(totals.total, currency) if lines else []
        priced = PricedCart(
            lines=lines, options=options, totals=totals, notices=notices, problems=problems
        )
        # The page's own reading serves the cart summary in its header too.
        self.request._wsc_priced_cart = priced  # type: ignore[attr-defined]
        return priced
