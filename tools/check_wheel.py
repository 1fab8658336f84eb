"""Fail unless the built wheel carries what a site needs at run time.

python tools/check_wheel.py dist
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

REQUIRED = [
    "wagtail_stripe_checkout/migrations/0001_initial.py",
    "wagtail_stripe_checkout/migrations/0002_orders.py",
    "wagtail_stripe_checkout/contrib/pages/migrations/0001_initial.py",
    "wagtail_stripe_checkout/templates/wagtail_stripe_checkout/pages/checkout_page.html",
    "wagtail_stripe_checkout/templates/wagtail_stripe_checkout/pages/checkout_result_page.html",
    "wagtail_stripe_checkout/testing/fixtures.json",
    "wagtail_stripe_checkout/testing/templates/page.html",
    "wagtail_stripe_checkout/testing/templates/pay.html",
    "wagtail_stripe_checkout/testing/templates/invoice.html",
    "wagtail_stripe_checkout/templates/wagtail_stripe_checkout/cart/cart_page.html",
    "wagtail_stripe_checkout/templates/wagtail_stripe_checkout/blocks/buy_block.html",
    "wagtail_stripe_checkout/templates/wagtail_stripe_checkout/blocks/product_grid_block.html",
    "wagtail_stripe_checkout/static/wagtail_stripe_checkout/shop.css",
    "wagtail_stripe_checkout/static/wagtail_stripe_checkout/shop.js",
    "wagtail_stripe_checkout/templatetags/wagtail_stripe_checkout_tags.py",
    "wagtail_stripe_checkout/py.typed",
]
FORBIDDEN_PREFIXES = ("tests/", "sandbox/", "tools/", "docs/")


def main(dist: Path) -> int:
    wheels = sorted(dist.glob("wagtail_stripe_checkout-*.whl"))
    if len(wheels) != 1:
        print(f"expected one wheel in {dist}, found {len(wheels)}")
        return 1
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    missing = [n for n in REQUIRED if n not in names]
    stray = sorted(n for n in names if n.startswith(FORBIDDEN_PREFIXES))
    for name in missing:
        print(f"missing from the wheel: {name}")
    for name in stray:
        print(f"should not be in the wheel: {name}")
    templates = [n for n in names if "/templates/" in n]
    print(f"{wheels[0].name}: {len(names)} files, {len(templates)} templates")
    return 1 if missing or stray else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
