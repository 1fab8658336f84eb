"""Helpers shared by the test modules (factories, HTTP helpers, the browser)."""
