"""Order emails: the shopper's confirmation, the "has shipped" email and an
optional staff notification.

Templates (override any of them), each ``<name>_subject.txt``, ``<name>.txt``
and (for the shopper) ``<name>.html`` in ``wagtail_stripe_checkout/emails/``:
``order_confirmation``, ``order_shipped`` and ``staff_notification``.

Every email sent, or failed, is a line in the order's history. A failure is
logged and never undoes the payment.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .conf import app_settings
from .history import log_action
from .models import Order

logger = logging.getLogger("wagtail_stripe_checkout.emails")

BASE = "wagtail_stripe_checkout/emails/"


def _context(order: Order) -> dict[str, Any]:
    site = order.site
    shop_name = (site.site_name if site and site.site_name else None) or getattr(
        settings, "WAGTAIL_SITE_NAME", "Our shop"
    )
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "totals": order.totals,
        "shop_name": shop_name,
    }


def _subject(template: str, context: dict[str, Any]) -> str:
    return " ".join(render_to_string(template, context).split())


def _send(order: Order, kind: str, template: str, to: list[str], *, html: bool) -> None:
    with translation.override(order.language or settings.LANGUAGE_CODE):
        message = _message(order, template, to, html=html)
    message.send()
    log_action(order, "email_sent", {"kind": kind})
    logger.info("order_email_sent", extra={"order": order.reference, "kind": kind})


def _message(order: Order, template: str, to: list[str], *, html: bool) -> EmailMultiAlternatives:
    """The email, in the language of the order."""
    context = _context(order)
    message = EmailMultiAlternatives(
        subject=_subject(f"{BASE}{template}_subject.txt", context),
        body=render_to_string(f"{BASE}{template}.txt", context),
        from_email=app_settings.FROM_EMAIL,
        to=to,
    )
    if html:
        message.attach_alternative(render_to_string(f"{BASE}{template}.html", context), "text/html")
    return message


def send_order_confirmation(order: Order) -> None:
    _send(order, "confirmation", "order_confirmation", [order.email], html=True)


def send_shipped(order: Order) -> None:
    _send(order, "shipped", "order_shipped", [order.email], html=True)


def notify_staff(order: Order) -> None:
    recipients = app_settings.STAFF_EMAILS
    if recipients:
        _send(order, "staff", "staff_notification", recipients, html=False)


def _safely(order: Order, kind: str, send: Any) -> None:
    """After commit: a mail failure is logged and written to the order's history."""
    try:
        send(order)
    except Exception as exc:
        logger.exception("order_email_failed", extra={"order": order.reference, "kind": kind})
        log_action(order, "email_failed", {"kind": kind, "error": type(exc).__name__})


def send_paid_emails(order: Order) -> None:
    _safely(order, "confirmation", send_order_confirmation)
    _safely(order, "staff", notify_staff)


def send_shipped_email(order: Order) -> None:
    _safely(order, "shipped", send_shipped)
