"""Ask Stripe for recent Checkout Sessions and catch up on whatever webhooks missed.

    python manage.py reconcile_stripe [--hours 72]

Paid sessions whose order is not paid here are fulfilled (through the same
``fulfil`` as the webhook); expired sessions close their pending order and give
its stock back; pending orders that never got a session are closed after an
hour. Safe to run as often as you like (cron): a second run changes nothing.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ... import fulfilment
from ...conf import app_settings
from ...models import Order
from ...services import StripeServiceError, get_gateway


class Command(BaseCommand):
    help = "Fulfil paid and close expired Checkout Sessions that webhooks did not report."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--hours",
            type=int,
            default=None,
            help="How far back to look (default WAGTAIL_STRIPE_CHECKOUT_RECONCILE_HOURS, 72).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["hours"] or app_settings.RECONCILE_HOURS
        since = int(time.time()) - hours * 3600
        gateway = get_gateway()
        counts = {"checked": 0, "fulfilled": 0, "expired": 0, "abandoned": 0}
        try:
            for session in gateway.list_checkout_sessions(created_since=since, status="complete"):
                counts["checked"] += 1
                if not session.is_paid:
                    continue
                if (
                    not Order.objects.filter(stripe_session_id=session.id)
                    .exclude(status__in=[Order.Status.PAID, Order.Status.REFUNDED])
                    .exists()
                ):
                    continue
                if fulfilment.fulfil(session.id, session=session) is fulfilment.Outcome.FULFILLED:
                    counts["fulfilled"] += 1
            for session in gateway.list_checkout_sessions(created_since=since, status="expired"):
                counts["checked"] += 1
                if fulfilment.expire(session.id) is fulfilment.Outcome.CHANGED:
                    counts["expired"] += 1
        except StripeServiceError as exc:
            raise CommandError(f"Stripe could not be asked: {exc.log_details}") from exc

        stale = timezone.now() - timedelta(hours=1)
        for order in Order.objects.filter(
            status=Order.Status.PENDING, stripe_session_id__isnull=True, created_at__lt=stale
        ):
            if fulfilment.fail(order) is fulfilment.Outcome.CHANGED:
                counts["abandoned"] += 1

        self.stdout.write(
            "Checked {checked} sessions: fulfilled {fulfilled}, expired {expired}; "
            "closed {abandoned} orders that never reached Stripe.".format(**counts)
        )
