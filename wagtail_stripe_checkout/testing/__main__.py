"""Run the offline Stripe stand-in as its own process (development and tests only).

    python -m wagtail_stripe_checkout.testing --port 12111 \\
        --webhook-url http://127.0.0.1:8000/shop/webhook/ --webhook-secret whsec_...

Point ``WAGTAIL_STRIPE_CHECKOUT_API_BASE`` at the address it prints. It stops
on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from .server import StripeStandIn

logger = logging.getLogger("wagtail_stripe_checkout.testing")  # as the deliveries' lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wagtail_stripe_checkout.testing", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=12111, help="port; 0 picks a free one")
    parser.add_argument("--webhook-url", help="where signed events are delivered")
    parser.add_argument("--webhook-secret", help="the whsec_ secret that signs them")
    args = parser.parse_args(argv)
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stand_in = StripeStandIn(
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
    )
    # Each webhook delivery is reported on stderr, one line each.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with stand_in:
        # The command's own answer on stdout, which tools/dev.py reads the address from.
        print(f"Stripe stand-in (test mode, no money moves) at {stand_in.api_base}", flush=True)
        if not (args.webhook_url and args.webhook_secret):
            logger.warning(
                "No --webhook-url and --webhook-secret: no webhook events will be delivered, "
                "so orders are fulfilled only when the shopper returns to the site."
            )
        stopped.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
