"""Work done after a payment, as tasks on the framework Wagtail itself uses.

Django 6.0 and later have ``django.tasks``; on Django 5.2 the ``django_tasks``
backport (a dependency of Wagtail 7.4 and 8) provides the same API. Which
backend runs the tasks is the site's ``TASKS`` setting: by default the
immediate backend runs them at once, in the request that enqueued them (as
before tasks); with a worker backend such as django-tasks-db's (``manage.py
db_worker``) the webhook answers Stripe first and a worker sends the emails
(see ``docs/deployment.md``).

Tasks are enqueued once the transaction commits (``transaction.on_commit``),
so a rolled-back payment sends nothing, and take the order's id, never the
instance. A task that cannot be queued, or an email that cannot be sent, is
logged and written to the order's history; it never fails the payment.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction

from . import emails
from .models import Order, OrderLine

if TYPE_CHECKING:  # one API, typed once
    from django.tasks import task
else:
    try:  # Django 6.0+: the framework is Django's own
        from django.tasks import task
    except ImportError:  # Django 5.2: the backport Wagtail installs and uses
        from django_tasks import task

logger = logging.getLogger("wagtail_stripe_checkout.tasks")


@task()
def send_order_emails(order_id: int, kinds: list[str]) -> list[str]:
    """Send the emails of ``kinds`` (``emails.KINDS``) for the order; return the
    kinds sent. One query reads the order with its site and lines for all of them."""
    lines = list(OrderLine.objects.select_related("order__site").filter(order_id=order_id))
    order = lines[0].order if lines else _order(order_id)
    if order is None:  # deleted since it was queued
        logger.warning("order_email_order_missing", extra={"order_id": order_id, "kinds": kinds})
        return []
    return emails.send(order, kinds, lines=lines)


def _order(order_id: int) -> Order | None:
    return Order.objects.select_related("site").filter(pk=order_id).first()


def enqueue_emails(order: Order, kinds: Sequence[str]) -> None:
    """Queue the order's emails of ``kinds`` once the current transaction commits
    (at once outside a transaction); never raises."""
    transaction.on_commit(partial(_enqueue, order, list(kinds)))


def _enqueue(order: Order, kinds: list[str]) -> None:
    try:
        send_order_emails.enqueue(order.pk, kinds)
    except Exception as exc:  # the task backend is down or misconfigured
        details = {"order": order.reference, "kinds": kinds, "error": type(exc).__name__}
        logger.error("order_email_not_queued", extra=details)
        try:
            emails.record_not_queued(order, kinds, exc)
        except DatabaseError:  # the database too: the log above has it
            logger.warning("order_email_failure_not_recorded", extra=details)
