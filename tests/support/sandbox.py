"""The sandbox shop started exactly as the README's demo command starts it
(``tools/dev.py serve``: migrate SQLite, load the demo data, runserver), and a
Chromium to visit it; tests/conftest.py registers these fixtures."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent.parent

# A shared two-core machine can be slow: wait up to 15 s for what a test expects to see.
expect.set_options(timeout=15_000)

#: Real-browser tests skip without Chromium locally, never in CI (WSC_REQUIRE_BROWSER).
BROWSER_MARKS: list[pytest.MarkDecorator] = [pytest.mark.browser]
if not os.path.exists(CHROMIUM) and not os.environ.get("WSC_REQUIRE_BROWSER"):
    BROWSER_MARKS.append(
        pytest.mark.skip(reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sandbox_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sandbox")


@pytest.fixture(scope="module")
def sandbox_mail(sandbox_dir):
    """The emails the sandbox sent, newest last."""

    def read():
        files = sorted((sandbox_dir / "mail").glob("*.log"), key=lambda p: p.stat().st_mtime)
        return [f.read_text() for f in files]

    return read


@pytest.fixture(scope="module")
def sandbox(sandbox_dir):
    tmp = sandbox_dir
    port = free_port()
    env = {
        **os.environ,
        "SANDBOX_DB": str(tmp / "db.sqlite3"),
        "SANDBOX_MEDIA_ROOT": str(tmp / "media"),
        "SANDBOX_EMAIL_DIR": str(tmp / "mail"),
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
    proc.terminate()  # tools/dev.py stops the server and the stand-in it started
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    finally:
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
