"""The API endpoints the stand-in serves, and their answers as Stripe shapes them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stripe.params import (
    CouponRetrieveParams,
    InvoiceRetrieveParams,
    PromotionCodeListParams,
    PromotionCodeRetrieveParams,
    RefundCreateParams,
    ShippingRateRetrieveParams,
)
from stripe.params.checkout import (
    SessionCreateParams,
    SessionExpireParams,
    SessionListParams,
    SessionRetrieveParams,
)

from .discounts import list_promotion_codes, retrieve_coupon, retrieve_promotion_code
from .errors import StripeHTTPError, param_error_body
from .events import retrieve_event
from .expand import expand
from .invoices import retrieve_invoice
from .params import ParamError, validate
from .refunds import create_refund
from .sessions import (
    create_session,
    expire_session,
    line_item_list,
    list_sessions,
    retrieve_session,
)
from .shipping import retrieve_shipping_rate
from .state import Host


@dataclass(frozen=True)
class Call:
    """One API request, as an endpoint sees it."""

    host: Host
    params: dict[str, Any]
    api_version: str | None  # the Stripe-Version header
    id: str = ""  # the object id in the path, if any


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # ``{id}`` stands for one path segment
    accepts: type | None  # the SDK's TypedDict of accepted params; None: not checked
    endpoint: Callable[[Call], dict[str, Any]]

    def match(self, method: str, path: str) -> re.Match[str] | None:
        pattern = re.escape(self.path).replace(r"\{id\}", "(?P<id>[^/]+)")
        return re.fullmatch(pattern, path) if method == self.method else None


def expanded(call: Call, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with the request's ``expand[]`` paths expanded."""
    return expand(call.host, obj, list(call.params.get("expand") or []))


ROUTES = [
    Route(
        "POST",
        "/v1/checkout/sessions",
        SessionCreateParams,
        lambda call: create_session(call.host, call.params, call.api_version),
    ),
    Route(
        "GET",
        "/v1/checkout/sessions",
        SessionListParams,
        lambda call: list_sessions(call.host, call.params),
    ),
    Route(
        "GET",
        "/v1/checkout/sessions/{id}",
        SessionRetrieveParams,
        lambda call: retrieve_session(call.host, call.id, call.params.get("expand") or []),
    ),
    Route(
        "GET",
        "/v1/checkout/sessions/{id}/line_items",
        None,
        lambda call: line_item_list(call.host, call.id),
    ),
    Route(
        "POST",
        "/v1/checkout/sessions/{id}/expire",
        SessionExpireParams,
        lambda call: expire_session(call.host, call.id, by_api=True),
    ),
    Route(
        "POST",
        "/v1/refunds",
        RefundCreateParams,
        lambda call: create_refund(call.host, call.params, call.api_version),
    ),
    Route("GET", "/v1/events/{id}", None, lambda call: retrieve_event(call.host, call.id)),
    Route(
        "GET",
        "/v1/shipping_rates/{id}",
        ShippingRateRetrieveParams,
        lambda call: expanded(call, retrieve_shipping_rate(call.host, call.id)),
    ),
    Route(
        "GET",
        "/v1/promotion_codes",
        PromotionCodeListParams,
        lambda call: list_promotion_codes(call.host, call.params),
    ),
    Route(
        "GET",
        "/v1/promotion_codes/{id}",
        PromotionCodeRetrieveParams,
        lambda call: expanded(call, retrieve_promotion_code(call.host, call.id)),
    ),
    Route(
        "GET",
        "/v1/coupons/{id}",
        CouponRetrieveParams,
        lambda call: expanded(call, retrieve_coupon(call.host, call.id)),
    ),
    Route(
        "GET",
        "/v1/invoices/{id}",
        InvoiceRetrieveParams,
        lambda call: expanded(call, retrieve_invoice(call.host, call.id)),
    ),
]


def dispatch(
    host: Host, method: str, path: str, params: dict[str, Any], headers: Any
) -> tuple[int, dict[str, Any]]:
    """The endpoint's answer; refusals raise ``StripeHTTPError`` or ``ParamError``."""
    normalised = "/" + "/".join(part for part in path.split("/") if part)
    for route in ROUTES:
        match = route.match(method, normalised)
        if match is None:
            continue
        if route.accepts is not None:
            validate(params, route.accepts)
        call = Call(host, params, headers.get("Stripe-Version"), match.groupdict().get("id", ""))
        return 200, route.endpoint(call)
    raise StripeHTTPError(
        404, f"Unrecognized request URL ({method}: {path}).", code="resource_missing"
    )


def answer(
    host: Host, method: str, path: str, params: dict[str, Any], headers: Any
) -> tuple[int, dict[str, Any]]:
    """Status and JSON body for an API request, errors shaped as Stripe shapes them."""
    try:
        return dispatch(host, method, path, params, headers)
    except ParamError as exc:
        return 400, param_error_body(exc)
    except StripeHTTPError as exc:
        return exc.status, {"error": exc.body}
