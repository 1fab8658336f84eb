#!/usr/bin/env python3
"""The README's two commands, with nothing but Python needed.

    python3 tools/dev.py demo    # build .venv, install, migrate SQLite, load demo data, serve
    python3 tools/dev.py test    # build .venv, install, run the whole test suite

``serve`` runs the sandbox steps with the current interpreter (the demo
command and the browser test both use it). Extra arguments after ``test`` go
to pytest.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("WSC_VENV", ROOT / ".venv"))
SANDBOX = ROOT / "sandbox"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(extras: str) -> Path:
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extras}]"])
    return python


def run(cmd: list[str], **kwargs: object) -> None:
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def start_stand_in(host: str, port: int, webhook_url: str, secret: str) -> tuple[Any, str]:
    """The offline Stripe stand-in as its own process; returns it and its API base."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wagtail_stripe_checkout.testing",
            *("--host", host, "--port", str(port)),
            *("--webhook-url", webhook_url, "--webhook-secret", secret),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if " at http" not in line:
        proc.kill()
        raise SystemExit(f"The Stripe stand-in did not start: {line.strip() or 'no output'}")
    return proc, line.rsplit(" at ", 1)[1].strip()


def stop_all(children: list[subprocess.Popen[Any]]) -> None:
    """Stop every process this command started: ask all first, then insist."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def serve(host: str, port: int, stand_in_port: int) -> int:
    if not port_is_free(host, port):
        print(f"Port {port} on {host} is in use; choose another with --port.", file=sys.stderr)
        return 2
    manage = [sys.executable, str(SANDBOX / "manage.py")]
    children: list[subprocess.Popen[Any]] = []

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)  # the finally block below stops the children

    signal.signal(signal.SIGTERM, stop)
    try:
        if not os.environ.get("STRIPE_SECRET_KEY"):
            # No keys: the offline Stripe stand-in, delivering signed events here.
            secret = "whsec_" + secrets.token_hex(16)
            stand_in, api_base = start_stand_in(
                host, stand_in_port, f"http://{host}:{port}/shop/webhook/", secret
            )
            children.append(stand_in)
            os.environ["SANDBOX_STRIPE_API_BASE"] = api_base
            os.environ["SANDBOX_WEBHOOK_SECRET"] = secret
            print(f"The offline Stripe stand-in is at {api_base}", flush=True)
        run([*manage, "migrate", "--no-input", "-v", "0"], cwd=SANDBOX)
        run([*manage, "load_demo"], cwd=SANDBOX)
        url = f"http://{host}:{port}/"
        print(
            f"\nThe sandbox shop is at {url}\n"
            f"The admin is at {url}admin/ (login: admin / "
            f"{os.environ.get('SANDBOX_ADMIN_PASSWORD', 'changeme')})\n"
            "No Stripe keys are needed: this is test mode.\n",
            flush=True,
        )
        server = subprocess.Popen(
            [*manage, "runserver", f"{host}:{port}", "--noreload"], cwd=SANDBOX
        )
        children.append(server)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all(children)


# Screenshots the documentation shows: taken as, and kept in docs/_static/ as.
SCREENSHOTS_FOR_DOCS = {
    "admin-shop-settings-checkout.png": "editor-checkout-options.png",
    "admin-shop-settings-shipping.png": "editor-shipping-zones.png",
    "admin-order.png": "editor-order.png",
    "checkout-phone.png": "shopper-checkout-phone.png",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def screenshots(python: Path) -> int:
    """A fresh sandbox in a temporary folder, photographed, then stopped."""
    import shutil
    import tempfile
    import time
    import urllib.request

    tmp = Path(tempfile.mkdtemp(prefix="wsc-screenshots-"))
    port = free_port()
    env = {**os.environ, "SANDBOX_DB": str(tmp / "db.sqlite3"), "SANDBOX_MEDIA_ROOT": str(tmp)}
    server = subprocess.Popen(
        [str(python), __file__, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(base + "/", timeout=2)  # noqa: S310 (our own sandbox)
                break
            except OSError:
                time.sleep(0.5)
        out = ROOT / "screenshots"
        code = subprocess.call(
            [str(python), str(ROOT / "tools" / "screenshots.py"), base, str(out)]
        )
        docs = ROOT / "docs" / "_static"
        docs.mkdir(exist_ok=True)
        for shot, name in SCREENSHOTS_FOR_DOCS.items():
            if (out / shot).exists():
                shutil.copyfile(out / shot, docs / name)
        print(f"Screenshots in {out}; the docs' in {docs}.")
        return code
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="install and serve the sandbox shop")
    for p in (demo, sub.add_parser("serve", help="serve the sandbox with this interpreter")):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument(
            "--stand-in-port", type=int, default=0, help="the Stripe stand-in's port (0: any free)"
        )
    sub.add_parser("test", help="install and run the test suite (extra args go to pytest)")
    sub.add_parser(
        "screenshots", help="screenshots of a fresh sandbox into screenshots/ and docs/_static/"
    )
    args, rest = parser.parse_known_args()

    if args.command == "demo":
        python = ensure_venv("test")
        return subprocess.call(
            [
                str(python),
                __file__,
                "serve",
                *("--host", args.host, "--port", str(args.port)),
                *("--stand-in-port", str(args.stand_in_port)),
            ]
        )
    if args.command == "serve":
        return serve(args.host, args.port, args.stand_in_port)
    if args.command == "screenshots":
        return screenshots(ensure_venv("test"))
    python = ensure_venv("test,lint")
    # pytest exits 5 when it collected nothing: that is a failure here too.
    return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
