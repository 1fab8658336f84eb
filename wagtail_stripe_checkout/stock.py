"""Stock reservation: taken when a Checkout Session is about to be created, given
back once if it never gets paid. Conditional updates, so it cannot oversell."""

from __future__ import annotations

from django.db.models import F

from .cart import PricedCart
from .models import Order, Product


class SoldOut(Exception):
    def __init__(self, product: Product) -> None:
        super().__init__(product.name)
        self.product = product


def reserve(priced: PricedCart) -> bool:
    """Take the stock for every limited line; call inside the order's transaction.

    Raises :class:`SoldOut` (and the transaction rolls every reservation back)
    when another shopper got there first. Returns whether anything was reserved.
    """
    reserved = False
    for line in priced.lines:
        if line.product.stock is None:
            continue
        taken = Product.objects.filter(
            pk=line.product.pk, stock__isnull=False, stock__gte=line.quantity
        ).update(stock=F("stock") - line.quantity)
        if not taken:
            raise SoldOut(line.product)
        reserved = True
    return reserved


def retake(order: Order) -> None:
    """A late payment after the reservation was given back: take the stock again
    where there is enough (it never goes below zero)."""
    for line in order.lines.all():
        if line.product_id is not None:
            Product.objects.filter(pk=line.product_id, stock__gte=line.quantity).update(
                stock=F("stock") - line.quantity
            )


def release(order: Order) -> None:
    """Give an order's reserved stock back, once: call with the order row locked,
    and save ``stock_reserved`` (now ``False``) with the order's new status."""
    if not order.stock_reserved:
        return
    for line in order.lines.all():
        if line.product_id is not None:
            Product.objects.filter(pk=line.product_id, stock__isnull=False).update(
                stock=F("stock") + line.quantity
            )
    order.stock_reserved = False
