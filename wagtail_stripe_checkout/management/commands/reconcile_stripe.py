"""Ask Stripe for recent Checkout Sessions and catch up on whatever webhooks missed.

    python manage.py reconcile_stripe [--hours 72]

See ``wagtail_stripe_checkout.reconcile``. Safe to run as often as you like
(cron): a second run changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...conf import app_settings
from ...reconcile import reconcile
from ...services import StripeServiceError


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
        try:
            report = reconcile(options["hours"] or app_settings.RECONCILE_HOURS)
        except StripeServiceError as exc:
            raise CommandError(f"Stripe could not be asked: {exc.log_details}") from exc
        self.stdout.write(str(report))
