"""``tools/dev.py demo`` and ``serve`` as a newcomer meets them, with real processes.

Each sandbox runs in a temporary folder (``SANDBOX_DB``, ``SANDBOX_MEDIA_ROOT``)
on free ports, in a session of its own so that a test can press "Ctrl-C" (SIGINT
to the whole process group, as a terminal does) and so that whatever a failing
test leaves behind is killed with its group.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tools" / "dev.py"
SHOP_AT = re.compile(r"The sandbox shop is at (http://\S+)")
STAND_IN_AT = re.compile(r"The offline Stripe stand-in is at (http://\S+)")
STARTUP = 90  # seconds: migrate, load_demo and runserver on a slow machine


def demo_script(inner: str = "") -> str:
    """``tools/dev.py demo`` with this interpreter standing in for the .venv it installs.

    ``inner``: a Python list expression replacing demo's inner ``serve`` command.
    """
    return "\n".join(
        [
            "import sys",
            "from pathlib import Path",
            f"sys.path.insert(0, {str(DEV.parent)!r})",
            "import dev",
            "dev.ensure_venv = lambda extras, run_step: Path(sys.executable)",
            *([f"dev.serve_command = lambda python, args: {inner}"] if inner else []),
            'sys.exit(dev.main(["demo", *sys.argv[1:]]))',
        ]
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def can_listen_on(host: str) -> bool:
    try:
        free_port(host)
    except OSError:
        return False
    return True


def sandbox_env(folder: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "SANDBOX_DB": str(folder / "db.sqlite3"),
        "SANDBOX_MEDIA_ROOT": str(folder / "media"),
        "DJANGO_SETTINGS_MODULE": "sandbox.settings.dev",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("WSC_DB", "STRIPE_SECRET_KEY", "SANDBOX_ADMIN_PASSWORD"):
        env.pop(name, None)
    return env


def fetch(url: str) -> tuple[int, str]:
    """Status and body; any HTTP answer counts, a refused connection raises OSError."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def answers(url: str) -> bool:
    try:
        fetch(url)
    except OSError:
        return False
    return True


def process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process."""
    out = subprocess.run(
        ["ps", "-A", "-o", "pid=,ppid=,args="], capture_output=True, text=True, check=True
    ).stdout
    table = {}
    for line in out.splitlines():
        pid, ppid, args = [*line.split(None, 2), ""][:3]
        table[int(pid)] = (int(ppid), args)
    return table


def descendants(pid: int) -> dict[int, str]:
    table = process_table()
    found: dict[int, str] = {}
    parents = {pid}
    while parents:
        children = {p: args for p, (ppid, args) in table.items() if ppid in parents}
        found.update(children)
        parents = set(children)
    return found


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:  # a zombie has stopped; only its exit status is left
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class Command:
    """``tools/dev.py`` running in a session of its own, its output collected."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.lines.append("")  # the end
            self.changed.notify_all()

    @property
    def output(self) -> str:
        with self.changed:
            return "".join(self.lines)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = STARTUP) -> str:
        """The first group of the first line that matches, as soon as it is printed."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.changed:
            while True:
                for line in self.lines[seen:]:
                    if line == "":
                        raise AssertionError(f"ended before {pattern.pattern!r}:\n{self.output}")
                    if match := pattern.search(line):
                        return match.group(1)
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {pattern.pattern!r} in {timeout}s:\n{self.output}")
                self.changed.wait(left)

    def stop(self, signum: int, *, whole_group: bool = False) -> int:
        """Send ``signum`` (to dev.py alone, or as a terminal's Ctrl-C does to the group)."""
        if whole_group:
            os.killpg(self.proc.pid, signum)
        else:
            self.proc.send_signal(signum)
        return self.proc.wait(timeout=40)

    def kill_leftovers(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # all gone, as they should be
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def command() -> Iterator[type[Command]]:
    """Starts commands; whatever a failing test left running is killed afterwards."""
    started: list[Command] = []

    class Tracked(Command):
        def __init__(self, args: list[str], env: dict[str, str]) -> None:
            super().__init__(args, env)
            started.append(self)

    yield Tracked
    for cmd in started:
        cmd.kill_leftovers()


@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sandbox database with the demo shop in it, as a first start leaves it.

    Migrating a new database takes a while, so this is done once and copied.
    """
    folder = tmp_path_factory.mktemp("demo_shop")
    for step in (["migrate", "--no-input", "-v", "0"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *step],
            cwd=ROOT / "sandbox",
            env=sandbox_env(folder),
            check=True,
            capture_output=True,
        )
    return folder


@pytest.fixture
def sandbox(demo_shop: Path, tmp_path: Path) -> Path:
    """A copy of the demo shop's database and media for one test."""
    folder = tmp_path / "sandbox"
    shutil.copytree(demo_shop, folder)
    return folder


SITE_ADDRESS = (
    "from wagtail.models import Site\n"
    "site = Site.objects.get(is_default_site=True)\n"
    "print('site', site.hostname, site.port)"
)


def serve(*args: str) -> list[str]:
    return [sys.executable, str(DEV), "serve", *args]


def assert_all_stopped(children: dict[int, str]) -> None:
    left = {pid: args for pid, args in children.items() if running(pid)}
    assert not left, f"still running: {left}"


def edit_the_shop(folder: Path) -> None:
    """What an editor might change in the admin: a product's name and price, the shop's
    currency, the home page's title."""
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from decimal import Decimal\n"
            "from shop.models import HomePage\n"
            "from wagtail_stripe_checkout.models import Product, ShopSettings\n"
            "Product.objects.filter(sku='MUG-01').update(name='Speckled mug', price=Decimal(31))\n"
            "ShopSettings.objects.update(currency='EUR')\n"
            "HomePage.objects.update(title='Our little shop')\n",
        ],
        cwd=ROOT / "sandbox",
        env=sandbox_env(folder),
        check=True,
        capture_output=True,
    )


# A busy port ------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--port", "--stand-in-port"])
def test_serve_refuses_a_busy_port_before_migrating_anything(
    option: str, tmp_path: Path, command: type[Command]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ports = {"--port": free_port(), "--stand-in-port": 0, option: port}
        args = [f"{name}={number}" for name, number in ports.items()]
        cmd = command(serve(*args), sandbox_env(tmp_path))
        assert cmd.proc.wait(timeout=30) == 2
    assert f"Port {port} on 127.0.0.1 is in use" in cmd.output
    assert f"choose another with {option}" in cmd.output
    assert not (tmp_path / "db.sqlite3").exists()
    assert not (tmp_path / "media").exists()


def test_serve_refuses_one_port_for_both_servers(tmp_path: Path, command: type[Command]) -> None:
    port = str(free_port())
    cmd = command(serve("--port", port, "--stand-in-port", port), sandbox_env(tmp_path))
    assert cmd.proc.wait(timeout=30) == 2
    assert f"cannot share port {port}; change --stand-in-port" in cmd.output
    assert not (tmp_path / "db.sqlite3").exists()


def test_demo_refuses_a_busy_port_before_installing_anything(
    tmp_path: Path, command: type[Command]
) -> None:
    venv = tmp_path / "venv"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cmd = command(
            [sys.executable, str(DEV), "demo", "--port", str(port)],
            {**sandbox_env(tmp_path), "WSC_VENV": str(venv)},
        )
        assert cmd.proc.wait(timeout=30) == 2
    assert f"Port {port} on 127.0.0.1 is in use" in cmd.output
    assert "choose another with --port" in cmd.output
    assert not venv.exists()
    assert not (tmp_path / "db.sqlite3").exists()


# A session with serve ----------------------------------------------------------


def test_serve_answers_when_it_says_so_keeps_the_editors_changes_and_stops_everything(
    sandbox: Path, command: type[Command]
) -> None:
    env = sandbox_env(sandbox)
    port = str(free_port())
    edit_the_shop(sandbox)

    # A restart: the address answers as soon as it is printed, the change is kept.
    first = command(serve("--port", port), env)
    shop = first.wait_for(SHOP_AT)
    status, page = fetch(shop)
    assert (shop, status) == (f"http://127.0.0.1:{port}/", 200)
    # (runserver's own log of the poll's request reaches this pipe through another
    # process's buffer, so its order against the printed address is not asserted.)
    assert '"GET / HTTP/1.1" 200' in first.output
    assert "Speckled mug" in page and "€31.00" in page and "<h1>Our little shop</h1>" in page
    assert "Enamel mug" not in page
    assert "left as it is" in first.output
    assert fetch(shop + "admin/login/")[0] == 200
    stand_in = first.wait_for(STAND_IN_AT)
    assert stand_in.startswith("http://127.0.0.1:") and answers(stand_in + "/v1/products")
    children = descendants(first.proc.pid)
    assert sorted(
        "runserver" if "runserver" in args else "stand-in" if "testing" in args else args
        for args in children.values()
    ) == ["runserver", "stand-in"]
    assert first.stop(signal.SIGTERM) == 0  # kill's default
    assert_all_stopped(children)
    assert not answers(shop) and not answers(stand_in)
    # The site is where it was served: links made without a request (emails, buy
    # links, QR codes) lead there.
    site = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SITE_ADDRESS],
        cwd=ROOT / "sandbox",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    (line,) = [line for line in site.stdout.splitlines() if line.startswith("site ")]
    assert line == f"site 127.0.0.1 {port}"

    # --reset starts over from the demo data.
    second = command(serve("--port", port, "--reset"), env)
    page = fetch(second.wait_for(SHOP_AT))[1]
    assert "Enamel mug" in page and "$12.00" in page and "<h1>Sandbox shop</h1>" in page
    assert "Speckled mug" not in page and "Our little shop" not in page
    children = descendants(second.proc.pid)
    assert len(children) == 2, children
    assert second.stop(signal.SIGINT) == 0  # to dev.py alone, not as a terminal sends it
    assert_all_stopped(children)
    assert "Traceback" not in first.output + second.output


# demo --------------------------------------------------------------------------


def test_demo_passes_its_options_on_and_ctrl_c_stops_everything_it_started(
    sandbox: Path, command: type[Command]
) -> None:
    # 127.0.0.2 shows that nothing listens on 127.0.0.1 by accident (it is
    # loopback on Linux; elsewhere "localhost" at least shows the host is used).
    host = "127.0.0.2" if can_listen_on("127.0.0.2") else "localhost"
    port, stand_in_port = free_port(), free_port()
    cmd = command(
        [
            sys.executable,
            "-c",
            demo_script(),
            *("--host", host, "--port", str(port), "--stand-in-port", str(stand_in_port)),
        ],
        sandbox_env(sandbox),
    )
    shop = cmd.wait_for(SHOP_AT)
    assert shop == f"http://{host}:{port}/"
    assert answers(shop)  # 400 on 127.0.0.2: the sandbox's ALLOWED_HOSTS, not the tool
    stand_in = cmd.wait_for(STAND_IN_AT)
    assert stand_in == f"http://{host}:{stand_in_port}"
    assert answers(stand_in + "/v1/products")
    if host == "127.0.0.2":
        assert not answers(f"http://127.0.0.1:{stand_in_port}/v1/products")
        assert not answers(f"http://127.0.0.1:{port}/")
    started = descendants(cmd.proc.pid)
    assert len(started) == 3, started  # serve, and the stand-in and runserver under it
    before = len(cmd.output)
    assert cmd.stop(signal.SIGINT, whole_group=True) == 0
    assert_all_stopped(started)
    assert "Traceback" not in cmd.output[before:]


# A child that says when it starts, and which signal stopped it.
CHILD = """
import pathlib, signal, sys, time
def stop(signum, frame):
    pathlib.Path(sys.argv[1]).write_text(signal.Signals(signum).name)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
print("child started", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_demo_stops_its_child_when_it_is_stopped(
    signum: int, tmp_path: Path, command: type[Command]
) -> None:
    """What demo starts after installing (serve, here a stand-in for it) is stopped with it."""
    record = tmp_path / "stopped-by"
    inner = f"[str(python), '-c', {CHILD!r}, {str(record)!r}]"
    cmd = command(
        [sys.executable, "-c", demo_script(inner), "--port", str(free_port())],
        sandbox_env(tmp_path),
    )
    cmd.wait_for(re.compile("(child started)"), timeout=30)
    started = descendants(cmd.proc.pid)
    assert len(started) == 1, started
    assert cmd.stop(signum) == 0  # to demo alone
    assert record.read_text() == "SIGTERM"  # demo asked it to stop
    assert_all_stopped(started)


def load_dev() -> ModuleType:
    """tools/dev.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("dev_tool", DEV)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_passes_reset_on_to_serve() -> None:
    dev = load_dev()
    args, _ = dev.parse(["demo", "--port", "8001", "--reset"])
    assert dev.serve_command(Path("/venv/bin/python"), args)[1:] == [
        str(DEV),
        "serve",
        *("--host", "127.0.0.1", "--port", "8001", "--stand-in-port", "0", "--reset"),
    ]
    args, _ = dev.parse(["demo"])
    assert "--reset" not in dev.serve_command(Path("/venv/bin/python"), args)
