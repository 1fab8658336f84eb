"""What a session collects from the shopper: phone, billing and shipping addresses, tax
IDs; as the pay page asks for them and as the completed session reports them."""

from __future__ import annotations

import pytest
import stripe
from stripe.checkout import Session

from .helpers import error_of, item, pay_page, post_pay_page, raw, session_params
from .shapes import assert_shaped_like

SHIP_TO = {"allowed_countries": ["GB", "FR"]}


def create(sdk, **change):
    return sdk.v1.checkout.sessions.create(params=session_params(**change))


def completed(sdk, session_id, stripe_fixtures):
    body = raw(sdk.v1.checkout.sessions.retrieve(session_id))
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    return body


def test_what_a_session_collects_is_echoed(sdk, stripe_fixtures):
    session = create(
        sdk,
        phone_number_collection={"enabled": True},
        billing_address_collection="required",
        tax_id_collection={"enabled": True, "required": "if_supported"},
    )
    body = raw(session)
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    assert body["phone_number_collection"] == {"enabled": True}
    assert body["billing_address_collection"] == "required"
    assert body["tax_id_collection"] == {"enabled": True, "required": "if_supported"}
    plain = raw(create(sdk))
    assert plain["phone_number_collection"] == {"enabled": False}
    assert plain["billing_address_collection"] is None
    assert plain["tax_id_collection"] == {"enabled": False, "required": "never"}


# Phone --------------------------------------------------------------------------
def test_phone_is_required_on_the_page(sdk, stand_in, stripe_fixtures):
    session = create(sdk, phone_number_collection={"enabled": True})
    html = pay_page(stand_in.api_base, session.id).text
    assert (
        '<label>Phone<input name="phone" value="" type="tel" autocomplete="tel" required>' in html
    )
    missing = post_pay_page(stand_in.api_base, session.id, email="a@example.com", phone="")
    assert missing.status == 402
    assert '<p class="error" role="alert">Enter your phone number.</p>' in missing.text
    bad = post_pay_page(stand_in.api_base, session.id, email="a@example.com", phone="call me")
    assert '<p class="error" role="alert">Your phone number is invalid.</p>' in bad.text
    assert 'value="call me"' in bad.text  # what was typed stays in the form
    ok = post_pay_page(
        stand_in.api_base, session.id, email="a@example.com", phone="+44 20 7946 0000"
    )
    assert ok.status == 303
    body = completed(sdk, session.id, stripe_fixtures)
    assert body["customer_details"]["phone"] == "+442079460000"


def test_the_pay_helper_fills_in_a_test_phone(sdk, stand_in):
    session = create(sdk, phone_number_collection={"enabled": True})
    assert stand_in.pay(session.id)[0]
    assert stand_in.session(session.id)["customer_details"]["phone"] == "+15555550100"
    other = create(sdk, phone_number_collection={"enabled": True})
    assert stand_in.pay(other.id, phone="") == (False, "Enter your phone number.")
    assert stand_in.pay(other.id, phone="+1 (212) 555-0199")[0]
    assert stand_in.session(other.id)["customer_details"]["phone"] == "+12125550199"


def test_no_phone_is_asked_for_or_recorded_without_phone_collection(sdk, stand_in):
    session = create(sdk)
    assert 'name="phone"' not in pay_page(stand_in.api_base, session.id).text
    stand_in.pay(session.id, phone="+15555550100")
    assert stand_in.session(session.id)["customer_details"]["phone"] is None


# Billing address ----------------------------------------------------------------
def test_a_required_billing_address_is_asked_for(sdk, stand_in, stripe_fixtures):
    session = create(sdk, billing_address_collection="required")
    html = pay_page(stand_in.api_base, session.id).text
    for label, name in [
        ("Billing address line 1", "billing_line1"),
        ("Billing city", "billing_city"),
        ("Billing postal code", "billing_postal_code"),
        ("Billing country", "billing_country"),
    ]:
        assert f'<label>{label}<input name="{name}"' in html
    blank = post_pay_page(stand_in.api_base, session.id, email="a@example.com", billing_line1="")
    assert '<p class="error" role="alert">Enter your billing address.</p>' in blank.text
    address = {
        "billing_line1": "5 Rue de la Paix",
        "billing_city": "Paris",
        "billing_postal_code": "75002",
        "billing_country": "fr",
    }
    assert (
        post_pay_page(stand_in.api_base, session.id, email="a@example.com", **address).status == 303
    )
    body = completed(sdk, session.id, stripe_fixtures)
    assert body["customer_details"]["address"] == {
        "city": "Paris",
        "country": "FR",
        "line1": "5 Rue de la Paix",
        "line2": None,
        "postal_code": "75002",
        "state": None,
    }


def test_the_pay_helper_takes_a_billing_address(sdk, stand_in):
    session = create(sdk, billing_address_collection="required")
    stand_in.pay(
        session.id, billing_address={"line1": "1 Main St", "city": "Springfield", "country": "US"}
    )
    address = stand_in.session(session.id)["customer_details"]["address"]
    assert (address["line1"], address["city"], address["postal_code"], address["country"]) == (
        "1 Main St",
        "Springfield",
        "T35 7ST",  # the test address fills in what was not given
        "US",
    )


# Shipping address -----------------------------------------------------------------
def test_the_shipping_name_and_address_are_collected(sdk, stand_in, stripe_fixtures):
    session = create(
        sdk,
        shipping_address_collection=SHIP_TO,
        custom_text={"shipping_address": {"message": "We ship within 2 days."}},
    )
    html = pay_page(stand_in.api_base, session.id).text
    assert "<legend>Shipping address</legend>" in html
    assert '<label>Shipping name<input name="shipping_name" value="Test Shopper" required>' in html
    assert '<option value="GB" selected>GB</option><option value="FR">FR</option>' in html
    assert '<p class="hint" id="shipping-message">We ship within 2 days.</p>' in html
    form = {
        "shipping_name": "Ann Example",
        "shipping_line1": "5 Rue de la Paix",
        "shipping_city": "Paris",
        "shipping_postal_code": "75002",
        "shipping_country": "FR",
    }
    assert post_pay_page(stand_in.api_base, session.id, email="a@example.com", **form).status == 303
    body = completed(sdk, session.id, stripe_fixtures)
    shipping = body["collected_information"]["shipping_details"]
    assert shipping["name"] == "Ann Example"
    assert (shipping["address"]["line1"], shipping["address"]["country"]) == (
        "5 Rue de la Paix",
        "FR",
    )
    assert body["collected_information"] == {
        "business_name": None,
        "individual_name": None,
        "shipping_details": shipping,
    }
    assert "shipping_details" not in body  # removed from the session in API 2025-03-31
    assert body["customer_details"]["address"] == shipping["address"]  # billing same as shipping


def test_shipping_to_a_country_not_allowed_is_refused(sdk, stand_in):
    session = create(sdk, shipping_address_collection=SHIP_TO)
    assert stand_in.pay(session.id, shipping_address={"country": "DE"}) == (
        False,
        "Shipping to DE is not available.",
    )
    assert stand_in.pay(session.id, shipping_address={"name": ""}) == (
        False,
        "Enter your shipping address.",
    )
    assert stand_in.pay(session.id, shipping_address={"name": "Bo", "country": "fr"})[0]
    details = stand_in.session(session.id)["collected_information"]["shipping_details"]
    assert (details["name"], details["address"]["country"]) == ("Bo", "FR")


# Tax IDs -------------------------------------------------------------------------
def test_a_tax_id_is_optional_and_recorded(sdk, stand_in, stripe_fixtures):
    session = create(sdk, tax_id_collection={"enabled": True})
    html = pay_page(stand_in.api_base, session.id).text
    assert '<label>Tax ID<input name="tax_id" value=""' in html
    assert '<label>ID type<select name="tax_id_type"' in html
    form = {"email": "a@example.com", "tax_id": "DE 123 456 789"}
    assert post_pay_page(stand_in.api_base, session.id, **form).status == 303
    body = completed(sdk, session.id, stripe_fixtures)
    assert body["customer_details"]["tax_ids"] == [{"type": "eu_vat", "value": "DE123456789"}]


@pytest.mark.parametrize(
    ("tax_id", "recorded"),
    [
        (None, []),
        ("GB123456789", [{"type": "gb_vat", "value": "GB123456789"}]),
        ("12-3456789", [{"type": "unknown", "value": "12-3456789"}]),
        ({"type": "us_ein", "value": "12-3456789"}, [{"type": "us_ein", "value": "12-3456789"}]),
    ],
)
def test_the_pay_helper_takes_a_tax_id(sdk, stand_in, tax_id, recorded):
    session = create(sdk, tax_id_collection={"enabled": True})
    assert stand_in.pay(session.id, tax_id=tax_id)[0]
    assert stand_in.session(session.id)["customer_details"]["tax_ids"] == recorded


def test_a_tax_id_of_an_unknown_type_or_without_collection_is_refused(sdk, stand_in):
    session = create(sdk, tax_id_collection={"enabled": True})
    assert stand_in.pay(session.id, tax_id={"type": "xx_vat", "value": "1"}) == (
        False,
        "Unknown tax ID type: xx_vat",
    )
    plain = create(sdk)
    assert stand_in.pay(plain.id, tax_id="DE123456789") == (
        False,
        "This checkout session does not collect tax IDs.",
    )
    assert 'name="tax_id"' not in pay_page(stand_in.api_base, plain.id).text


# Adaptive Pricing ------------------------------------------------------------------
def test_presentment_details_are_null_unless_the_shopper_pays_in_another_currency(sdk, stand_in):
    session = create(sdk)
    assert raw(session)["presentment_details"] is None
    stand_in.pay(session.id)
    assert stand_in.session(session.id)["presentment_details"] is None


@pytest.mark.parametrize(
    ("currency", "unit_amount", "presentment_currency", "presentment_amount"),
    [
        ("usd", 1234, "eur", 2715),  # 24.68 USD x 1.1 = 27.148 EUR
        ("jpy", 1234, "usd", 271480),  # 2468 JPY x 1.1 = 2714.80 USD
        ("kwd", 1230, "eur", 271),  # 2.460 KWD x 1.1 = 2.706 EUR
        ("usd", 1234, "kwd", 27150),  # 27.148 -> 27.150 KWD
    ],
)
def test_paying_in_another_currency_fills_presentment_details(
    sdk, stand_in, stripe_fixtures, currency, unit_amount, presentment_currency, presentment_amount
):
    session = create(
        sdk, line_items=[item(currency, unit_amount, 2)], adaptive_pricing={"enabled": True}
    )
    assert raw(session)["adaptive_pricing"] == {"enabled": True}
    assert stand_in.pay(session.id, presentment_currency=presentment_currency.upper())[0]
    body = completed(sdk, session.id, stripe_fixtures)
    assert body["presentment_details"] == {
        "presentment_amount": presentment_amount,
        "presentment_currency": presentment_currency,
    }
    assert body["amount_total"] == 2 * unit_amount  # the session keeps its own currency
    assert body["currency"] == currency


def test_an_unknown_presentment_currency_is_refused(sdk, stand_in):
    session = create(sdk)
    assert stand_in.pay(session.id, presentment_currency="xyz") == (False, "Unknown currency: xyz")


@pytest.mark.parametrize(
    ("change", "message", "param"),
    [
        (
            {"automatic_tax": {"enabled": "maybe"}},
            "Invalid boolean: maybe",
            "automatic_tax[enabled]",
        ),
        (
            {"phone_number_collection": {"enabled": "yes"}},
            "Invalid boolean: yes",
            "phone_number_collection[enabled]",
        ),
        (
            {"billing_address_collection": "always"},
            "Invalid billing_address_collection: must be one of auto, required",
            "billing_address_collection",
        ),
        (
            {"tax_id_collection": {"enabled": True, "required": "always"}},
            "Invalid tax_id_collection[required]: must be one of if_supported, never",
            "tax_id_collection[required]",
        ),
        (
            {"consent_collection": {"terms_of_service": "maybe"}},
            "Invalid consent_collection[terms_of_service]: must be one of none, required",
            "consent_collection[terms_of_service]",
        ),
    ],
)
def test_bad_collection_options_are_refused(sdk, stand_in, change, message, param):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        create(sdk, **change)
    error = error_of(exc.value)
    assert (exc.value.http_status, error["message"], error["param"]) == (400, message, param)
    assert stand_in.state.sessions == {}
