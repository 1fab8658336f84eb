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

from playwright.sync_api import Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


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


def admin(page: Page, base: str, out: Path, password: str) -> None:
    page.goto(base + "/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
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
    order = page.locator("table a[href*='/admin/shop/orders/inspect/']").first
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
        ({"width": 1280, "height": 1600}, admin, (admin_password,)),
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
