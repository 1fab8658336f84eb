"""Choosing a variant in a real browser (Debian's Chromium) on the sandbox's
T-shirt: the price, image and availability follow the choice, and the chosen
variant goes into the cart."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.sandbox import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def test_the_price_image_and_availability_follow_the_chosen_variant(sandbox, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(sandbox + "/")
    card = page.locator(".wsc-buy-block article.wsc-product", has_text="Trail T-shirt").first
    select = card.get_by_label("Size / Colour")
    price = card.locator("[data-wsc-price]")
    image = card.locator("img.wsc-product__image")
    expect(price).to_have_text("$24.00")
    expect(card.locator("[data-wsc-availability]")).to_have_text("10 left")
    navy_src = image.get_attribute("src")
    # The sold-out variant is listed but cannot be chosen.
    assert card.locator("option", has_text="L / Sand").get_attribute("disabled") is not None

    select.select_option(label="M / Sand – $26.00")
    expect(price).to_have_text("$26.00")
    expect(card.locator("[data-wsc-availability]")).to_have_text("4 left")
    assert image.get_attribute("src") != navy_src  # the Sand variants' own image
    assert card.get_by_label("Quantity").get_attribute("max") == "4"

    card.get_by_label("Quantity").fill("2")
    card.get_by_role("button").click()
    expect(page.locator(".wsc-messages")).to_have_text(
        "Added 2 × Trail T-shirt – M / Sand to your cart."
    )
    expect(page.locator("[data-wsc-cart-count]")).to_have_text("Cart: 2 items")
    assert page.locator("[data-wsc-cart-subtotal]").inner_text() == "$52.00"
