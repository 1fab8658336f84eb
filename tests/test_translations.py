"""The shop in French and German: complete catalogues, pages with no English
left, and Stripe Checkout in the page's language.

"No English left" is measured against the catalogue itself: the English
rendering of a page shows which of the package's strings are on it; the
French and German renderings of the same page must show none of them (only
strings whose translation is the same word, such as "Total", may stay).
"""

from __future__ import annotations

import html as html_lib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import configure_shop
from tests.support.helpers import signed_post
from wagtail_stripe_checkout.models import Order

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "wagtail_stripe_checkout" / "locale"
LANGUAGES = ("fr", "de")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")
# Common English words that no French or German shop page should show.
ENGLISH_WORDS = {
    "the", "your", "you", "and", "with", "cart", "order", "checkout", "shipping",
    "remove", "update", "quantity", "continue", "shopping", "empty", "proceed",
    "paid", "each", "items", "item", "add", "more", "free",
}  # fmt: skip


def catalogue(language: str) -> list[tuple[str, str]]:
    """(English, translation) for every singular string of the shipped catalogue."""
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as f:
        messages = read_po(f)
    return [
        (m.id, m.string)
        for m in messages
        if m.id and isinstance(m.id, str) and isinstance(m.string, str)
    ]


def visible_text(html: str) -> str:
    """What a shopper sees or hears: text, and the attributes read aloud or shown."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    said = re.findall(
        r'\s(?:aria-label|title|alt|placeholder|data-wsc-message-\w+)="([^"]*)"', html
    )
    text = re.sub(r"<[^>]+>", " ", html)
    return html_lib.unescape(" ".join([text, *said]))


def fragments(english: str) -> list[str]:
    """The literal parts of a string, between its placeholders (two letters or more)."""
    parts = (part.strip(" .,:;!?…()*") for part in PLACEHOLDER.split(english))
    return [part for part in parts if len(re.findall(r"[A-Za-z]", part)) >= 3]


def english_on(text: str, strings: list[tuple[str, str]]) -> set[str]:
    """The catalogue strings whose English text appears in ``text``."""
    found = set()
    for english, translated in strings:
        for part in fragments(english):
            if part in translated:  # the same word in both languages: not evidence
                continue
            if re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text):
                found.add(english)
    return found


def shopper_email() -> str:
    """The confirmation the shopper was just sent (subject, text and HTML), then forgotten."""
    (email,) = [m for m in mail.outbox if m.to == ["shopper@example.com"]]
    mail.outbox.clear()
    html = "".join(content for content, _type in getattr(email, "alternatives", []))
    return f"<p>{email.subject}</p><pre>{html_lib.escape(str(email.body))}</pre>{html}"


@pytest.fixture
def french_ready_shop(shop):
    """Tax added on top and a shipping zone: the cart shows a rate and a free-shipping gap."""
    return configure_shop(
        shop,
        tax_mode="added",
        tax_rate="8.25",
        tax_label="",
        zones=[("United States", "US", [("Standard", "5.00", "75.00", 3, 5)])],
    )


def shop_in(language, product, checkout, stand_in, capture):
    """Every page a shopper sees, from the cart to the confirmation, in ``language``."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    pages = {}
    client.post(reverse("wagtail_stripe_checkout:cart_add"), {"product": product.pk, "quantity": 2})
    pages["cart"] = client.get(reverse("wagtail_stripe_checkout:cart")).content.decode()
    pages["checkout"] = client.get(checkout.url).content.decode()
    pages["checkout with an error"] = client.post(checkout.url, {"email": "nope"}).content.decode()
    response = client.post(checkout.url, {"email": "shopper@example.com", "name": "Sam"})
    assert response.status_code == 303
    session_id = response["Location"].rsplit("/", 1)[1]
    session = stand_in.session(session_id)
    paid, success_url = stand_in.pay(session_id)
    assert paid
    (event,) = [
        e
        for e in stand_in.events_of_type("checkout.session.completed")
        if e["data"]["object"]["id"] == session_id
    ]
    with capture(execute=True):
        assert signed_post(event).status_code == 200
    pages["result"] = client.get(success_url).content.decode()
    client.post(reverse("wagtail_stripe_checkout:cart_clear"))
    pages["cart (empty)"] = client.get(reverse("wagtail_stripe_checkout:cart")).content.decode()
    return pages, session


def test_the_catalogues_are_complete_current_and_compiled():
    """tools/messages.py --check: makemessages finds nothing new or gone, every
    entry is translated with its placeholders, and the .mo files match."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "messages.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Catalogues OK" in result.stdout
    for language in LANGUAGES:
        assert len(catalogue(language)) > 300  # every shopper and editor string


@pytest.mark.parametrize("language", LANGUAGES)
def test_shop_pages_have_no_english_left(
    language,
    french_ready_shop,
    make_product,
    checkout_pages,
    stripe_stand_in,
    django_capture_on_commit_callbacks,
):
    mug = make_product("12.00", name="Tasse")  # a name without English words
    checkout, _result = checkout_pages
    checkout.title = {"fr": "Paiement", "de": "Kasse"}[language]
    checkout.save()
    _result.title = {"fr": "Merci", "de": "Danke"}[language]
    _result.save()
    english_pages, _session = shop_in(
        "en", mug, checkout, stripe_stand_in, django_capture_on_commit_callbacks
    )
    english_pages["email"] = shopper_email()
    pages, session = shop_in(
        language, mug, checkout, stripe_stand_in, django_capture_on_commit_callbacks
    )
    pages["email"] = shopper_email()  # sent by the webhook, in the order's language
    strings = catalogue(language)
    checked = 0
    for name, english_html in english_pages.items():
        on_the_page = english_on(visible_text(english_html), strings)
        checked += len(on_the_page)
        text = visible_text(pages[name])
        assert english_on(text, strings) == set(), f"{language} {name}"
        words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
        assert words & ENGLISH_WORDS == set(), f"{language} {name}"
        if name != "email":
            assert f'<html lang="{language}">' in pages[name]
    assert checked >= 40  # the English pages did show the package's strings
    # Stripe Checkout opens in the page's language, and the order remembers it.
    assert session["locale"] == language
    assert Order.objects.filter(language=language).count() == 1
