"""A shopper in a real browser (Debian's Chromium through Playwright) on the sandbox.

The sandbox is started exactly as the README's demo command starts it
(``tools/dev.py serve``: migrate SQLite, load the demo data, runserver).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark: list[pytest.MarkDecorator] = [pytest.mark.browser]

if not os.path.exists(CHROMIUM) and not os.environ.get("WSC_REQUIRE_BROWSER"):
    pytestmark = [
        pytest.mark.browser,
        pytest.mark.skip(
            reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        ),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    env = {
        **os.environ,
        "SANDBOX_DB": str(tmp / "db.sqlite3"),
        "SANDBOX_MEDIA_ROOT": str(tmp / "media"),
        "DJANGO_SETTINGS_MODULE": "sandbox.settings.dev",
    }
    env.pop("WSC_DB", None)
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "dev.py"), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("sandbox did not start:\n" + (tmp / "server.log").read_text())
        time.sleep(0.5)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_shopper_fills_edits_and_reviews_the_cart(sandbox, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(sandbox + "/")
    assert page.get_by_text("Test mode").first.is_visible()

    def card(name):
        return page.locator("article.wsc-product", has_text=name).first

    # Two products from the home page: a grid button and the buy block with a quantity.
    card("Canvas tote bag").get_by_role("button").click()
    page.wait_for_load_state()
    assert "Added 1 × Canvas tote bag to your cart." in page.locator(".wsc-messages").inner_text()
    mug_block = page.locator(".wsc-buy-block article", has_text="Enamel mug")
    mug_block.get_by_label("Quantity").fill("2")
    mug_block.get_by_role("button").click()
    page.wait_for_load_state()
    assert "Added 2 × Enamel mug to your cart." in page.locator(".wsc-messages").inner_text()
    card("Sticker pack").get_by_role("button").click()
    page.wait_for_load_state()
    assert "Cart: 4 items" in page.locator(".wsc-cart-summary").inner_text()

    page.get_by_role("link", name="Cart: 4 items").click()
    page.wait_for_url("**/shop/cart/")
    rows = page.locator("tr[data-wsc-line]")
    assert rows.count() == 3

    # Change a quantity: 2 tote bags.
    tote = rows.filter(has_text="Canvas tote bag")
    tote.get_by_label("Quantity of Canvas tote bag").fill("2")
    tote.get_by_role("button", name="Update").click()
    page.wait_for_load_state()
    assert "Updated Canvas tote bag." in page.locator(".wsc-messages").inner_text()

    # Remove a line: the stickers.
    page.locator("tr[data-wsc-line]", has_text="Sticker pack").get_by_role(
        "button", name="Remove"
    ).click()
    page.wait_for_load_state()
    assert page.locator("tr[data-wsc-line]").count() == 2

    # 2 × $18.50 + 2 × $12.00 = $61.00; sales tax 8.25% = $5.0325 → $5.03;
    # shipping $5.00 (free only from $75.00); total $71.03.
    assert page.locator("[data-wsc-subtotal]").inner_text() == "$61.00"
    assert page.locator("[data-wsc-tax]").inner_text() == "$5.03"
    assert page.locator("[data-wsc-shipping]").inner_text() == "$5.00"
    assert page.locator("[data-wsc-total]").inner_text() == "$71.03"
    assert (
        page.locator("tr[data-wsc-line]", has_text="Canvas tote bag")
        .locator("[data-wsc-line-total]")
        .inner_text()
        == "$37.00"
    )
    page.screenshot(path=str(tmp_path / "cart.png"), full_page=True)


def test_browser_validation_stops_a_bad_quantity_and_the_server_refuses_it_too(sandbox, browser):
    page = browser.new_page()
    page.goto(sandbox + "/")
    block = page.locator(".wsc-buy-block article", has_text="Enamel mug")
    block.get_by_label("Quantity").fill("0")
    block.get_by_role("button").click()
    # JavaScript keeps the shopper on the page with an inline message…
    assert block.locator(".wsc-field-error").inner_text() == "Enter a whole number of at least 1."
    # …and without JavaScript the server says the same and keeps the cart.
    context = browser.new_context(java_script_enabled=False)
    nojs = context.new_page()
    nojs.goto(sandbox + "/")
    block = nojs.locator(".wsc-buy-block article", has_text="Enamel mug")
    block.get_by_label("Quantity").evaluate("el => { el.removeAttribute('min'); el.value = '-1'; }")
    block.get_by_role("button").click()
    nojs.wait_for_load_state()
    assert "Enter a whole number of at least 1." in nojs.locator(".wsc-messages").inner_text()
    assert "Cart: empty" in nojs.locator(".wsc-cart-summary").inner_text()
    context.close()
