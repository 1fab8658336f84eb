"""Download links for the digital goods of a paid order.

When an order becomes paid, :mod:`.fulfilment` calls :func:`make_links` in the
same transaction: one :class:`~.models.DownloadLink` per file of each paid line
whose product has files (a product's files without a variant go with every
variant; a file with a variant only with that variant's lines). A link is a
random token (``secrets.token_urlsafe(32)``: 256 bits, not guessable), an
expiry (``DOWNLOAD_EXPIRY_HOURS``) and a number of downloads
(``DOWNLOAD_LIMIT``).

:func:`verify` finds the link of a token and says why it cannot be used
(unknown, revoked, expired, used up); :func:`record_download` counts a download
with a conditional ``UPDATE``, so two downloads at the same moment can never
exceed the limit, and keeps a :class:`~.models.Download` row. :func:`revoke`
(a full refund) and :func:`extend` (staff) change an order's links. Each of
these writes a line in the order's history.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .conf import app_settings
from .history import log_action
from .models import Download, DownloadLink, Order, OrderLine, ProductFile
from .order_states import OrderStatus, is_paid

# secrets.token_urlsafe(32) gives 43 characters; anything else is not a token of ours.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Refusal(enum.Enum):
    """Why a token cannot be used."""

    NOT_FOUND = "not_found"  # unknown or forged
    REVOKED = "revoked"  # the order was refunded
    EXPIRED = "expired"
    USED_UP = "used_up"
    MISSING = "missing"  # the file was deleted since

    @property
    def status(self) -> int:
        return 404 if self is Refusal.NOT_FOUND else 410

    @property
    def message(self) -> str:
        return str(
            {
                Refusal.NOT_FOUND: _(
                    "This download link is not valid. Check that it was copied whole."
                ),
                Refusal.REVOKED: _("This download link was withdrawn, for example after a refund."),
                Refusal.EXPIRED: _(
                    "This download link has expired. Contact the shop if you need it again."
                ),
                Refusal.USED_UP: _(
                    "This download link has been used as often as it allows. Contact the shop "
                    "if you need it again."
                ),
                Refusal.MISSING: _("This file is no longer available. Please contact the shop."),
            }[self]
        )


class DownloadRefused(Exception):
    """A token that cannot be used now; ``refusal`` says why."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


class State(str, enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return str(
            {
                State.ACTIVE: pgettext_lazy("download link", "active"),
                State.EXPIRED: pgettext_lazy("download link", "expired"),
                State.USED_UP: pgettext_lazy("download link", "used up"),
                State.REVOKED: pgettext_lazy("download link", "revoked"),
            }[self]
        )


def state_of(link: DownloadLink, now: datetime | None = None) -> State:
    now = now or timezone.now()
    if link.revoked_at is not None:
        return State.REVOKED
    if link.expires_at <= now:
        return State.EXPIRED
    if link.download_count >= link.max_downloads:
        return State.USED_UP
    return State.ACTIVE


@dataclass(frozen=True)
class LinkView:
    """A link as the shopper's pages and emails and the order's admin page show it."""

    link: DownloadLink
    url: str
    state: State

    @property
    def title(self) -> str:
        return self.link.title

    @property
    def expires_at(self) -> datetime:
        return self.link.expires_at

    @property
    def downloads_left(self) -> int:
        return max(self.link.max_downloads - self.link.download_count, 0)

    @property
    def is_active(self) -> bool:
        return self.state is State.ACTIVE


def download_path(token: str) -> str:
    return reverse("wagtail_stripe_checkout:download", args=[token])


def site_root_url(order: Order) -> str:
    """The order's site (``Site.root_url``): emails are sent without a request."""
    site = order.site
    return site.root_url.rstrip("/") if site is not None else ""


def links_for(
    order: Order, *, absolute: bool = False, include_revoked: bool = False
) -> list[LinkView]:
    """The order's links; absolute URLs (on the order's site) for emails."""
    if not order.has_downloads:  # nothing to read: no query
        return []
    base = site_root_url(order) if absolute else ""
    now = timezone.now()
    links = DownloadLink.objects.filter(order=order)
    if not include_revoked:
        links = links.filter(revoked_at__isnull=True)
    return [LinkView(link, base + download_path(link.token), state_of(link, now)) for link in links]


# Making the links --------------------------------------------------------------


def sells_files(product_ids: list[int]) -> bool:
    """Whether any of these products has files to download (one query; none for
    no products): an order remembers it as ``has_downloads``."""
    return bool(product_ids) and ProductFile.objects.filter(product_id__in=product_ids).exists()


def _files(order: Order) -> list[ProductFile]:
    """The files of the order's products, in one query (none for goods that ship)."""
    products = OrderLine.objects.filter(order=order, product__isnull=False).values("product_id")
    return list(
        ProductFile.objects.filter(product_id__in=products)
        .select_related("document")
        .order_by("product_id", "sort_order", "pk")
    )


def _applies(file: ProductFile, line: OrderLine) -> bool:
    return file.product_id == line.product_id and file.variant_id in (None, line.variant_id)


def make_links(order: Order, *, user: Any = None) -> list[DownloadLink]:
    """The links of a paid order's files, made once: called again, it makes none."""
    if not order.has_downloads:
        return []
    files = _files(order)
    if not files or DownloadLink.objects.filter(order=order).exists():
        return []
    now = timezone.now()
    expires = now + timedelta(hours=app_settings.DOWNLOAD_EXPIRY_HOURS)
    limit = app_settings.DOWNLOAD_LIMIT
    links = [
        DownloadLink(
            order=order,
            line=line,
            document=file.document,
            title=(file.document.title or line.name)[:255],
            token=new_token(),
            expires_at=expires,
            max_downloads=limit,
        )
        for line in order.lines.filter(product__isnull=False).order_by("pk")
        for file in files
        if _applies(file, line)
    ]
    if not links:
        return []
    DownloadLink.objects.bulk_create(links)
    titles = ", ".join(link.title for link in links)
    log_action(order, "downloads_created", {"text": titles, "count": len(links)}, user)
    return links


# Using a link ---------------------------------------------------------------------


def _refusal(link: DownloadLink, now: datetime) -> Refusal | None:
    order_status = link.order.status
    if link.revoked_at is not None or not is_paid(order_status):
        return Refusal.REVOKED
    if order_status == OrderStatus.REFUNDED:
        return Refusal.REVOKED
    if link.expires_at <= now:
        return Refusal.EXPIRED
    if link.download_count >= link.max_downloads:
        return Refusal.USED_UP
    if link.document_id is None:
        return Refusal.MISSING
    return None


def verify(token: Any) -> DownloadLink:
    """The usable link of ``token``; raises :class:`DownloadRefused` saying why not."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        raise DownloadRefused(Refusal.NOT_FOUND)
    link = DownloadLink.objects.select_related("order", "document").filter(token=token).first()
    if link is None or not secrets.compare_digest(link.token.encode(), token.encode()):
        raise DownloadRefused(Refusal.NOT_FOUND)
    refusal = _refusal(link, timezone.now())
    if refusal is not None:
        raise DownloadRefused(refusal)
    return link


def record_download(link: DownloadLink) -> Download:
    """Count one download of ``link``, if it still has one left, and record it.

    The count only goes up in one conditional ``UPDATE`` (not revoked, not
    expired, fewer downloads than allowed), so concurrent downloads never pass
    the limit. Raises :class:`DownloadRefused` when it is not allowed."""
    now = timezone.now()
    if link.order.status == OrderStatus.REFUNDED:  # (a full refund revokes its links too)
        raise DownloadRefused(Refusal.REVOKED)
    with transaction.atomic():
        # Only the link's own columns in the WHERE: a condition through a join
        # would make Django write ``WHERE id IN (SELECT ...)``, which PostgreSQL
        # does not re-check against a row another download just counted.
        counted = DownloadLink.objects.filter(
            pk=link.pk,
            revoked_at__isnull=True,
            expires_at__gt=now,
            download_count__lt=F("max_downloads"),
        ).update(download_count=F("download_count") + 1)
        if not counted:
            link.refresh_from_db()
            raise DownloadRefused(_refusal(link, now) or Refusal.USED_UP)
        record = Download.objects.create(link=link)
        link.refresh_from_db(fields=["download_count"])
        data = {"text": link.title, "count": link.download_count}
        log_action(link.order, "downloaded", data)
    return record


# Staff and refunds ------------------------------------------------------------------


def revoke(order: Order, *, user: Any = None) -> int:
    """Withdraw every link of the order (a full refund); returns how many."""
    if not order.has_downloads:
        return 0
    count = DownloadLink.objects.filter(order=order, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if count:
        log_action(order, "downloads_revoked", {"count": count}, user)
    return count


def extend(order: Order, hours: int, *, reset_counts: bool = False, user: Any = None) -> int:
    """Make the order's links work for ``hours`` from now; returns how many changed.

    Only the expiry changes, unless ``reset_counts`` also gives back every
    download (the records of past downloads stay). Revoked links stay revoked:
    a refund is not undone by an extension."""
    if hours < 1:
        raise ValueError("hours must be at least 1")
    expires = timezone.now() + timedelta(hours=hours)
    fields: dict[str, Any] = {"expires_at": expires}
    if reset_counts:
        fields["download_count"] = 0
    count = DownloadLink.objects.filter(order=order, revoked_at__isnull=True).update(**fields)
    if count:
        data = {
            "text": timezone.localtime(expires).strftime("%Y-%m-%d %H:%M"),
            "hours": hours,
            "count": count,
            "reset_counts": reset_counts,
        }
        log_action(order, "downloads_extended", data, user)
    return count
