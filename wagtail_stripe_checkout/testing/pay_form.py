"""The pay page's form fields: what the session asks of the shopper, with accessible labels.

Email, Phone, Shipping name/address line 1/city/postal code/country, a radio
group of shipping options (each labelled by its display name and amount),
Promotion code with an Apply button, the custom fields (by their labels),
ID type and Tax ID, Card number, Expiry, CVC, Name on card, Billing address
line 1/city/postal code/country, and "I agree to the terms of service".
``values`` are what the shopper typed before (the page shown again).
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Template
from typing import Any

from .answers import DEFAULT_COUNTRY, DEFAULT_NAME, test_address
from .collection import Collection
from .currencies import display
from .custom_fields import CustomField
from .discounts import TEST_CODE
from .markup import Markup, join, render, with_links
from .session_totals import REQUEST, SHIPPING_INDEX, applied_code

_INPUT = Template('<label>$label<input name="$name" value="$value" $attributes></label>')
_SELECT = Template('<label>$label<select name="$name" $attributes>$options</select></label>')
_OPTION = Template('<option value="$value"$selected>$label</option>')
_RADIO = Template(
    '<label class="choice"><input type="radio" name="shipping_rate" value="$value"$checked> '
    "$label</label>"
)
_FIELDSET = Template("<fieldset><legend>$legend</legend>$content</fieldset>")
_APPLY = Template(
    '<button type="submit" name="action" value="apply" formnovalidate class="secondary">'
    "$label</button>"
)
_NOTE = Template('<p class="hint" id="$id">$text</p>')
_TERMS = Template(
    '<label class="choice"><input type="checkbox" name="accept_terms" value="yes" required'
    "$attributes> I agree to the terms of service</label>"
)
TAX_ID_TYPES = ("eu_vat", "gb_vat", "us_ein", "au_abn", "ca_bn", "ch_vat", "no_vat", "unknown")


def field(label: str, name: str, value: str = "", attributes: str = "") -> Markup:
    return render(_INPUT, label=label, name=name, value=value, attributes=Markup(attributes))


def select(
    label: str, name: str, options: list[tuple[str, str]], chosen: str, attributes: str = ""
) -> Markup:
    rendered = [
        render(
            _OPTION,
            value=value,
            label=text,
            selected=Markup(" selected" if value == chosen else ""),
        )
        for value, text in options
    ]
    return render(
        _SELECT, label=label, name=name, options=join(rendered), attributes=Markup(attributes)
    )


def fields(session: dict[str, Any], values: Mapping[str, str]) -> Markup:
    """Every field the session asks for, in the page's order."""
    collection: Collection = session[REQUEST].collection
    return join(
        [
            contact_fields(session, collection, values),
            shipping_address_fields(session, collection, values),
            shipping_option_fields(session),
            promotion_code_field(session, values),
            join([custom_field(f, values) for f in collection.custom_fields]),
            tax_id_fields(collection, values),
            card_fields(session, collection, values),
            terms_fields(collection, values),
        ]
    )


def contact_fields(
    session: dict[str, Any], collection: Collection, values: Mapping[str, str]
) -> Markup:
    parts = []
    if not session.get("customer_email"):
        parts.append(
            field(
                "Email",
                "email",
                values.get("email", ""),
                'type="email" autocomplete="email" required',
            )
        )
    if collection.phone:
        parts.append(
            field(
                "Phone", "phone", values.get("phone", ""), 'type="tel" autocomplete="tel" required'
            )
        )
    return join(parts)


def shipping_address_fields(
    session: dict[str, Any], collection: Collection, values: Mapping[str, str]
) -> Markup:
    allowed = (session.get("shipping_address_collection") or {}).get("allowed_countries")
    if not allowed:
        return Markup("")
    default = {**test_address(allowed[0]), "name": values.get("name") or DEFAULT_NAME}
    parts = [_note("shipping-message", collection.message("shipping_address"))]
    for name, label in (
        ("name", "Shipping name"),
        ("line1", "Shipping address line 1"),
        ("city", "Shipping city"),
        ("postal_code", "Shipping postal code"),
    ):
        parts.append(
            field(
                label, f"shipping_{name}", values.get(f"shipping_{name}", default[name]), "required"
            )
        )
    countries = [(code, code) for code in allowed]
    parts.append(
        select(
            "Shipping country",
            "shipping_country",
            countries,
            values.get("shipping_country", allowed[0]),
        )
    )
    return render(_FIELDSET, legend="Shipping address", content=join(parts))


def shipping_option_fields(session: dict[str, Any]) -> Markup:
    rates = session[REQUEST].shipping_rates
    if not rates:
        return Markup("")
    currency = session["currency"]
    radios = [
        render(
            _RADIO,
            value=rate.id,
            checked=Markup(" checked" if index == session[SHIPPING_INDEX] else ""),
            label=f"{rate.display_name} — {display(rate.amount, currency)}",
        )
        for index, rate in enumerate(rates)
    ]
    radios.append(render(_APPLY, label="Update total"))
    return render(_FIELDSET, legend="Shipping method", content=join(radios))


def promotion_code_field(session: dict[str, Any], values: Mapping[str, str]) -> Markup:
    if not session[REQUEST].allow_promotion_codes:
        return Markup("")
    code = values.get("promotion_code") or applied_code(session) or ""
    return join(
        [
            field("Promotion code", "promotion_code", code, 'autocomplete="off"'),
            render(_APPLY, label="Apply"),
            Markup(f'<p class="hint">Test code: {TEST_CODE} (100 off).</p>'),
        ]
    )


def custom_field(custom: CustomField, values: Mapping[str, str]) -> Markup:
    label = custom.label + (" (optional)" if custom.optional else "")
    value = values.get(custom.form_name, custom.default_value or "")
    required = "" if custom.optional else "required"
    if custom.type == "dropdown":
        options = [("", "Choose…"), *((option, text) for text, option in custom.options)]
        return select(label, custom.form_name, options, value, required)
    lengths = " ".join(
        f'{attribute}="{length}"'
        for attribute, length in (
            ("minlength", custom.minimum_length),
            ("maxlength", custom.maximum_length),
        )
        if length
    )
    numeric = 'inputmode="numeric" pattern="[0-9]*"' if custom.type == "numeric" else ""
    return field(label, custom.form_name, value, f"{required} {lengths} {numeric}".strip())


def tax_id_fields(collection: Collection, values: Mapping[str, str]) -> Markup:
    if not collection.tax_id["enabled"]:
        return Markup("")
    types = [("", "Detect from the number"), *((kind, kind) for kind in TAX_ID_TYPES)]
    return join(
        [
            select("ID type", "tax_id_type", types, values.get("tax_id_type", "")),
            field("Tax ID", "tax_id", values.get("tax_id", ""), 'autocomplete="off"'),
        ]
    )


def card_fields(
    session: dict[str, Any], collection: Collection, values: Mapping[str, str]
) -> Markup:
    """The card (none for a total of 0), and the billing address if it is required."""
    if not session["amount_total"]:
        return Markup('<p class="hint">Nothing to pay: no card is needed.</p>')
    parts = [
        field(
            "Card number",
            "card_number",
            "",
            'inputmode="numeric" autocomplete="cc-number" '
            'placeholder="4242 4242 4242 4242" required',
        ),
        field("Expiry", "expiry", values.get("expiry", "12 / 34"), 'placeholder="12 / 34"'),
        field("CVC", "cvc", values.get("cvc", "123"), 'placeholder="123"'),
        field("Name on card", "name", values.get("name", DEFAULT_NAME), 'autocomplete="cc-name"'),
    ]
    if collection.billing_address == "required":
        parts.append(billing_address_fields(values))
    return join(parts)


def billing_address_fields(values: Mapping[str, str]) -> Markup:
    default = test_address(DEFAULT_COUNTRY)
    parts = [
        field(label, f"billing_{name}", values.get(f"billing_{name}", default[name]), "required")
        for name, label in (
            ("line1", "Billing address line 1"),
            ("city", "Billing city"),
            ("postal_code", "Billing postal code"),
            ("country", "Billing country"),
        )
    ]
    return render(_FIELDSET, legend="Billing address", content=join(parts))


def terms_fields(collection: Collection, values: Mapping[str, str]) -> Markup:
    """The terms checkbox if they must be accepted, and the terms message if there is one."""
    message = collection.message("terms_of_service_acceptance")
    checkbox = Markup("")
    if collection.terms_required:
        attributes = ' aria-describedby="terms-message"' if message else ""
        attributes += " checked" if values.get("accept_terms") else ""
        checkbox = render(_TERMS, attributes=Markup(attributes))
    return join([checkbox, _note("terms-message", message)])


def _note(note_id: str, text: str | None) -> Markup:
    if not text:
        return Markup("")
    return render(_NOTE, id=note_id, text=with_links(text))
