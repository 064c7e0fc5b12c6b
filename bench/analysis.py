"""`make bench`: what the measured rows mean (medians, paired verdicts, targets); no I/O."""

import json
import math
import statistics

SIDE_BY_SIDE_RESOURCES = 3  # compute environment, job queue, job definition
OURS = "ondemand.batch"
OURS_NO_WAIT = "ondemand.batch wait=false"  # the same playbook with wait: false (bench_wait)
THEIRS = "community.aws"
SIDE_BY_SIDE_TOOLS = (OURS, OURS_NO_WAIT, THEIRS)
# What each of our rows means, for the tables.
OURS_VARIANTS = {OURS: "wait: true (default)", OURS_NO_WAIT: "wait: false"}


def median_rows(rows):
    """Group identical measurements (repetitions) and keep their median wall time; calls from the last one."""
    groups = {}
    for row in rows:
        key = (row["section"], row["scenario"], row["phase"], row["tool"], row["strategy"], row["latency_ms"])
        groups.setdefault(key, []).append(row)
    out = []
    for group in groups.values():
        merged = dict(group[-1])
        merged["wall_s"] = round(statistics.median(r["wall_s"] for r in group), 2)
        merged["wall_samples"] = [r["wall_s"] for r in group]
        merged["cpu_s"] = round(statistics.median(r["cpu_s"] for r in group), 2)
        merged["repetitions"] = len(group)
        merged["reads"] = max(r["reads"] for r in group)
        merged["writes"] = max(r["writes"] for r in group)
        merged["rc"] = max(r["rc"] for r in group)
        out.append(merged)
    return out


def find(rows, **match):
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return round(a / b, 2)


def paired_comparison(ours, theirs):
    """Ours against theirs, repetition by repetition.

    Repetition i of both ran back to back (interleaved), so their ratio is little affected by the load
    changes that move single runs by 10-20 % on a shared machine. "faster" (or "slower") needs ours to be
    faster (slower) in at least two thirds of the pairs; anything else is a tie within this machine's noise.
    A failed run compares with nothing.
    """
    pairs = list(zip(ours["wall_samples"], theirs["wall_samples"], strict=False))
    ratios = [round(a / b, 3) for a, b in pairs if b]
    if not ratios or ours["rc"] != 0 or theirs["rc"] != 0:
        return {"verdict": "n/a", "ratios": [], "faster_in": 0}
    needed = math.ceil(2 * len(ratios) / 3)
    faster_in = sum(r < 1 for r in ratios)
    if faster_in >= needed:
        verdict = "faster"
    elif sum(r > 1 for r in ratios) >= needed:
        verdict = "slower"
    else:
        verdict = "tie"
    return {
        "verdict": verdict,
        "ratios": ratios,
        "median_ratio": round(statistics.median(ratios), 2),
        "faster_in": faster_in,
    }


def side_by_side_entry(phase, latency, tool, ours, theirs, label=None):
    """One row of the side-by-side table: our run (``tool``: which wait) against community.aws's."""
    keys = ("wall_s", "cpu_s", "tasks", "changed", "reads", "writes", "rc")
    return {
        "phase": phase,
        "latency_ms": latency,
        "ours_variant": label or OURS_VARIANTS[tool],
        "ours": {k: ours[k] for k in keys},
        "theirs": {k: theirs[k] for k in keys},
        "theirs_error": theirs.get("error"),
        "wall_ratio": ratio(ours["wall_s"], theirs["wall_s"]) if theirs["rc"] == 0 else None,
        "cpu_ratio": ratio(ours["cpu_s"], theirs["cpu_s"]) if theirs["rc"] == 0 else None,
        "paired": paired_comparison(ours, theirs),
        "calls_ratio": ratio(ours["reads"] + ours["writes"], theirs["reads"] + theirs["writes"])
        if theirs["rc"] == 0
        else None,
    }


def analyse(rows):
    analysis = {"side_by_side": [], "targets": [], "scale": None, "mitogen": []}

    def target(name, ok, measured, mark=None):
        analysis["targets"].append({"target": name, "met": bool(ok), "measured": measured, "mark": mark})

    phases = ("cold", "rerun", "check")
    latencies = sorted({r["latency_ms"] for r in rows if r["section"] == "side_by_side"})
    for latency in latencies:
        common = {"section": "side_by_side", "latency_ms": latency}
        ours_by_variant = {
            tool: {p: find(rows, tool=tool, phase=p, strategy="linear", **common) for p in phases}
            for tool in (OURS, OURS_NO_WAIT)
        }
        ours_t = ours_by_variant[OURS]
        theirs_t = {p: find(rows, tool=THEIRS, phase=p, strategy="linear", **common) for p in phases}
        entries = {}  # (tool, phase) -> its side-by-side entry, for the targets below
        for phase in phases:
            for tool, variant in ours_by_variant.items():
                ours, theirs = variant[phase], theirs_t[phase]
                if not ours or not theirs:
                    continue
                entries[tool, phase] = side_by_side_entry(phase, latency, tool, ours, theirs)
                analysis["side_by_side"].append(entries[tool, phase])
        mitogen = {
            tool: {p: find(rows, tool=tool, phase=p, strategy="mitogen_linear", **common) for p in phases}
            for tool in (OURS, THEIRS)
        }
        for phase in ("cold", "rerun"):
            ours, theirs = mitogen[OURS][phase], mitogen[THEIRS][phase]
            if ours and theirs:
                label = f"{OURS_VARIANTS[OURS]}, both Mitogen"
                analysis["side_by_side"].append(side_by_side_entry(phase, latency, OURS, ours, theirs, label=label))
        at = f" at {latency} ms"
        rerun = ours_t["rerun"]
        if rerun and latency == latencies[0]:
            target(
                "no-change re-run makes zero write calls (side by side)",
                rerun["writes"] == 0,
                f"{rerun['writes']} writes",
            )
            per = rerun["reads"] / SIDE_BY_SIDE_RESOURCES
            target(
                "no-change re-run: at most 2 reads per resource",
                per <= 2,
                f"{rerun['reads']} reads / {SIDE_BY_SIDE_RESOURCES} resources = {per:.2f}",
            )
            if theirs_t["rerun"]:
                target(
                    "(community.aws) no-change re-run writes, for reference",
                    True,
                    f"{theirs_t['rerun']['writes']} writes: "
                    + ", ".join(k for k in theirs_t["rerun"]["calls"] if not is_read(k)),
                )
        for tool in ours_by_variant:
            for phase in ("rerun", "cold"):
                entry = entries.get((tool, phase))
                if entry:
                    paired = entry["paired"]
                    pairs = len(paired["ratios"])
                    target(
                        f"our {phase}, {OURS_VARIANTS[tool]}, is faster than community.aws's{at}",
                        paired["verdict"] == "faster",
                        f"{entry['ours']['wall_s']}s vs {entry['theirs']['wall_s']}s (medians); ours faster in "
                        f"{paired['faster_in']} of {pairs} interleaved pairs, ratio {paired.get('median_ratio')} "
                        f"({min(paired['ratios'], default='-')}-{max(paired['ratios'], default='-')})",
                        mark="TIE " if paired["verdict"] == "tie" else None,
                    )
        if ours_t["check"] and latency == latencies[0]:
            target(
                "--check on an empty account makes zero write calls and succeeds",
                ours_t["check"]["writes"] == 0 and ours_t["check"]["rc"] == 0,
                f"rc {ours_t['check']['rc']}, {ours_t['check']['writes']} writes",
            )
    stack_rerun = find(rows, section="stack", phase="rerun", latency_ms=0)
    if stack_rerun:
        target(
            "dev stack: no-change re-run makes zero write calls",
            stack_rerun["writes"] == 0,
            f"{stack_rerun['writes']} writes, {stack_rerun['changed']} changed",
        )
    stack_check = find(rows, section="stack", phase="check", latency_ms=0)
    if stack_check:
        target(
            "dev stack: --check on an empty account makes zero write calls",
            stack_check["writes"] == 0,
            f"{stack_check['writes']} writes, rc {stack_check['rc']}",
        )

    scale = [r for r in rows if r["section"] == "scale" and r["phase"] == "rerun" and r["strategy"] == "linear"]
    if len(scale) >= 2:
        scale.sort(key=lambda r: r["resources"])
        small, large = scale[0], scale[-1]
        added = large["resources"] - small["resources"]
        per_resource_s = (large["wall_s"] - small["wall_s"]) / added
        calls_by_op = {}
        for row in scale:
            for op, n in row["calls"].items():
                calls_by_op.setdefault(op, {})[row["resources"]] = n
        per_resource_calls = {
            op: round((by.get(large["resources"], 0) - by.get(small["resources"], 0)) / added, 2)
            for op, by in calls_by_op.items()
        }
        # A call that grows with the number of job definitions but is not about one job definition.
        per_item_ops = {
            "batch:DescribeJobDefinitions",
            "batch:RegisterJobDefinition",
            "batch:DeregisterJobDefinition",
            "batch:TagResource",
            "batch:UntagResource",
        }
        repeated = {op: v for op, v in per_resource_calls.items() if v > 0 and op not in per_item_ops}
        steps = []
        for a, b in zip(scale, scale[1:], strict=False):
            steps.append(round((b["wall_s"] - a["wall_s"]) / (b["resources"] - a["resources"]), 3))
        analysis["scale"] = {
            "rerun_wall_s": {r["resources"]: r["wall_s"] for r in scale},
            "rerun_calls": {r["resources"]: r["reads"] + r["writes"] for r in scale},
            "per_added_resource_s": round(per_resource_s, 3),
            "per_added_resource_s_by_step": steps,
            "per_added_resource_calls": per_resource_calls,
            "calls_repeated_per_resource_that_could_be_made_once": repeated,
        }
        target(
            "scale: no call repeated per resource that could be made once", not repeated, json.dumps(per_resource_calls)
        )
        target(
            "scale: re-run makes zero writes at every size",
            all(r["writes"] == 0 for r in scale),
            ", ".join(f"{r['resources']}: {r['writes']}" for r in scale),
        )

    for row in rows:
        if row["strategy"] != "mitogen_linear":
            continue
        base = find(
            rows,
            section="stack" if row["section"] == "mitogen" else row["section"],
            scenario=row["scenario"],
            phase=row["phase"],
            tool=row["tool"],
            strategy="linear",
            latency_ms=row["latency_ms"],
        )
        if base:
            analysis["mitogen"].append(
                {
                    "scenario": row["scenario"],
                    "phase": row["phase"],
                    "tool": row["tool"],
                    "linear_s": base["wall_s"],
                    "mitogen_s": row["wall_s"],
                    "ratio": ratio(row["wall_s"], base["wall_s"]),
                    "mitogen_rc": row["rc"],
                    "mitogen_error": row.get("error"),
                    "same_calls": (row["reads"], row["writes"]) == (base["reads"], base["writes"]),
                }
            )
    return analysis


def is_read(operation):
    op = operation.split(":", 1)[-1]
    return op.startswith(("Describe", "List", "Get", "BatchGet", "Head", "Lookup"))
