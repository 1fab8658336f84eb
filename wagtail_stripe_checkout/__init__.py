"""Sell from any Wagtail site with Stripe Checkout."""

__version__ = "0.1.0"
