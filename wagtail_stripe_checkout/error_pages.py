"""Friendly error pages in the site's base template (``BASE_TEMPLATE``).

The package answers its own rate limits with :func:`too_many_requests`. A site
wires the rest in its root URLconf and settings::

    handler400 = "wagtail_stripe_checkout.error_pages.bad_request"
    handler403 = "wagtail_stripe_checkout.error_pages.permission_denied"
    handler404 = "wagtail_stripe_checkout.error_pages.page_not_found"
    handler500 = "wagtail_stripe_checkout.error_pages.server_error"
    CSRF_FAILURE_VIEW = "wagtail_stripe_checkout.error_pages.csrf_failure"

Each page says what happened in plain words and links to the site's home
page; nothing of the request or the error is shown.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from .conf import app_settings
from .shortcuts import home_url

logger = logging.getLogger("wagtail_stripe_checkout.errors")


def _texts(status: int) -> tuple[str, str]:
    return {
        400: (_("Bad request"), _("We could not understand that request.")),
        403: (_("Not allowed"), _("That request was refused.")),
        404: (
            _("Page not found"),
            _("There is no page at this address. It may have moved or been taken down."),
        ),
        429: (
            _("Too many requests"),
            _(
                "You made many requests in a short time. Please wait a minute and try "
                "again; your cart is saved."
            ),
        ),
        500: (
            _("Something went wrong"),
            _(
                "An error on our side stopped this page. Please try again in a few minutes. "
                "If you were paying, your payment is safe and you will get an email."
            ),
        ),
    }[status]


def render_error(
    request: HttpRequest, status: int, message: str | None = None, **headers: str
) -> HttpResponse:
    title, default = _texts(status)
    context: dict[str, Any] = {
        "request": request,
        "status": status,
        "title": title,
        "message": message or default,
        "home_url": home_url(request),
        "base_template": app_settings.BASE_TEMPLATE,
    }
    body: str
    try:
        body = render_to_string("wagtail_stripe_checkout/errors/error.html", context, request)
    except Exception:  # the site's base template failed too: plain, but still friendly
        logger.exception("error_page_failed", extra={"status": status})
        body = f"<!DOCTYPE html><title>{title}</title><h1>{title}</h1><p>{context['message']}</p>"
    response = HttpResponse(body, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    add_never_cache_headers(response)
    return response


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    return render_error(request, 429, Retry_After=str(retry_after))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _(
        "This form had expired, or your browser did not send its cookie. Please go back, "
        "reload the page and try again; nothing was lost."
    )
    return render_error(request, 403, message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render_error(request, 500)
