"""The quick start (``docs/installation.md``), followed word for word.

The test reads the page's fenced code blocks in order and does what a reader
does with each, in a temporary folder:

* a ``console`` block: runs its commands. ``wagtail start`` and every
  ``python …`` run with this virtual environment's interpreter and this
  checkout of the package on the path (instead of ``pip install
  wagtail-stripe-checkout`` into a new virtual environment);
  ``createsuperuser`` runs without questions (``--noinput`` and the
  ``DJANGO_SUPERUSER_*`` variables); the stand-in and ``runserver`` (with
  ``--noreload``) are started in the background, on free ports instead of
  12111 and 8000, and stopped at the end (the test fails if any process it
  started is left behind);
* a ``python`` or ``django`` block: applies it to the file its first line
  names, where that line says (replace the whole file, add at the end, add
  after or before a quoted line), comment included, as a reader who copies the
  block does.

Step 7's admin steps are clicks on the page, not code: the test does them
through the ORM with the same values (``manage.py shell -c``). Then it buys
in Chromium with 4242 4242 4242 4242 and checks the shopper's confirmation,
the new site's database and its admin. A block or command the test does not
understand fails it, so the page and the test cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.sandbox import BROWSER_MARKS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "installation.md"
VENV_BIN = Path(sys.executable).parent

pytestmark = BROWSER_MARKS

# The page's ports, replaced by free ones in everything taken from it.
DOC_SITE = "127.0.0.1:8000"
DOC_STAND_IN_PORT = "12111"

# "# home/models.py: replace the whole file" (python) or
# "{# mysite/templates/base.html: add after the line {% wagtailuserbar %} #}" (django).
HEADER_RE = re.compile(
    r"^(?:# |\{# )(?P<path>[\w./-]+): (?P<where>replace the whole file|add at the end"
    r"|add (?P<side>after|before) the line (?P<anchor>.+?))(?: #\})?$"
)
FENCE_RE = re.compile(
    r"^(?P<indent> *)(?P<fence>`{3,})(?P<lang>[\w-]*)[^\n]*\n"
    r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)

# Step 7 of the page, done through the ORM: the same values as the page gives.
PRODUCT = {"name": "Canvas tote bag", "sku": "TOTE-1", "price": "18.50"}
CHECKOUT_TITLE = "Checkout"
RESULT_TITLE = "Thank you"
ADMIN_STEPS = f"""
from decimal import Decimal

from home.models import HomePage
from wagtail_stripe_checkout.contrib.pages.models import CheckoutPage, CheckoutResultPage
from wagtail_stripe_checkout.models import Product

# 1. Products -> Add product: name, SKU, price; Save.
product = Product.objects.create(
    name={PRODUCT["name"]!r}, sku={PRODUCT["sku"]!r}, price=Decimal({PRODUCT["price"]!r})
)
# 2. Pages -> Home -> Edit: a Buy button block with the product, the rest as it is; Publish.
home = HomePage.objects.get()
buy = home.body.stream_block.child_blocks["buy"].get_default()
buy["product"] = product
home.body = [("buy", buy)]
home.save_revision().publish()
# 3. Home -> Add child page -> Checkout page; Publish.
checkout = home.add_child(instance=CheckoutPage(title={CHECKOUT_TITLE!r}))
checkout.save_revision().publish()
# 4. Checkout -> Add child page -> Checkout result page; Publish.
result = checkout.add_child(instance=CheckoutResultPage(title={RESULT_TITLE!r}))
result.save_revision().publish()
print(checkout.url, result.url)
"""

ADMIN_LOGIN = {
    "DJANGO_SUPERUSER_USERNAME": "admin",
    "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
    "DJANGO_SUPERUSER_PASSWORD": "quick-start-only-4242",
}

ORDERS_QUERY = """
import json
from wagtail_stripe_checkout.models import Order, WebhookEvent
print(json.dumps({
    "orders": list(Order.objects.values("reference", "status", "email", "total", "currency")),
    "events": list(WebhookEvent.objects.values("type", "order__reference", "outcome")),
}))
"""


@dataclass
class Block:
    lang: str
    text: str
    line: int  # in the page, for messages


def read_blocks(text: str) -> list[Block]:
    return [
        Block(
            m["lang"],
            textwrap.dedent(m["body"]) if m["indent"] else m["body"],
            text.count("\n", 0, m.start()) + 1,
        )
        for m in FENCE_RE.finditer(text)
    ]


def with_free_ports(text: str, site: str, stand_in_port: int) -> str:
    text = text.replace(DOC_SITE, site)
    return re.sub(rf"(?<!\d){DOC_STAND_IN_PORT}(?!\d)", str(stand_in_port), text)


def commands(block: Block) -> Iterator[str]:
    """The block's commands, continuation lines joined, comments left out."""
    joined = block.text.replace("\\\n", " ")
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.strip()


def apply_block(project: Path, block: Block) -> Path:
    first = block.text.splitlines()[0]
    header = HEADER_RE.match(first)
    assert header, (
        f"docs/installation.md line {block.line}: a {block.lang} block must start with a "
        f"comment naming its file and where it goes, not {first!r}"
    )
    path = project / header["path"]
    if header["where"] == "replace the whole file":
        path.write_text(block.text)
        return path
    assert path.exists(), f"line {block.line}: {header['path']} does not exist"
    current = path.read_text()
    if header["where"] == "add at the end":
        path.write_text(current.rstrip("\n") + "\n\n" + block.text)
        return path
    lines = current.splitlines(keepends=True)
    anchor = header["anchor"].strip()
    found = [i for i, line in enumerate(lines) if line.strip() == anchor]
    assert len(found) == 1, (
        f"line {block.line}: {header['path']} has {len(found)} lines {anchor!r}, not one"
    )
    at = found[0] + (1 if header["side"] == "after" else 0)
    lines[at:at] = [block.text]
    path.write_text("".join(lines))
    return path


def free_port(taken: int = 0) -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port != taken:
            return port


def tail(path: Path, lines: int = 40) -> str:
    return (
        "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
    )


class Project:
    """The reader's terminals: commands run in the project, servers in the background."""

    def __init__(self, tmp: Path, site_port: int, stand_in_port: int) -> None:
        self.tmp = tmp
        self.cwd = tmp
        self.site = f"http://127.0.0.1:{site_port}"
        self.site_port = site_port
        self.stand_in_port = stand_in_port
        self.stand_in = ""  # the address the stand-in prints
        self.servers: list[subprocess.Popen[bytes]] = []
        self.logs: dict[str, Path] = {}
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DJANGO_"))}
        # No Stripe keys (the key-less path of the page), this checkout of the package.
        self.env = {
            **keep,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }

    def run(self, *argv: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            argv,
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, f"{shlex.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        return self.run(sys.executable, "manage.py", *args, env=env)

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        with open(log, "wb") as out:
            server = subprocess.Popen(
                argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as one
            )
        self.servers.append(server)
        return server

    def wait_for(
        self, name: str, server: subprocess.Popen[bytes], ready: Callable[[], bool]
    ) -> None:
        deadline = time.monotonic() + 60
        while not ready():
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{name} did not start:\n{tail(self.logs[name])}")
            time.sleep(0.2)

    def stop(self) -> None:
        for server in self.servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
        for server in self.servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=15)

    def leftovers(self) -> list[str]:
        """Processes still running in the groups the test started."""
        groups = {server.pid for server in self.servers}
        listing = subprocess.run(
            ["ps", "-eo", "pid=,pgid=,args="], capture_output=True, text=True, check=True
        ).stdout
        return [
            line.strip()
            for line in listing.splitlines()
            if len(line.split()) > 1 and int(line.split()[1]) in groups
        ]

    # The reader's commands ---------------------------------------------------
    def command(self, line: str) -> None:
        argv = shlex.split(line)
        match argv:
            case ["python3", "-m", "venv", _] | ["source", _]:
                pass  # the test runs in the package's own virtual environment
            case ["pip", "install", "wagtail-stripe-checkout"]:
                where = self.run(
                    sys.executable,
                    "-c",
                    "import wagtail_stripe_checkout; print(wagtail_stripe_checkout.__file__)",
                )
                assert where.strip().startswith(str(ROOT)), where  # this checkout, not PyPI's
            case ["wagtail", "start", name]:
                self.run(str(VENV_BIN / "wagtail"), "start", name)
            case ["cd", folder]:
                self.cwd = self.cwd / folder
            case ["python", "manage.py", "createsuperuser"]:
                self.manage("createsuperuser", "--noinput", env=ADMIN_LOGIN)
            case ["python", "manage.py", "runserver"]:
                address = f"127.0.0.1:{self.site_port}"
                server = self.start(
                    "runserver", [sys.executable, "manage.py", "runserver", address, "--noreload"]
                )
                self.wait_for("runserver", server, lambda: self.answers(self.site + "/"))
            case ["python", "-m", "wagtail_stripe_checkout.testing", *_]:
                server = self.start("stand-in", [sys.executable, *argv[1:]])
                self.wait_for(
                    "stand-in", server, lambda: " at http://" in tail(self.logs["stand-in"])
                )
                self.stand_in = tail(self.logs["stand-in"]).rsplit(" at ", 1)[1].strip()
            case ["python", *args]:
                self.run(sys.executable, *args)
            case _:
                raise AssertionError(
                    f"the quick start has a command the test does not know: {line}"
                )

    @staticmethod
    def answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    site_port = free_port()
    project = Project(tmp_path, site_port, free_port(taken=site_port))
    try:
        yield project
    finally:
        project.stop()
        left = project.leftovers()
        assert left == [], f"processes left behind: {left}"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_the_quick_start_from_wagtail_start_to_a_paid_order(project, browser, tmp_path):
    from playwright.sync_api import expect

    doc = DOC.read_text()
    changed: list[Path] = []
    ran: list[str] = []
    for block in read_blocks(doc):
        block.text = with_free_ports(
            block.text, f"127.0.0.1:{project.site_port}", project.stand_in_port
        )
        if block.lang == "console":
            for line in commands(block):
                project.command(line)
                ran.append(line)
        elif block.lang in ("python", "django"):
            changed.append(apply_block(project.cwd, block))
        else:
            raise AssertionError(
                f"line {block.line}: a {block.lang!r} block the test cannot follow"
            )
    assert "python manage.py runserver" in ran and project.stand_in, ran
    # The stand-in printed the address dev.py points the package at.
    assert project.stand_in == f"http://127.0.0.1:{project.stand_in_port}"
    assert (project.cwd / "home" / "migrations" / "0003_homepage_body.py").exists()
    assert {p.relative_to(project.cwd).as_posix() for p in changed} >= {
        "mysite/settings/base.py",
        "mysite/settings/dev.py",
        "mysite/urls.py",
        "home/models.py",
        "home/templates/home/home_page.html",
        "mysite/templates/base.html",
    }
    # The page says the check stays quiet with the stand-in and no keys.
    assert "System check identified no issues" in project.manage("check")

    # Step 7, the admin's clicks, through the ORM with the page's own values.
    for value in [*PRODUCT.values(), CHECKOUT_TITLE, RESULT_TITLE]:
        assert f"`{value}`" in doc, f"step 7 of the page no longer says {value!r}"
    checkout_url, result_url = project.manage("shell", "-c", ADMIN_STEPS).split()[-2:]

    # Step 8: the first test purchase, as a shopper in Chromium.
    page = browser.new_page()
    page.goto(project.site + "/")
    summary = page.locator(".wsc-cart-summary")
    expect(summary).to_contain_text("Test mode")
    page.get_by_role("button", name="Add to cart").click()
    expect(summary).to_contain_text("Cart: 1 item")
    summary.get_by_role("link").click()
    page.wait_for_url("**/shop/cart/")
    page.get_by_role("link", name="Proceed to checkout").click()
    page.wait_for_url(f"**{checkout_url}")
    page.get_by_label("Email").fill("shopper@example.com")
    page.get_by_role("button", name="Proceed to payment").click()
    page.wait_for_url(f"{project.stand_in}/**")  # the stand-in's pay page, where Stripe's would be
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{project.site}{result_url}?session_id=cs_test_*")
    status = page.locator(".wsc-result__status")
    expect(status).to_have_text(re.compile(r"Order \S+ is confirmed and paid\."))
    reference = status.inner_text().split()[1]
    expect(page.locator("tr[data-wsc-line]")).to_contain_text(PRODUCT["name"])
    expect(summary).to_contain_text("Cart: empty")
    page.screenshot(path=str(tmp_path / "confirmation.png"), full_page=True)

    # The new site's database: one order, paid, fulfilled by the stand-in's webhook.
    state = json.loads(project.manage("shell", "-c", ORDERS_QUERY).strip().splitlines()[-1])
    assert state["orders"] == [
        {
            "reference": reference,
            "status": "paid",
            "email": "shopper@example.com",
            "total": 1850,
            "currency": "USD",
        }
    ]
    assert {
        "type": "checkout.session.completed",
        "order__reference": reference,
        "outcome": "processed",
    } in state["events"]
    # The development settings print the order email in runserver's terminal.
    assert f"Subject: Your mysite order {reference}" in project.logs["runserver"].read_text()

    # In the admin, Orders lists the order as paid.
    page.goto(project.site + "/admin/")
    page.get_by_label("Username").fill(ADMIN_LOGIN["DJANGO_SUPERUSER_USERNAME"])
    page.get_by_label("Password").fill(ADMIN_LOGIN["DJANGO_SUPERUSER_PASSWORD"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.locator("tr", has_text=reference)).to_contain_text("Paid")
