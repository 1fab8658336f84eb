"""Stock reservation: taken when a Checkout Session is about to be created, given
back once if it never gets paid. Conditional updates, so it cannot oversell.

Each operation costs the same few queries however many lines an order has: the
limited products' rows are locked in one query (in id order, so that two
checkouts sharing products cannot deadlock) and changed in one ``UPDATE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import Case, F, IntegerField, Q, Value, When

from .cart import PricedCart
from .models import Order, Product


class SoldOut(Exception):
    def __init__(self, product: Product) -> None:
        super().__init__(product.name)
        self.product = product


def _per_product(pairs: Iterable[tuple[int | None, int]]) -> dict[int, int]:
    """Quantities summed per product id (lines without a product left out)."""
    quantities: dict[int, int] = {}
    for pk, quantity in pairs:
        if pk is not None:
            quantities[pk] = quantities.get(pk, 0) + quantity
    return quantities


def _change(quantities: Mapping[int, int], sign: int, *, only_if_enough: bool) -> int:
    """One ``UPDATE``: each product's stock moves by ``sign`` × its quantity
    (``only_if_enough``: only where the stock covers it). Returns the rows changed."""
    if not quantities:
        return 0
    delta = Case(
        *(When(pk=pk, then=Value(sign * quantity)) for pk, quantity in quantities.items()),
        output_field=IntegerField(),
    )
    rows = Product.objects.filter(pk__in=list(quantities), stock__isnull=False)
    if only_if_enough:
        enough = Q()
        for pk, quantity in quantities.items():
            enough |= Q(pk=pk, stock__gte=quantity)
        rows = rows.filter(enough)
    return rows.update(stock=F("stock") + delta)


def reserve(priced: PricedCart) -> bool:
    """Take the stock for every limited line; call inside the order's transaction.

    Raises :class:`SoldOut` (and the transaction rolls every reservation back)
    when another shopper got there first. Returns whether anything was reserved.
    """
    limited = [line for line in priced.lines if line.product.stock is not None]
    wanted = _per_product((line.product.pk, line.quantity) for line in limited)
    if not wanted:
        return False
    rows = (
        Product.objects.select_for_update()
        .filter(pk__in=list(wanted), stock__isnull=False)
        .order_by("pk")
        .values_list("pk", "stock")
    )
    stock = {pk: left for pk, left in rows if left is not None}
    wanted = {pk: quantity for pk, quantity in wanted.items() if pk in stock}  # now unlimited
    for line in limited:
        if line.product.pk in wanted and stock[line.product.pk] < wanted[line.product.pk]:
            raise SoldOut(line.product)
    if _change(wanted, -1, only_if_enough=True) != len(wanted):  # never, with the rows locked
        raise SoldOut(limited[0].product)
    return bool(wanted)


def retake(order: Order) -> None:
    """A late payment after the reservation was given back: take the stock again
    where there is enough (it never goes below zero)."""
    lines = order.lines.values_list("product_id", "quantity")
    _change(_per_product(lines), -1, only_if_enough=True)


def release(order: Order) -> None:
    """Give an order's reserved stock back, once: call with the order row locked,
    and save ``stock_reserved`` (now ``False``) with the order's new status."""
    if not order.stock_reserved:
        return
    _change(
        _per_product(order.lines.values_list("product_id", "quantity")), +1, only_if_enough=False
    )
    order.stock_reserved = False
