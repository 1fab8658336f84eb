"""The load script, ``tools/load.py``, run small: 3 shoppers, 6 purchases.

It starts its own PostgreSQL database, two gunicorn servers with the cluster
settings on Redis and the Stripe stand-in as a process, so the run itself
needs CI's postgres environments (WSC_DB=postgres WSC_CACHE=redis), like
``tests/test_two_processes.py``. How it writes ``docs/performance.md`` is
checked everywhere, on a copy.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "load.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wsc_load_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.postgres
@pytest.mark.skipif(
    os.environ.get("WSC_DB") != "postgres" or os.environ.get("WSC_CACHE") != "redis",
    reason="needs PostgreSQL and Redis (WSC_DB=postgres WSC_CACHE=redis), as CI's tox "
    "postgres environments provide",
)
@pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None, reason="needs gunicorn (test extra)"
)
def test_a_small_bounded_load_has_no_5xx_and_consistent_stock():
    command = [sys.executable, str(SCRIPT), "--shoppers", "3", "--purchases", "6"]
    command += ["--time-limit", "60", "--json"]
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # it stops its servers and drops its database
        out, err = proc.communicate(timeout=60)
        pytest.fail(f"tools/load.py did not stop by itself:\n{err[-5000:]}")
    assert proc.returncode == 0, err[-8000:]
    result = json.loads(out)

    assert result["ok"] and all(check["ok"] for check in result["checks"])
    assert result["server_errors"] == 0
    statuses = {s for step in result["steps"].values() for s in step["statuses"]}
    assert not any(s.startswith("5") or s == "0" for s in statuses), statuses
    # Every attempt was bought (or found its product sold out); none failed.
    assert result["load"]["attempts"] == 6
    assert result["outcomes"].get("paid", 0) >= 1
    assert set(result["outcomes"]) <= {"paid", "sold out"}
    assert sum(result["outcomes"].values()) == 6
    assert result["orders"].get("paid") == result["outcomes"]["paid"]
    # The demo's three limited products: initial − paid − reserved = current.
    assert set(result["stock"]) == {"MUG-01", "BEANIE-01", "POSTER-01"}
    for sku, figures in result["stock"].items():
        assert figures["consistent"], (sku, figures)
        assert figures["initial"] - figures["paid"] - figures["reserved"] == figures["current"]
    # Each step of a purchase was timed, and the webhook was seen by the servers.
    for step in ("home", "add", "cart", "checkout", "pay button", "pay", "result", "webhook"):
        assert result["steps"][step]["count"] >= 1, step
    assert result["steps"]["webhook"]["count"] == result["outcomes"]["paid"]


def test_the_figures_replace_only_the_text_between_the_markers(tmp_path, monkeypatch):
    script = load_script()
    docs = tmp_path / "performance.md"
    docs.write_text(
        "# Performance\n\nBefore.\n<!-- load:start -->\nold\n<!-- load:end -->\nAfter.\n"
    )
    monkeypatch.setattr(script, "DOCS", docs)
    monkeypatch.setattr(script, "ROOT", tmp_path)
    step = {"server": "shop", "count": 4, "p50_ms": 10.0, "p95_ms": 20.0, "max_ms": 30.0}
    result = {
        "date": "2026-01-02",
        "command": "python tools/load.py --shoppers 2",
        "machine": {
            **dict.fromkeys(("cpu", "os", "python", "django", "wagtail", "gunicorn"), "x"),
            **{"cores": 2, "memory_gib": 4, "postgres": "16", "redis": "7"},
            **{"servers": 2, "workers_per_server": 2, "load_average_before": 0.5},
        },
        "load": {"shoppers": 2, "attempts": 4},
        "seconds": 3.0,
        "outcomes": {"paid": 4},
        "throughput": {"paid_per_second": 1.33, "shop_requests_per_second": 9.5},
        "steps": {"home": {**step, "worker_p50_ms": 5.0, "worker_p95_ms": None}},
        "checks": [{"name": "no 5xx answered to shoppers", "ok": True, "detail": "0 5xx"}],
    }

    script.write_docs(result)

    text = docs.read_text()
    assert text.startswith("# Performance\n\nBefore.\n<!-- load:start -->\n")
    assert text.endswith("<!-- load:end -->\nAfter.\n")
    assert "old" not in text
    assert "python tools/load.py --shoppers 2" in text
    assert "| home | shop | 4 | 10 | 20 | 5 | — |" in text
    assert "1.33 paid purchases per second" in text


@pytest.mark.parametrize(
    "content", [None, "# Performance\n", "<!-- load:start -->\nno end marker\n"]
)
def test_write_docs_refuses_a_missing_file_or_missing_markers(tmp_path, monkeypatch, content):
    script = load_script()
    docs = tmp_path / "performance.md"
    if content is not None:
        docs.write_text(content)
    monkeypatch.setattr(script, "DOCS", docs)
    monkeypatch.setattr(script, "ROOT", tmp_path)

    with pytest.raises(script.CannotRun, match="--write-docs"):
        script.docs_markers()
    # Before any load starts, and without creating or changing the file.
    assert script.main(["--write-docs"]) == 2
    assert (docs.read_text() if docs.exists() else None) == content
