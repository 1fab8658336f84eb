"""Our exceptions for everything that can go wrong talking to Stripe.

Each carries ``user_message`` (safe to show a shopper: no Stripe jargon, no
request details) and ``log_details`` (ids and codes for the log: never keys,
card data or personal data).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class StripeServiceError(Exception):
    user_message: Any = _(
        "We could not reach our payment provider. Your cart is saved; please try again."
    )
    retryable = True

    def __init__(self, detail: str = "", **log_details: Any) -> None:
        super().__init__(detail or self.__class__.__name__)
        self.log_details = {"error": self.__class__.__name__, **log_details}
        self.stripe_message = ""  # Stripe's message, for staff only


class PaymentDeclined(StripeServiceError):
    user_message = _("Your card was declined. Please try another card.")
    retryable = False


class InvalidRequest(StripeServiceError):
    user_message = _(
        "Payment could not be started because of a problem on our side. "
        "Your cart is saved; please try again later or contact us."
    )
    retryable = False


class NotFound(InvalidRequest):
    user_message = _("We could not find that payment.")


class AuthenticationFailed(StripeServiceError):
    user_message = _(
        "Payments are not available right now because of a configuration problem on our "
        "side. Your cart is saved; please try again later."
    )
    retryable = False


class PermissionDenied(AuthenticationFailed):
    pass


class RateLimited(StripeServiceError):
    user_message = _(
        "Our payment provider is busy right now. Your cart is saved; please try again in a moment."
    )


class ConnectionFailed(StripeServiceError):
    pass


class TimedOut(ConnectionFailed):
    user_message = _(
        "Our payment provider took too long to answer. Your cart is saved; please try again."
    )


class StripeUnavailable(StripeServiceError):
    user_message = _(
        "Our payment provider is having trouble right now. Your cart is saved; please try "
        "again in a few minutes."
    )


class IdempotencyConflict(InvalidRequest):
    user_message = _("Your cart changed while payment was starting. Please press the button again.")
    retryable = True
