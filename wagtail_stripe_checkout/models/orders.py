from __future__ import annotations

import secrets
import uuid
from decimal import Decimal
from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import pricing
from ..order_states import OrderEvent, OrderStatus, is_paid, next_transition

# Letters and digits that cannot be confused when read aloud or typed.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def format_address(name: str, address: dict[str, str | None]) -> str:
    """A postal address on lines, as on a parcel: name, street, city, country."""
    city = " ".join(
        part
        for part in (address.get("postal_code"), address.get("city"), address.get("state"))
        if part
    )
    parts = [name, address.get("line1"), address.get("line2"), city, address.get("country")]
    return "\n".join(str(p) for p in parts if p)


def new_reference() -> str:
    """A short order number for people ("K7Q2-MX4P"); not a secret, not an access key."""
    raw = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


class Order(models.Model):
    """One attempt to pay for a cart. Saved as pending before Stripe is called."""

    # Nothing in Wagtail's "usage" points at an order: keep its many saves (each
    # status change) out of the reference index (Wagtail 7.4 and 8 read this).
    wagtail_reference_index_ignore = True

    # Statuses and their transitions: ``order_states`` (one table).
    Status = OrderStatus

    # The id in URLs and in Stripe's metadata: random, so it cannot be guessed.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(
        _("order number"), max_length=12, unique=True, default=new_reference, editable=False
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
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
    # Whether a line's product had files to download when the order was placed: a
    # paid order without them reads no files and no links (the webhook's queries).
    has_downloads = models.BooleanField(default=False, editable=False)
    refunded_amount = models.BigIntegerField(_("refunded"), default=0)
    # The shopper's language at checkout: Checkout's locale and the emails follow it.
    language = models.CharField(_("language"), max_length=15, blank=True)
    shipping_country = models.CharField(_("shipping country"), max_length=2, blank=True)
    shipping_rate_name = models.CharField(_("shipping rate"), max_length=150, blank=True)

    # What Stripe charged and collected, recorded once when the order is paid.
    charged_subtotal = models.BigIntegerField(_("charged subtotal"), null=True, blank=True)
    charged_discount = models.BigIntegerField(_("discount"), null=True, blank=True)
    charged_tax = models.BigIntegerField(_("charged tax"), null=True, blank=True)
    charged_shipping = models.BigIntegerField(_("charged shipping"), null=True, blank=True)
    charged_total = models.BigIntegerField(_("charged"), null=True, blank=True)
    promotion_code = models.CharField(_("promotion code"), max_length=100, blank=True)
    presentment_currency = models.CharField(_("shopper's currency"), max_length=3, blank=True)
    presentment_amount = models.BigIntegerField(
        _("paid in the shopper's currency"), null=True, blank=True
    )
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    customer_phone = models.CharField(_("phone"), max_length=40, blank=True)
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    shipping_name = models.CharField(_("ship to"), max_length=200, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    tax_ids = models.JSONField(_("tax IDs"), default=list, blank=True)
    custom_fields = models.JSONField(_("answers"), default=list, blank=True)
    invoice_id = models.CharField(_("Stripe invoice"), max_length=255, blank=True)
    invoice_url = models.URLField(_("invoice"), max_length=2000, blank=True)

    # Fulfilment by staff.
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.URLField(_("tracking link"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("refund_order", "Can refund orders"),
            ("fulfil_order", "Can mark orders shipped and add notes"),
        ]
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
    def is_paid(self) -> bool:
        return is_paid(self.status)

    @property
    def charged_amount(self) -> int:
        """What Stripe charged (promotion codes and Stripe Tax included), else our total."""
        return self.charged_total if self.charged_total is not None else self.total

    @property
    def partially_refunded(self) -> bool:
        return self.is_paid and 0 < self.refunded_amount < self.charged_amount

    @property
    def refundable_amount(self) -> int:
        """What Stripe charged minus what was refunded; refunds cannot exceed it."""
        if not self.is_paid or self.status == self.Status.REFUNDED:
            return 0
        return max(self.charged_amount - self.refunded_amount, 0)

    @property
    def can_ship(self) -> bool:
        """Paid, not shipped yet, and something in it ships (digital goods do not)."""
        if next_transition(self.status, OrderEvent.SHIP) is None:
            return False
        return self.has_shipped_lines

    @cached_property
    def has_shipped_lines(self) -> bool:
        """Whether a line of the order ships (one query, once per instance)."""
        return self.pk is None or self.lines.filter(shipped=True).exists()

    def display(self, amount: int) -> str:
        return pricing.format_amount(amount, self.currency_info)

    @property
    def total_display(self) -> str:
        return self.display(self.charged_amount)

    # Major-unit amounts for exports (Decimal, exact).
    def _major(self, amount: int) -> Decimal:
        return pricing.from_minor(amount, self.currency_info)

    @property
    def subtotal_amount(self) -> Decimal:
        return self._major(self.totals.subtotal)

    @property
    def discount_amount(self) -> Decimal:
        return self._major(self.totals.discount)

    @property
    def tax_amount(self) -> Decimal:
        return self._major(self.totals.tax)

    @property
    def shipping_amount(self) -> Decimal:
        return self._major(self.totals.shipping)

    @property
    def total_amount(self) -> Decimal:
        return self._major(self.totals.total)

    @property
    def shipping_address_text(self) -> str:
        return format_address(self.shipping_name, self.shipping_address)

    @property
    def custom_fields_text(self) -> str:
        return "; ".join(f"{f.get('label')}: {f.get('value')}" for f in self.custom_fields)

    @property
    def tax_ids_text(self) -> str:
        return ", ".join(f"{t.get('value')} ({t.get('type')})" for t in self.tax_ids)

    @property
    def refunded_total_amount(self) -> Decimal:
        return self._major(self.refunded_amount)

    @property
    def totals(self) -> pricing.Totals:
        """What the order came to, in the same shape as a priced cart's totals: what
        Stripe charged once it is paid, what we computed before."""
        if self.charged_total is None:
            return pricing.Totals(
                currency=self.currency_info,
                subtotal=self.subtotal,
                tax=self.tax,
                shipping=self.shipping,
                total=self.total,
                tax_mode=pricing.TaxMode(self.tax_mode),
                tax_label=self.tax_label,
                shipping_label=self.shipping_rate_name,
                ships=self.ships,
            )
        return pricing.Totals(
            currency=self.currency_info,
            subtotal=self.charged_subtotal or 0,
            tax=self.charged_tax or 0,
            shipping=self.charged_shipping or 0,
            total=self.charged_total,
            tax_mode=pricing.TaxMode(self.tax_mode),
            tax_label=self.tax_label,
            discount=self.charged_discount or 0,
            final=True,
            shipping_label=self.shipping_rate_name,
            ships=self.ships,
        )

    @cached_property
    def ships(self) -> bool:
        """Whether anything in the order ships: only an order with downloads and
        no shipping charged is asked (one query), every other order ships."""
        if not self.has_downloads or self.shipping or self.shipping_rate_name:
            return True
        return self.has_shipped_lines

    @property
    def currency_info(self) -> pricing.Currency:
        return pricing.get_currency(self.currency)

    @property
    def tax_at_payment(self) -> bool:
        return self.tax_mode == pricing.TaxMode.STRIPE.value


class OrderLine(models.Model):
    """What was bought, as it was when the order was placed."""

    wagtail_reference_index_ignore = True

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "wagtail_stripe_checkout.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    variant = models.ForeignKey(
        "wagtail_stripe_checkout.ProductVariant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(max_length=255)
    variant_name = models.CharField(max_length=120, blank=True)
    sku = models.CharField(max_length=64)
    shipped = models.BooleanField(default=True)
    unit_amount = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    total = models.BigIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class WebhookEvent(models.Model):
    """Every Stripe event received, once: a repeat is answered without doing anything twice."""

    wagtail_reference_index_ignore = True

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
