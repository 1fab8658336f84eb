"""The hosted pay page, as a shopper (or the browser tests) meets it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from wagtail_stripe_checkout.testing import CARD_DECLINED, CARD_INSUFFICIENT_FUNDS, CARD_OK

from .helpers import http, item, rate, session_params, shipping, text_field


def create(sdk, **change):
    return sdk.v1.checkout.sessions.create(params=session_params(**change))


def page(stand_in, session_id, suffix=""):
    return http(stand_in.api_base, "GET", f"/pay/{session_id}{suffix}", key=None)


def submit(stand_in, session_id, card, **form):
    return http(
        stand_in.api_base,
        "POST",
        f"/pay/{session_id}",
        {"card_number": card, "expiry": "12 / 34", "cvc": "123", **form},
        key=None,
    )


def test_the_page_shows_the_order_and_a_card_form(sdk, stand_in):
    session = create(
        sdk,
        line_items=[item(unit_amount=1234, quantity=2, name="Mug <b>&"), item(unit_amount=99)],
        shipping_options=[shipping(500)],
    )
    answer = page(stand_in, session.id)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    html = answer.text
    assert "<title>Pay</title>" in html
    assert "<h1>Pay 30.67 USD</h1>" in html
    assert "<td>Mug &lt;b&gt;&amp; × 2</td><td class='n'>24.68 USD</td>" in html
    assert "<td>Mug × 1</td><td class='n'>0.99 USD</td>" in html
    assert "<td>Shipping</td><td class='n'>5.00 USD</td>" in html
    assert "<td class='n' data-total>30.67 USD</td>" in html
    assert "TEST MODE" in html
    assert '<label>Card number<input name="card_number"' in html
    assert '<button type="submit">Pay</button>' in html
    assert f'<a href="/pay/{session.id}/cancel">← Back (cancel payment)</a>' in html
    assert 'name="email"' in html  # no customer_email: the shopper types one
    assert 'role="alert"' not in html


@pytest.mark.parametrize(
    ("currency", "unit_amount", "shown"),
    [("jpy", 500, "500 JPY"), ("kwd", 5120, "5.120 KWD"), ("isk", 150000, "1500 ISK")],
)
def test_amounts_are_shown_in_the_currencys_own_units(sdk, stand_in, currency, unit_amount, shown):
    session = create(sdk, line_items=[item(currency=currency, unit_amount=unit_amount)])
    assert f"<h1>Pay {shown}</h1>" in page(stand_in, session.id).text


def test_a_known_email_is_not_asked_for_and_no_cancel_url_means_no_back_link(sdk, stand_in):
    session = create(sdk, customer_email="ann@example.com", cancel_url=None)
    html = page(stand_in, session.id).text
    assert 'name="email"' not in html
    assert "Back (cancel payment)" not in html
    assert page(stand_in, session.id, "/cancel").headers["Location"] == "/"


def test_4242_pays_and_goes_to_the_success_url(sdk, stand_in):
    session = create(sdk)
    answer = submit(
        stand_in, session.id, "4242 4242 4242 4242", email="ann@example.com", name="Ann"
    )
    assert answer.status == 303
    assert answer.headers["Location"] == f"https://shop.example/thanks?session={session.id}"
    stored = stand_in.session(session.id)
    assert (stored["status"], stored["payment_status"], stored["url"]) == ("complete", "paid", None)
    assert stored["customer_details"]["email"] == "ann@example.com"
    assert stored["customer_details"]["name"] == "Ann"
    assert [e["type"] for e in stand_in.state.events] == ["checkout.session.completed"]
    assert stand_in.state.charges[stored["payment_intent"]]["amount"] == 2468


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("4000 0000 0000 0002", "Your card was declined."),
        ("4000-0000-0000-9995", "Your card has insufficient funds."),
        ("1234 5678 9012 3456", "Your card number is incorrect."),
        ("", "Your card number is incorrect."),
    ],
)
def test_a_refused_card_shows_why_and_the_session_stays_open(sdk, stand_in, card, message):
    session = create(sdk)
    answer = submit(stand_in, session.id, card)
    assert answer.status == 402
    assert f'<p class="error" role="alert">{message}</p>' in answer.text
    assert "<h1>Pay 24.68 USD</h1>" in answer.text  # the form again, to try another card
    assert stand_in.session(session.id)["status"] == "open"
    assert stand_in.state.events == []


def test_cancel_goes_back_to_the_cancel_url(sdk, stand_in):
    session = create(sdk)
    answer = page(stand_in, session.id, "/cancel")
    assert (answer.status, answer.headers["Location"]) == (303, "https://shop.example/cart")
    assert stand_in.session(session.id)["status"] == "open"


def test_an_unknown_session_has_no_page(stand_in):
    for path in ["/pay/cs_test_nope", "/pay/"]:
        answer = http(stand_in.api_base, "GET", path, key=None)
        assert answer.status == 404
        assert "This payment page does not exist." in answer.text


def test_a_paid_or_expired_session_cannot_be_paid_again(sdk, stand_in):
    paid, expired = create(sdk), create(sdk)
    stand_in.pay(paid.id)
    stand_in.expire(expired.id)
    assert "This checkout session is complete." in page(stand_in, paid.id).text
    assert "This checkout session is expired." in page(stand_in, expired.id).text
    again = submit(stand_in, paid.id, CARD_OK)
    assert again.status == 402
    assert len(stand_in.events_of_type("checkout.session.completed")) == 1


def test_the_pay_helper_pays_as_the_page_does(sdk, stand_in):
    session = create(sdk, customer_email="ann@example.com")
    assert stand_in.pay(session.id, CARD_DECLINED) == (False, "Your card was declined.")
    assert stand_in.pay(session.id, CARD_INSUFFICIENT_FUNDS) == (
        False,
        "Your card has insufficient funds.",
    )
    paid, url = stand_in.pay(session.id, "4242-4242-4242-4242", email="other@example.com")
    assert (paid, url) == (True, f"https://shop.example/thanks?session={session.id}")
    # The email given at checkout wins over one typed on the page.
    assert stand_in.session(session.id)["customer_details"]["email"] == "ann@example.com"
    assert stand_in.pay(session.id) == (False, "This checkout session is no longer active.")


def test_every_page_is_complete_html(sdk, stand_in):
    html = page(stand_in, create(sdk).id).text
    assert html.startswith("<!DOCTYPE html>")
    assert html.endswith("</div></body></html>")
    assert not re.search(r"\$\w", html)  # every template placeholder was filled


class _Fields(HTMLParser):
    """Each form control of a page, with the text of the label around it (if any)."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[list[str]] = []
        self.controls: list[tuple[str, str, str | None]] = []  # (tag, name, label)
        self.buttons: list[str] = []
        self._in_button = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "label":
            self.labels.append([])
        elif tag in ("input", "select") and attributes.get("type") != "hidden":
            label = " ".join("".join(t) for t in self.labels) if self.labels else None
            self.controls.append((tag, attributes.get("name") or "", label))
        elif tag == "button":
            self._in_button = True
            self.buttons.append("")

    def handle_endtag(self, tag):
        if tag == "label" and self.labels:
            text = "".join(self.labels.pop()).strip()
            # A label's text may come after its control (checkboxes, radios).
            for index, (kind, name, label) in enumerate(self.controls):
                if label is not None and label.strip() == "" and text:
                    self.controls[index] = (kind, name, text)
        elif tag == "button":
            self._in_button = False

    def handle_data(self, data):
        if self.labels:
            self.labels[-1].append(data)
        if self._in_button:
            self.buttons[-1] += data


def test_every_field_has_an_accessible_label(sdk, stand_in):
    session = create(
        sdk,
        shipping_options=[rate(500), rate(900, "Express")],
        allow_promotion_codes=True,
        phone_number_collection={"enabled": True},
        billing_address_collection="required",
        tax_id_collection={"enabled": True},
        shipping_address_collection={"allowed_countries": ["GB"]},
        consent_collection={"terms_of_service": "required"},
        custom_fields=[text_field("gift", "Gift message")],
    )
    parser = _Fields()
    parser.feed(page(stand_in, session.id).text)
    unlabelled = [name for _tag, name, label in parser.controls if not (label or "").strip()]
    assert unlabelled == []
    labels = {label.strip() for _tag, _name, label in parser.controls if label}
    assert {
        "Email",
        "Phone",
        "Shipping name",
        "Post — 5.00 USD",
        "Express — 9.00 USD",
        "Promotion code",
        "Gift message",
        "ID type",
        "Tax ID",
        "Card number",
        "Name on card",
        "Billing address line 1",
        "Billing country",
        "I agree to the terms of service",
    } <= labels
    assert parser.buttons == ["Update total", "Apply", "Pay"]


def test_the_pay_helper_takes_email_and_name_in_place(sdk, stand_in):
    session = create(sdk)
    assert stand_in.pay(session.id, CARD_OK, "ann@example.com", "Ann Example")[0]
    details = stand_in.session(session.id)["customer_details"]
    assert (details["email"], details["name"]) == ("ann@example.com", "Ann Example")
