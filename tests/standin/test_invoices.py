"""Invoices: ``invoice_creation[enabled]=true`` makes a paid invoice for the session's
amounts, retrievable, expandable, with a hosted page and a PDF."""

from __future__ import annotations

import pytest
import stripe
from stripe.checkout import Session

from wagtail_stripe_checkout.testing import TEST_PROMOTION_CODE

from .helpers import http, item, rate, raw, session_params
from .shapes import assert_shaped_like

INVOICE_DATA = {
    "description": "Thank you for your order",
    "footer": "Test Shop Ltd",
    "metadata": {"order": "7"},
    "custom_fields": [{"name": "PO", "value": "1234"}],
    "rendering_options": {"amount_tax_display": "exclude_tax"},
}


def assert_invoice_shaped(body, stripe_fixtures):
    """The invoice, and each of its lines as an ``InvoiceLineItem`` (the shape check cannot
    see through the generic list's element type)."""
    sample = stripe_fixtures["invoice"]
    assert_shaped_like(
        {**body, "lines": {**body["lines"], "data": []}},
        {**sample, "lines": {**sample["lines"], "data": []}},
        stripe.Invoice,
    )
    for line in body["lines"]["data"]:
        assert_shaped_like(line, sample["lines"]["data"][0], stripe.InvoiceLineItem)


def create(sdk, **change):
    params = session_params(
        invoice_creation={"enabled": True, "invoice_data": INVOICE_DATA}, **change
    )
    return sdk.v1.checkout.sessions.create(params=params)


def test_the_session_echoes_invoice_creation(sdk, stripe_fixtures):
    body = raw(create(sdk))
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    assert body["invoice_creation"] == {
        "enabled": True,
        "invoice_data": {
            "account_tax_ids": None,
            "custom_fields": [{"name": "PO", "value": "1234"}],
            "description": "Thank you for your order",
            "footer": "Test Shop Ltd",
            "issuer": None,
            "metadata": {"order": "7"},
            "rendering_options": {"amount_tax_display": "exclude_tax", "template": None},
        },
    }
    assert body["invoice"] is None
    plain = raw(sdk.v1.checkout.sessions.create(params=session_params()))
    assert (plain["invoice_creation"]["enabled"], plain["invoice"]) == (False, None)


def test_paying_creates_a_paid_invoice(sdk, stand_in, stripe_fixtures):
    session = create(
        sdk,
        allow_promotion_codes=True,
        automatic_tax={"enabled": True},
        shipping_options=[rate(500)],
    )
    assert stand_in.pay(session.id, promotion_code=TEST_PROMOTION_CODE)[0]
    paid = raw(sdk.v1.checkout.sessions.retrieve(session.id))
    assert paid["invoice"].startswith("in_")
    invoice = sdk.v1.invoices.retrieve(paid["invoice"])
    body = raw(invoice)
    assert_invoice_shaped(body, stripe_fixtures)
    assert (body["status"], body["currency"], body["number"]) == ("paid", "usd", "STANDIN-0001")
    total = paid["amount_total"]
    assert total == 2368 + 237 + 550
    assert (body["total"], body["amount_due"], body["amount_paid"], body["amount_remaining"]) == (
        total,
        total,
        total,
        0,
    )
    assert (body["subtotal"], body["amount_shipping"]) == (2468, 500)
    assert body["total_excluding_tax"] == total - paid["total_details"]["amount_tax"]
    assert [d["amount"] for d in body["total_discount_amounts"]] == [100]
    assert (body["description"], body["footer"], body["metadata"]) == (
        "Thank you for your order",
        "Test Shop Ltd",
        {"order": "7"},
    )
    assert body["customer_email"] == paid["customer_details"]["email"]
    assert body["hosted_invoice_url"] == f"{stand_in.api_base}/invoice/{body['id']}"
    assert body["invoice_pdf"] == f"{stand_in.api_base}/invoice/{body['id']}/pdf"
    (line,) = body["lines"]["data"]
    assert (line["amount"], line["quantity"], line["description"], line["invoice"]) == (
        2468,
        2,
        "Mug",
        body["id"],
    )


@pytest.mark.parametrize(
    ("currency", "unit_amount", "total"),
    [("usd", 1234, 2468), ("jpy", 500, 1000), ("kwd", 5120, 10240)],
)
def test_invoice_amounts_in_each_currency(sdk, stand_in, currency, unit_amount, total):
    session = create(sdk, line_items=[item(currency, unit_amount, 2)])
    stand_in.pay(session.id)
    invoice = stand_in.state.invoices[stand_in.session(session.id)["invoice"]]
    assert (invoice["currency"], invoice["total"], invoice["amount_paid"]) == (
        currency,
        total,
        total,
    )


def test_the_invoice_expands_in_the_session(sdk, stand_in, stripe_fixtures):
    session = create(sdk)
    stand_in.pay(session.id)
    expanded = sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": ["invoice"]})
    assert_invoice_shaped(raw(expanded)["invoice"], stripe_fixtures)
    assert isinstance(expanded.invoice, stripe.Invoice)
    assert expanded.invoice.status == "paid"


def test_the_hosted_invoice_page_and_pdf(sdk, stand_in):
    session = create(sdk)
    stand_in.pay(session.id)
    invoice_id = stand_in.session(session.id)["invoice"]
    page = http(stand_in.api_base, "GET", f"/invoice/{invoice_id}", key=None)
    assert page.status == 200
    assert "<h1>Invoice STANDIN-0001</h1>" in page.text
    assert "<strong data-amount-paid>24.68 USD</strong>" in page.text
    pdf = http(stand_in.api_base, "GET", f"/invoice/{invoice_id}/pdf", key=None)
    assert (pdf.status, pdf.headers["Content-Type"]) == (200, "application/pdf")
    assert pdf.body.startswith(b"%PDF-1.4") and pdf.body.rstrip().endswith(b"%%EOF")
    assert b"Invoice STANDIN-0001 - paid - 24.68 USD" in pdf.body
    assert http(stand_in.api_base, "GET", "/invoice/in_nope", key=None).status == 404


def test_no_invoice_unless_asked_or_paid(sdk, stand_in):
    plain = sdk.v1.checkout.sessions.create(params=session_params())
    stand_in.pay(plain.id)
    assert stand_in.session(plain.id)["invoice"] is None
    unpaid = create(sdk)
    stand_in.pay(unpaid.id, card="4000000000000002")
    assert stand_in.session(unpaid.id)["invoice"] is None
    assert stand_in.state.invoices == {}


def test_an_unknown_invoice_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk.v1.invoices.retrieve("in_nope")
    assert (exc.value.http_status, str(exc.value.user_message)) == (
        404,
        "No such invoice: 'in_nope'",
    )


def test_an_invoice_custom_field_needs_a_name_and_value(sdk):
    data = {"custom_fields": [{"name": "PO"}]}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk.v1.checkout.sessions.create(
            params=session_params(invoice_creation={"enabled": True, "invoice_data": data})
        )
    assert exc.value.code == "parameter_missing"
    assert exc.value.param == "invoice_creation[invoice_data][custom_fields][0][value]"
