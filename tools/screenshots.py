"""Screenshots of a running sandbox with Debian's Chromium, for people to look at
and for the editor's guide.

    python tools/screenshots.py http://127.0.0.1:8000 screenshots/

``python3 tools/dev.py screenshots`` starts a fresh sandbox, takes them and
copies the ones the docs use into ``docs/_static/``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import FloatRect, Locator, Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Taller than any product's edit page, so that a panel is photographed whole and
# away from the admin's sticky Save bar (the admin scrolls inside the page).
ADMIN_TALL = {"width": 1280, "height": 6400}

TSHIRT = "Trail T-shirt"
EBOOK = "Trail guide e-book"


def check_width(page: Page, name: str) -> None:
    """Say so when a page is wider than the screen (a phone would scroll sideways)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    screen = page.viewport_size["width"] if page.viewport_size else width
    if width > screen:
        print(f"{name}: {width} px wide on a {screen} px screen", file=sys.stderr)


def box_of(locator: Locator) -> FloatRect:
    box = locator.bounding_box()
    if box is None:
        raise AssertionError(f"{locator} is not shown")
    return box


def frame(page: Page, path: Path, top: Locator, bottom: Locator | None = None, **at: float) -> None:
    """Photograph from ``top``'s top to ``bottom``'s bottom, between ``left`` and
    ``right`` (by default the admin's form column with its panel toggles), ``pad``
    pixels around; ``full_page=1`` for a page that scrolls as a whole."""
    first, last = box_of(top), box_of(bottom or top)
    left, pad = at.get("left", 228), at.get("pad", 16)
    y = max(first["y"] - pad, 0)
    page.screenshot(
        path=path,
        clip={
            "x": left,
            "y": y,
            "width": at.get("right", 1144) - left,
            "height": last["y"] + last["height"] + pad - y,
        },
        full_page=bool(at.get("full_page")),
    )


def fill_cart(page: Page, base: str) -> None:
    page.goto(base + "/")
    for name in ("Canvas tote bag", "Wool beanie"):
        page.locator("article.wsc-product", has_text=name).first.get_by_role("button").click()
        expect(page.locator(".wsc-messages")).to_contain_text(f"× {name} to your cart.")


def shop(page: Page, base: str, out: Path, size: str) -> None:
    page.goto(base + "/")
    page.screenshot(path=out / f"home-{size}.png", full_page=True)
    fill_cart(page, base)
    page.goto(base + "/shop/cart/")
    page.screenshot(path=out / f"cart-{size}.png", full_page=True)
    page.goto(base + "/checkout/")
    page.screenshot(path=out / f"checkout-{size}.png", full_page=True)
    page.get_by_label("Email").fill("shopper@example.com")
    page.get_by_role("button", name="Proceed to payment").click()
    page.wait_for_url("**/pay/cs_test_*")
    page.screenshot(path=out / f"pay-{size}.png", full_page=True)
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/thank-you/**")
    page.screenshot(path=out / f"confirmation-{size}.png", full_page=True)


def pay(page: Page, email: str) -> None:
    """From the checkout page through the stand-in's pay page to the result page."""
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Proceed to payment").click()
    page.wait_for_url("**/pay/cs_test_*")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/thank-you/**")


def variants(page: Page, base: str, out: Path, size: str) -> None:
    """The T-shirt's buy block with its Size / Colour select, as the screen shows it."""
    page.goto(base + "/")
    block = page.locator(".wsc-buy-block article.wsc-product", has_text=TSHIRT).first
    expect(block.get_by_label("Size / Colour")).to_be_visible()
    check_width(page, f"shop-variants-{size}")
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.evaluate("window.scrollTo(0, 0)")  # page coordinates = the box's
    # The block across the whole screen's width.
    frame(page, out / f"shop-variants-{size}.png", block, left=0, right=width, full_page=1)


def digital(page: Page, base: str, out: Path, size: str) -> None:
    """A paid order of the e-book: its result page with the download link."""
    page.goto(base + "/")
    page.locator("article.wsc-product", has_text=EBOOK).first.get_by_role("button").click()
    expect(page.locator(".wsc-messages")).to_contain_text(f"× {EBOOK} to your cart.")
    page.goto(base + "/checkout/")
    pay(page, "reader@example.com")
    expect(page.locator("[data-wsc-downloads]")).to_contain_text("downloads left")
    check_width(page, f"downloads-{size}")
    page.screenshot(path=out / f"downloads-{size}.png", full_page=True)


def log_in(page: Page, base: str, password: str) -> None:
    page.goto(base + "/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def edit_product(page: Page, base: str, name: str) -> None:
    page.goto(base + "/admin/snippets/wagtail_stripe_checkout/product/")
    page.locator("table a[href*='/product/edit/']", has_text=name).first.click()
    page.wait_for_load_state("networkidle")  # the QR code and the choosers


def admin_catalogue(page: Page, base: str, out: Path, password: str) -> None:
    """The editor's guide's close-ups: variants, the buy link, digital goods, downloads."""
    log_in(page, base, password)
    edit_product(page, base, TSHIRT)
    # Both options, then the first two variants (one with its own image).
    frame(
        page,
        out / "admin-variants.png",
        page.locator("#panel-options-section"),
        page.locator("#inline_child_variants-1-panel-section"),
    )
    frame(page, out / "admin-buy-link.png", page.locator("#panel-buy_link-section"))
    edit_product(page, base, EBOOK)
    frame(page, out / "admin-digital-goods.png", page.locator("#panel-digital_goods-section"))
    page.goto(base + "/admin/shop/orders/")
    page.locator("tr", has_text="reader@example.com").first.locator(
        "a[href*='/admin/shop/orders/inspect/']"
    ).first.click()
    page.wait_for_load_state()
    # The header with the order's actions, down to its download links.
    header = page.locator("header").first
    frame(
        page,
        out / "admin-order-downloads.png",
        header,
        page.locator("[data-wsc-admin-downloads]"),
        left=0,
        right=1280,
        pad=0,
    )


def admin(page: Page, base: str, out: Path, password: str) -> None:
    log_in(page, base, password)
    page.goto(base + "/admin/")  # the dashboard with the Shop panel
    page.screenshot(path=out / "admin-dashboard.png", full_page=True)
    page.goto(base + "/admin/snippets/wagtail_stripe_checkout/product/")
    page.screenshot(path=out / "admin-products.png", full_page=True)
    page.locator("table a[href*='/product/edit/']").first.click()
    page.wait_for_load_state()
    page.screenshot(path=out / "admin-product.png", full_page=True)
    page.goto(base + "/admin/settings/wagtail_stripe_checkout/shopsettings/")
    page.screenshot(path=out / "admin-shop-settings.png", full_page=True)
    for tab in ("Shipping", "Checkout"):
        page.get_by_role("tab", name=tab).click()
        page.screenshot(path=out / f"admin-shop-settings-{tab.lower()}.png", full_page=True)
    page.goto(base + "/admin/shop/orders/")
    page.screenshot(path=out / "admin-orders.png", full_page=True)
    # An order of things to ship (the e-book's orders are newer).
    order = (
        page.locator("tr", has_text="shopper@example.com")
        .locator("a[href*='/admin/shop/orders/inspect/']")
        .first
    )
    if order.count():
        order.click()
        page.wait_for_load_state()
        page.screenshot(path=out / "admin-order.png", full_page=True)
        page.locator("a[href*='/admin/shop/orders/refund/']").first.click()
        page.wait_for_load_state()
        page.screenshot(path=out / "admin-refund.png", full_page=True)


def main(base: str, out: Path, admin_password: str = "changeme") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[dict[str, int], Callable[..., Any], tuple[Any, ...]]] = [
        (DESKTOP, shop, ("desktop",)),
        (PHONE, shop, ("phone",)),
        (DESKTOP, variants, ("desktop",)),
        (PHONE, variants, ("phone",)),
        (DESKTOP, digital, ("desktop",)),
        (PHONE, digital, ("phone",)),
        ({"width": 1280, "height": 1600}, admin, (admin_password,)),
        (ADMIN_TALL, admin_catalogue, (admin_password,)),
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for viewport, step, args in steps:
            context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
            step(context.new_page(), base, out, *args)
            context.close()
        browser.close()
    return sorted(out.glob("*.png"))


if __name__ == "__main__":
    for path in main(sys.argv[1], Path(sys.argv[2])):
        print(path)
