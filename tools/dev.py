#!/usr/bin/env python3
"""The README's two commands, with nothing but Python needed.

    python3 tools/dev.py demo    # build .venv, install, migrate SQLite, load demo data, serve
    python3 tools/dev.py test    # build .venv, install, run the whole test suite
    python3 tools/dev.py bench   # build .venv, install, measure (docs/performance.md)

``demo`` takes ``--host`` and ``--port`` (where the shop listens, 127.0.0.1:8000),
``--stand-in-port`` (the offline Stripe stand-in's port; any free one by
default) and ``--reset`` (start over from the demo data; otherwise what editors
changed is kept). A busy port is refused before anything is installed.

``serve`` runs the sandbox steps with the current interpreter (the demo
command and the browser test both use it) and takes the same options. Ctrl-C
or SIGTERM stops everything either command started. Extra arguments after
``test`` go to pytest; ``bench`` takes ``tools/bench.py``'s (``--quick``,
``--json PATH``, ``--no-docs``, ``--reps N``).
"""

from __future__ import annotations

import argparse
import errno
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import venv
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("WSC_VENV", ROOT / ".venv"))
SANDBOX = ROOT / "sandbox"
# Ctrl-C, kill's default, and the terminal closing: each stops everything started here.
STOP_SIGNALS = [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]


class Stopped(BaseException):
    """A stop signal arrived; like KeyboardInterrupt, not an error to catch by accident."""


class Failed(Exception):
    """A step failed; its message is for the person at the terminal."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Children:
    """The processes a command starts, all stopped when it ends, however it ends.

    Used as ``with Children() as children:``: Ctrl-C, SIGTERM and SIGHUP raise
    :class:`Stopped` in the body, and leaving the block (normally, on an error
    or on a signal) stops every child still running: each is asked with
    SIGTERM, then killed if it has not gone within ``grace`` seconds. A signal
    that arrives while a child is being started waits until it is on the list,
    so none is left behind; one that arrives after the first changes nothing.
    """

    def __init__(self, grace: float = 10.0) -> None:
        self.grace = grace
        self.procs: list[subprocess.Popen[Any]] = []
        self._holding = False
        self._held: int | None = None

    def __enter__(self) -> Children:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self.stop_all()
        return kind is Stopped  # stopped as asked: not an error

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._holding:
            self._held = self._held or signum
            return
        self._stop(signum)

    def _stop(self, signum: int) -> None:
        # One stop is enough: a second signal (Ctrl-C reaches every process in the
        # terminal's group, and demo passes it on as SIGTERM) must not cut the stopping short.
        self._holding = True
        raise Stopped(signum)

    def start(self, cmd: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        self._holding = True
        try:
            proc = subprocess.Popen(cmd, **kwargs)
            self.procs.append(proc)
        finally:
            self._holding = False
        if self._held is not None:
            self._stop(self._held)
        return proc

    def run(self, cmd: list[str], what: str = "", **kwargs: Any) -> None:
        """Start ``cmd`` and wait for it; a failure is :class:`Failed`."""
        proc = self.start(cmd, **kwargs)
        code = proc.wait()
        self.procs.remove(proc)
        if code:
            raise Failed(f"{what or ' '.join(cmd[1:4])} failed (exit code {code}).", code)

    def stop_all(self) -> None:
        """Ask every child to stop, wait for them, kill whoever stays."""
        self._holding = True  # from here on a signal has nothing more to do
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + self.grace
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True)


def ensure_venv(extras: str, run_step: Callable[[list[str]], None] = run) -> Path:
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run_step([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run_step([str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extras}]"])
    return python


def address_problem(host: str, port: int, option: str) -> str | None:
    """Why a server could not listen on host:port, or None: checked before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as runserver chooses
    try:
        address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)[0][4]
    except socket.gaierror as error:
        return f"Cannot listen on {host!r}: {error.strerror}; choose another with --host."
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        if os.name != "nt":  # as servers do: a port that only lingers in TIME_WAIT is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"Port {port} on {host} is in use (another server is running there?); "
                    f"choose another with {option}."
                )
            return (
                f"Cannot listen on {host} port {port}: {error.strerror}; "
                "choose another with --host or " + option + "."
            )
    return None


def local_host(host: str) -> str:
    """An address on this machine that reaches a server listening on ``host``."""
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104


def http_url(host: str, port: int, path: str = "/") -> str:
    host = local_host(host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"


def relay(stream: IO[str]) -> None:
    """Pass a child's further output on, so that it never blocks on a full pipe."""
    for line in stream:
        sys.stdout.write(line)
        sys.stdout.flush()


def start_stand_in(
    children: Children, host: str, port: int, webhook_url: str, secret: str
) -> subprocess.Popen[str]:
    """The offline Stripe stand-in as its own process (see :func:`stand_in_address`)."""
    return children.start(
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


def stand_in_address(proc: subprocess.Popen[str], host: str) -> str:
    """The stand-in's API base, once it says it listens."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if " at http" not in line:
        raise Failed(f"The Stripe stand-in did not start: {line.strip() or 'no output'}")
    threading.Thread(target=relay, args=(proc.stdout,), daemon=True).start()
    return http_url(host, int(line.rsplit(":", 1)[1]), "")


def wait_until_answers(url: str, server: subprocess.Popen[Any], timeout: float = 120.0) -> int:
    """Poll ``url`` until the server answers; returns the HTTP status it answered with."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    deadline = time.monotonic() + timeout
    while server.poll() is None:
        try:
            with opener.open(url, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:  # an answer, if not a happy one
            return int(error.code)
        except OSError:
            if time.monotonic() > deadline:
                raise Failed(f"The shop did not answer at {url} within {timeout:.0f}s.") from None
            time.sleep(0.2)
    raise Failed(f"The shop's server stopped (exit code {server.returncode}).", server.returncode)


def watch(named: dict[str, subprocess.Popen[Any]]) -> int:
    """Wait until one of the servers stops by itself (a signal ends this sooner)."""
    while True:
        for name, proc in named.items():
            code = proc.poll()
            if code is not None:
                print(f"{name} stopped (exit code {code}); stopping the rest.", file=sys.stderr)
                return code if code > 0 else 1
        time.sleep(0.5)


def serve(host: str, port: int, stand_in_port: int, reset: bool) -> int:
    """Check the ports first; then the stand-in, migrate, load_demo, runserver, until stopped."""
    problem = ports_problem(host, port, stand_in_port)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    with Children() as children:
        try:
            return serve_with(children, host, port, stand_in_port, reset)
        except Failed as failure:
            print(failure, file=sys.stderr)
            return failure.code
    return 0  # stopped by Ctrl-C or SIGTERM


# migrate, then load_demo, in one Python: a start needs one Django start-up fewer.
PREPARE = """
import os, sys
from django.core.management import execute_from_command_line
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings.dev")
execute_from_command_line(["manage.py", "migrate", "--no-input", "-v", "0"])
execute_from_command_line(["manage.py", "load_demo", *sys.argv[1:]])
"""


def serve_with(children: Children, host: str, port: int, stand_in_port: int, reset: bool) -> int:
    url = http_url(host, port)
    servers: dict[str, subprocess.Popen[Any]] = {}
    stand_in = api_base = None
    if not os.environ.get("STRIPE_SECRET_KEY"):
        # No keys: the offline Stripe stand-in, delivering signed events here. It
        # starts up while the database is prepared.
        secret = "whsec_" + secrets.token_hex(16)
        stand_in = start_stand_in(children, host, stand_in_port, f"{url}shop/webhook/", secret)
        servers["The Stripe stand-in"] = stand_in
        os.environ["SANDBOX_WEBHOOK_SECRET"] = secret
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    children.run(
        [sys.executable, "-c", PREPARE, "--address", address, *(["--reset"] if reset else [])],
        what="Preparing the database (migrate, load_demo)",
        cwd=SANDBOX,
    )
    if stand_in:
        api_base = os.environ["SANDBOX_STRIPE_API_BASE"] = stand_in_address(stand_in, host)
    bind = f"[{host}]" if ":" in host else host
    server = children.start(
        [sys.executable, "manage.py", "runserver", f"{bind}:{port}", "--noreload"], cwd=SANDBOX
    )
    servers["The shop's server"] = server
    status = wait_until_answers(url, server)
    print(
        f"\nThe sandbox shop is at {url}\n"
        f"The admin is at {url}admin/ (demo login: admin / "
        f"{os.environ.get('SANDBOX_ADMIN_PASSWORD', 'changeme')})\n"
        + (
            f"The offline Stripe stand-in is at {api_base} (test mode: no keys needed, "
            "no money moves)\n"
            if api_base
            else "Payments go to Stripe with your STRIPE_* keys.\n"
        )
        + "Ctrl-C stops everything.\n",
        flush=True,
    )
    if status == 400:
        print(
            f"The shop answers 400 Bad Request at {url}: the sandbox's settings accept "
            "the hosts 127.0.0.1 and localhost only (ALLOWED_HOSTS).",
            file=sys.stderr,
        )
    return watch(servers)


# Screenshots the documentation shows: taken as, and kept in docs/_static/ as.
SCREENSHOTS_FOR_DOCS = {
    "admin-shop-settings-checkout.png": "editor-checkout-options.png",
    "admin-shop-settings-shipping.png": "editor-shipping-zones.png",
    "admin-order.png": "editor-order.png",
    "admin-dashboard.png": "editor-dashboard.png",
    "admin-refund.png": "editor-refund.png",
    "admin-product.png": "editor-product.png",
    "checkout-phone.png": "shopper-checkout-phone.png",
    "admin-variants.png": "editor-variants.png",
    "admin-buy-link.png": "editor-buy-link.png",
    "admin-digital-goods.png": "editor-digital-goods.png",
    "admin-order-downloads.png": "editor-downloads.png",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def screenshots(python: Path) -> int:
    """A fresh sandbox in a temporary folder, photographed, then stopped."""
    import shutil
    import tempfile

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


def ports_problem(host: str, port: int, stand_in_port: int) -> str | None:
    if stand_in_port == port:
        return f"The shop and the stand-in cannot share port {port}; change --stand-in-port."
    problem = address_problem(host, port, "--port")
    if not problem and stand_in_port:
        problem = address_problem(host, stand_in_port, "--stand-in-port")
    return problem


def serve_command(python: Path, args: argparse.Namespace) -> list[str]:
    """``demo``'s inner command: ``serve`` with the same options, in .venv's Python."""
    return [
        str(python),
        str(Path(__file__).resolve()),
        "serve",
        *("--host", args.host, "--port", str(args.port)),
        *("--stand-in-port", str(args.stand_in_port)),
        *(["--reset"] if args.reset else []),
    ]


def demo(args: argparse.Namespace) -> int:
    """Check the ports, install, then ``serve`` in .venv; a stop signal stops it all."""
    problem = ports_problem(args.host, args.port, args.stand_in_port)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    # serve stops its own children within 10 seconds: give it longer than that.
    with Children(grace=30) as children:
        try:
            python = ensure_venv("test", children.run)
            return children.start(serve_command(python, args)).wait()
        except Failed as failure:
            print(failure, file=sys.stderr)
            return failure.code
    return 0  # stopped by Ctrl-C or SIGTERM


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="tools/dev.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="install and serve the sandbox shop")
    for p in (demo, sub.add_parser("serve", help="serve the sandbox with this interpreter")):
        p.add_argument(
            "--host", default="127.0.0.1", help="where the shop and the stand-in listen (127.0.0.1)"
        )
        p.add_argument("--port", type=int, default=8000, help="the shop's port (8000)")
        p.add_argument(
            "--stand-in-port", type=int, default=0, help="the Stripe stand-in's port (0: any free)"
        )
        p.add_argument(
            "--reset",
            action="store_true",
            help="start over from the demo data (otherwise what editors changed is kept)",
        )
    sub.add_parser("test", help="install and run the test suite (extra args go to pytest)")
    sub.add_parser(
        "screenshots", help="screenshots of a fresh sandbox into screenshots/ and docs/_static/"
    )
    sub.add_parser("bench", help="install and run the benchmark (extra args go to tools/bench.py)")
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in ("test", "bench"):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args, rest


def main(argv: list[str] | None = None) -> int:
    args, rest = parse(argv)
    if args.command == "demo":
        return demo(args)
    if args.command == "serve":
        return serve(args.host, args.port, args.stand_in_port, args.reset)
    if args.command == "screenshots":
        return screenshots(ensure_venv("test"))
    if args.command == "bench":
        python = ensure_venv("test")
        return subprocess.call([str(python), str(ROOT / "tools" / "bench.py"), *rest], cwd=ROOT)
    python = ensure_venv("test,lint")
    # pytest exits 5 when it collected nothing: that is a failure here too.
    return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
