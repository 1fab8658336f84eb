"""Order emails: the shopper's confirmation and an optional staff notification.

Templates (override any of them):
``wagtail_stripe_checkout/emails/order_confirmation_subject.txt``, ``….txt``, ``….html``
and ``wagtail_stripe_checkout/emails/staff_notification_subject.txt``, ``….txt``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .conf import app_settings
from .models import Order

logger = logging.getLogger("wagtail_stripe_checkout.emails")


def _context(order: Order) -> dict[str, object]:
    site = order.site
    shop_name = (site.site_name if site and site.site_name else None) or getattr(
        settings, "WAGTAIL_SITE_NAME", "Our shop"
    )
    return {"order": order, "lines": list(order.lines.all()), "shop_name": shop_name}


def _subject(template: str, context: dict[str, object]) -> str:
    return " ".join(render_to_string(template, context).split())


def send_order_confirmation(order: Order) -> None:
    context = _context(order)
    base = "wagtail_stripe_checkout/emails/order_confirmation"
    message = EmailMultiAlternatives(
        subject=_subject(f"{base}_subject.txt", context),
        body=render_to_string(f"{base}.txt", context),
        from_email=app_settings.FROM_EMAIL,
        to=[order.email],
    )
    message.attach_alternative(render_to_string(f"{base}.html", context), "text/html")
    message.send()
    logger.info("order_email_sent", extra={"order": order.reference, "kind": "confirmation"})


def notify_staff(order: Order) -> None:
    recipients = app_settings.STAFF_EMAILS
    if not recipients:
        return
    context = _context(order)
    base = "wagtail_stripe_checkout/emails/staff_notification"
    EmailMultiAlternatives(
        subject=_subject(f"{base}_subject.txt", context),
        body=render_to_string(f"{base}.txt", context),
        from_email=app_settings.FROM_EMAIL,
        to=recipients,
    ).send()
    logger.info("order_email_sent", extra={"order": order.reference, "kind": "staff"})


def send_paid_emails(order: Order) -> None:
    """After commit: a mail failure is logged and never undoes the payment."""
    for send in (send_order_confirmation, notify_staff):
        try:
            send(order)
        except Exception:
            logger.exception("order_email_failed", extra={"order": order.reference})
