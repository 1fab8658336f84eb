"""Take screenshots of a running sandbox with Debian's Chromium (for people to look at).

python tools/screenshots.py http://127.0.0.1:8000 screenshots/
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS


def main(base: str, out: Path, admin_password: str = "changeme") -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(base + "/")
        page.screenshot(path=out / "home.png", full_page=True)
        page.locator("article", has_text="Canvas tote bag").get_by_role("button").click()
        page.locator("article", has_text="Wool beanie").get_by_role("button").click()
        page.screenshot(path=out / "home-after-add.png", full_page=True)
        page.goto(base + "/shop/cart/")
        page.screenshot(path=out / "cart.png", full_page=True)
        page.goto(base + "/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", admin_password)
        page.click("button[type=submit]")
        page.goto(base + "/admin/snippets/wagtail_stripe_checkout/product/")
        page.screenshot(path=out / "admin-products.png", full_page=True)
        page.goto(base + "/admin/settings/wagtail_stripe_checkout/shopsettings/")
        page.screenshot(path=out / "admin-shop-settings.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
