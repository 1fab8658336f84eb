"""Invoices: what ``invoice_creation[enabled]=true`` makes when a session is paid.

A paid ``invoice`` (``in_…``, ``GET /v1/invoices/:id``) for the session's
amounts; its ``hosted_invoice_url`` (``/invoice/<id>``) and ``invoice_pdf``
(``/invoice/<id>/pdf``) are served by the stand-in.
"""

from __future__ import annotations

import copy
import re
from string import Template
from typing import Any

from . import objects
from .currencies import display
from .errors import not_found
from .markup import Markup, join, page, render, template
from .reply import HTML, Reply
from .state import Host

NUMBER_PREFIX = "STANDIN"
_ROW = Template("<tr><td>$label</td><td class='n'>$amount</td></tr>")


# What every paid one-off Checkout invoice shows alike.
_PAID_ONE_OFF: dict[str, Any] = {
    "application": None,
    "attempt_count": 1,
    "attempted": True,
    "auto_advance": False,
    "automatically_finalizes_at": None,
    "billing_reason": "manual",
    "collection_method": "charge_automatically",
    "customer": None,
    "customer_account": None,
    "due_date": None,
    "ending_balance": 0,
    "from_invoice": None,
    "last_finalization_error": None,
    "latest_revision": None,
    "livemode": False,
    "next_payment_attempt": None,
    "parent": None,
    "payment_settings": {
        "default_mandate": None,
        "payment_method_options": None,
        "payment_method_types": None,
    },
    "shipping_details": None,
    "status": "paid",
    "subscription": None,
    "test_clock": None,
    "total_taxes": None,
}


def create_invoice(
    host: Host, session: dict[str, Any], line_items: list[dict[str, Any]], now: int
) -> str:
    """Store the paid invoice of a just-paid ``session``; the caller holds the lock."""
    invoice = objects.fixture("invoice")
    invoice_id = objects.new_id("in")
    discount_id = objects.new_id("di") if session["total_details"]["amount_discount"] else None
    invoice.update(copy.deepcopy(_PAID_ONE_OFF))
    invoice.update(_amounts(session, line_items, discount_id))
    invoice.update(_customer(session))
    invoice.update(_as_requested(session))
    invoice.update(_times(now))
    lines = [_line(line, invoice_id, now, discount_id) for line in line_items]
    invoice.update(
        id=invoice_id,
        currency=session["currency"],
        hosted_invoice_url=f"{host.api_base}/invoice/{invoice_id}",
        invoice_pdf=f"{host.api_base}/invoice/{invoice_id}/pdf",
        lines=objects.list_object(lines, f"/v1/invoices/{invoice_id}/lines"),
        number=f"{NUMBER_PREFIX}-{len(host.state.invoices) + 1:04d}",
        shipping_cost=copy.deepcopy(session["shipping_cost"]),
    )
    host.state.invoices[invoice_id] = invoice
    return invoice_id


def _times(now: int) -> dict[str, Any]:
    """Created, finalized and paid at once, as a Checkout invoice is."""
    return {
        "created": now,
        "effective_at": now,
        "period_end": now,
        "period_start": now,
        "status_transitions": {
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": now,
            "voided_at": None,
        },
        "webhooks_delivered_at": now,
    }


def _amounts(
    session: dict[str, Any], line_items: list[dict[str, Any]], discount_id: str | None
) -> dict[str, Any]:
    """The session's amounts, as an invoice counts them."""
    total, details = session["amount_total"], session["total_details"]
    included = sum(
        line["amount_tax"] for line in line_items if line["price"]["tax_behavior"] == "inclusive"
    )
    discount = details["amount_discount"]
    return {
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": total,
        "amount_remaining": 0,
        "amount_shipping": details["amount_shipping"] or 0,
        "discounts": [discount_id] if discount_id else [],
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "starting_balance": 0,
        "subtotal": session["amount_subtotal"],
        "subtotal_excluding_tax": session["amount_subtotal"] - included,
        "total": total,
        "total_discount_amounts": (
            [{"amount": discount, "discount": discount_id}] if discount_id else []
        ),
        "total_excluding_tax": total - details["amount_tax"],
        "total_pretax_credit_amounts": None,
    }


def _customer(session: dict[str, Any]) -> dict[str, Any]:
    details = session["customer_details"]
    collected = session.get("collected_information") or {}
    shipping = collected.get("shipping_details")
    return {
        "customer_address": dict(details["address"]),
        "customer_email": details["email"],
        "customer_name": details["name"],
        "customer_phone": details["phone"],
        "customer_shipping": {
            "address": dict(shipping["address"]),
            "carrier": None,
            "name": shipping["name"],
            "phone": details["phone"],
            "tracking_number": None,
        }
        if shipping
        else None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [dict(tax_id) for tax_id in details["tax_ids"] or []],
    }


def _as_requested(session: dict[str, Any]) -> dict[str, Any]:
    """``invoice_creation[invoice_data]``, and the session's tax settings."""
    data = session["invoice_creation"]["invoice_data"]
    rendering = data.get("rendering_options") or {}
    tax = session["automatic_tax"]
    return {
        "account_tax_ids": data["account_tax_ids"],
        "automatic_tax": {**tax, "disabled_reason": None},
        "custom_fields": copy.deepcopy(data["custom_fields"]),
        "description": data["description"],
        "footer": data["footer"],
        "issuer": copy.deepcopy(data["issuer"]) or {"type": "self"},
        "metadata": dict(data["metadata"] or {}),
        "rendering": {
            "amount_tax_display": rendering.get("amount_tax_display"),
            "pdf": {"page_size": None},
            "template": rendering.get("template"),
            "template_version": None,
        },
    }


def _line(
    line: dict[str, Any], invoice_id: str, now: int, discount_id: str | None
) -> dict[str, Any]:
    """An invoice line for a session's line item (``line``)."""
    result = copy.deepcopy(objects.fixture("invoice")["lines"]["data"][0])
    discount = line["amount_discount"]
    result.update(
        {
            "amount": line["amount_subtotal"],
            "currency": line["currency"],
            "description": line["description"],
            "discount_amounts": [{"amount": discount, "discount": discount_id}]
            if discount_id
            else [],
            "discountable": True,
            "discounts": [discount_id] if discount_id and discount else [],
            "id": objects.new_id("il"),
            "invoice": invoice_id,
            "livemode": False,
            "metadata": {},
            "parent": _line_parent(),
            "period": {"end": now, "start": now},
            "pretax_credit_amounts": None,
            "pricing": _line_pricing(line["price"]),
            "quantity": line["quantity"],
            "quantity_decimal": str(line["quantity"]),
            "subscription": None,
            "subtotal": line["amount_subtotal"],
            "taxes": None,
        }
    )
    return result


def _line_parent() -> dict[str, Any]:
    """An invoice item of its own (Checkout makes one per line item)."""
    return {
        "invoice_item_details": {
            "invoice_item": objects.new_id("ii"),
            "proration": False,
            "proration_details": {"credited_items": None},
            "subscription": None,
        },
        "subscription_item_details": None,
        "type": "invoice_item_details",
    }


def _line_pricing(price: dict[str, Any]) -> dict[str, Any]:
    return {
        "price_details": {"price": price["id"], "product": price["product"]},
        "type": "price_details",
        "unit_amount_decimal": price["unit_amount_decimal"],
    }


# The API and the hosted pages -----------------------------------------------------
def retrieve_invoice(host: Host, invoice_id: str) -> dict[str, Any]:
    """``GET /v1/invoices/:id``."""
    with host.lock:
        invoice = host.state.invoices.get(invoice_id)
        if invoice is None:
            raise not_found("invoice", invoice_id, "invoice")
        return copy.deepcopy(invoice)


def respond(host: Host, path: str) -> Reply:
    """``/invoice/<id>``: the hosted invoice page; ``/invoice/<id>/pdf``: its PDF."""
    parts = [part for part in path.split("/") if part]
    with host.lock:
        invoice = copy.deepcopy(host.state.invoices.get(parts[1])) if len(parts) > 1 else None
    if invoice is None or len(parts) > 3 or (len(parts) == 3 and parts[2] != "pdf"):
        return Reply(404, page("Not found", Markup("<p>This invoice does not exist.</p>")), HTML)
    if len(parts) == 3:
        return Reply(200, pdf(invoice), "application/pdf")
    return Reply(200, invoice_html(invoice), HTML)


def invoice_html(invoice: dict[str, Any]) -> bytes:
    currency = invoice["currency"]
    rows = [
        render(
            _ROW,
            label=f"{line['description']} × {line['quantity']}",
            amount=display(line["amount"], currency),
        )
        for line in invoice["lines"]["data"]
    ]
    rows.append(render(_ROW, label="Total", amount=display(invoice["total"], currency)))
    content = render(
        template("invoice.html"),
        number=invoice["number"],
        status=invoice["status"],
        customer=invoice["customer_email"] or "",
        rows=join(rows),
        amount_paid=display(invoice["amount_paid"], currency),
        pdf_url=invoice["invoice_pdf"],
    )
    return page(f"Invoice {invoice['number']}", content)


def pdf(invoice: dict[str, Any]) -> bytes:
    """A one-page PDF saying what the invoice is for (plain text, ASCII)."""
    total = display(invoice["total"], invoice["currency"])
    text = f"Invoice {invoice['number']} - {invoice['status']} - {total}"
    text = re.sub(r"[^A-Za-z0-9 .,:-]", "", text)
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)
