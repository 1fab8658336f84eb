"""Every endpoint the stand-in serves, through the real SDK, shaped like Stripe's fixtures."""

from __future__ import annotations

import pytest
import stripe
from stripe.checkout import Session

from .helpers import API_VERSION, item, raw, session_params, shipping
from .shapes import assert_shaped_like, shape_problems


def create(sdk, **change):
    return sdk.v1.checkout.sessions.create(params=session_params(**change))


def list_sample(stripe_fixtures):
    """Stripe's list object, as the charge sample embeds one (``charge.refunds``)."""
    return stripe_fixtures["charge"]["refunds"]


def test_the_shape_check_catches_a_missing_key_and_a_wrong_type(stripe_fixtures):
    session = dict(stripe_fixtures["checkout.session"])
    del session["success_url"]
    session["created"] = "1234567890"
    session["after_expiration"] = None  # Stripe allows null here
    session["livemode"] = None  # but not here
    problems = shape_problems(session, stripe_fixtures["checkout.session"], Session)
    assert sorted(problems) == [
        "created: string, Stripe sends number",
        "livemode: null, and Stripe never sends null here",
        "success_url: missing",
    ]


def test_create_session_answers_an_open_session(sdk, stand_in, stripe_fixtures):
    session = create(sdk, client_reference_id="order-7", metadata={"order": "7"})
    body = raw(session)
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert (session.amount_subtotal, session.amount_total, session.currency) == (2468, 2468, "usd")
    assert session.url == f"{stand_in.api_base}/pay/{session.id}"
    assert session.client_reference_id == "order-7"
    assert session.metadata.to_dict() == {"order": "7"}
    assert body["expires_at"] == body["created"] + 24 * 3600
    assert not any(key.startswith("_") for key in body)
    assert stand_in.session(session.id)["_api_version"] == API_VERSION


def test_create_session_with_shipping_tax_and_promotion_codes(sdk, stripe_fixtures):
    session = create(
        sdk,
        shipping_options=[shipping(500), shipping(900)],
        automatic_tax={"enabled": True},
        allow_promotion_codes=True,
        locale="fr",
        customer_email="ann@example.com",
        shipping_address_collection={"allowed_countries": ["GB", "FR"]},
    )
    body = raw(session)
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    assert body["amount_subtotal"] == 2468
    # The first option is preselected; the test tax is 10% of the items and the shipping.
    assert body["amount_total"] == 2468 + 247 + 500 + 50
    assert [o["shipping_amount"] for o in body["shipping_options"]] == [500, 900]
    assert body["shipping_cost"]["amount_total"] == 550
    assert body["shipping_cost"]["shipping_rate"] == body["shipping_options"][0]["shipping_rate"]
    assert body["total_details"] == {
        "amount_discount": 0,
        "amount_shipping": 500,
        "amount_tax": 297,
    }
    assert body["automatic_tax"]["enabled"] is True
    assert body["automatic_tax"]["status"] == "complete"
    assert body["allow_promotion_codes"] is True
    assert body["locale"] == "fr"
    assert body["customer_email"] == "ann@example.com"
    assert body["shipping_address_collection"] == {"allowed_countries": ["GB", "FR"]}


def test_retrieve_session(sdk, stripe_fixtures):
    created = create(sdk)
    session = sdk.v1.checkout.sessions.retrieve(created.id)
    assert_shaped_like(raw(session), stripe_fixtures["checkout.session"], Session)
    assert raw(session) == raw(created)
    assert "line_items" not in raw(session)


def test_retrieve_session_with_expanded_line_items(sdk, stripe_fixtures):
    created = create(sdk, line_items=[item(unit_amount=1234, quantity=2), item(unit_amount=99)])
    session = sdk.v1.checkout.sessions.retrieve(created.id, params={"expand": ["line_items"]})
    line_items = raw(session)["line_items"]
    assert_shaped_like(line_items, list_sample(stripe_fixtures), stripe.ListObject)
    for line in line_items["data"]:
        assert_shaped_like(line, stripe_fixtures["item"], stripe.LineItem)
    assert [li.amount_total for li in session.line_items.data] == [2468, 99]


def test_retrieve_an_unknown_session_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk.v1.checkout.sessions.retrieve("cs_test_nope")
    assert exc.value.http_status == 404
    assert exc.value.code == "resource_missing"
    assert exc.value.param == "session"
    assert str(exc.value.user_message) == "No such checkout.session: 'cs_test_nope'"


def test_list_line_items(sdk, stripe_fixtures):
    created = create(sdk, line_items=[item(unit_amount=1234, quantity=2, name="Mug")])
    listed = sdk.v1.checkout.sessions.line_items.list(created.id)
    body = raw(listed)
    assert_shaped_like(body, list_sample(stripe_fixtures), stripe.ListObject)
    (line,) = body["data"]
    assert_shaped_like(line, stripe_fixtures["item"], stripe.LineItem)
    assert body["url"] == f"/v1/checkout/sessions/{created.id}/line_items"
    assert (line["description"], line["quantity"], line["amount_total"]) == ("Mug", 2, 2468)
    assert line["price"]["unit_amount"] == 1234
    assert line["price"]["type"] == "one_time"
    assert line["id"].startswith("li_")


def test_list_line_items_of_an_unknown_session_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk.v1.checkout.sessions.line_items.list("cs_test_nope")
    assert exc.value.http_status == 404


def test_list_sessions_newest_first_in_pages(sdk, stand_in, stripe_fixtures):
    ids = [create(sdk).id for _ in range(3)]
    for created, session_id in enumerate(ids):  # distinct creation times, oldest first
        stand_in.state.sessions[session_id]["created"] = 1_700_000_000 + created
    first = sdk.v1.checkout.sessions.list(params={"limit": 2})
    body = raw(first)
    assert_shaped_like(body, list_sample(stripe_fixtures), stripe.ListObject)
    assert_shaped_like(body["data"][0], stripe_fixtures["checkout.session"], Session)
    assert [s["id"] for s in body["data"]] == [ids[2], ids[1]]
    assert body["has_more"] is True
    rest = raw(sdk.v1.checkout.sessions.list(params={"limit": 2, "starting_after": ids[1]}))
    assert [s["id"] for s in rest["data"]] == [ids[0]]
    assert rest["has_more"] is False


def test_list_sessions_filters_by_status_and_creation_time(sdk, stand_in):
    old, expired = create(sdk).id, create(sdk).id
    stand_in.state.sessions[old]["created"] = 1_600_000_000
    sdk.v1.checkout.sessions.expire(expired)
    by_status = raw(sdk.v1.checkout.sessions.list(params={"status": "expired"}))
    assert [s["id"] for s in by_status["data"]] == [expired]
    recent = raw(sdk.v1.checkout.sessions.list(params={"created": {"gte": 1_700_000_000}}))
    assert [s["id"] for s in recent["data"]] == [expired]


def test_expire_session(sdk, stand_in, stripe_fixtures):
    created = create(sdk)
    expired = sdk.v1.checkout.sessions.expire(created.id)
    assert_shaped_like(raw(expired), stripe_fixtures["checkout.session"], Session)
    assert (expired.status, expired.url) == ("expired", None)
    assert [e["type"] for e in stand_in.state.events] == ["checkout.session.expired"]


def test_expire_a_session_that_is_not_open_is_refused(sdk):
    created = create(sdk)
    sdk.v1.checkout.sessions.expire(created.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk.v1.checkout.sessions.expire(created.id)
    assert exc.value.http_status == 400
    assert exc.value.code == "checkout_session_not_open"
    assert "Only Checkout Sessions with a status of `open` can be expired." in str(exc.value)


def test_create_refund(sdk, stand_in, stripe_fixtures):
    created = create(sdk)
    stand_in.pay(created.id)
    payment_intent = stand_in.session(created.id)["payment_intent"]
    refund = sdk.v1.refunds.create(params={"payment_intent": payment_intent, "amount": 500})
    body = raw(refund)
    assert_shaped_like(body, stripe_fixtures["refund"], stripe.Refund)
    assert (body["amount"], body["currency"], body["status"]) == (500, "usd", "succeeded")
    assert body["payment_intent"] == payment_intent
    assert body["charge"] == stand_in.state.charges[payment_intent]["id"]
    assert stand_in.state.refunds == [body]


def test_retrieve_event(sdk, stand_in, stripe_fixtures):
    created = create(sdk)
    stand_in.pay(created.id)
    (event,) = stand_in.events_of_type("checkout.session.completed")
    retrieved = sdk.v1.events.retrieve(event["id"])
    body = raw(retrieved)
    assert_shaped_like(body, {**stripe_fixtures["event"], "data": {}}, stripe.Event)
    assert_shaped_like(body["data"]["object"], stripe_fixtures["checkout.session"], Session)
    assert body == event


def test_retrieve_an_unknown_event_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk.v1.events.retrieve("evt_nope")
    assert (exc.value.http_status, exc.value.code, exc.value.param) == (
        404,
        "resource_missing",
        "id",
    )
