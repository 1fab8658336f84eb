"""What the admin dashboard shows about the link with Stripe: webhook deliveries
that failed and ``reconcile_stripe`` runs.

A webhook handler's error rolls back everything it wrote, the event's own row
too (so that Stripe's retry can succeed), so a failure is written here after
the rollback: the event's id and type, when, and the error's class; never the
payload or the error's message, which may quote personal data.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long failures and runs are kept; the dashboard looks back a day.
KEEP_FOR = timedelta(days=30)


class WebhookFailure(models.Model):
    """One delivery of a Stripe event that we answered with an error."""

    wagtail_reference_index_ignore = True  # a log, not content

    stripe_event_id = models.CharField(_("event id"), max_length=255, db_index=True)
    type = models.CharField(_("type"), max_length=100)
    error = models.CharField(_("error"), max_length=100, help_text=_("The exception's class."))
    failed_at = models.DateTimeField(_("failed at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-failed_at"]
        verbose_name = _("failed Stripe event")
        verbose_name_plural = _("failed Stripe events")

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id} ({self.error})"

    @classmethod
    def record(cls, stripe_event_id: str, event_type: str, error: BaseException) -> WebhookFailure:
        """Write one failure and forget those older than :data:`KEEP_FOR`."""
        now = timezone.now()
        cls.objects.filter(failed_at__lt=now - KEEP_FOR).delete()
        return cls.objects.create(
            stripe_event_id=stripe_event_id[:255],
            type=event_type[:100],
            error=type(error).__name__[:100],
            failed_at=now,
        )


class ReconcileRun(models.Model):
    """One run of ``reconcile_stripe`` and its report."""

    wagtail_reference_index_ignore = True  # a log, not content

    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    hours = models.PositiveIntegerField(_("hours looked back"))
    checked = models.PositiveIntegerField(_("sessions checked"), default=0)
    fulfilled = models.PositiveIntegerField(_("orders fulfilled"), default=0)
    expired = models.PositiveIntegerField(_("sessions expired"), default=0)
    abandoned = models.PositiveIntegerField(_("unsent orders closed"), default=0)
    error = models.CharField(
        _("error"), max_length=100, blank=True, help_text=_("The exception's class, if it failed.")
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("reconcile run")
        verbose_name_plural = _("reconcile runs")

    def __str__(self) -> str:
        return f"reconcile_stripe {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def ok(self) -> bool:
        return not self.error

    @classmethod
    def record(cls, **fields: object) -> ReconcileRun:
        """Write one run's report and forget runs older than :data:`KEEP_FOR`."""
        run = cls.objects.create(**fields)
        cls.objects.filter(started_at__lt=timezone.now() - KEEP_FOR).delete()
        return run
