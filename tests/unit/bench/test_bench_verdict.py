"""bench/run.py: a side-by-side "faster" needs most interleaved pairs, not one lucky median."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)


def runs(*walls, rc=0):
    return {"wall_samples": list(walls), "rc": rc}


def side_by_side_row(tool, walls, phase="rerun", strategy="linear", reads=3, writes=0):
    """A merged (median) row of bench.run for the side-by-side section, at 0 ms."""
    return {
        "section": "side_by_side", "scenario": "ce+jq+jd", "phase": phase, "tool": tool, "strategy": strategy,
        "latency_ms": 0, "wall_s": sorted(walls)[len(walls) // 2], "wall_samples": walls, "cpu_s": 1.0,
        "tasks": 3, "changed": 0, "reads": reads, "writes": writes, "rc": 0, "calls": {}, "repetitions": len(walls),
    }  # fmt: skip


@pytest.mark.parametrize(
    "ours, theirs, verdict, faster_in",
    [
        (runs(3.0, 3.1, 3.2, 3.0, 2.9), runs(3.3, 3.4, 3.3, 3.5, 3.2), "faster", 5),
        (runs(3.0, 3.1, 3.6, 3.0, 2.9), runs(3.3, 3.4, 3.3, 3.5, 3.2), "faster", 4),  # 4 of 5 is two thirds
        (runs(3.0, 3.5, 3.6, 3.0, 2.9), runs(3.3, 3.4, 3.3, 3.5, 3.2), "tie", 3),  # 3 of 5 is not
        (runs(3.6, 3.5, 3.6, 3.7, 3.3), runs(3.3, 3.4, 3.3, 3.5, 3.2), "slower", 0),
        (runs(3.0, 3.9), runs(3.3, 3.4), "tie", 1),
        (runs(3.0, 3.1), runs(3.3, 3.4), "faster", 2),
    ],
)
def test_paired_verdict(ours, theirs, verdict, faster_in):
    result = bench_run.paired_comparison(ours, theirs)
    assert (result["verdict"], result["faster_in"]) == (verdict, faster_in)
    assert len(result["ratios"]) == len(ours["wall_samples"])


@pytest.mark.parametrize("failed", ["ours", "theirs"])
def test_a_failed_run_is_never_faster(failed):
    ours, theirs = runs(2.0, 2.0, rc=2 if failed == "ours" else 0), runs(3.0, 3.0, rc=2 if failed == "theirs" else 0)
    assert bench_run.paired_comparison(ours, theirs)["verdict"] == "n/a"


def test_a_better_median_alone_is_not_faster():
    """Ours has the lower median, but theirs won the pairs that ran at the same moment: a tie."""
    ours = runs(3.0, 3.0, 4.4, 4.4, 4.4)
    theirs = runs(2.9, 2.9, 4.5, 4.5, 2.8)
    assert sorted(ours["wall_samples"])[2] > sorted(theirs["wall_samples"])[2]  # medians: 4.4 vs 2.9
    result = bench_run.paired_comparison(ours, theirs)
    assert result["verdict"] == "tie" and result["faster_in"] == 2


def test_targets_use_the_pairs_and_print_ties():
    rows = [
        side_by_side_row(bench_run.OURS, [3.0, 3.0, 3.0]),
        side_by_side_row(bench_run.OURS_NO_WAIT, [3.0, 3.6, 3.3]),  # won, lost, even
        side_by_side_row(bench_run.THEIRS, [3.3, 3.3, 3.3], reads=6, writes=2),
    ]
    targets = {t["target"]: t for t in bench_run.analyse(rows)["targets"]}
    default = targets["our rerun, wait: true (default), is faster than community.aws's at 0 ms"]
    assert default["met"] is True and "faster in 3 of 3 interleaved pairs" in default["measured"]
    no_wait = targets["our rerun, wait: false, is faster than community.aws's at 0 ms"]
    assert (no_wait["met"], no_wait["mark"]) == (False, "TIE ")
    versions = {"cpus": 2, "load_average_at_start": 0.1, "ansible-core": "x", "moto": "y"}
    printed = bench_run.report(
        {"rows": rows, "analysis": bench_run.analyse(rows), "started": "now", "versions": versions}
    )
    assert re.search(r"^TIE\s+our rerun, wait: false", printed, re.M)
    assert re.search(r"^MET\s+our rerun, wait: true", printed, re.M)


def test_mitogen_rows_of_both_tools_are_compared_with_each_other_not_with_linear():
    rows = [
        side_by_side_row(bench_run.OURS, [3.0, 3.0, 3.0]),
        side_by_side_row(bench_run.THEIRS, [2.0, 2.0, 2.0]),
        side_by_side_row(bench_run.OURS, [2.0, 2.0, 2.0], strategy="mitogen_linear"),
        side_by_side_row(bench_run.THEIRS, [2.5, 2.5, 2.5], strategy="mitogen_linear"),
    ]
    entries = bench_run.analyse(rows)["side_by_side"]
    linear = [e for e in entries if "Mitogen" not in e["ours_variant"]]
    both = [e for e in entries if e["ours_variant"] == "wait: true (default), both Mitogen"]
    assert [(e["ours"]["wall_s"], e["theirs"]["wall_s"], e["paired"]["verdict"]) for e in linear] == [
        (3.0, 2.0, "slower")
    ]
    assert [(e["ours"]["wall_s"], e["theirs"]["wall_s"], e["paired"]["verdict"]) for e in both] == [
        (2.0, 2.5, "faster")
    ]
