"""A shopper in a real browser (Debian's Chromium through Playwright) on the sandbox.

The sandbox is started exactly as the README's demo command starts it
(``tools/dev.py serve``: migrate SQLite, load the demo data, runserver).
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.sandbox import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def add_to_cart(page, name, quantity=None):
    """Click a product's buy button on the page and wait for the cart to say so."""
    article = page.locator("article.wsc-product", has_text=name).first
    if quantity is not None:
        article.get_by_label("Quantity").fill(str(quantity))
    article.get_by_role("button").click()
    expect(page.locator(".wsc-messages")).to_contain_text(f"× {name} to your cart.")


def test_shopper_fills_edits_and_reviews_the_cart_without_a_reload(sandbox, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(sandbox + "/")
    assert page.get_by_text("Test mode").count() == 1
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page

    # Two products from the home page: a grid button and the buy block with a quantity.
    tote_button = page.locator("article.wsc-product", has_text="Canvas tote bag").first
    tote_button = tote_button.get_by_role("button")
    tote_button.click()
    expect(page.locator(".wsc-messages")).to_have_text("Added 1 × Canvas tote bag to your cart.")
    # Focus stays on the button; the live region is polite; the header follows.
    assert page.evaluate("document.activeElement.textContent").startswith("Add to cart")
    assert page.locator(".wsc-messages").get_attribute("aria-live") == "polite"
    expect(page.locator("[data-wsc-cart-count]")).to_have_text("Cart: 1 item")
    assert page.locator("[data-wsc-cart-subtotal]").inner_text() == "$18.50"
    page.locator(".wsc-buy-block article", has_text="Enamel mug").get_by_label("Quantity").fill("2")
    page.locator(".wsc-buy-block article", has_text="Enamel mug").get_by_role("button").click()
    expect(page.locator(".wsc-messages")).to_have_text("Added 2 × Enamel mug to your cart.")
    add_to_cart(page, "Sticker pack")
    expect(page.locator("[data-wsc-cart-count]")).to_have_text("Cart: 4 items")
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_role("link", name="Cart: 4 items").click()
    page.wait_for_url("**/shop/cart/")
    page.evaluate("window.__sameDocument = true")
    lines = page.locator("[data-wsc-line]")
    assert lines.count() == 3

    # Change a quantity: 2 tote bags. The lines and totals are re-read in place
    # and focus goes back to the field that was changed.
    tote = lines.filter(has_text="Canvas tote bag")
    tote.get_by_label("Quantity of Canvas tote bag").fill("2")
    tote.get_by_label("Quantity of Canvas tote bag").press("Enter")
    expect(page.locator(".wsc-messages")).to_have_text("Updated Canvas tote bag.")
    expect(tote.locator("[data-wsc-line-total]")).to_have_text("$37.00")
    assert page.evaluate("document.activeElement.id") == tote.locator(
        "input[type=number]"
    ).get_attribute("id")

    # Quantity 0 removes a line; so does Remove. Focus goes to the cart heading.
    stickers = page.locator("[data-wsc-line]", has_text="Sticker pack")
    stickers.get_by_label("Quantity of Sticker pack").fill("0")
    stickers.get_by_role("button", name="Update").click()
    expect(page.locator(".wsc-messages")).to_have_text("Removed Sticker pack from your cart.")
    expect(page.locator("[data-wsc-line]")).to_have_count(2)
    assert page.evaluate("document.activeElement.id") == "wsc-cart-heading"
    assert page.evaluate("window.__sameDocument") is True

    # 2 × $18.50 + 2 × $12.00 = $61.00; shipping $5.00 (free only from $75.00);
    # sales tax 8.25% of items and shipping, $66.00, = $5.445 → $5.45; total $71.45.
    assert page.locator("[data-wsc-subtotal]").inner_text() == "$61.00"
    assert page.locator("[data-wsc-tax]").inner_text() == "$5.45"
    assert page.locator("[data-wsc-shipping]").inner_text() == "$5.00"
    assert page.locator("[data-wsc-total]").inner_text() == "$71.45"
    assert (
        "Add $14.00 more for free Standard shipping."
        in page.locator("[data-wsc-free-shipping]").inner_text()
    )
    assert "8.25%" in page.locator(".wsc-totals").inner_text()
    expect(page.locator("[data-wsc-cart-subtotal]")).to_have_text("$61.00")
    page.screenshot(path=str(tmp_path / "cart.png"), full_page=True)

    page.locator("[data-wsc-line]", has_text="Enamel mug").get_by_role(
        "button", name="Remove"
    ).click()
    expect(page.locator(".wsc-messages")).to_have_text("Removed Enamel mug from your cart.")
    expect(page.locator("[data-wsc-line]")).to_have_count(1)
    expect(page.locator("[data-wsc-cart-count]")).to_have_text("Cart: 2 items")


def test_one_message_per_field_from_javascript_and_the_same_rule_without_it(sandbox, browser):
    page = browser.new_page()
    page.goto(sandbox + "/")
    block = page.locator(".wsc-buy-block article", has_text="Enamel mug")
    form = block.locator("form")
    height = block.bounding_box()["height"]
    block.get_by_label("Quantity").fill("0")
    block.get_by_role("button").click()
    # The shopper stays on the page with one message, in the field's reserved
    # slot (no browser bubble: the form is not left to native validation), and
    # the block does not move.
    error = block.locator(".wsc-field-error")
    expect(error).to_have_text("Enamel mug: Enter a whole number of at least 1.")
    assert form.evaluate("f => f.noValidate") is True
    assert block.get_by_label("Quantity").get_attribute("aria-invalid") == "true"
    assert block.bounding_box()["height"] == height
    assert "Cart: empty" in page.locator(".wsc-cart-summary").inner_text()
    # Fixing the number clears the message.
    block.get_by_label("Quantity").fill("1")
    block.get_by_role("button").click()
    expect(page.locator(".wsc-messages")).to_have_text("Added 1 × Enamel mug to your cart.")
    assert error.inner_text() == ""
    # Without JavaScript the server says the same and keeps the cart.
    context = browser.new_context(java_script_enabled=False)
    nojs = context.new_page()
    nojs.goto(sandbox + "/")
    block = nojs.locator(".wsc-buy-block article", has_text="Enamel mug")
    block.get_by_label("Quantity").evaluate("el => { el.removeAttribute('min'); el.value = '-1'; }")
    block.get_by_role("button").click()
    nojs.wait_for_load_state()
    assert (
        "Enamel mug: Enter a whole number of at least 1."
        in nojs.locator(".wsc-messages").inner_text()
    )
    assert "Cart: empty" in nojs.locator(".wsc-cart-summary").inner_text()
    # …and the forms work as plain forms.
    nojs.locator("article.wsc-product", has_text="Canvas tote bag").first.get_by_role(
        "button"
    ).click()
    nojs.wait_for_load_state()
    assert "Added 1 × Canvas tote bag to your cart." in nojs.locator(".wsc-messages").inner_text()
    assert "Cart: 1 item" in nojs.locator(".wsc-cart-summary").inner_text()
    context.close()


def fill_cart(page, base):
    page.goto(base + "/shop/cart/")
    if page.get_by_role("button", name="Empty cart").count():
        page.get_by_role("button", name="Empty cart").click()
        page.wait_for_load_state()
    page.goto(base + "/")
    add_to_cart(page, "Canvas tote bag")
    add_to_cart(page, "Dot-grid notebook")
    page.goto(base + "/shop/cart/")
    return page.locator("[data-wsc-total]").inner_text()


def go_to_stripe(page):
    page.get_by_role("link", name="Proceed to checkout").click()
    page.wait_for_load_state()
    page.get_by_label("Email").fill("shopper@example.com")
    page.get_by_role("button", name="Proceed to payment").click()
    page.wait_for_url("**/pay/cs_test_*")


def watch_csp(page):
    """Every Content-Security-Policy violation the browser reports on ``page``."""
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def test_shopper_pays_with_4242_and_sees_the_confirmation(sandbox, browser, tmp_path):
    page = browser.new_page()
    violations = watch_csp(page)
    policy = page.goto(sandbox + "/").headers["content-security-policy"]
    assert "form-action 'self' https://checkout.stripe.com" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    cart_total = fill_cart(page, sandbox)
    # $18.50 + $9.99 = $28.49; shipping $5.00; tax 8.25% of $33.49 = $2.76 → $36.25
    assert cart_total == "$36.25"
    go_to_stripe(page)
    assert "Pay 36.25 USD" in page.content()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/checkout/thank-you/?session_id=cs_test_*")
    assert "is confirmed and paid" in page.locator(".wsc-result__status").inner_text()
    assert page.locator("[data-wsc-total]").inner_text() == cart_total
    lines = page.locator("[data-wsc-line]").all_inner_texts()
    assert any("Canvas tote bag" in line for line in lines)
    assert any("Dot-grid notebook" in line for line in lines)
    assert "Cart: empty" in page.locator(".wsc-cart-summary").inner_text()
    page.screenshot(path=str(tmp_path / "confirmation.png"), full_page=True)
    # The policy was enforced all along, and the redirect to the pay page passed it.
    assert violations == []


def test_a_declined_card_can_be_retried_with_4242(sandbox, browser):
    page = browser.new_page()
    fill_cart(page, sandbox)
    go_to_stripe(page)
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text() == "Your card was declined."
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/checkout/thank-you/?session_id=cs_test_*")
    assert "is confirmed and paid" in page.locator(".wsc-result__status").inner_text()


def test_cancel_returns_to_a_full_cart(sandbox, browser):
    page = browser.new_page()
    cart_total = fill_cart(page, sandbox)
    go_to_stripe(page)
    page.get_by_role("link", name="Back (cancel payment)").click()
    page.wait_for_url("**/checkout/")
    assert "Payment cancelled; your cart is saved." in page.locator(".wsc-messages").inner_text()
    assert page.locator("[data-wsc-total]").inner_text() == cart_total
    assert page.get_by_role("button", name="Proceed to payment").is_visible()
    assert "Cart: 2 items" in page.locator(".wsc-cart-summary").inner_text()


def test_the_pay_button_shows_a_loading_state_while_the_session_is_created(sandbox, browser):
    page = browser.new_page()
    fill_cart(page, sandbox)
    page.get_by_role("link", name="Proceed to checkout").click()
    page.wait_for_load_state()
    page.get_by_label("Email").fill("shopper@example.com")
    # Hold the submission in the page so the in-between state can be looked at.
    page.evaluate(
        "document.querySelector('[data-wsc-checkout-form]')"
        ".addEventListener('submit', e => e.preventDefault())"
    )
    button = page.get_by_role("button", name="Proceed to payment")
    button.click()
    page.wait_for_function("document.querySelector('[data-wsc-pay-button]').disabled === true")
    assert button.get_attribute("aria-busy") == "true"
    spinner = page.evaluate(
        "getComputedStyle(document.querySelector('[data-wsc-pay-button]'), '::after').animationName"
    )
    assert spinner == "wsc-spin"


def test_inline_email_validation_before_anything_is_sent(sandbox, browser):
    page = browser.new_page()
    fill_cart(page, sandbox)
    page.get_by_role("link", name="Proceed to checkout").click()
    page.wait_for_load_state()
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Proceed to payment").click()
    assert page.locator("#id_email-error").inner_text() == "Enter a valid email address."
    assert page.locator("#id_name-error").inner_text() == ""  # one message, on its field
    assert "/checkout/" in page.url


def test_a_shopper_picks_express_uses_a_code_and_gets_the_shipped_email(
    sandbox, browser, sandbox_mail
):
    page = browser.new_page()
    violations = watch_csp(page)
    fill_cart(page, sandbox)
    page.get_by_role("link", name="Proceed to checkout").click()
    page.wait_for_load_state()
    page.get_by_label("Email").fill("express@example.com")
    # Choosing the rate updates the totals at once (JavaScript), keeping the email.
    page.get_by_label("Express (1–2 days): $15.00").check()
    page.wait_for_load_state()
    page.wait_for_selector("text=Shipping: Express (1–2 days)")
    assert page.get_by_label("Email").input_value() == "express@example.com"
    # $28.49 + $15.00 = $43.49; tax 8.25% = $3.59 → $47.08
    assert page.locator("[data-wsc-total]").inner_text() == "$47.08"
    page.get_by_role("button", name="Proceed to payment").click()
    page.wait_for_url("**/pay/cs_test_*")
    page.get_by_label("Promotion code").fill("TESTCODE100")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert "Pay 46.08 USD" in page.content()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/checkout/thank-you/?session_id=cs_test_*")
    assert page.locator("[data-wsc-total]").inner_text() == "$46.08"
    assert "Promotion code TESTCODE100 applied." in page.content()
    reference = page.locator(".wsc-result__status").inner_text().split()[1]

    staff = browser.new_page(viewport={"width": 1280, "height": 1200})
    staff.goto(sandbox + "/admin/login/")
    staff.fill("#id_username", "admin")
    staff.fill("#id_password", "changeme")
    staff.click("button[type=submit]")
    staff.wait_for_load_state()
    staff.goto(sandbox + "/admin/shop/orders/")
    staff.get_by_role("link", name=reference).click()
    staff.get_by_role("link", name="Mark shipped…").click()
    staff.get_by_label("Carrier").fill("UPS")
    staff.get_by_label("Tracking number").fill("1Z999AA10123456784")
    staff.get_by_label("Tracking link").fill(
        "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    )
    staff.get_by_role("button", name="Mark shipped and email the shopper").click()
    staff.wait_for_load_state()
    assert f"Order {reference} is shipped" in staff.content()
    shipped = [m for m in sandbox_mail() if f"{reference} has shipped" in m]
    assert len(shipped) == 1
    assert "To: express@example.com" in shipped[0] and "1Z999AA10123456784" in shipped[0]
    assert violations == []
