"""``tools/bench.py``: a quick run reports every scenario with its fields, and the
statistics and the docs writer are right.

Timings are never asserted: they belong to the machine (and to whatever else it
is doing). The quick run is a real one: its own throwaway database, the
offline Stripe stand-in, a live server for the load test.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.helpers import load_tool

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "tools" / "bench.py"


def load_bench() -> ModuleType:
    return load_tool(BENCH, "wsc_bench")


bench = load_bench()

SCENARIOS = {
    "baseline",
    "header_empty",
    "header_3",
    "cart_1",
    "cart_10",
    "cart_50",
    "cart_200",
    "add_form",
    "add_json",
    "grid_10",
    "grid_1",
    "checkout_1",
    "checkout_3",
    "checkout_20",
    "sale_webhook_first",
    "sale_return_first",
    "webhook",
    "webhook_load",
    "orders_list_small",
    "orders_list_large",
    "export_small",
    "export_large",
}
WITH_TARGET = {
    "header_3",
    "cart_50",
    "cart_200",
    "add_form",
    "add_json",
    "grid_10",
    "checkout_3",
    "checkout_20",
    "sale_webhook_first",
    "sale_return_first",
    "webhook",
    "webhook_load",
    "orders_list_large",
    "export_large",
}
WITH_STRIPE = {
    "checkout_1",
    "checkout_3",
    "checkout_20",
    "sale_webhook_first",
    "sale_return_first",
    "webhook",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(out.read_text()), done.stdout


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in report["scenarios"]}


def test_quick_run_reports_every_scenario_once(quick_run):
    report, _ = quick_run
    ids = [s["id"] for s in report["scenarios"]]
    assert sorted(ids) == sorted(SCENARIOS)
    assert report["quick"] is True
    assert report["machine"]["cores"] >= 1
    assert report["machine"]["database"].split()[0] in ("SQLite", "PostgreSQL")


def test_every_scenario_has_sane_numbers(quick_run):
    report, _ = quick_run
    for s in report["scenarios"]:
        assert s["name"], s
        assert s["ratio"] > 0, s
        assert isinstance(s["queries"], int) and s["queries"] > 0, s
        low, high = s["queries_range"]
        assert low <= s["queries"] <= high, s
        assert 0 < s["p10"] <= s["median"] <= s["p90"], s
        assert s["unit"] == ("req/s" if s["id"] == "webhook_load" else "ms")
    assert by_id(report)["baseline"]["ratio"] == 1.0


def test_targets_are_judged_where_they_exist(quick_run):
    report, _ = quick_run
    for s in report["scenarios"]:
        if s["id"] in WITH_TARGET:
            assert s["target"] and isinstance(s["met"], bool), s
        else:
            assert s["target"] is None and s["met"] is None, s


def test_stripe_calls_are_counted_where_stripe_is_involved(quick_run):
    scenarios = by_id(quick_run[0])
    for sid, s in scenarios.items():
        assert ("stripe_calls" in s) == (sid in WITH_STRIPE), s
    for lines in (1, 3, 20):  # each checkout POST creates one Checkout Session
        assert scenarios[f"checkout_{lines}"]["stripe_calls"] == 1
    assert scenarios["sale_webhook_first"]["stripe_calls"] >= 1
    assert scenarios["sale_return_first"]["stripe_calls"] >= 1
    assert scenarios["webhook"]["stripe_ms"] >= 0


def test_the_load_test_and_the_export_report_their_own_measures(quick_run):
    scenarios = by_id(quick_run[0])
    load = scenarios["webhook_load"]
    assert load["trivial_rps"] > 0 and load["concurrency"] >= 2
    small, large = scenarios["export_small"], scenarios["export_large"]
    assert 0 < small["orders"] < large["orders"]
    assert small["peak_mb"] > 0 and large["peak_mb"] > 0


def test_the_table_names_every_scenario(quick_run):
    report, printed = quick_run
    for s in report["scenarios"]:
        assert s["name"] in printed
    assert "targets met" in printed


# The statistics ----------------------------------------------------------------------


def test_percentile_interpolates_between_the_closest_ranks():
    assert bench.percentile([4, 1, 3, 2], 50) == 2.5
    assert bench.percentile(list(range(1, 12)), 10) == 2
    assert bench.percentile([1, 2], 90) == pytest.approx(1.9)
    assert bench.percentile([7], 10) == bench.percentile([7], 90) == 7
    assert bench.percentile([3, 1, 2], 0) == 1 and bench.percentile([3, 1, 2], 100) == 3


def test_percentile_refuses_no_values_and_a_rank_out_of_range():
    with pytest.raises(ValueError):
        bench.percentile([], 50)
    with pytest.raises(ValueError):
        bench.percentile([1.0], 101)


def test_spread_is_the_median_and_the_10th_and_90th_percentiles():
    spread = bench.Spread.of([float(n) for n in range(1, 12)])
    assert (spread.median, spread.p10, spread.p90) == (6, 2, 10)
    assert spread.scaled(1000).median == 6000


def test_ratios_pair_each_repetition_with_its_own_baseline():
    assert bench.paired_ratios([2.0, 3.0, 6.0], [1.0, 3.0, 2.0]) == [2.0, 1.0, 3.0]
    with pytest.raises(ValueError):
        bench.paired_ratios([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        bench.paired_ratios([1.0], [0.0])


def test_the_median_of_ratios_is_not_the_ratio_of_medians():
    # A slow moment hits both sides of one repetition: pairing cancels it out.
    values, baselines = [2.0, 2.0, 20.0], [1.0, 1.0, 10.0]
    assert statistics.median(bench.paired_ratios(values, baselines)) == 2.0


def test_most_common_prefers_the_larger_of_equally_frequent_counts():
    assert bench.most_common([8, 8, 9, 9, 7]) == 9
    assert bench.most_common([10, 10, 11]) == 10
    with pytest.raises(ValueError):
        bench.most_common([])


def test_own_time_leaves_stripe_out():
    sample = bench.Sample(seconds=0.05, queries=3, stripe_seconds=0.02, stripe_calls=1)
    assert sample.own == pytest.approx(0.03)


# The docs page -----------------------------------------------------------------------------

PAGE = """# Performance

Intro.

<!-- bench:start -->
Not measured yet.
<!-- bench:end -->

<!-- load:start -->
load numbers
<!-- load:end -->

## Deployment sizing
"""


def test_write_docs_replaces_only_its_own_backends_block(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text(PAGE)
    bench.write_docs(page, "postgresql-redis", "PG one\n")
    bench.write_docs(page, "sqlite-locmem", "SQLite one\n")
    bench.write_docs(page, "sqlite-locmem", "SQLite two\n")
    text = page.read_text()
    assert "SQLite two" in text and "SQLite one" not in text and "PG one" in text
    assert "Not measured yet." not in text
    assert text.index("SQLite two") < text.index("PG one")  # SQLite first, whatever the order
    before, _, after = PAGE.partition("<!-- bench:start -->")
    assert text.startswith(before)
    assert text.endswith(after.partition("<!-- bench:end -->")[2])


def test_write_docs_refuses_a_page_without_its_markers(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n")
    with pytest.raises(bench.BenchError):
        bench.write_docs(page, "sqlite-locmem", "numbers\n")
    assert page.read_text() == "# Performance\n"


def test_only_a_full_run_writes_the_docs():
    assert bench.writes_docs(bench.parse([]))
    assert not bench.writes_docs(bench.parse(["--quick"]))
    assert not bench.writes_docs(bench.parse(["--no-docs"]))
