"""Custom fields, custom text and consent: what the pay page shows and asks, and the
answers the completed session carries in Stripe's shape."""

from __future__ import annotations

import pytest
import stripe
from stripe.checkout import Session

from .helpers import error_of, pay_page, post_pay_page, raw, session_params, text_field
from .shapes import assert_shaped_like

SIZES = {"options": [{"label": "Small", "value": "s"}, {"label": "Large", "value": "l"}]}
FIELDS = [
    text_field("gift", "Gift message", optional=True, text={"maximum_length": 20}),
    text_field("size", "Size", type="dropdown", dropdown=SIZES),
    text_field("member", "Member number", type="numeric", numeric={"minimum_length": 4}),
]
TERMS = "I accept the [terms of sale](https://shop.example/terms) & <returns>."


def create(sdk, **change):
    return sdk.v1.checkout.sessions.create(params=session_params(**change))


def test_the_fields_are_echoed_in_stripes_shape(sdk, stripe_fixtures):
    body = raw(create(sdk, custom_fields=FIELDS))
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    gift, size, member = body["custom_fields"]
    assert gift == {
        "dropdown": None,
        "key": "gift",
        "label": {"custom": "Gift message", "type": "custom"},
        "numeric": None,
        "optional": True,
        "text": {
            "default_value": None,
            "maximum_length": 20,
            "minimum_length": None,
            "value": None,
        },
        "type": "text",
    }
    assert size["dropdown"] == {
        "default_value": None,
        "options": [{"label": "Small", "value": "s"}, {"label": "Large", "value": "l"}],
        "value": None,
    }
    assert (size["optional"], size["text"], size["numeric"]) == (False, None, None)
    assert member["numeric"]["minimum_length"] == 4
    # The session sample's list is empty: check the keys against the SDK's typed class.
    keys = {k for k in Session.CustomField.__annotations__ if not k.startswith("_")}
    assert all(set(answer_field) == keys for answer_field in (gift, size, member))


def test_the_page_shows_each_field_by_its_label(sdk, stand_in):
    html = pay_page(stand_in.api_base, create(sdk, custom_fields=FIELDS).id).text
    assert (
        '<label>Gift message (optional)<input name="custom_gift" value="" maxlength="20"></label>'
        in html
    )
    assert (
        '<label>Size<select name="custom_size" required><option value="" selected>Choose…</option>'
        in html
    )
    assert '<option value="l">Large</option>' in html
    assert (
        '<label>Member number<input name="custom_member" value="" required minlength="4" '
        'inputmode="numeric" pattern="[0-9]*"></label>'
    ) in html


def test_the_answers_are_recorded(sdk, stand_in, stripe_fixtures):
    session = create(sdk, custom_fields=FIELDS)
    form = {
        "email": "a@example.com",
        "custom_gift": "Happy birthday",
        "custom_size": "l",
        "custom_member": "12345",
    }
    assert post_pay_page(stand_in.api_base, session.id, **form).status == 303
    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    assert_shaped_like(raw(paid), stripe_fixtures["checkout.session"], Session)
    gift, size, member = paid.custom_fields
    assert (gift.text.value, size.dropdown.value, member.numeric.value) == (
        "Happy birthday",
        "l",
        "12345",
    )
    event = stand_in.events_of_type("checkout.session.completed")[0]
    assert [f["key"] for f in event["data"]["object"]["custom_fields"]] == [
        "gift",
        "size",
        "member",
    ]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"custom_size": "", "custom_member": "12345"}, "Size is required."),
        ({"custom_size": "m", "custom_member": "12345"}, "Choose an option for Size."),
        ({"custom_size": "s", "custom_member": "12a45"}, "Member number must contain only digits."),
        (
            {"custom_size": "s", "custom_member": "123"},
            "Member number must be at least 4 characters.",
        ),
        (
            {"custom_size": "s", "custom_member": "1234", "custom_gift": "x" * 21},
            "Gift message must be at most 20 characters.",
        ),
        ({"custom_member": "1234"}, "Size is required."),  # left out of the form
    ],
)
def test_required_and_bounded_answers(sdk, stand_in, form, message):
    session = create(sdk, custom_fields=FIELDS)
    answer = post_pay_page(stand_in.api_base, session.id, email="a@example.com", **form)
    assert answer.status == 402
    assert f'<p class="error" role="alert">{message}</p>' in answer.text
    assert stand_in.session(session.id)["status"] == "open"


def test_the_pay_helper_answers_required_fields_unless_told(sdk, stand_in):
    session = create(sdk, custom_fields=FIELDS)
    assert stand_in.pay(session.id, custom_fields={"size": ""}) == (False, "Size is required.")
    assert stand_in.pay(session.id, custom_fields={"colour": "red"}) == (
        False,
        "This checkout session has no custom field colour.",
    )
    assert stand_in.pay(session.id, custom_fields={"gift": "Hi"})[0]
    gift, size, member = stand_in.session(session.id)["custom_fields"]
    assert (gift["text"]["value"], size["dropdown"]["value"], member["numeric"]["value"]) == (
        "Hi",
        "s",  # the first option
        "1234",  # digits of the minimum length
    )


def test_up_to_three_fields(sdk):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        create(sdk, custom_fields=[*FIELDS, text_field("more", "More")])
    error = error_of(exc.value)
    assert (error["message"], error["param"]) == (
        "You may only specify up to 3 custom fields.",
        "custom_fields",
    )


@pytest.mark.parametrize(
    ("field", "param"),
    [
        (text_field("bad key", "Label"), "custom_fields[0][key]"),
        (text_field("k", ""), "custom_fields[0][label][custom]"),
        (text_field("k", "Size", type="dropdown"), "custom_fields[0][dropdown][options]"),
        (text_field("k", "Size", dropdown=SIZES), "custom_fields[0][dropdown]"),
        (
            text_field("k", "Size", type="dropdown", dropdown={**SIZES, "default_value": "xl"}),
            "custom_fields[0][dropdown][default_value]",
        ),
        (
            text_field("k", "Note", text={"minimum_length": 0}),
            "custom_fields[0][text][minimum_length]",
        ),
        (
            text_field("k", "Note", text={"minimum_length": 9, "maximum_length": 3}),
            "custom_fields[0][text][minimum_length]",
        ),
    ],
    ids=["key", "label", "no options", "options on text", "default", "length 0", "min over max"],
)
def test_bad_fields_are_refused(sdk, field, param):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        create(sdk, custom_fields=[field])
    assert exc.value.http_status == 400
    assert error_of(exc.value)["param"] == param


# Custom text and consent ---------------------------------------------------------
def test_custom_text_is_echoed_and_shown(sdk, stand_in, stripe_fixtures):
    custom_text = {
        "submit": {"message": "Orders ship in 2 days."},
        "after_submit": {"message": "Questions? [Write to us](https://shop.example/contact)."},
        "terms_of_service_acceptance": {"message": TERMS},
    }
    session = create(sdk, custom_text=custom_text)
    body = raw(session)
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    assert body["custom_text"] == {**custom_text, "shipping_address": None}
    html = pay_page(stand_in.api_base, session.id).text
    assert '<p class="hint" id="submit-message">Orders ship in 2 days.</p>' in html
    assert html.index('id="submit-message"') < html.index('<button type="submit">Pay</button>')
    assert (
        '<p class="hint" id="after-submit-message">Questions? '
        '<a href="https://shop.example/contact">Write to us</a>.</p>'
    ) in html
    assert (
        'I accept the <a href="https://shop.example/terms">terms of sale</a> &amp; &lt;returns&gt;.'
    ) in html


def test_no_custom_text_by_default(sdk, stripe_fixtures):
    body = raw(create(sdk))
    assert body["custom_text"] == dict.fromkeys(
        ["after_submit", "shipping_address", "submit", "terms_of_service_acceptance"]
    )
    assert (body["consent_collection"], body["consent"], body["custom_fields"]) == (None, None, [])


def test_a_message_over_1200_characters_is_refused(sdk):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        create(sdk, custom_text={"submit": {"message": "x" * 1201}})
    error = error_of(exc.value)
    assert (error["message"], error["param"]) == (
        "Text can be up to 1200 characters in length.",
        "custom_text[submit][message]",
    )


def test_required_terms_need_the_checkbox(sdk, stand_in, stripe_fixtures):
    session = create(
        sdk,
        consent_collection={"terms_of_service": "required"},
        custom_text={"terms_of_service_acceptance": {"message": TERMS}},
    )
    body = raw(session)
    assert body["consent_collection"] == {
        "payment_method_reuse_agreement": None,
        "promotions": None,
        "terms_of_service": "required",
    }
    html = pay_page(stand_in.api_base, session.id).text
    assert (
        '<label class="choice"><input type="checkbox" name="accept_terms" value="yes" required '
        'aria-describedby="terms-message"> I agree to the terms of service</label>'
    ) in html
    refused = post_pay_page(stand_in.api_base, session.id, email="a@example.com")
    assert (
        '<p class="error" role="alert">You must agree to the terms of service.</p>' in refused.text
    )
    assert stand_in.pay(session.id, accept_terms=False) == (
        False,
        "You must agree to the terms of service.",
    )
    accepted = post_pay_page(
        stand_in.api_base, session.id, email="a@example.com", accept_terms="yes"
    )
    assert accepted.status == 303
    paid = raw(sdk.v1.checkout.sessions.retrieve(session.id))
    assert_shaped_like(paid, stripe_fixtures["checkout.session"], Session)
    assert paid["consent"] == {"promotions": None, "terms_of_service": "accepted"}


def test_no_checkbox_without_required_terms(sdk, stand_in):
    session = create(sdk, consent_collection={"terms_of_service": "none"})
    assert 'name="accept_terms"' not in pay_page(stand_in.api_base, session.id).text
    stand_in.pay(session.id, accept_terms=False)
    assert stand_in.session(session.id)["consent"] == {"promotions": None, "terms_of_service": None}


def test_the_terms_checkbox_without_a_message_describes_nothing(sdk, stand_in):
    session = create(sdk, consent_collection={"terms_of_service": "required"})
    html = pay_page(stand_in.api_base, session.id).text
    assert (
        '<input type="checkbox" name="accept_terms" value="yes" required> '
        "I agree to the terms of service</label>"
    ) in html
    assert "terms-message" not in html
    again = post_pay_page(
        stand_in.api_base, session.id, card_number="4000000000000002", accept_terms="yes"
    )
    assert 'value="yes" required checked>' in again.text  # ticked stays ticked
