"""Signals a site can listen to. Every one is sent after the transaction commits,
once per change of status (see ``order_states.TRANSITIONS``).

``order_created(sender=Order, order, request)``
    A pending order was saved, before Stripe is asked for a session.
``order_paid(sender=Order, order)``
    Payment is confirmed (exactly once per order).
``order_failed(sender=Order, order)``
    A delayed payment failed, or Stripe refused to start the payment.
``order_cancelled(sender=Order, order)``
    The shopper came back from Stripe with "cancel", or started another checkout.
``order_expired(sender=Order, order)``
    The Checkout Session expired unpaid.
``order_shipped(sender=Order, order)``
    Staff marked the order shipped (carrier and tracking on the order).
``order_refunded(sender=Order, order, amount, full)``
    Stripe reports a refund of ``amount`` (smallest unit); ``full`` when the
    whole total is now refunded.
"""

from django.dispatch import Signal

order_created = Signal()
order_paid = Signal()
order_failed = Signal()
order_cancelled = Signal()
order_expired = Signal()
order_shipped = Signal()
order_refunded = Signal()
