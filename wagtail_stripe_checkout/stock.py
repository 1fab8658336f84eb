"""Stock reservation: taken when a Checkout Session is about to be created, given
back once if it never gets paid. Conditional updates, so it cannot oversell.

A line with a variant takes the variant's stock, any other line the product's.
Each operation costs the same few queries however many lines an order has: per
table (products, variants) the limited rows are locked in one query (in id
order, products before variants, so that two checkouts sharing items cannot
deadlock) and changed in one ``UPDATE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When

from .cart import CartLine, PricedCart
from .models import Order, Product, ProductVariant


class SoldOut(Exception):
    def __init__(self, product: Product, name: str = "") -> None:
        super().__init__(name or product.name)
        self.product = product
        self.name = name or product.name


def _sum(pairs: Iterable[tuple[int | None, int]]) -> dict[int, int]:
    """Quantities summed per id (``None`` left out)."""
    quantities: dict[int, int] = {}
    for pk, quantity in pairs:
        if pk is not None:
            quantities[pk] = quantities.get(pk, 0) + quantity
    return quantities


def _change(
    model: type[models.Model], quantities: Mapping[int, int], sign: int, *, only_if_enough: bool
) -> int:
    """One ``UPDATE``: each row's stock moves by ``sign`` × its quantity
    (``only_if_enough``: only where the stock covers it). Returns the rows changed."""
    if not quantities:
        return 0
    delta = Case(
        *(When(pk=pk, then=Value(sign * quantity)) for pk, quantity in quantities.items()),
        output_field=IntegerField(),
    )
    rows = model._default_manager.filter(pk__in=list(quantities), stock__isnull=False)
    if only_if_enough:
        enough = Q()
        for pk, quantity in quantities.items():
            enough |= Q(pk=pk, stock__gte=quantity)
        rows = rows.filter(enough)
    return rows.update(stock=F("stock") + delta)


def _stocked(line: CartLine) -> Any:
    """What a cart line takes its stock from: its variant, else its product."""
    return line.variant if line.variant is not None else line.product


def _take(model: type[models.Model], limited: list[CartLine]) -> bool:
    """Reserve the ``limited`` lines' stock in ``model``'s table; raises SoldOut."""
    wanted = _sum((_stocked(line).pk, line.quantity) for line in limited)
    if not wanted:
        return False
    rows = (
        model._default_manager.select_for_update()
        .filter(pk__in=list(wanted), stock__isnull=False)
        .order_by("pk")
        .values_list("pk", "stock")
    )
    stock = {pk: left for pk, left in rows if left is not None}
    wanted = {pk: quantity for pk, quantity in wanted.items() if pk in stock}  # now unlimited
    for line in limited:
        pk = _stocked(line).pk
        if pk in wanted and stock[pk] < wanted[pk]:
            raise SoldOut(line.product, line.display_name)
    if _change(model, wanted, -1, only_if_enough=True) != len(wanted):  # never: rows locked
        raise SoldOut(limited[0].product, limited[0].display_name)
    return bool(wanted)


def reserve(priced: PricedCart) -> bool:
    """Take the stock for every limited line; call inside the order's transaction.

    Raises :class:`SoldOut` (and the transaction rolls every reservation back)
    when another shopper got there first. Returns whether anything was reserved.
    """
    limited = [line for line in priced.lines if _stocked(line).stock is not None]
    products = [line for line in limited if line.variant is None]
    variants = [line for line in limited if line.variant is not None]
    took_products = _take(Product, products)
    return _take(ProductVariant, variants) or took_products


def _per_table(order: Order) -> tuple[dict[int, int], dict[int, int]]:
    """An order's quantities per product (lines without a variant) and per variant.
    A line whose variant was deleted since touches no stock."""
    rows = list(order.lines.values_list("product_id", "variant_id", "variant_name", "quantity"))
    products = _sum((p, q) for p, v, name, q in rows if v is None and not name)
    variants = _sum((v, q) for p, v, name, q in rows if v is not None)
    return products, variants


def retake(order: Order) -> None:
    """A late payment after the reservation was given back: take the stock again
    where there is enough (it never goes below zero)."""
    products, variants = _per_table(order)
    _change(Product, products, -1, only_if_enough=True)
    _change(ProductVariant, variants, -1, only_if_enough=True)


def release(order: Order) -> None:
    """Give an order's reserved stock back, once: call with the order row locked,
    and save ``stock_reserved`` (now ``False``) with the order's new status."""
    if not order.stock_reserved:
        return
    products, variants = _per_table(order)
    _change(Product, products, +1, only_if_enough=False)
    _change(ProductVariant, variants, +1, only_if_enough=False)
    order.stock_reserved = False
