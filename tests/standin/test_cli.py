"""``python -m wagtail_stripe_checkout.testing``: what a developer sees in its terminal."""

from __future__ import annotations

import subprocess
import sys


def run_briefly(*args: str) -> tuple[str, str, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "wagtail_stripe_checkout.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # printed once it listens
    proc.terminate()  # SIGTERM stops it cleanly
    out, err = proc.communicate(timeout=30)
    return first + out, err, proc.returncode


def test_without_a_webhook_it_says_nothing_will_be_delivered():
    out, err, code = run_briefly()
    assert out.startswith("Stripe stand-in (test mode, no money moves) at http://127.0.0.1:")
    assert "no webhook events will be delivered" in err
    assert code == 0


def test_with_a_webhook_it_does_not_warn():
    out, err, code = run_briefly(
        "--webhook-url", "http://127.0.0.1:9/shop/webhook/", "--webhook-secret", "whsec_abcdefgh"
    )
    assert "Stripe stand-in" in out
    assert err == ""
    assert code == 0
