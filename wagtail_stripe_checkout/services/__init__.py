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
from .gateway import CheckoutSession, LineItem, StripeGateway, get_gateway

__all__ = [
    "AuthenticationFailed",
    "CheckoutSession",
    "ConnectionFailed",
    "IdempotencyConflict",
    "InvalidRequest",
    "LineItem",
    "NotFound",
    "PaymentDeclined",
    "PermissionDenied",
    "RateLimited",
    "StripeGateway",
    "StripeServiceError",
    "StripeUnavailable",
    "TimedOut",
    "get_gateway",
]
