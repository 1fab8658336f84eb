"""Rate limits per client address, counted in the cache (``RATELIMIT_USE_CACHE``,
Django's default cache unless set), so that every app server shares them.

The client address is ``REMOTE_ADDR``. Behind proxies of your own, set
``WAGTAIL_STRIPE_CHECKOUT_TRUSTED_PROXIES`` to how many there are: the address
is then read that many places from the right of ``X-Forwarded-For`` (what your
proxies appended), so a shopper cannot choose it by sending the header.
"""

from __future__ import annotations

import ipaddress
import logging
import re

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from .conf import app_settings

logger = logging.getLogger("wagtail_stripe_checkout.ratelimits")


def client_address(request: HttpRequest) -> str:
    """The address of the client, as far as your own proxies vouch for it."""
    address = str(request.META.get("REMOTE_ADDR") or "")
    hops = app_settings.TRUSTED_PROXIES
    if hops > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        # Each trusted proxy appended the address it saw; the one the last of
        # them saw is the client's. Fewer entries than proxies: keep the peer.
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:  # one subscriber usually holds a whole /64
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def _key(group: str, request: HttpRequest) -> str:
    return client_address(request)


def limited(request: HttpRequest, group: str) -> bool:
    """Count this request in ``group`` and say whether it is over the rate."""
    rate = app_settings.RATE_LIMITS.get(group)
    if not rate:
        return False
    usage = get_usage(
        request, group=f"wagtail_stripe_checkout.{group}", key=_key, rate=rate, increment=True
    )
    if usage is None or not usage["should_limit"]:
        return False
    logger.warning("rate_limited", extra={"group": group, "rate": rate})
    return True


_RATE = re.compile(r"^\s*(\d+)/(\d*)([smhd])?\s*$")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def period_seconds(rate: str) -> int:
    """``"10/m"`` → 60, ``"100/5m"`` → 300 (django-ratelimit's notation)."""
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"{rate!r} is not a rate such as '10/m'")
    return int(match.group(2) or 1) * _PERIODS[match.group(3) or "s"]


def retry_after(group: str) -> int:
    """Seconds a limited client should wait at most: one period of the group's rate."""
    return period_seconds(app_settings.RATE_LIMITS.get(group) or "1/m")
