"""The download of a paid order's file, through a token (see :mod:`.downloads`).

The file is read from storage and sent by Django as an attachment marked
``Cache-Control: private, no-store``; the shopper never gets the document's
own media URL. A refused token gets a friendly page in the site's base
template: 404 for an unknown or forged token, 410 for a link that was revoked,
has expired or is used up. Every request counts against the ``download`` rate
limit of the client's address, valid or not, so tokens cannot be tried in bulk.
"""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import downloads, ratelimits
from .conf import app_settings
from .error_pages import render_error
from .shortcuts import home_url

logger = logging.getLogger("wagtail_stripe_checkout.downloads")


def refusal_page(request: HttpRequest, refusal: downloads.Refusal) -> HttpResponse:
    """A page in the site's base template that says why, with a 404 or 410 status."""
    context: dict[str, Any] = {
        "request": request,
        "status": refusal.status,
        "title": _("Download not available"),
        "message": refusal.message,
        "home_url": home_url(request),
        "base_template": app_settings.BASE_TEMPLATE,
    }
    body = render_to_string("wagtail_stripe_checkout/errors/error.html", context, request)
    response = HttpResponse(body, status=refusal.status)
    add_never_cache_headers(response)
    return response


def _file_response(link: Any, handle: Any) -> FileResponse:
    document = link.document
    filename = document.filename or f"{link.title}.bin"
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """Check the token, count the download, send the file."""
    if ratelimits.limited(request, "download"):
        message = _("Too many downloads in a short time. Please wait a minute and try again.")
        wait = str(ratelimits.retry_after("download"))
        return render_error(request, 429, message, Retry_After=wait)
    try:
        link = downloads.verify(token)
    except downloads.DownloadRefused as exc:
        return refusal_page(request, exc.refusal)
    try:
        if link.document is None:
            raise ValueError("no document")
        handle = link.document.file.open("rb")
    except (OSError, ValueError):
        logger.error("download_file_missing", extra={"order": link.order.reference})
        return refusal_page(request, downloads.Refusal.MISSING)
    try:
        downloads.record_download(link)
    except downloads.DownloadRefused as exc:  # used up or revoked a moment ago
        handle.close()
        return refusal_page(request, exc.refusal)
    logger.info("download_served", extra={"order": link.order.reference, "link": link.pk})
    return _file_response(link, handle)
