"""Two real app servers side by side, as behind a load balancer: the sandbox
under gunicorn on two loopback ports against one PostgreSQL database and one
Redis, with the offline Stripe stand-in as a third process.

A cart filled through one server checks out through the other, a webhook
delivered to one fulfils an order created through the other, and the rate
limit counts requests to both. PostgreSQL and Redis only (CI's postgres
environments); nothing here shares memory with the test process.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = ROOT / "sandbox"
DB_NAME = f"wsc_cluster_{os.getpid()}"
SECRET = "whsec_" + "twoprocesses000000000000"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get("WSC_DB") != "postgres" or os.environ.get("WSC_CACHE") != "redis",
        reason="needs PostgreSQL and Redis (WSC_DB=postgres WSC_CACHE=redis), as CI's tox "
        "postgres environments provide",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("gunicorn") is None, reason="needs gunicorn (test extra)"
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not start:\n{log.read_text()[-3000:]}")


def _database(action: str) -> None:
    import psycopg

    with psycopg.connect(
        host=os.environ.get("WSC_PG_HOST", "127.0.0.1"),
        user=os.environ.get("WSC_PG_USER", "postgres"),
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if action == "create":
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("cluster")
    ports = {"a": free_port(), "b": free_port()}
    procs: list[subprocess.Popen[bytes]] = []
    _database("create")
    try:
        stand_in = subprocess.Popen(
            [
                *(sys.executable, "-m", "wagtail_stripe_checkout.testing", "--port", "0"),
                *("--webhook-url", f"http://127.0.0.1:{ports['a']}/shop/webhook/"),
                *("--webhook-secret", SECRET),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(stand_in)  # type: ignore[arg-type]
        assert stand_in.stdout is not None
        api_base = stand_in.stdout.readline().rsplit(" at ", 1)[1].strip()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sandbox.settings.cluster",
            "PYTHONPATH": str(SANDBOX),
            "SANDBOX_PG_NAME": DB_NAME,
            "SANDBOX_REDIS_URL": "redis://127.0.0.1:6379/14",
            "SANDBOX_STRIPE_API_BASE": api_base,
            "SANDBOX_WEBHOOK_SECRET": SECRET,
            "SANDBOX_EMAIL_DIR": str(tmp / "mail"),
            "SANDBOX_MEDIA_ROOT": str(tmp / "media"),
            "SANDBOX_RATE_CART": "30/h",
        }
        manage = [sys.executable, str(SANDBOX / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "load_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        import redis

        redis.Redis.from_url(env["SANDBOX_REDIS_URL"]).flushdb()
        for name, port in ports.items():
            log = tmp / f"gunicorn-{name}.log"
            server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "sandbox.wsgi"),
                    *("--bind", f"127.0.0.1:{port}"),
                    *("--workers", "2", "--chdir", str(SANDBOX)),
                ],
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
            procs.append(server)
            wait_for(f"http://127.0.0.1:{port}/", server, log)
        yield {
            "a": f"http://127.0.0.1:{ports['a']}",
            "b": f"http://127.0.0.1:{ports['b']}",
            "api_base": api_base,
            "mail": str(tmp / "mail"),
            "redis": env["SANDBOX_REDIS_URL"],
        }
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        _database("drop")


def order_statuses() -> list[str]:
    import psycopg

    with psycopg.connect(
        host=os.environ.get("WSC_PG_HOST", "127.0.0.1"),
        user=os.environ.get("WSC_PG_USER", "postgres"),
        dbname=DB_NAME,
    ) as conn:
        rows = conn.execute("SELECT status FROM wagtail_stripe_checkout_order").fetchall()
    return [row[0] for row in rows]


def form_fields(html: str, action_fragment: str) -> dict[str, str]:
    """The hidden and visible inputs of the first form posting to ``action_fragment``."""
    form = re.search(
        rf'<form[^>]*action="[^"]*{re.escape(action_fragment)}[^"]*".*?</form>', html, re.S
    )
    assert form, f"no form for {action_fragment}"
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))


def test_a_cart_filled_on_one_server_is_paid_through_the_other(cluster):
    shopper = requests.Session()
    home = shopper.get(cluster["a"] + "/").text
    fields = form_fields(home, "/shop/cart/add/")
    added = shopper.post(cluster["a"] + "/shop/cart/add/", data=fields, allow_redirects=False)
    assert added.status_code == 302
    # The other server sees the same cart: sessions live in PostgreSQL and Redis.
    cart = shopper.get(cluster["b"] + "/shop/cart/").text
    assert 'data-wsc-line="' in cart
    checkout = shopper.get(cluster["b"] + "/checkout/")
    token = form_fields(checkout.text, "/checkout/")["csrfmiddlewaretoken"]
    to_stripe = shopper.post(
        cluster["b"] + "/checkout/",
        data={"csrfmiddlewaretoken": token, "email": "shopper@example.com", "name": "Sam"},
        headers={"Referer": cluster["b"] + "/checkout/"},
        allow_redirects=False,
    )
    assert to_stripe.status_code == 303
    pay_url = to_stripe.headers["Location"]
    assert pay_url.startswith(cluster["api_base"] + "/pay/cs_test_")
    # Paying at the stand-in delivers the signed event to server A...
    card = {"card_number": "4242424242424242"}
    paid = requests.post(pay_url, data=card, allow_redirects=False, timeout=30)
    assert paid.status_code == 303
    success_url = paid.headers["Location"]
    assert success_url.startswith(cluster["b"] + "/checkout/thank-you/?session_id=")
    assert order_statuses() == ["paid"]  # by the webhook, before the shopper is back
    # ...and the shopper, back on server B, sees the order A fulfilled.
    result = shopper.get(success_url).text
    assert "is confirmed and paid" in result and "shopper@example.com" in result
    mails = list(Path(cluster["mail"]).glob("*.log"))
    assert len(mails) == 1 and "is paid" in mails[0].read_text()


def test_the_rate_limit_counts_requests_to_both_servers(cluster):
    import redis

    redis.Redis.from_url(cluster["redis"]).flushdb()  # a fresh count for this address
    client = requests.Session()
    home = client.get(cluster["a"] + "/").text
    fields = form_fields(home, "/shop/cart/add/")
    statuses = []
    for i in range(40):
        server = cluster["a"] if i % 2 else cluster["b"]
        response = client.post(server + "/shop/cart/add/", data=fields, allow_redirects=False)
        statuses.append(response.status_code)
    # 30 per hour for this address, counted in Redis whichever server answers.
    assert statuses == [302] * 30 + [429] * 10
