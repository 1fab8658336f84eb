"""Order emails: the shopper's confirmation, the "has shipped" email and an
optional staff notification.

Templates (override any of them), each ``<name>_subject.txt``, ``<name>.txt``
and (for the shopper) ``<name>.html`` in ``wagtail_stripe_checkout/emails/``:
``order_confirmation``, ``order_shipped``, ``download_links`` and
``staff_notification``.

:func:`send` is what the tasks in :mod:`.tasks` run, after the payment has
committed. Every email sent, or failed, is a line in the order's history. A
failure is logged (the order's number, the email's kind and the error's class:
never an address, a name or the error's text, which may quote them) and never
undoes the payment; staff can send the confirmation again from the admin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .conf import app_settings
from .history import log_actions
from .models import Order, OrderLine

logger = logging.getLogger("wagtail_stripe_checkout.emails")

BASE = "wagtail_stripe_checkout/emails/"


@dataclass(frozen=True)
class Kind:
    """One kind of order email: its templates and who receives it."""

    template: str
    recipients: Callable[[Order], list[str]]
    html: bool = True


def _shopper(order: Order) -> list[str]:
    return [order.email] if order.email else []


def _staff(order: Order) -> list[str]:
    return list(app_settings.STAFF_EMAILS)


KINDS: dict[str, Kind] = {
    "confirmation": Kind("order_confirmation", _shopper),
    "staff": Kind("staff_notification", _staff, html=False),
    "shipped": Kind("order_shipped", _shopper),
    # The links of digital goods again (staff: "Resend download links"); the
    # templates read them with {% download_links order absolute=True as links %}.
    "download_links": Kind("download_links", _shopper),
}
PAID = ("confirmation", "staff")
SHIPPED = ("shipped",)


def _context(order: Order, lines: list[OrderLine] | None = None) -> dict[str, Any]:
    site = order.site
    shop_name = (site.site_name if site and site.site_name else None) or getattr(
        settings, "WAGTAIL_SITE_NAME", "Our shop"
    )
    return {
        "order": order,
        "lines": list(order.lines.all()) if lines is None else lines,
        "totals": order.totals,
        "shop_name": shop_name,
    }


def _subject(template: str, context: dict[str, Any]) -> str:
    return " ".join(render_to_string(template, context).split())


def _message(kind: Kind, to: list[str], context: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=_subject(f"{BASE}{kind.template}_subject.txt", context),
        body=render_to_string(f"{BASE}{kind.template}.txt", context),
        from_email=app_settings.FROM_EMAIL,
        to=to,
    )
    if kind.html:
        html = render_to_string(f"{BASE}{kind.template}.html", context)
        message.attach_alternative(html, "text/html")
    return message


class _Context:
    """The templates' context, built once for all of an order's emails, and only
    when an email is sent."""

    def __init__(self, order: Order, lines: list[OrderLine] | None) -> None:
        self.order = order
        self.lines = lines
        self.value: dict[str, Any] | None = None

    def get(self) -> dict[str, Any]:
        if self.value is None:
            self.value = _context(self.order, self.lines)
        return self.value


def _send_one(order: Order, name: str, context: _Context) -> tuple[str, dict[str, Any]] | None:
    """Send one email; its line for the history (``None`` when it has no recipient)."""
    kind = KINDS[name]
    to = kind.recipients(order)
    if not to:
        return None
    try:
        with translation.override(order.language or settings.LANGUAGE_CODE):
            message = _message(kind, to, context.get())
        message.send()
    except Exception as exc:
        logger.error(
            "order_email_failed",
            extra={"order": order.reference, "kind": name, "error": type(exc).__name__},
        )
        return "email_failed", {"kind": name, "error": type(exc).__name__}
    logger.info("order_email_sent", extra={"order": order.reference, "kind": name})
    return "email_sent", {"kind": name}


def send(order: Order, kinds: Iterable[str], *, lines: list[OrderLine] | None = None) -> list[str]:
    """Send the order's emails of ``kinds`` (names in :data:`KINDS`), each on its own:
    one failing does not stop the next. Writes their lines in the order's history
    and returns the kinds that were sent. ``lines`` are the order's
    lines when the caller has read them already."""
    context = _Context(order, lines)
    done = [entry for name in kinds if (entry := _send_one(order, name, context))]
    log_actions(order, done)
    return [data["kind"] for action, data in done if action == "email_sent"]


def record_not_queued(order: Order, kinds: Iterable[str], error: BaseException) -> None:
    """The emails could not even be queued: one "Email failed" line each."""
    failed = {"error": type(error).__name__}
    log_actions(order, [("email_failed", {"kind": name, **failed}) for name in kinds])
