"""Signals a site can listen to. Every one is sent after the transaction commits.

``order_created(sender=Order, order=order, request=request)``
    An order was saved as pending, before Stripe is asked for a session.
``order_paid(sender=Order, order=order)``
    Payment is confirmed; sent exactly once per order.
"""

from django.dispatch import Signal

order_created = Signal()
order_paid = Signal()
