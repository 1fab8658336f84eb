"""The catalogue in a real browser (Debian's Chromium through Playwright) on the
sandbox, started as the README's demo command starts it: a shopper buys the
demo e-book through the offline Stripe stand-in and downloads it from the
result page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.sandbox import BROWSER_MARKS

pytestmark = BROWSER_MARKS

EBOOK = "Trail guide e-book"


def test_a_shopper_buys_the_e_book_and_downloads_it(sandbox, browser, sandbox_mail, tmp_path):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(sandbox + "/")
    article = page.locator("article.wsc-product", has_text=EBOOK).first
    article.get_by_role("button").click()
    expect(page.locator(".wsc-messages")).to_contain_text(f"× {EBOOK} to your cart.")

    page.goto(sandbox + "/shop/cart/")
    page.get_by_role("link", name="Proceed to checkout").click()
    page.wait_for_load_state()
    # Nothing ships: no country or delivery to choose.
    assert page.locator("[data-wsc-shipping-choice]").count() == 0
    # $7.00 and sales tax 8.25% = $0.58 → $7.58, no shipping.
    assert page.locator("[data-wsc-total]").inner_text() == "$7.58"
    page.get_by_label("Email").fill("reader@example.com")
    page.get_by_role("button", name="Proceed to payment").click()
    page.wait_for_url("**/pay/cs_test_*")
    # The stand-in asks for no shipping address and offers no shipping option.
    assert page.locator("[name^=shipping_]").count() == 0
    assert "Pay 7.58 USD" in page.content()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/checkout/thank-you/?session_id=cs_test_*")
    assert "is confirmed and paid" in page.locator(".wsc-result__status").inner_text()
    reference = page.locator(".wsc-result__status").inner_text().split()[1]

    downloads = page.locator("[data-wsc-downloads]")
    expect(downloads).to_contain_text("Trail guide (PDF)")
    expect(downloads).to_contain_text("5 downloads left")
    link = downloads.get_by_role("link", name="Trail guide (PDF)")
    href = link.get_attribute("href")
    assert href.startswith("/shop/download/") and "/media/" not in href
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "trail-guide.pdf"
    saved = tmp_path / "ebook.pdf"
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    assert b"(Trail guide PDF) Tj" in data

    # Served by Django, privately; the page now says one download is used.
    response = context.request.get(sandbox + href)
    assert response.status == 200 and response.body() == data
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-disposition"] == 'attachment; filename="trail-guide.pdf"'
    page.reload()
    expect(page.locator("[data-wsc-downloads]")).to_contain_text("3 downloads left")

    # The confirmation email carries the same link.
    to_reader = [m for m in sandbox_mail() if reference in m and "To: reader@example.com" in m]
    assert to_reader and any(href in m for m in to_reader)
    # A forged token gets the shop's friendly page, not a file.
    forged = context.request.get(sandbox + "/shop/download/" + "x" * 43 + "/")
    assert forged.status == 404 and "This download link is not valid." in forged.text()
    context.close()


def test_a_shopper_buys_a_t_shirt_variant_with_the_e_book_and_gets_both(sandbox, browser, tmp_path):
    """One purchase of a variant and a download: the variant is what Stripe
    charges for and the order records, and the e-book's link works."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(sandbox + "/")
    shirt = page.locator(".wsc-buy-block article.wsc-product", has_text="Trail T-shirt").first
    shirt.get_by_label("Size / Colour").select_option(label="M / Sand – $26.00")
    shirt.get_by_role("button").click()
    expect(page.locator(".wsc-messages")).to_contain_text("Trail T-shirt – M / Sand")
    page.locator("article.wsc-product", has_text=EBOOK).first.get_by_role("button").click()
    expect(page.locator(".wsc-messages")).to_contain_text(EBOOK)

    page.goto(sandbox + "/shop/cart/")
    expect(page.locator("[data-wsc-cart]")).to_contain_text("M / Sand")
    page.get_by_role("link", name="Proceed to checkout").click()
    page.get_by_label("Email").fill("both@example.com")
    page.get_by_role("button", name="Proceed to payment").click()
    page.wait_for_url("**/pay/cs_test_*")
    # Stripe's page names the variant and, as a T-shirt ships, asks where to.
    assert "Trail T-shirt – M / Sand" in page.content()
    assert page.locator("[name^=shipping_]").count() > 0
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/checkout/thank-you/?session_id=cs_test_*")
    assert "is confirmed and paid" in page.locator(".wsc-result__status").inner_text()
    expect(page.locator(".wsc-result")).to_contain_text("Trail T-shirt – M / Sand")

    link = page.locator("[data-wsc-downloads]").get_by_role("link", name="Trail guide (PDF)")
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "guide.pdf"
    info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-1.4")
    context.close()
