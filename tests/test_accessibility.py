"""Every shop page, as a phone and a desktop show it, checked by axe-core and
by a keyboard: no serious or critical violation, nothing wider than the screen,
contrast at WCAG 2.2 AA, and a purchase made with the keyboard alone.

The sandbox runs as the README's demo command starts it (tests/support/sandbox.py).
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.support.sandbox import BROWSER_MARKS

pytestmark = BROWSER_MARKS

SIZES = {"phone": (390, 844), "desktop": (1280, 900), "narrow": (320, 640)}


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def check(page, name: str, report: dict[str, list[str]]) -> None:
    found = serious_violations(page)
    wider = overflow(page)
    if wider > 0:
        found.append(f"page is {wider}px wider than the screen")
    if found:
        report[name] = found


def add(page, name: str) -> None:
    page.locator("article.wsc-product", has_text=name).first.get_by_role("button").click()
    expect(page.locator(".wsc-messages")).to_contain_text(f"× {name} to your cart.")


@pytest.mark.parametrize("size", SIZES)
def test_every_shop_page_passes_axe_and_fits_the_screen(sandbox, browser, size, tmp_path):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    report: dict[str, list[str]] = {}

    page.goto(sandbox + "/")
    assert page.locator(".wsc-buy-block").count() >= 1  # the home page has buy blocks
    check(page, "home", report)
    page.goto(sandbox + "/shop/cart/")
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    check(page, "cart (empty)", report)
    page.goto(sandbox + "/checkout/")
    check(page, "checkout (empty cart)", report)

    page.goto(sandbox + "/")
    add(page, "Canvas tote bag")
    add(page, "Dot-grid notebook")
    # An error on show: a bad quantity in the buy block.
    block = page.locator(".wsc-buy-block article", has_text="Enamel mug")
    block.get_by_label("Quantity").fill("0")
    block.get_by_role("button").click()
    expect(block.locator(".wsc-field-error")).not_to_be_empty()
    check(page, "home (field error)", report)
    page.goto(sandbox + "/shop/cart/")
    expect(page.locator("[data-wsc-line]")).to_have_count(2)
    check(page, "cart (full)", report)
    page.screenshot(path=str(tmp_path / f"cart-{size}.png"), full_page=True)

    page.get_by_role("link", name="Proceed to checkout").click()
    page.wait_for_url("**/checkout/")
    check(page, "checkout", report)
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Proceed to payment").click()
    expect(page.locator("#id_email-error")).not_to_be_empty()
    check(page, "checkout (field error)", report)

    page.get_by_label("Email").fill("a11y@example.com")
    page.get_by_role("button", name="Proceed to payment").click()
    page.wait_for_url("**/pay/cs_test_*")
    check(page, "Stripe stand-in pay page", report)
    page.get_by_role("link", name="Back (cancel payment)").click()
    page.wait_for_url("**/checkout/")
    expect(page.locator(".wsc-messages")).to_contain_text("Payment cancelled")
    assert page.get_by_label("Email").input_value() == "a11y@example.com"
    check(page, "checkout (after cancel)", report)

    page.get_by_role("button", name="Proceed to payment").click()
    page.wait_for_url("**/pay/cs_test_*")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/checkout/thank-you/?session_id=cs_test_*")
    expect(page.locator(".wsc-result__status")).to_contain_text("is confirmed and paid")
    check(page, "result", report)
    page.screenshot(path=str(tmp_path / f"result-{size}.png"), full_page=True)

    # DEBUG is on in the demo, so the shop's own 404 page is shown by its preview URL.
    assert page.goto(sandbox + "/errors/404/").status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    check(page, "404", report)
    context.close()
    assert report == {}


def luminance(rgb: str) -> float:
    r, g, b = (int(c) / 255 for c in re.findall(r"\d+", rgb)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


WHITE = "rgb(255, 255, 255)"


def test_field_borders_and_the_focus_ring_meet_3_to_1(sandbox, browser):
    """WCAG 2.2 1.4.11 (axe checks text contrast, not components)."""
    page = browser.new_page()
    page.goto(sandbox + "/")
    quantity = page.locator(".wsc-buy-block .wsc-quantity").first
    border = quantity.evaluate("el => getComputedStyle(el).borderTopColor")
    assert contrast(border, WHITE) >= 3
    page.keyboard.press("Tab")  # keyboard focus: :focus-visible applies
    for _ in range(40):
        if page.evaluate("document.activeElement.classList.contains('wsc-quantity')"):
            break
        page.keyboard.press("Tab")
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineColor, s.outlineWidth]; })()"
    )
    assert ring[0] == "solid" and ring[2] == "3px"
    assert contrast(ring[1], WHITE) >= 3
    button = page.locator(".wsc-buy-block .wsc-button").first
    background = button.evaluate("el => getComputedStyle(el).backgroundColor")
    text = button.evaluate("el => getComputedStyle(el).color")
    assert contrast(background, WHITE) >= 3  # the button against the page
    assert contrast(text, background) >= 4.5  # its label against the button


def tab_to(page, name: str, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible text starts with ``name``;
    each stop must show a visible focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const el = document.activeElement;"
            " const label = el.labels && el.labels[0] ? el.labels[0].textContent : '';"
            " return [(label || el.textContent || el.getAttribute('aria-label') || '')"
            ".replace(/\\s+/g, ' ').trim(), getComputedStyle(el).outlineStyle]; })()"
        )
        if focused[0].startswith(name):
            assert focused[1] != "none", f"{name!r} has no visible focus"
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_a_purchase_with_the_keyboard_alone(sandbox, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(sandbox + "/")
    tab_to(page, "Add to cart: Canvas tote bag")
    page.keyboard.press("Enter")
    expect(page.locator(".wsc-messages")).to_have_text("Added 1 × Canvas tote bag to your cart.")
    tab_to(page, "Cart: 1 item")
    page.keyboard.press("Enter")
    page.wait_for_url("**/shop/cart/")
    tab_to(page, "Quantity")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator(".wsc-messages")).to_have_text("Updated Canvas tote bag.")
    tab_to(page, "Proceed to checkout")
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout/")
    tab_to(page, "Email")
    page.keyboard.type("keys@example.com")
    tab_to(page, "Proceed to payment")
    page.keyboard.press("Enter")
    page.wait_for_url("**/pay/cs_test_*")
    tab_to(page, "Card number")
    page.keyboard.type("4242 4242 4242 4242")
    tab_to(page, "Pay")
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout/thank-you/?session_id=cs_test_*")
    expect(page.locator(".wsc-result__status")).to_contain_text("is confirmed and paid")
    cells = page.locator("[data-wsc-line]").first.locator("th, td").all_inner_texts()
    assert cells == ["Canvas tote bag", "2", "$37.00"]


def test_the_audit_itself_finds_a_violation(browser):
    """A guard against a silent audit: axe runs and reports what it should."""
    page = browser.new_page()
    page.set_content('<html lang="en"><title>t</title><main><button></button></main></html>')
    found = serious_violations(page)
    assert any(line.startswith("button-name (critical)") for line in found)
    page.set_content('<html lang="en"><title>t</title><main style="width:2000px">x</main></html>')
    assert overflow(page) > 0
