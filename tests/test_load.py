"""The load script, ``tools/load.py``, run small: 3 shoppers, 6 purchases, with
the emails sent in the webhook's request and then by a task worker.

It starts its own PostgreSQL database, two gunicorn servers with the cluster
settings on Redis and the Stripe stand-in as a process (and a ``db_worker``),
so the runs themselves need CI's postgres environments (WSC_DB=postgres
WSC_CACHE=redis), like ``tests/test_two_processes.py``. How it writes
``docs/performance.md`` is checked everywhere, on a copy.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.helpers import load_tool

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "load.py"


def load_script() -> ModuleType:
    return load_tool(SCRIPT, "wsc_load_script")


CLUSTER_MARKS = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get("WSC_DB") != "postgres" or os.environ.get("WSC_CACHE") != "redis",
        reason="needs PostgreSQL and Redis (WSC_DB=postgres WSC_CACHE=redis), as CI's tox "
        "postgres environments provide",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("gunicorn") is None, reason="needs gunicorn (test extra)"
    ),
]


def needs_cluster(test: Callable[[], None]) -> Callable[[], None]:
    """A test that runs the script: PostgreSQL, Redis and gunicorn."""
    for mark in CLUSTER_MARKS:
        test = mark(test)
    return test


def run_small_load(*options: str) -> dict:
    command = [sys.executable, str(SCRIPT), "--shoppers", "3", "--purchases", "6"]
    command += ["--time-limit", "60", "--json", *options]
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
    result: dict = json.loads(out)
    return result


@needs_cluster
def test_a_small_bounded_load_has_no_5xx_and_consistent_stock():
    result = run_small_load()

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
    # Where the CPU went, per paid purchase; no task worker without --tasks db.
    assert result["load"]["tasks"] == "immediate" and result["tasks"] is None
    assert result["cpu_ms_per_paid"]["app servers"] > 0
    assert result["cpu_ms_per_paid"]["PostgreSQL"] > 0
    assert result["worker_ms_per_paid"] >= result["steps"]["webhook"]["worker_p50_ms"]
    assert 0 < result["cores_busy"]["this_run"] <= result["cores_busy"]["machine"]
    assert "task workers" not in result["cpu_ms_per_paid"]


@needs_cluster
def test_with_a_task_worker_the_emails_are_sent_and_cancels_are_checked():
    result = run_small_load("--tasks", "db", "--cancel-share", "0.5")

    assert result["ok"] and all(check["ok"] for check in result["checks"])
    assert set(result["outcomes"]) <= {"paid", "cancelled", "sold out"}
    assert sum(result["outcomes"].values()) == 6
    paid, cancelled = result["outcomes"].get("paid", 0), result["outcomes"].get("cancelled", 0)
    assert paid + cancelled >= 1
    assert result["orders"].get("cancelled", 0) == cancelled
    # One email task per paid order, each run by the worker, none left in the queue.
    tasks = result["tasks"]
    assert tasks["workers"] == 1 and tasks["count"] == paid
    assert tasks["statuses"] == ({"SUCCESSFUL": paid} if paid else {})
    assert tasks["drained_seconds"] is not None
    assert any(c["name"].startswith("every task ran") for c in result["checks"])
    assert result["cpu_ms_per_paid"].get("task workers", 0) > 0 or not paid
    if cancelled:  # the shopper's way back from Stripe, timed on both sides
        assert result["steps"]["back (cancel)"]["count"] == cancelled
        assert result["steps"]["cancel"]["count"] == cancelled


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
            **{"commit": "abc1234", "working_tree_changed": True},
        },
        "load": {"shoppers": 2, "attempts": 4},
        "seconds": 3.0,
        "outcomes": {"paid": 4},
        "throughput": {
            "paid_per_second": 1.33,
            "shop_requests_per_second": 9.5,
            "shop_requests_per_paid": 7.1,
        },
        "worker_ms_per_paid": 410.2,
        "cpu_ms_per_paid": {"app servers": 61.4, "PostgreSQL": 12.0},
        "redis_commands_per_paid": 20.0,
        "cores_busy": {"cores": 2, "machine": 1.9, "this_run": 1.6, "other_processes": 0.3},
        "steps": {"home": {**step, "worker_p50_ms": 5.0, "worker_p95_ms": None}},
        "checks": [
            {"name": "no 5xx answered to shoppers", "ok": True, "detail": "0 5xx"},
            {
                "name": "Stripe asked the total the checkout page showed",
                "ok": False,
                "detail": "4 compared\n  cs_test_1: shown 3139, Stripe asked 18.40 | USD",
            },
        ],
    }

    script.write_docs(result)

    text = docs.read_text()
    assert text.startswith("# Performance\n\nBefore.\n<!-- load:start -->\n")
    assert text.endswith("<!-- load:end -->\nAfter.\n")
    assert "old" not in text
    assert "python tools/load.py --shoppers 2" in text
    assert "| home | shop | 4 | 10 | 20 | 5 | — |" in text
    assert "1.33 paid purchases per second" in text
    assert "commit `abc1234` with the working tree's changes." in text
    assert "7.1 shopper requests per paid purchase" in text
    assert "workers were busy 410 ms per paid purchase" in text
    assert "app servers 61 ms, PostgreSQL 12 ms" in text
    assert "2 cores were busy 1.90 on average: 1.60 with this run, 0.30 with other" in text
    # Every check with its result, a failed one too: one table row per check.
    assert "| no 5xx answered to shoppers | passed | 0 5xx |" in text
    assert (
        "| Stripe asked the total the checkout page showed | FAILED | 4 compared; "
        "cs_test_1: shown 3139, Stripe asked 18.40 \\| USD |"
    ) in text
    assert "1 of 2 checks passed; failed: Stripe asked the total" in text


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
