"""The hosted pay page at ``/pay/<session id>``: Stripe Checkout, as a shopper meets it.

GET shows the order and a card form; POST pays with the card typed in (see
``payments``); ``/pay/<id>/cancel`` goes back to the session's ``cancel_url``.
The HTML comes from ``templates/`` through :class:`string.Template`; every
value is HTML-escaped unless it is :class:`Markup` built here.
"""

from __future__ import annotations

import copy
import html
from functools import cache
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qsl

from .currencies import display
from .payments import pay
from .reply import HTML, Reply, redirect
from .state import Host

TEMPLATES = Path(__file__).with_name("templates")

_ROW = Template("<tr><td>$label</td><td class='n'>$amount</td></tr>")
_TOTAL_ROW = Template("<tr class='total'><td>Total</td><td class='n' data-total>$amount</td></tr>")
_CANCEL = Template('<p><a href="/pay/$session_id/cancel">← Back (cancel payment)</a></p>')
_EMAIL = '<label>Email<input type="email" name="email" autocomplete="email" required></label>'
_ERROR = Template('<p class="error" role="alert">$message</p>')
_STATUS = Template("<p>This checkout session is $status.</p>")
_NOT_FOUND = "<p>This payment page does not exist.</p>"


class Markup(str):
    """HTML that is safe to insert as it is."""


@cache
def template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8").rstrip("\n"))


def render(tmpl: Template, **values: object) -> Markup:
    """Fill ``tmpl``, escaping every value that is not already :class:`Markup`."""
    safe = {
        key: value if isinstance(value, Markup) else html.escape(str(value))
        for key, value in values.items()
    }
    return Markup(tmpl.substitute(safe))


def page(title: str, content: Markup) -> bytes:
    return render(template("page.html"), title=title, content=content).encode()


# The request -----------------------------------------------------------------
def respond(host: Host, method: str, path: str, body: bytes) -> Reply:
    parts = [p for p in path.split("/") if p]
    session_id = parts[1] if len(parts) > 1 else ""
    with host.lock:
        stored = host.state.sessions.get(session_id)
        session = copy.deepcopy(stored) if stored else None
        line_items = copy.deepcopy(host.state.line_items.get(session_id, []))
    if session is None:
        return Reply(404, page("Not found", Markup(_NOT_FOUND)), HTML)
    if len(parts) == 3 and parts[2] == "cancel":
        return redirect(session.get("cancel_url") or "/")
    error = ""
    if method == "POST":
        paid, result = _pay(host, session_id, body)
        if paid:
            return redirect(result)
        error = result
    return Reply(402 if error else 200, pay_html(session, line_items, error), HTML)


def _pay(host: Host, session_id: str, body: bytes) -> tuple[bool, str]:
    form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    return pay(
        host,
        session_id,
        form.get("card_number", ""),
        email=form.get("email") or None,
        name=form.get("name") or None,
    )


# The page --------------------------------------------------------------------
def pay_html(session: dict[str, Any], line_items: list[dict[str, Any]], error: str) -> bytes:
    """The pay page for an open session; a short notice for a complete or expired one."""
    if session["status"] != "open":
        return page("Checkout", render(_STATUS, status=session["status"]))
    currency = session.get("currency") or "usd"
    content = render(
        template("pay.html"),
        cancel=_cancel_link(session),
        total=display(session["amount_total"], currency),
        rows=_rows(session, line_items, currency),
        error=render(_ERROR, message=error) if error else Markup(""),
        email_field=Markup("" if session.get("customer_email") else _EMAIL),
    )
    return page("Pay", content)


def _rows(session: dict[str, Any], line_items: list[dict[str, Any]], currency: str) -> Markup:
    rows = [
        render(
            _ROW,
            label=f"{item['description']} × {item['quantity']}",
            amount=display(item["amount_total"], currency),
        )
        for item in line_items
    ]
    shipping = (session.get("total_details") or {}).get("amount_shipping") or 0
    if shipping:
        rows.append(render(_ROW, label="Shipping", amount=display(shipping, currency)))
    rows.append(render(_TOTAL_ROW, amount=display(session["amount_total"], currency)))
    return Markup("".join(rows))


def _cancel_link(session: dict[str, Any]) -> Markup:
    if not session.get("cancel_url"):
        return Markup("")
    return render(_CANCEL, session_id=session["id"])
