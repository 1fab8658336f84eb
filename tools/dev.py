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
import subprocess
import sys
import venv
from pathlib import Path

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


def serve(host: str, port: int) -> int:
    manage = [sys.executable, str(SANDBOX / "manage.py")]
    # The offline Stripe stand-in sends its signed events to this server.
    os.environ.setdefault("SANDBOX_WEBHOOK_URL", f"http://{host}:{port}/shop/webhook/")
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
    return subprocess.call([*manage, "runserver", f"{host}:{port}", "--noreload"], cwd=SANDBOX)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="install and serve the sandbox shop")
    for p in (demo, sub.add_parser("serve", help="serve the sandbox with this interpreter")):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
    sub.add_parser("test", help="install and run the test suite (extra args go to pytest)")
    args, rest = parser.parse_known_args()

    if args.command == "demo":
        python = ensure_venv("test")
        return subprocess.call(
            [str(python), __file__, "serve", "--host", args.host, "--port", str(args.port)]
        )
    if args.command == "serve":
        return serve(args.host, args.port)
    python = ensure_venv("test,lint")
    # pytest exits 5 when it collected nothing: that is a failure here too.
    return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
