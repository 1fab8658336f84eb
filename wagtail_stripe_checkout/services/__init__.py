"""The Stripe service layer: the only package code that talks to Stripe."""

from .errors import (
    AuthenticationFailed,
    ConnectionFailed,
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    PaymentDeclined,
    PermissionDenied,
    RateLimited,
    StripeServiceError,
    StripeUnavailable,
    TimedOut,
)
from .gateway import StripeGateway, checkout_locale, checkout_locales, get_gateway
from .objects import CheckoutSession, Event, LineItem, MalformedEvent, Refund, session_from_dict
from .signatures import InvalidSignature, verify_webhook

__all__ = [
    "AuthenticationFailed",
    "CheckoutSession",
    "ConnectionFailed",
    "Event",
    "IdempotencyConflict",
    "InvalidRequest",
    "InvalidSignature",
    "LineItem",
    "MalformedEvent",
    "NotFound",
    "PaymentDeclined",
    "PermissionDenied",
    "RateLimited",
    "Refund",
    "StripeGateway",
    "StripeServiceError",
    "StripeUnavailable",
    "TimedOut",
    "checkout_locale",
    "checkout_locales",
    "get_gateway",
    "session_from_dict",
    "verify_webhook",
]
