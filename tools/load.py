#!/usr/bin/env python3
"""A bounded load on loopback: simulated shoppers buy from the sandbox while
the database is watched, then the figures and the checks are reported.

    python tools/load.py --shoppers 20 --purchases 200 --time-limit 120

What runs, all on 127.0.0.1: a fresh PostgreSQL database (migrated, with the
demo shop loaded), ``--servers`` gunicorn app servers with the cluster settings
(``sandbox.settings.cluster``: DEBUG off, sessions and rate limits in Redis),
and the offline Stripe stand-in as its own process, delivering signed webhooks
to the first server. It needs PostgreSQL, Redis (``--redis-url``, a database
number of its own; nothing is flushed) and gunicorn (the test extra).

The order emails are tasks. By default (``--tasks immediate``, Django's
immediate backend) they are sent in the webhook's request; with ``--tasks db``
they are queued in PostgreSQL with django-tasks-db and ``--task-workers``
``manage.py db_worker`` processes send them: after the last shopper the
script waits (up to two minutes) for the queue to empty, and reports how long
tasks waited in the queue and ran.

Each shopper is a thread with its own cookies and its own loopback address
(127.0.0.10, 127.0.0.11, ...), so per-address limits count each shopper
apart, as they would count real shoppers; its requests alternate between the
servers, as behind a round-robin balancer. A purchase: the home page, "Add to
cart" (the HTML form with its CSRF token, then the page it returns to), now
and then a second product through the JSON cart API, the cart page, the
checkout page, "Proceed to payment" (the 303 to the stand-in), the stand-in's
pay page, paying with 4242 4242 4242 4242 (the stand-in delivers
``checkout.session.completed`` to the shop before it answers), and the result
page. With ``--cancel-share``, that share of attempts press "Back" on the pay
page instead (the shop cancels the order and expires the session at the
stand-in) and empty the cart; none by default. Shoppers stop after
``--purchases`` attempts in all or at ``--time-limit`` seconds, whichever
comes first; an attempt under way at the time limit is finished.

Checks, each one a reason to exit 1: no 5xx (seen by the shoppers, in the app
servers' access logs, and in the stand-in's webhook deliveries); every
attempt ends paid, cancelled, sold out or refused with a message for the
shopper (the refusals are listed); Stripe's pay page asks the total the
checkout page showed; every redirect to Stripe finds its order in the
database, pending; every paid session has exactly one order, paid, charged
its total; every cancelled one is cancelled; the stock of each
limited product equals its initial stock less the units in paid orders and in
orders still holding a reservation (``stock.py``: a reservation is taken when
the order is created, consumed on payment and given back on cancel, expiry or
failure), and no order holds a reservation it should not; one confirmation
email per paid order and none for the others; with ``--tasks db``, every task
ran and succeeded.

``--json`` prints the results as JSON on stdout (the report goes to stderr);
``--write-docs`` puts the figures, every check with its result, the command and
the machine between ``<!-- load:start -->`` and ``<!-- load:end -->`` in
``docs/performance.md``, failed checks included (marked FAILED, as the
benchmark marks a missed target), so that the page says what the run found.
Exit status: 0 all checks passed, 1 a check failed, 2 it could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import email
import http.client
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = ROOT / "sandbox"
DOCS = ROOT / "docs" / "performance.md"
START_MARK, END_MARK = "<!-- load:start -->", "<!-- load:end -->"
SECRET = "whsec_" + "loadscript00000000000000"
CARD = "4242 4242 4242 4242"
# wagtail_stripe_checkout.order_states.PAID_STATUSES: money was taken.
PAID_STATUSES = ("paid", "shipped", "partially_refunded", "refunded")
# The order of the steps in a purchase, as reported.
STEPS = (
    "home",
    "add",
    "add (API)",
    "cart",
    "checkout",
    "pay button",
    "Stripe page",
    "pay",
    "result",
    "cancel",
    "back (cancel)",
    "clear cart",
)
STAND_IN_STEPS = {"Stripe page", "pay", "cancel"}  # answered by the stand-in (pay: and the webhook)
HTTP_TIMEOUT = 60.0
SCRIPT_APPLICATION = "wsc-load"  # the script's own PostgreSQL connections
TASK_DRAIN_SECONDS = 120.0  # --tasks db: the longest wait for the queue to empty
# gunicorn's access log: status, method, path, query, microseconds in the worker, client.
ACCESS_FORMAT = '%(s)s %(m)s "%(U)s" "%(q)s" %(D)s %(h)s'
ACCESS_LINE = re.compile(r'^(\d{3}) (\S+) "([^"]*)" "([^"]*)" (\d+) (\S+)$')
# What the app servers see of each step (and the webhook, which no shopper sends).
SERVER_STEPS = {
    ("GET", "/"): "home",
    ("POST", "/shop/cart/add/"): "add",
    ("POST", "/shop/api/cart/add/"): "add (API)",
    ("GET", "/shop/cart/"): "cart",
    ("GET", "/checkout/"): "checkout",
    ("POST", "/checkout/"): "pay button",
    ("GET", "/checkout/thank-you/"): "result",
    ("POST", "/shop/api/cart/clear/"): "clear cart",
    ("POST", "/shop/webhook/"): "webhook",
}


class CannotRun(Exception):
    """Something the load needs is missing; the message says what."""


class Stopped(BaseException):
    """SIGTERM or SIGHUP: stop like Ctrl-C, cleaning up what was started."""


# Options -------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python tools/load.py",
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--shoppers", type=int, default=20, help="shoppers buying at the same time (threads)")
    add("--purchases", type=int, default=200, help="purchase attempts in all, then stop")
    add("--time-limit", type=float, default=120.0, help="seconds of load, then stop")
    add("--servers", type=int, default=2, help="gunicorn app servers")
    add("--workers", type=int, default=2, help="sync workers per app server")
    add("--cancel-share", type=float, default=0.0, help="share of attempts cancelled at Stripe")
    add(
        "--tasks",
        choices=("immediate", "db"),
        default="immediate",
        help="the task backend of the order emails: Django's immediate backend (sent in the "
        "webhook's request) or django-tasks-db with --task-workers db_worker processes",
    )
    add("--task-workers", type=int, default=1, help="db_worker processes (with --tasks db)")
    add("--api-share", type=float, default=0.5, help="share of purchases adding through the API")
    add("--seed", type=int, default=1, help="random seed of the shoppers' choices")
    add(
        "--rate-limit",
        default="10000/m",
        help="rate for the checkout, cart and result limits per address (the limiter still "
        "counts in Redis); 'package' keeps the package's defaults",
    )
    add("--pg-host", default=os.environ.get("WSC_PG_HOST", "127.0.0.1"))
    add("--pg-port", default=os.environ.get("WSC_PG_PORT", "5432"))
    add("--pg-user", default=os.environ.get("WSC_PG_USER", "postgres"))
    add("--redis-url", default="redis://127.0.0.1:6379/13", help="the servers' cache")
    add("--keep", action="store_true", help="keep the database and the logs afterwards")
    add("--json", action="store_true", help="print the results as JSON on stdout")
    add("--write-docs", action="store_true", help=f"write the figures into {DOCS.name}")
    args = parser.parse_args(argv)
    if not 1 <= args.shoppers <= 200:
        parser.error("--shoppers must be between 1 and 200")
    if min(args.purchases, args.servers, args.workers, args.task_workers) < 1 or (
        args.time_limit <= 0
    ):
        parser.error(
            "--purchases, --time-limit, --servers, --workers and --task-workers must be positive"
        )
    if not (0 <= args.cancel_share <= 1 and 0 <= args.api_share <= 1):
        parser.error("--cancel-share and --api-share are between 0 and 1")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# The cluster: database, stand-in, app servers ---------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_connect(args: argparse.Namespace, dbname: str, **kwargs: Any) -> Any:
    import psycopg  # the test extra; imported here so --help works without it

    return psycopg.connect(
        host=args.pg_host,
        port=args.pg_port,
        user=args.pg_user,
        dbname=dbname,
        application_name=SCRIPT_APPLICATION,  # not counted as the shop's CPU
        **kwargs,
    )


def preflight(args: argparse.Namespace) -> dict[str, str]:
    """The versions of what the load needs, or :class:`CannotRun` saying what is missing."""
    for module in ("psycopg", "redis", "gunicorn"):
        if importlib.util.find_spec(module) is None:
            raise CannotRun(f"{module} is not installed: pip install -e '.[test]'")
    if args.tasks == "db" and importlib.util.find_spec("django_tasks_db") is None:
        raise CannotRun("--tasks db: django-tasks-db is not installed: pip install django-tasks-db")
    try:
        with pg_connect(args, "postgres", connect_timeout=5) as conn:
            postgres = str(conn.execute("SHOW server_version").fetchone()[0])
    except Exception as exc:
        raise CannotRun(f"PostgreSQL at {args.pg_host}:{args.pg_port}: {exc}") from None
    import redis

    try:
        info = redis.Redis.from_url(args.redis_url, socket_timeout=5).info("server")
    except Exception as exc:
        raise CannotRun(f"Redis at {args.redis_url}: {exc}") from None
    return {"postgres": postgres.split()[0], "redis": str(info.get("redis_version", "?"))}


def wait_until_up(url: str, proc: subprocess.Popen[Any], log_file: Path) -> None:
    deadline = time.monotonic() + 60
    parts = urlsplit(url)
    while time.monotonic() < deadline and proc.poll() is None:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
        try:
            conn.request("GET", parts.path or "/")
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.3)
    raise CannotRun(f"{url} did not start:\n{tail(log_file)}")


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def gunicorn_options() -> list[str]:
    """Newer gunicorns open a control socket at one path per user, which every
    server here would share (and SIGTERM then takes seconds longer): none."""
    from gunicorn.config import KNOWN_SETTINGS  # present: preflight() checked

    names = {setting.name for setting in KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in names else []


class Cluster:
    """The database, the stand-in and the app servers; all gone when the block ends."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.db_name = f"wsc_load_{os.getpid()}"
        self.procs: list[subprocess.Popen[Any]] = []
        self.servers: list[str] = []
        self.api_base = ""
        self.server_logs: list[Path] = []
        self.access_logs: list[Path] = []
        self.task_workers: list[subprocess.Popen[Any]] = []
        self.warm_up_bytes: list[int] = []  # where each access log's measured part begins
        self.stand_in_log = workdir / "stand-in.log"
        self.mail_dir = workdir / "mail"
        self.created = False

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def database(self, action: str) -> None:
        with pg_connect(self.args, "postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            if action == "create":
                conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.created = action == "create"

    def start(self) -> None:
        ports = [free_port() for _ in range(self.args.servers)]
        self.servers = [f"http://127.0.0.1:{port}" for port in ports]
        began = time.perf_counter()
        self.database("create")
        self.start_stand_in(self.servers[0] + "/shop/webhook/")
        env = self.environment()
        # The servers boot (imports only) while the database is migrated and filled;
        # nothing asks them for a page before it is.
        for index, port in enumerate(ports):
            self.start_server(index, port, env)
        manage = [sys.executable, str(SANDBOX / "manage.py")]
        for step in (["migrate", "--no-input", "-v", "0"], ["load_demo"]):
            done = subprocess.run(
                [*manage, *step], env=env, capture_output=True, text=True, check=False
            )
            if done.returncode:
                raise CannotRun(f"manage.py {step[0]} failed:\n{done.stdout}{done.stderr}")
            log(f"  manage.py {step[0]}: done at {time.perf_counter() - began:.1f} s")
        if self.args.tasks == "db":
            for index in range(self.args.task_workers):
                self.start_task_worker(index, env)
        for index, server in enumerate(self.servers):
            wait_until_up(server + "/", self.procs[index + 1], self.server_logs[index])
            self.warm_up(server)
        time.sleep(0.5)  # the access log lines of the last warm-up requests
        self.warm_up_bytes = [path.stat().st_size for path in self.access_logs]
        log(f"  servers up and warmed up at {time.perf_counter() - began:.1f} s")

    def warm_up(self, server: str) -> None:
        """A few unmeasured page views, so that the figures are not the first
        requests of each worker (imports, template loading, Wagtail's caches)."""
        parts = urlsplit(server)
        for _ in range(2 * self.args.workers):
            for path in ("/", "/shop/cart/", "/checkout/"):
                conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
                try:
                    conn.request("GET", path)
                    conn.getresponse().read()
                finally:
                    conn.close()

    def start_task_worker(self, index: int, env: dict[str, str]) -> None:
        """``manage.py db_worker`` as a site runs it (its default poll interval, 1 s)."""
        worker_log = self.workdir / f"db_worker-{index}.log"
        worker = subprocess.Popen(
            [
                *(sys.executable, str(SANDBOX / "manage.py"), "db_worker"),
                *("--worker-id", f"load-{index}", "--no-reload"),
            ],
            env=env,
            stdout=worker_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.procs.append(worker)
        self.task_workers.append(worker)

    def drain_tasks(self) -> float | None:
        """Wait until no task is queued or running (``--tasks db``); the seconds it
        took after the last shopper, or ``None`` when the queue did not empty in time."""
        began = time.perf_counter()
        deadline = began + TASK_DRAIN_SECONDS
        with pg_connect(self.args, self.db_name, autocommit=True) as conn:
            while time.perf_counter() < deadline:
                row = conn.execute(
                    "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                    "WHERE status IN ('READY', 'RUNNING')"
                ).fetchone()
                if not row[0]:
                    return time.perf_counter() - began
                if all(worker.poll() is not None for worker in self.task_workers):
                    return None  # every worker died: nothing will empty it
                time.sleep(0.2)
        return None

    def start_stand_in(self, webhook_url: str) -> None:
        stand_in = subprocess.Popen(
            [
                *(sys.executable, "-m", "wagtail_stripe_checkout.testing", "--port", "0"),
                *("--webhook-url", webhook_url, "--webhook-secret", SECRET),
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=self.stand_in_log.open("w"),
            text=True,
        )
        self.procs.append(stand_in)
        assert stand_in.stdout is not None
        line = stand_in.stdout.readline()
        if " at " not in line:
            raise CannotRun(f"the stand-in did not start:\n{line}{tail(self.stand_in_log)}")
        self.api_base = line.rsplit(" at ", 1)[1].strip()

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sandbox.settings.cluster",
            # The sandbox, and the package of this checkout before any installed one.
            "PYTHONPATH": os.pathsep.join([str(SANDBOX), str(ROOT)]),
            "SANDBOX_PG_NAME": self.db_name,
            "SANDBOX_PG_HOST": self.args.pg_host,
            "SANDBOX_PG_PORT": str(self.args.pg_port),
            "SANDBOX_PG_USER": self.args.pg_user,
            "SANDBOX_REDIS_URL": self.args.redis_url,
            "SANDBOX_STRIPE_API_BASE": self.api_base,
            "SANDBOX_WEBHOOK_SECRET": SECRET,
            "SANDBOX_EMAIL_DIR": str(self.mail_dir),
            "SANDBOX_MEDIA_ROOT": str(self.workdir / "media"),
        }
        # The cluster settings read SANDBOX_TASKS=db; whatever this shell has set,
        # the option decides.
        env.pop("SANDBOX_TASKS", None)
        if self.args.tasks == "db":
            env["SANDBOX_TASKS"] = "db"
        if self.args.rate_limit != "package":
            for group in ("CHECKOUT", "CART", "RESULT"):
                env[f"SANDBOX_RATE_{group}"] = self.args.rate_limit
        return env

    def start_server(self, index: int, port: int, env: dict[str, str]) -> None:
        server_log = self.workdir / f"gunicorn-{index}.log"
        access_log = self.workdir / f"access-{index}.log"
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "sandbox.wsgi"),
                *("--bind", f"127.0.0.1:{port}", "--chdir", str(SANDBOX)),
                *("--workers", str(self.args.workers), "--worker-class", "sync"),
                *("--access-logfile", str(access_log)),
                *("--access-logformat", ACCESS_FORMAT),
                *gunicorn_options(),
            ],
            env=env,
            stdout=server_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.procs.append(server)
        self.server_logs.append(server_log)
        self.access_logs.append(access_log)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # gunicorn's quick shutdown; the stand-in stops
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
        if self.created and not self.args.keep:
            with contextlib.suppress(Exception):
                self.database("drop")


# CPU time, per part of the cluster ----------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used (Linux /proc), or ``None``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(roots: list[int]) -> set[int]:
    """The processes and all their children (gunicorn's workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


@dataclass
class CpuSample:
    """CPU seconds per process of each part, and the Redis server's command count."""

    parts: dict[str, dict[int, float]]
    redis_commands: int | None
    shoppers: float  # this process: the shoppers' threads (and the script)
    machine: float | None  # CPU seconds every process on the machine has used
    taken: float = field(default_factory=time.monotonic)


def machine_cpu_seconds() -> float | None:
    """Busy CPU seconds of the whole machine since boot (Linux /proc/stat)."""
    try:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class BackendWatcher(threading.Thread):
    """The CPU of the PostgreSQL backends serving this database (the script's own
    connections left out), looked at every second: the app servers' connections
    end and start again (CONN_MAX_AGE), so two looks, before and after, would
    miss those that ended. A backend's CPU counts from when it was first seen
    (whole, if it started during the load); at most a second of a backend that
    ended is missed, so the figure is a lower bound."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.rounds = 0
        self.stopping = threading.Event()

    def look(self, conn: Any) -> None:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name <> %s",
            (self.cluster.db_name, SCRIPT_APPLICATION),
        ).fetchall()
        for (pid,) in rows:
            used = cpu_seconds(int(pid))
            if used is not None:
                self.first.setdefault(int(pid), used if self.rounds == 0 else 0.0)
                self.last[int(pid)] = used
        self.rounds += 1

    def run(self) -> None:
        with (
            contextlib.suppress(Exception),
            pg_connect(self.cluster.args, self.cluster.db_name, autocommit=True) as conn,
        ):
            while True:
                self.look(conn)
                if self.stopping.wait(1.0):
                    self.look(conn)
                    return

    def stop(self) -> float:
        """CPU seconds the backends used since the watcher started."""
        self.stopping.set()
        self.join(10)
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def sample_cpu(cluster: Cluster) -> CpuSample:
    """Where the CPU goes: the app servers (masters and workers), the task workers
    and the stand-in (PostgreSQL: :class:`BackendWatcher`). Redis is one server
    for everyone: its CPU and command count are the whole server's."""
    servers = cluster.procs[1 : 1 + len(cluster.servers)]
    parts = {
        "app servers": descendants([proc.pid for proc in servers]),
        "task workers": descendants([proc.pid for proc in cluster.task_workers]),
        "stand-in": {cluster.procs[0].pid} if cluster.procs else set(),
    }
    redis_commands = None
    with contextlib.suppress(Exception):
        import redis

        client = redis.Redis.from_url(cluster.args.redis_url, socket_timeout=5)
        parts["Redis"] = {int(client.info("server")["process_id"])}
        redis_commands = int(client.info("stats")["total_commands_processed"])
    own = resource.getrusage(resource.RUSAGE_SELF)
    return CpuSample(
        {
            name: {pid: used for pid in pids if (used := cpu_seconds(pid)) is not None}
            for name, pids in parts.items()
        },
        redis_commands,
        own.ru_utime + own.ru_stime,
        machine_cpu_seconds(),
    )


def cpu_figures(before: CpuSample, after: CpuSample, postgres: float, paid: int) -> dict[str, Any]:
    """CPU milliseconds per paid purchase, per part (``postgres``: the seconds the
    database's backends used). A process that started during the load counts whole."""
    per_paid: dict[str, float] = {}
    for name, pids in after.parts.items():
        used = sum(now - before.parts.get(name, {}).get(pid, 0.0) for pid, now in pids.items())
        if pids and paid:
            per_paid[name] = round(used * 1000 / paid, 1)
        if name == "stand-in" and paid:  # in the order of the report
            per_paid["PostgreSQL"] = round(postgres * 1000 / paid, 1)
    if paid:
        per_paid["the shoppers"] = round((after.shoppers - before.shoppers) * 1000 / paid, 1)
    commands = (
        after.redis_commands - before.redis_commands
        if after.redis_commands is not None and before.redis_commands is not None
        else None
    )
    # How busy the whole machine was meanwhile, and how much of it was not this
    # run: other work on a shared machine slows the figures down.
    busy = None
    seconds = after.taken - before.taken
    if after.machine is not None and before.machine is not None and seconds > 0 and paid:
        machine = (after.machine - before.machine) / seconds
        ours = sum(per_paid.values()) * paid / 1000 / seconds
        busy = {
            "cores": os.cpu_count(),
            "machine": round(machine, 2),
            "this_run": round(min(ours, machine), 2),
            "other_processes": round(max(0.0, machine - ours), 2),
        }
    return {
        "cpu_ms_per_paid": per_paid,
        "redis_commands_per_paid": round(commands / paid, 1) if commands and paid else None,
        "cores_busy": busy,
    }


# A browser: cookies, a loopback address of its own, forms ---------------------


@dataclass
class Hit:
    step: str
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class NoAnswer(Exception):
    pass


class Browser:
    """One shopper's browser: its cookies, sent from its own loopback address."""

    def __init__(self, source: str, record: Callable[[Hit], None]) -> None:
        self.source = source
        self.record = record
        self.cookies: dict[str, str] = {}

    def request(
        self,
        step: str,
        method: str,
        url: str,
        form: dict[str, str] | None = None,
        payload: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        parts = urlsplit(url)
        headers = {"User-Agent": "wsc-load/1", "Accept-Language": "en", **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn = http.client.HTTPConnection(
            parts.hostname or "",
            parts.port,
            timeout=HTTP_TIMEOUT,
            source_address=(self.source, 0),
        )
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            self.record(Hit(step, 0, time.perf_counter() - started))
            raise NoAnswer(f"{step}: {method} {url}: {exc!r}") from None
        finally:
            conn.close()
        self.record(Hit(step, answer.status, time.perf_counter() - started))
        for cookie in answer.headers.get_all("Set-Cookie") or []:
            self.keep_cookie(cookie)
        return Response(answer.status, answer.headers, data.decode("utf-8", "replace"))

    def keep_cookie(self, header: str) -> None:
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    maximum: dict[str, int] = field(default_factory=dict)


class FormParser(HTMLParser):
    """What a browser would submit with each form of a page, without pressing a
    named button: inputs, checked boxes (and required ones, which a shopper
    ticks), the selected option of each select."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.form = Form(a.get("action", ""))
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input":
            self.input(self.form, a)
        elif tag == "select":
            self.select, self.first_option = a.get("name"), None
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.first_option is None:
                self.first_option = value
            if "selected" in a:
                self.form.fields[self.select] = value

    def input(self, form: Form, a: dict[str, str]) -> None:
        kind, name = a.get("type", "text").lower(), a.get("name")
        if not name or kind in ("submit", "button", "image", "reset", "file"):
            return
        if kind in ("radio", "checkbox") and not ("checked" in a or "required" in a):
            return
        form.fields.setdefault(name, a.get("value", "on"))
        if kind == "number" and a.get("max", "").isdigit():
            form.maximum[name] = int(a["max"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.form is not None and self.select:
            if self.select not in self.form.fields and self.first_option is not None:
                self.form.fields[self.select] = self.first_option
            self.select = None


def forms(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


# Shoppers ----------------------------------------------------------------------


class Unexpected(Exception):
    """A page answered other than a shop should; the message says which and how."""


class Refused(Exception):
    """The checkout page refused to go to Stripe with a message for the shopper."""


def digits(amount: str) -> str:
    """ "$31.39" and "31.39 USD" alike: "3139" (both pages show the currency's decimals)."""
    return re.sub(r"\D", "", amount)


@dataclass
class Ledger:
    """What every shopper did, shared by their threads."""

    purchases: int
    deadline: float
    hits: list[Hit] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    redirected: dict[str, str] = field(default_factory=dict)  # session id: status then
    paid: dict[str, str] = field(default_factory=dict)  # session id: the shopper's email
    cancelled: set[str] = field(default_factory=set)
    refusals: Counter[str] = field(default_factory=Counter)  # message: how often
    mismatches: list[str] = field(default_factory=list)  # Stripe asked another total
    compared: int = 0  # totals compared
    started: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def next_attempt(self) -> int | None:
        with self.lock:
            if self.started >= self.purchases or time.monotonic() >= self.deadline:
                return None
            self.started += 1
            return self.started

    def outcome(self, name: str, problem: str | None = None) -> None:
        with self.lock:
            self.outcomes[name] += 1
            if problem:
                self.problems.append(problem)


class Shopper:
    def __init__(
        self, number: int, source: str, cluster: Cluster, ledger: Ledger, args: argparse.Namespace
    ) -> None:
        self.number = number
        self.cluster = cluster
        self.ledger = ledger
        self.args = args
        self.rng = random.Random(args.seed * 1000 + number)  # noqa: S311 (not secrets)
        self.browser = Browser(source, ledger.record)
        self.turn = number
        self.address = ""
        self.shown_total = ""  # the total on the checkout page, when it is the final one
        self.db: Any = None

    def shop(self, path: str) -> str:
        """The next server's URL for ``path``, round robin as behind a balancer."""
        self.turn += 1
        return self.cluster.servers[self.turn % len(self.cluster.servers)] + path

    def run(self) -> None:
        with pg_connect(self.args, self.cluster.db_name, autocommit=True) as self.db:
            while (attempt := self.ledger.next_attempt()) is not None:
                try:
                    self.ledger.outcome(self.purchase(attempt))
                except Refused as exc:
                    with self.ledger.lock:
                        self.ledger.refusals[str(exc)] += 1
                    self.ledger.outcome("refused")
                except (Unexpected, NoAnswer) as exc:
                    self.ledger.outcome("failed", f"shopper {self.number}: {exc}")
                    self.browser.cookies.clear()  # start again as a new visitor

    def expect(self, response: Response, status: int, what: str) -> Response:
        if response.status != status:
            snippet = " ".join(re.sub(r"<[^>]+>", " ", response.text).split())[:300]
            raise Unexpected(f"{what}: {response.status}, not {status}: {snippet}")
        return response

    def purchase(self, attempt: int) -> str:
        """One attempt to buy: ``paid``, ``cancelled`` or ``sold out``."""
        b = self.browser
        home = self.expect(b.request("home", "GET", self.shop("/")), 200, "home page")
        buy_forms = [f for f in forms(home.text) if f.action.endswith("/shop/cart/add/")]
        if not buy_forms:
            return "sold out"
        self.add_with_form(self.rng.choice(buy_forms))
        if self.rng.random() < self.args.api_share:
            self.add_with_api(self.rng.choice(buy_forms).fields.get("product", ""))
        cart = self.expect(b.request("cart", "GET", self.shop("/shop/cart/")), 200, "cart")
        if 'data-wsc-line="' not in cart.text:
            return "sold out"  # every product this shopper chose sold out meanwhile
        pay_url = self.press_pay(attempt)
        if pay_url is None:
            self.clear_cart()
            return "sold out"
        session_id = urlsplit(pay_url).path.rstrip("/").rsplit("/", 1)[-1]
        status = self.order_status(session_id)
        with self.ledger.lock:
            self.ledger.redirected[session_id] = status
        pay_page = self.expect(b.request("Stripe page", "GET", pay_url), 200, "pay page")
        if self.rng.random() < self.args.cancel_share:
            return self.cancel(pay_url, session_id)
        return self.pay(pay_url, pay_page, session_id)

    def add_with_form(self, form: Form) -> None:
        fields = dict(form.fields)
        if "quantity" in form.maximum:
            fields["quantity"] = str(self.rng.randint(1, min(2, form.maximum["quantity"])))
        added = self.browser.request("add", "POST", self.shop(form.action), form=fields)
        self.expect(added, 302, "add to cart")
        # The browser follows the redirect back to the page, which shows the message.
        back = self.browser.request("home", "GET", self.shop(urlsplit(added.location).path))
        self.expect(back, 200, "back from add to cart")

    def api_headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.browser.cookies.get("csrftoken", "")}

    def add_with_api(self, product: str) -> None:
        added = self.browser.request(
            "add (API)",
            "POST",
            self.shop("/shop/api/cart/add/"),
            payload={"product": int(product), "quantity": 1},
            headers=self.api_headers(),
        )
        if added.status not in (200, 400):  # 400: sold out meanwhile, the cart says why
            self.expect(added, 200, "add to cart (API)")
        if added.status == 400 and "error" not in json.loads(added.text):
            raise Unexpected(f"add to cart (API): 400 without an error: {added.text[:300]}")

    def clear_cart(self) -> None:
        cleared = self.browser.request(
            "clear cart", "POST", self.shop("/shop/api/cart/clear/"), headers=self.api_headers()
        )
        self.expect(cleared, 200, "clear cart (API)")

    def press_pay(self, attempt: int) -> str | None:
        """The checkout page and its button: the pay page's URL, or ``None`` when
        something in the cart sold out meanwhile (either page says so)."""
        page_url = self.shop("/checkout/")
        page = self.expect(self.browser.request("checkout", "GET", page_url), 200, "checkout")
        form = next((f for f in forms(page.text) if f.action == "/checkout/"), None)
        if form is None and ('class="wsc-problems"' in page.text or "cart is empty" in page.text):
            return None  # sold out since the cart page: no form, the page says what changed
        if form is None:
            raise Unexpected("checkout page: no checkout form")
        shown = re.search(r"data-wsc-total>([^<]+)<", page.text)
        final = shown is not None and "Total before tax" not in page.text
        self.shown_total = digits(shown.group(1)) if shown and final else ""
        self.address = f"shopper{self.number}.{attempt}@example.com"
        fields = {**form.fields, "email": self.address, "name": f"Shopper {self.number}"}
        sent = self.browser.request(
            "pay button", "POST", page_url, form=fields, headers={"Referer": page_url}
        )
        refusal = re.search(r"data-wsc-checkout-error>([^<]*)<", sent.text)
        if sent.status == 200 and refusal and "sold out" in refusal.group(1):
            return None
        if sent.status == 200 and refusal:
            self.clear_cart()  # and start again
            raise Refused(" ".join(refusal.group(1).split()))
        self.expect(sent, 303, "proceed to payment")
        if not sent.location.startswith(self.cluster.api_base + "/pay/cs_test_"):
            raise Unexpected(f"proceed to payment: redirected to {sent.location!r}")
        return sent.location

    def order_status(self, session_id: str) -> str:
        """The status of the order behind a redirect to Stripe, as the redirect arrives."""
        row = self.db.execute(
            "SELECT status FROM wagtail_stripe_checkout_order WHERE stripe_session_id = %s",
            (session_id,),
        ).fetchone()
        return str(row[0]) if row else "missing"

    def pay(self, pay_url: str, pay_page: Response, session_id: str) -> str:
        form = next(iter(forms(pay_page.text)), None)
        if form is None:
            raise Unexpected("pay page: no form")
        asked = re.search(r"data-total>([^<]+)<", pay_page.text)
        with self.ledger.lock:
            self.ledger.compared += bool(self.shown_total)
        if self.shown_total and (asked is None or digits(asked.group(1)) != self.shown_total):
            with self.ledger.lock:
                self.ledger.mismatches.append(
                    f"{session_id}: shown {self.shown_total}, Stripe asked "
                    f"{asked.group(1) if asked else '?'}"
                )
        fields = {**form.fields, "card_number": CARD}
        paid = self.browser.request("pay", "POST", urljoin(pay_url, form.action), form=fields)
        self.expect(paid, 303, "pay at the stand-in")
        with self.ledger.lock:
            self.ledger.paid[session_id] = self.address
        result = self.browser.request("result", "GET", paid.location)
        self.expect(result, 200, "result page")
        if 'data-wsc-result="paid"' not in result.text:
            raise Unexpected(f"result page for {session_id} does not say paid")
        return "paid"

    def cancel(self, pay_url: str, session_id: str) -> str:
        back = self.browser.request("cancel", "GET", pay_url.rstrip("/") + "/cancel")
        self.expect(back, 303, "cancel at the stand-in")
        if "cancelled" not in parse_qs(urlsplit(back.location).query):
            raise Unexpected(f"cancel: back to {back.location!r}")
        # The checkout page marks the order cancelled and redirects to itself,
        # which the app servers' log cannot tell from any other checkout page.
        returned = self.browser.request("back (cancel)", "GET", back.location)
        self.expect(returned, 302, "back from Stripe with cancel")
        page = self.browser.request("checkout", "GET", urljoin(back.location, returned.location))
        self.expect(page, 200, "checkout after cancel")
        with self.ledger.lock:
            self.ledger.cancelled.add(session_id)
        self.clear_cart()
        return "cancelled"


def loopback_sources(count: int) -> list[str]:
    """One address per shopper (Linux routes all of 127/8 to loopback); where
    only 127.0.0.1 works, all shoppers share it and per-address limits apply."""
    try:
        with socket.socket() as sock:
            sock.bind(("127.0.0.10", 0))
    except OSError:
        log("Only 127.0.0.1 can be bound here: all shoppers share one address.")
        return ["127.0.0.1"] * count
    return [f"127.0.0.{10 + n}" for n in range(count)]


def run_shoppers(cluster: Cluster, args: argparse.Namespace) -> tuple[Ledger, float]:
    ledger = Ledger(args.purchases, time.monotonic() + args.time_limit)
    sources = loopback_sources(args.shoppers)
    shoppers = [Shopper(n, sources[n], cluster, ledger, args) for n in range(args.shoppers)]
    threads = [threading.Thread(target=s.run, daemon=True) for s in shoppers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    # The deadline stops new attempts; one under way may take a few requests more.
    for thread in threads:
        thread.join(max(1.0, ledger.deadline - time.monotonic()) + 4 * HTTP_TIMEOUT)
    if any(thread.is_alive() for thread in threads):
        ledger.problems.append("some shoppers were still waiting for an answer at the end")
    return ledger, time.perf_counter() - started


# Checks --------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Logged:
    """One line of an app server's access log."""

    line: str
    status: int
    step: str
    milliseconds: float
    measured: bool  # after the warm-up


def access_log(cluster: Cluster) -> list[Logged]:
    logged = []
    for path, start in zip(cluster.access_logs, cluster.warm_up_bytes, strict=True):
        with path.open("rb") as lines:
            offset = 0
            for raw in lines:
                line = raw.decode(errors="replace").strip()
                match = ACCESS_LINE.match(line)
                step, millis, status = "?", 0.0, 0
                if match:
                    status, method, url, query = int(match[1]), match[2], match[3], match[4]
                    step = SERVER_STEPS.get((method, url), "?")
                    step = "back (cancel)" if "cancelled=" in query else step
                    millis = int(match[5]) / 1000
                logged.append(Logged(f"{path.name}: {line}", status, step, millis, offset >= start))
                offset += len(raw)
    return logged


def webhook_deliveries(cluster: Cluster) -> tuple[int, list[str]]:
    """How many webhooks the stand-in delivered, and those not answered 2xx."""
    lines = [line for line in tail(cluster.stand_in_log, 10**9).splitlines() if "webhook " in line]
    refused = [line for line in lines if not re.search(r": 2\d\d$", line)]
    return len(lines), refused


ORDER_COLUMNS = ("session", "status", "reserved", "total", "charged", "email")


def database_state(cluster: Cluster, args: argparse.Namespace) -> dict[str, Any]:
    with pg_connect(args, cluster.db_name) as conn:
        orders = conn.execute(
            "SELECT stripe_session_id, status, stock_reserved, total, charged_total, email "
            "FROM wagtail_stripe_checkout_order"
        ).fetchall()
        products = conn.execute(
            "SELECT id, sku, stock FROM wagtail_stripe_checkout_product WHERE stock IS NOT NULL"
        ).fetchall()
        held = conn.execute(
            "SELECT l.product_id, "
            "  COALESCE(SUM(l.quantity) FILTER (WHERE o.status = ANY(%s)), 0), "
            "  COALESCE(SUM(l.quantity) FILTER (WHERE o.stock_reserved), 0) "
            "FROM wagtail_stripe_checkout_orderline l "
            "JOIN wagtail_stripe_checkout_order o ON o.id = l.order_id GROUP BY l.product_id",
            (list(PAID_STATUSES),),
        ).fetchall()
    return {
        "orders": [dict(zip(ORDER_COLUMNS, row, strict=True)) for row in orders],
        "stock": {row[0]: (row[1], row[2]) for row in products},
        "held": {row[0]: (int(row[1]), int(row[2])) for row in held},
    }


def initial_stock(cluster: Cluster, args: argparse.Namespace) -> dict[int, int]:
    with pg_connect(args, cluster.db_name) as conn:
        rows = conn.execute(
            "SELECT id, stock FROM wagtail_stripe_checkout_product WHERE stock IS NOT NULL"
        ).fetchall()
    return {row[0]: row[1] for row in rows}


def stock_figures(state: dict[str, Any], initial: dict[int, int]) -> dict[str, dict[str, Any]]:
    """Per limited product: initial − paid − still reserved = current?"""
    figures = {}
    for product_id, (sku, current) in sorted(state["stock"].items()):
        paid, reserved = state["held"].get(product_id, (0, 0))
        start = initial.get(product_id, current)
        figures[sku] = {
            "initial": start,
            "paid": paid,
            "reserved": reserved,
            "current": current,
            "consistent": start - paid - reserved == current and current >= 0,
        }
    return figures


def order_checks(ledger: Ledger, state: dict[str, Any]) -> list[Check]:
    by_session: dict[str, list[dict[str, Any]]] = {}
    for order in state["orders"]:
        by_session.setdefault(order["session"], []).append(order)
    not_pending = {s: st for s, st in ledger.redirected.items() if st != "pending"}
    wrong_paid = [
        s
        for s in ledger.paid
        if [o["status"] for o in by_session.get(s, [])] != ["paid"]
        or by_session[s][0]["charged"] != by_session[s][0]["total"]
    ]
    paid_orders = [o for o in state["orders"] if o["status"] in PAID_STATUSES]
    wrong_cancelled = [
        s for s in ledger.cancelled if [o["status"] for o in by_session.get(s, [])] != ["cancelled"]
    ]
    bad_reservations = [
        o["session"] for o in state["orders"] if o["reserved"] and o["status"] != "pending"
    ]
    return [
        Check(
            "every redirect to Stripe found its pending order",
            bool(ledger.redirected) and not not_pending,
            f"{len(ledger.redirected)} redirects"
            + (f"; not pending then: {not_pending}" if not_pending else ""),
        ),
        Check(
            "every paid session has exactly one order, paid its total",
            not wrong_paid and len(paid_orders) == len(ledger.paid),
            f"{len(ledger.paid)} paid sessions, {len(paid_orders)} paid orders"
            + (f"; wrong: {wrong_paid[:5]}" if wrong_paid else ""),
        ),
        Check(
            "every cancelled session has its order cancelled",
            not wrong_cancelled,
            f"{len(ledger.cancelled)} cancelled"
            + (f"; wrong: {wrong_cancelled[:5]}" if wrong_cancelled else ""),
        ),
        Check(
            "only pending orders hold a stock reservation",
            not bad_reservations,
            f"{sum(o['reserved'] for o in state['orders'])} reservations held"
            + (f"; wrong: {bad_reservations[:5]}" if bad_reservations else ""),
        ),
    ]


def email_check(cluster: Cluster, ledger: Ledger) -> Check:
    """One confirmation per paid order, to its shopper; none to anyone else."""
    sent: Counter[str] = Counter()
    for path in sorted(cluster.mail_dir.glob("*.log")) if cluster.mail_dir.exists() else []:
        for message in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if message.strip():
                sent[str(email.message_from_string(message.strip()).get("To", ""))] += 1
    expected = Counter(ledger.paid.values())
    wrong = {a: sent[a] for a in set(sent) | set(expected) if sent[a] != expected[a]}
    return Check(
        "one confirmation email per paid order, none for the others",
        not wrong,
        f"{sum(sent.values())} emails for {len(ledger.paid)} paid orders"
        + (f"; sent/expected differ for {dict(list(wrong.items())[:5])}" if wrong else ""),
    )


EMAIL_TASK = "wagtail_stripe_checkout.tasks.send_order_emails"


def task_figures(
    cluster: Cluster, args: argparse.Namespace, drained: float | None
) -> dict[str, Any]:
    """``--tasks db``: every task by status (Wagtail queues its own on the same
    backend: search and reference index updates), and how long the order
    emails' tasks waited in the queue and ran."""
    with pg_connect(args, cluster.db_name) as conn:
        rows = conn.execute(
            "SELECT task_path, status, "
            "  EXTRACT(EPOCH FROM started_at - enqueued_at) * 1000, "
            "  EXTRACT(EPOCH FROM finished_at - started_at) * 1000 "
            "FROM django_tasks_database_dbtaskresult"
        ).fetchall()
    emails = [row for row in rows if row[0] == EMAIL_TASK]
    waits = [float(row[2]) for row in emails if row[2] is not None]
    runs = [float(row[3]) for row in emails if row[3] is not None]

    def figure(values: list[float], share: float) -> float | None:
        return round(percentile(values, share), 1) if values else None

    return {
        "backend": "django_tasks_db.DatabaseBackend",
        "workers": args.task_workers,
        "count": len(emails),
        "statuses": dict(sorted(Counter(str(row[1]) for row in emails).items())),
        "other_tasks": dict(sorted(Counter(f"{row[0]} {row[1]}" for row in rows).items())),
        "queue_wait_p50_ms": figure(waits, 0.50),
        "queue_wait_p95_ms": figure(waits, 0.95),
        "run_p50_ms": figure(runs, 0.50),
        "run_p95_ms": figure(runs, 0.95),
        "drained_seconds": None if drained is None else round(drained, 2),
    }


def task_check(tasks: dict[str, Any], paid: int) -> Check:
    """Every task ran and succeeded (Wagtail's too); one email task per paid order."""
    unfinished = {
        name: n for name, n in tasks["other_tasks"].items() if not name.endswith(" SUCCESSFUL")
    }
    drained = tasks["drained_seconds"]
    return Check(
        "every task ran and succeeded, one email task per paid order",
        drained is not None and not unfinished and tasks["count"] == paid,
        f"{tasks['count']} email tasks for {paid} paid orders; "
        + (
            f"queue empty {drained:.1f} s after the last shopper"
            if drained is not None
            else f"still queued or running after {TASK_DRAIN_SECONDS:.0f} s"
        )
        + (f"; not successful: {unfinished}" if unfinished else ""),
    )


def run_checks(
    cluster: Cluster,
    ledger: Ledger,
    initial: dict[int, int],
    args: argparse.Namespace,
    tasks: dict[str, Any] | None = None,
) -> tuple[list[Check], dict[str, Any]]:
    client_5xx = [h for h in ledger.hits if h.status >= 500]
    logged = access_log(cluster)
    logged_5xx = [entry.line for entry in logged if entry.status >= 500 or not entry.status]
    deliveries, refused = webhook_deliveries(cluster)
    state = database_state(cluster, args)
    stock = stock_figures(state, initial)
    checks = [
        Check("no 5xx answered to shoppers", not client_5xx, f"{len(client_5xx)} 5xx"),
        Check(
            "no 5xx in the app servers' access logs (webhooks included)",
            not logged_5xx,
            f"{len(logged)} requests logged" + "".join(f"\n  {e}" for e in logged_5xx[:20]),
        ),
        Check(
            "every webhook delivery answered 2xx",
            not refused and deliveries >= len(ledger.paid),
            f"{deliveries} deliveries" + "".join(f"\n  {line}" for line in refused[:10]),
        ),
        Check(
            "every attempt ended paid, cancelled, sold out or refused with a message",
            not ledger.problems and ledger.outcomes["paid"] + ledger.outcomes["cancelled"] > 0,
            counts(dict(ledger.outcomes))
            + "".join(f"\n  refused {n}×: {message}" for message, n in ledger.refusals.items())
            + "".join(f"\n  {p}" for p in ledger.problems[:10]),
        ),
        Check(
            "Stripe asked the total the checkout page showed",
            not ledger.mismatches,
            f"{ledger.compared} compared" + "".join(f"\n  {m}" for m in ledger.mismatches),
        ),
        *order_checks(ledger, state),
        Check(
            "stock: initial − paid − reserved = current, never below 0",
            all(f["consistent"] for f in stock.values()),
            "; ".join(
                f"{sku} {f['initial']}−{f['paid']}−{f['reserved']}={f['current']}"
                for sku, f in stock.items()
            ),
        ),
        email_check(cluster, ledger),
        *([task_check(tasks, len(ledger.paid))] if tasks is not None else []),
    ]
    statuses = Counter(o["status"] for o in state["orders"])
    measured = [entry for entry in logged if entry.measured]
    paid = ledger.outcomes["paid"]
    details = {
        # How long the app servers' workers were busy per paid purchase: every
        # request they served (webhooks included), as Little's law wants it.
        "worker_ms_per_paid": (
            round(sum(entry.milliseconds for entry in measured) / paid, 1) if paid else None
        ),
        "tasks": tasks,
        "stock": stock,
        "orders": dict(statuses),
        "server_errors": len(client_5xx) + len(logged_5xx) + len(refused),
        "steps": step_figures(ledger.hits, measured),
    }
    return checks, details


# Figures and report ----------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def step_figures(hits: list[Hit], logged: list[Logged]) -> dict[str, dict[str, Any]]:
    """Per step, as the shoppers timed it (queueing included) and as the app
    servers' workers did (``worker_*``: from reading the request to the response)."""
    figures: dict[str, dict[str, Any]] = {}
    for step in (*STEPS, "webhook"):
        mine = [h for h in hits if h.step == step]
        served = [entry.milliseconds for entry in logged if entry.step == step]
        if not (mine or served):
            continue
        times = [h.seconds * 1000 for h in mine]
        statuses = Counter(h.status for h in mine) or Counter(
            e.status for e in logged if e.step == step
        )
        figures[step] = {
            "server": "stand-in" if step in STAND_IN_STEPS else "shop",
            "count": len(mine) or len(served),
            "p50_ms": round(percentile(times, 0.50), 1) if times else None,
            "p95_ms": round(percentile(times, 0.95), 1) if times else None,
            "max_ms": round(max(times), 1) if times else None,
            "worker_p50_ms": round(percentile(served, 0.50), 1) if served else None,
            "worker_p95_ms": round(percentile(served, 0.95), 1) if served else None,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
        }
    return figures


def machine(versions: dict[str, str], args: argparse.Namespace, busy: float) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = round(kib / 1024 / 1024, 1)

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": version("django"),
        "wagtail": version("wagtail"),
        "gunicorn": version("gunicorn"),
        "postgres": versions["postgres"],
        "redis": versions["redis"],
        "servers": args.servers,
        "workers_per_server": args.workers,
        "load_average_before": busy,  # what else was running: 1-minute load average
        **commit(),
    }


def commit() -> dict[str, Any]:
    """The checked-out commit, and whether the working tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "working_tree_changed": None}
    return {"commit": head, "working_tree_changed": bool(changed)}


def text_report(result: dict[str, Any]) -> str:
    load = result["load"]
    lines = [
        f"{load['shoppers']} shoppers, {load['attempts']} attempts in {result['seconds']:.1f} s "
        f"(stopped by {load['stopped_by']}); {load['servers']} servers × {load['workers']} "
        "sync workers",
        f"outcomes: {counts(result['outcomes'])}; orders: {counts(result['orders'])}",
        f"throughput: {result['throughput']['paid_per_second']:.2f} paid purchases/s, "
        f"{result['throughput']['shop_requests_per_second']:.1f} requests/s to the shop",
        *([cpu_sentence(result)] if result.get("cpu_ms_per_paid") else []),
        *([tasks_sentence(result["tasks"])] if result.get("tasks") else []),
        "",
        "ms: as the shoppers timed it (queueing included) │ in the app server's worker",
        f"{'step':<13} {'server':<8} {'n':>5} {'p50':>7} {'p95':>7} {'max':>7} │ "
        f"{'p50':>6} {'p95':>6}  statuses",
    ]
    for step, f in result["steps"].items():
        figures = " ".join(
            f"{'—' if f[key] is None else format(f[key], '.1f'):>{width}}"
            for key, width in (("p50_ms", 7), ("p95_ms", 7), ("max_ms", 7))
        )
        worker = " ".join(
            f"{'—' if f[key] is None else format(f[key], '.1f'):>6}"
            for key in ("worker_p50_ms", "worker_p95_ms")
        )
        lines.append(
            f"{step:<13} {f['server']:<8} {f['count']:>5} {figures} │ {worker}  {f['statuses']}"
        )
    lines.append("")
    for check in result["checks"]:
        lines.append(f"{'ok  ' if check['ok'] else 'FAIL'} {check['name']}: {check['detail']}")
    lines.append(
        f"\nwall time {result['total_seconds']:.1f} s in all: {result['setup_seconds']:.1f} s "
        f"to set up (database, migrations, demo data, servers), {result['seconds']:.1f} s of load"
    )
    return "\n".join(lines)


def docs_markers() -> str:
    """The text of docs/performance.md, or :class:`CannotRun` saying what is missing."""
    if not DOCS.exists():
        raise CannotRun(f"--write-docs: {DOCS.relative_to(ROOT)} does not exist (yet)")
    text = DOCS.read_text()
    if START_MARK not in text or END_MARK not in text.split(START_MARK, 1)[1]:
        raise CannotRun(
            f"--write-docs: {DOCS.relative_to(ROOT)} has no {START_MARK} … {END_MARK} markers"
        )
    return text


def counts(figures: dict[str, int]) -> str:
    """{"paid": 297, "sold out": 3}: "297 paid, 3 sold out"."""
    return ", ".join(f"{n} {name}" for name, n in figures.items()) or "none"


def cpu_sentence(result: dict[str, Any]) -> str:
    cpu = result["cpu_ms_per_paid"]
    busy = result.get("worker_ms_per_paid")
    notes = {"PostgreSQL": " (its backends for this database; a lower bound)"}
    notes["Redis"] = " (the whole server)"
    notes["the shoppers"] = " (this script's threads, on the same cores)"
    parts = [f"{name} {ms:.0f} ms{notes.get(name, '')}" for name, ms in cpu.items() if ms]
    commands = result.get("redis_commands_per_paid")
    cores = result.get("cores_busy")
    return (
        (
            f"The app servers' workers were busy {busy:.0f} ms per paid purchase (every "
            "request they served, from their access logs). "
            if busy
            else ""
        )
        + "CPU time per paid purchase: "
        + ", ".join(parts)
        + (f"; {commands:.0f} Redis commands per paid purchase" if commands else "")
        + "."
        + (
            f" Meanwhile the machine's {cores['cores']} cores were busy "
            f"{cores['machine']:.2f} on average: {cores['this_run']:.2f} with this run, "
            f"{cores['other_processes']:.2f} with other processes."
            if cores
            else ""
        )
    )


def tasks_sentence(tasks: dict[str, Any]) -> str:
    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f} ms"

    return (
        f"Email tasks: {tasks['count']} on django-tasks-db, {tasks['workers']} db_worker "
        f"process{'es' if tasks['workers'] != 1 else ''}; waited in the queue "
        f"{ms(tasks['queue_wait_p50_ms'])} (p50), {ms(tasks['queue_wait_p95_ms'])} (p95); "
        f"ran {ms(tasks['run_p50_ms'])} (p50), {ms(tasks['run_p95_ms'])} (p95)."
    )


def table_cell(text: str) -> str:
    """One line of a Markdown table cell: the detail's lines joined, pipes escaped."""
    return "; ".join(part.strip() for part in text.splitlines() if part.strip()).replace("|", "\\|")


def commit_words(m: dict[str, Any]) -> str:
    if not m.get("commit"):
        return "commit unknown"
    changes = " with the working tree's changes" if m.get("working_tree_changed") else ""
    return f"commit `{m['commit']}`{changes}"


def docs_block(result: dict[str, Any]) -> str:
    m, load, t = result["machine"], result["load"], result["throughput"]
    tasks = result.get("tasks")

    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f}"

    rows = [
        f"| {step} | {f['server']} | {f['count']} | {ms(f['p50_ms'])} | {ms(f['p95_ms'])} "
        f"| {ms(f['worker_p50_ms'])} | {ms(f['worker_p95_ms'])} |"
        for step, f in result["steps"].items()
    ]
    checks = [
        f"| {c['name']} | {'passed' if c['ok'] else 'FAILED'} | {table_cell(c['detail'])} |"
        for c in result["checks"]
    ]
    failed = [c["name"] for c in result["checks"] if not c["ok"]]
    emails = (
        "the order emails (and Wagtail's own tasks) are tasks on django-tasks-db, run by "
        f"{tasks['workers']} `manage.py db_worker` process"
        f"{'es' if tasks['workers'] != 1 else ''}"
        if tasks
        else "the order emails are sent in the webhook's request (Django's immediate task backend)"
    )
    cancel_note = (
        " After a cancel, the checkout page the shopper returns to counts as a checkout step."
        if "back (cancel)" in result["steps"]
        else ""
    )
    return "\n".join(
        [
            f"Measured on {result['date']} with:",
            "",
            "```sh",
            result["command"],
            "```",
            "",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, {m['os']}; "
            f"Python {m['python']}, Django {m['django']}, Wagtail {m['wagtail']}, "
            f"gunicorn {m['gunicorn']}, PostgreSQL {m['postgres']}, Redis {m['redis']}; "
            f"{commit_words(m)}. "
            f"{m['servers']} app servers × {m['workers_per_server']} sync workers, the "
            "Stripe stand-in, PostgreSQL, Redis and the shoppers all share this machine "
            f"(1-minute load average before the run: {m['load_average_before']}); "
            f"{emails}.",
            "",
            f"{load['shoppers']} shoppers made {load['attempts']} purchase attempts in "
            f"{result['seconds']:.1f} s: {counts(result['outcomes'])}. "
            f"Throughput: {t['paid_per_second']:.2f} paid purchases per second, "
            f"{t['shop_requests_per_second']:.1f} requests per second to the shop "
            f"({t['shop_requests_per_paid']:.1f} shopper requests per paid purchase, "
            "and the webhook).",
            *(["", cpu_sentence(result)] if result.get("cpu_ms_per_paid") else []),
            "",
            "Milliseconds as the shoppers timed each step (waiting for a free worker "
            "included: the shoppers do not pause between steps), and as the app server's "
            "worker spent on it (gunicorn's access log). The webhook is the stand-in's "
            "delivery to the shop: `checkout.session.completed` within the shopper's pay "
            f"step (and `checkout.session.expired` after a cancel).{cancel_note}",
            "",
            "| step | answered by | requests | p50 | p95 | worker p50 | worker p95 |",
            "|---|---|---:|---:|---:|---:|---:|",
            *rows,
            *(["", tasks_sentence(tasks)] if tasks else []),
            "",
            "Checks, after the load, against the database, the logs and the emails:",
            "",
            "| check | result | detail |",
            "|---|---|---|",
            *checks,
            "",
            f"{len(result['checks']) - len(failed)} of {len(result['checks'])} checks passed"
            + (f"; failed: {'; '.join(failed)}." if failed else "."),
        ]
    )


def write_docs(result: dict[str, Any]) -> None:
    text = docs_markers()
    before, rest = text.split(START_MARK, 1)
    after = rest.split(END_MARK, 1)[1]
    DOCS.write_text(f"{before}{START_MARK}\n{docs_block(result)}\n{END_MARK}{after}")


# Main ------------------------------------------------------------------------------


def command_line(argv: list[str] | None) -> str:
    return shlex.join(["python", "tools/load.py", *(sys.argv[1:] if argv is None else argv)])


def measure(args: argparse.Namespace, argv: list[str] | None, workdir: Path) -> dict[str, Any]:
    began = time.perf_counter()
    busy = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else -1.0
    versions = preflight(args)
    with Cluster(args, workdir) as cluster:
        log(f"Starting PostgreSQL database {cluster.db_name}, the stand-in, the servers …")
        cluster.start()
        setup = time.perf_counter() - began
        initial = initial_stock(cluster, args)
        log(f"Shopping: {args.shoppers} shoppers, {args.purchases} attempts, {args.time_limit} s")
        cpu_before = sample_cpu(cluster)
        backends = BackendWatcher(cluster)
        backends.start()
        ledger, seconds = run_shoppers(cluster, args)
        tasks = None
        if args.tasks == "db":
            log("Waiting for the task workers to empty the queue …")
            tasks = task_figures(cluster, args, cluster.drain_tasks())
        cpu = cpu_figures(cpu_before, sample_cpu(cluster), backends.stop(), ledger.outcomes["paid"])
        checks, details = run_checks(cluster, ledger, initial, args, tasks)
    shop_hits = [h for h in ledger.hits if h.step not in STAND_IN_STEPS]
    return {
        "ok": all(c.ok for c in checks),
        "command": command_line(argv),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "machine": machine(versions, args, busy),
        "load": {
            "shoppers": args.shoppers,
            "purchases": args.purchases,
            "time_limit": args.time_limit,
            "attempts": ledger.started,
            "stopped_by": "purchases" if ledger.started >= args.purchases else "time limit",
            "servers": args.servers,
            "workers": args.workers,
            "tasks": args.tasks,
            "task_workers": args.task_workers if args.tasks == "db" else 0,
        },
        "seconds": round(seconds, 2),
        "setup_seconds": round(setup, 2),
        "total_seconds": round(time.perf_counter() - began, 2),
        "outcomes": dict(ledger.outcomes),
        "refusals": dict(ledger.refusals),
        "throughput": {
            "paid_per_second": round(ledger.outcomes["paid"] / seconds, 3),
            "shop_requests_per_second": round(len(shop_hits) / seconds, 2),
            "shop_requests_per_paid": round(len(shop_hits) / max(1, ledger.outcomes["paid"]), 1),
        },
        **cpu,
        "checks": [dataclasses.asdict(c) for c in checks],
        **details,
        "logs": str(workdir),
    }


def stop_on_signals() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.write_docs:
        try:
            docs_markers()  # refuse before spending minutes on the load
        except CannotRun as exc:
            log(str(exc))
            return 2
    stop_on_signals()
    workdir = Path(tempfile.mkdtemp(prefix="wsc-load-"))
    result: dict[str, Any] | None = None
    try:
        result = measure(args, argv, workdir)
    except CannotRun as exc:
        log(f"Cannot run the load: {exc}")
        return 2
    except (KeyboardInterrupt, Stopped):
        log("Stopped.")
        return 130
    finally:
        if args.keep or result is None or not result["ok"]:
            log(f"Logs (servers, access, stand-in, emails) kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(text_report(result))
    if args.json:
        print(json.dumps(result, indent=2))
    if args.write_docs:
        write_docs(result)
        log(
            f"Wrote the figures into {DOCS.relative_to(ROOT)}"
            + ("." if result["ok"] else ", with the failed checks marked FAILED.")
        )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
