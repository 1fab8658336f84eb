"""Template tags for digital goods: ``{% load wagtail_stripe_checkout_downloads %}``.

* ``{% download_links order as links %}``: the order's download links (not the
  revoked ones), each with ``title``, ``url``, ``expires_at``,
  ``downloads_left``, ``state`` and ``is_active``; ``absolute=True`` makes the
  URLs absolute on the order's site, for emails (sent without a request).
"""

from __future__ import annotations

from django import template

from ..downloads import LinkView, links_for
from ..models import Order

register = template.Library()


@register.simple_tag
def download_links(order: Order | None, absolute: bool = False) -> list[LinkView]:
    """Read once per order instance: an email's text and HTML parts share one query."""
    if order is None or order.pk is None:
        return []
    cache: dict[bool, list[LinkView]] = order.__dict__.setdefault("_wsc_download_links", {})
    if absolute not in cache:
        cache[absolute] = links_for(order, absolute=absolute)
    return cache[absolute]
