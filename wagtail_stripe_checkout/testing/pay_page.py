"""The hosted pay page at ``/pay/<session id>``: Stripe Checkout, as a shopper meets it.

GET shows the order and the form (``pay_form``); POST pays with what was typed
in (see ``payments``), or, with ``action=apply`` (the "Apply" and "Update
total" buttons), applies the promotion code and shipping option and shows the
page again with the new total, without paying. ``/pay/<id>/cancel`` goes back
to the session's ``cancel_url``.
"""

from __future__ import annotations

import copy
from string import Template
from typing import Any
from urllib.parse import parse_qsl

from .currencies import display
from .markup import Markup, join, page, render, template, with_links
from .pay_form import fields
from .payments import pay
from .reply import HTML, Reply, redirect
from .session_totals import REQUEST, applied_code, choose
from .shopper import from_form
from .state import Host

_ROW = Template("<tr><td>$label</td><td class='n'>$amount</td></tr>")
_TOTAL_ROW = Template("<tr class='total'><td>Total</td><td class='n' data-total>$amount</td></tr>")
_CANCEL = Template('<p><a href="/pay/$session_id/cancel">← Back (cancel payment)</a></p>')
_ERROR = Template('<p class="error" role="alert">$message</p>')
_STATUS = Template("<p>This checkout session is $status.</p>")
_MESSAGE = Template('<p class="hint" id="$id">$text</p>')
_NOT_FOUND = "<p>This payment page does not exist.</p>"


# The request -----------------------------------------------------------------
def respond(host: Host, method: str, path: str, body: bytes) -> Reply:
    parts = [p for p in path.split("/") if p]
    session_id = parts[1] if len(parts) > 1 else ""
    session, _ = _copies(host, session_id)
    if session is None:
        return Reply(404, page("Not found", Markup(_NOT_FOUND)), HTML)
    if len(parts) == 3 and parts[2] == "cancel":
        return redirect(session.get("cancel_url") or "/")
    form: dict[str, str] = {}
    error: str | None = None
    status = 200
    if method == "POST":
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if form.get("action") == "apply":
            error = _apply(host, session_id, form)
            status = 400 if error else 200
        else:
            paid, result = pay(
                host, session_id, from_form(form, session[REQUEST].collection.custom_fields)
            )
            if paid:
                return redirect(result)
            error, status = result, 402
    session, line_items = _copies(host, session_id)
    assert session is not None  # sessions are never deleted
    return Reply(status, pay_html(session, line_items, error, form), HTML)


def _copies(host: Host, session_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    with host.lock:
        stored = host.state.sessions.get(session_id)
        session = copy.deepcopy(stored) if stored else None
        line_items = copy.deepcopy(host.state.line_items.get(session_id, []))
    return session, line_items


def _apply(host: Host, session_id: str, form: dict[str, str]) -> str | None:
    """Apply the form's promotion code and shipping option; why not, or ``None``."""
    with host.lock:
        session = host.state.sessions[session_id]
        if session["status"] != "open":
            return None
        code = (form.get("promotion_code") or "").strip() or None
        line_items = host.state.line_items[session_id]
        return choose(session, line_items, form.get("shipping_rate") or None, code)


# The page --------------------------------------------------------------------
def pay_html(
    session: dict[str, Any],
    line_items: list[dict[str, Any]],
    error: str | None,
    values: dict[str, str] | None = None,
) -> bytes:
    """The pay page for an open session; a short notice for a complete or expired one."""
    if session["status"] != "open":
        return page("Checkout", render(_STATUS, status=session["status"]))
    currency = session.get("currency") or "usd"
    collection = session[REQUEST].collection
    content = render(
        template("pay.html"),
        cancel=_cancel_link(session),
        total=display(session["amount_total"], currency),
        rows=_rows(session, line_items, currency),
        error=render(_ERROR, message=error) if error else Markup(""),
        fields=fields(session, values or {}),
        submit_message=_message("submit-message", collection.message("submit")),
        after_submit=_message("after-submit-message", collection.message("after_submit")),
    )
    return page("Pay", content)


def _rows(session: dict[str, Any], line_items: list[dict[str, Any]], currency: str) -> Markup:
    rows = [
        render(
            _ROW,
            label=f"{item['description']} × {item['quantity']}",
            amount=display(item["amount_subtotal"], currency),
        )
        for item in line_items
    ]
    details = session.get("total_details") or {}
    if details.get("amount_discount"):
        label = f"Discount ({applied_code(session) or 'coupon'})"
        rows.append(
            render(_ROW, label=label, amount="−" + display(details["amount_discount"], currency))
        )
    if details.get("amount_shipping"):
        rows.append(
            render(_ROW, label="Shipping", amount=display(details["amount_shipping"], currency))
        )
    rows.extend(_tax_rows(session, line_items, currency))
    rows.append(render(_TOTAL_ROW, amount=display(session["amount_total"], currency)))
    return join(rows)


def _tax_rows(
    session: dict[str, Any], line_items: list[dict[str, Any]], currency: str
) -> list[Markup]:
    """The tax added on top, and the tax the prices include (if any)."""
    tax = (session.get("total_details") or {}).get("amount_tax") or 0
    added = session["amount_total"] - sum(
        i["amount_subtotal"] - i["amount_discount"] for i in line_items
    )
    added -= (session.get("total_details") or {}).get("amount_shipping") or 0
    rows = []
    if added:
        rows.append(render(_ROW, label="Tax (10%)", amount=display(added, currency)))
    if tax - added:
        rows.append(render(_ROW, label="Tax included (10%)", amount=display(tax - added, currency)))
    return rows


def _cancel_link(session: dict[str, Any]) -> Markup:
    if not session.get("cancel_url"):
        return Markup("")
    return render(_CANCEL, session_id=session["id"])


def _message(element_id: str, text: str | None) -> Markup:
    return render(_MESSAGE, id=element_id, text=with_links(text)) if text else Markup("")
