"""The sandbox's production settings pass Django's and the package's deployment
checks with the environment docs/deployment.md gives (CI runs the same)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "a-long-random-secret-key-for-this-test-only-0123456789-abcdefghij",
    "DJANGO_ALLOWED_HOSTS": "shop.example.com",
    "STRIPE_SECRET_KEY": "sk_test_replace0with0your0key",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_replace0with0your0key",
    "STRIPE_WEBHOOK_SECRET": "whsec_replace0with0your0secret",
}


def check_deploy(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DJANGO_"))}
    env.update(ENVIRONMENT, **overrides)
    return subprocess.run(
        [
            *(sys.executable, str(ROOT / "sandbox" / "manage.py"), "check", "--deploy"),
            *("--fail-level", "WARNING", "--settings=sandbox.settings.production"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_production_settings_pass_check_deploy():
    result = check_deploy()
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_publishable_key_in_place_of_the_secret_key_is_refused():
    result = check_deploy(STRIPE_SECRET_KEY="pk_live_" + "x" * 24)
    assert result.returncode != 0
    assert "wagtail_stripe_checkout.E002" in result.stderr
    assert "x" * 24 not in result.stderr  # keys are never echoed in full
