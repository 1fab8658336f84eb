from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import pricing
from ..order_states import OrderStatus

# Letters and digits that cannot be confused when read aloud or typed.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    """A short order number for people ("K7Q2-MX4P"); not a secret, not an access key."""
    raw = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


class Order(models.Model):
    """One attempt to pay for a cart. Saved as pending before Stripe is called."""

    # Statuses and their transitions: ``order_states`` (one table).
    Status = OrderStatus

    # The id in URLs and in Stripe's metadata: random, so it cannot be guessed.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(
        _("order number"), max_length=12, unique=True, default=new_reference, editable=False
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    site = models.ForeignKey(
        "wagtailcore.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.BigIntegerField(_("subtotal"))
    tax = models.BigIntegerField(_("tax"))
    tax_mode = models.CharField(max_length=16, default=pricing.TaxMode.NONE.value)
    tax_label = models.CharField(max_length=40, blank=True)
    shipping = models.BigIntegerField(_("shipping"))
    total = models.BigIntegerField(_("total"))
    stripe_session_id = models.CharField(
        _("Stripe Checkout Session"), max_length=255, unique=True, null=True, blank=True
    )
    # Hosted page of the session, so a repeated submit goes back to it without
    # asking Stripe again.
    stripe_checkout_url = models.URLField(max_length=2000, blank=True, editable=False)
    # Same browser session + same cart + same details = the same pending order,
    # so a double click cannot create two orders or two Checkout Sessions.
    checkout_key = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # The browser session that placed it (a digest of its key, never the key):
    # one browser holds at most one order awaiting payment.
    browser_key = models.CharField(max_length=32, blank=True, editable=False)
    # A keyed digest of the client's address (never the address), to cap how
    # many checkouts one address may have awaiting payment.
    client_key = models.CharField(max_length=32, blank=True, editable=False, db_index=True)
    stripe_payment_intent_id = models.CharField(
        _("Stripe PaymentIntent"), max_length=255, blank=True, db_index=True
    )
    # Stock taken for this order's lines while its session is open; given back
    # once when the session expires, is cancelled or its payment fails.
    stock_reserved = models.BooleanField(default=False, editable=False)
    refunded_amount = models.BigIntegerField(_("refunded"), default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("refund_order", "Can refund orders")]
        constraints = [
            models.UniqueConstraint(
                fields=["checkout_key"],
                condition=models.Q(status="pending") & ~models.Q(checkout_key=""),
                name="wsc_one_pending_order_per_checkout_key",
            ),
            models.UniqueConstraint(
                fields=["browser_key"],
                condition=models.Q(status="pending") & ~models.Q(browser_key=""),
                name="wsc_one_pending_order_per_browser",
            ),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.reference

    @property
    def partially_refunded(self) -> bool:
        return self.status == self.Status.PAID and 0 < self.refunded_amount < self.total

    @property
    def refundable_amount(self) -> int:
        return max(self.total - self.refunded_amount, 0) if self.status == self.Status.PAID else 0

    def display(self, amount: int) -> str:
        return pricing.format_amount(amount, self.currency_info)

    @property
    def total_display(self) -> str:
        return self.display(self.total)

    # Major-unit amounts for exports (Decimal, exact).
    def _major(self, amount: int) -> Decimal:
        return pricing.from_minor(amount, self.currency_info)

    @property
    def subtotal_amount(self) -> Decimal:
        return self._major(self.subtotal)

    @property
    def tax_amount(self) -> Decimal:
        return self._major(self.tax)

    @property
    def shipping_amount(self) -> Decimal:
        return self._major(self.shipping)

    @property
    def total_amount(self) -> Decimal:
        return self._major(self.total)

    @property
    def refunded_total_amount(self) -> Decimal:
        return self._major(self.refunded_amount)

    @property
    def totals(self) -> pricing.Totals:
        """What the order came to, in the same shape as a priced cart's totals."""
        return pricing.Totals(
            currency=self.currency_info,
            subtotal=self.subtotal,
            tax=self.tax,
            shipping=self.shipping,
            total=self.total,
            tax_mode=pricing.TaxMode(self.tax_mode),
            tax_label=self.tax_label,
        )

    @property
    def currency_info(self) -> pricing.Currency:
        return pricing.get_currency(self.currency)

    @property
    def tax_at_payment(self) -> bool:
        return self.tax_mode == pricing.TaxMode.STRIPE.value


class OrderLine(models.Model):
    """What was bought, as it was when the order was placed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "wagtail_stripe_checkout.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(max_length=255)
    sku = models.CharField(max_length=64)
    unit_amount = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    total = models.BigIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class WebhookEvent(models.Model):
    """Every Stripe event received, once: a repeat is answered without doing anything twice."""

    class Outcome(models.TextChoices):
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("Stripe event")

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id}"
