"""`make bench`: what the measured rows mean (medians, paired verdicts, targets); no I/O."""

import json
import math
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SIDE_BY_SIDE_RESOURCES = 3  # compute environment, job queue, job definition
OURS = "ondemand.batch"
OURS_NO_WAIT = "ondemand.batch wait=false"  # the same playbook with wait: false (bench_wait)
THEIRS = "community.aws"
SIDE_BY_SIDE_TOOLS = (OURS, OURS_NO_WAIT, THEIRS)
# What each of our rows means, for the tables.
OURS_VARIANTS = {OURS: "wait: true (default)", OURS_NO_WAIT: "wait: false"}

# Scale: the sizes measured, and the shapes (families) of the rows.
JD_COUNTS = (1, 10, 50, 200)  # job definitions: the stack, the list module in one task, the single module in a loop
SCHEDULE_COUNTS = (1, 10, 50)  # schedules: likewise
STACK_JDS = "stack, N job definitions"
STACK_SCHEDULES = "stack, N schedules"
LIST = "job_definitions, one task"
LOOP = "job_definition, loop"
SCHEDULES_LIST = "job_schedules, one task"
SCHEDULES_LOOP = "job_schedule, loop"
# The list form and the loop of the same kind, side by side in the report.
LIST_AND_LOOP = ((LIST, LOOP), (SCHEDULES_LIST, SCHEDULES_LOOP))
LOCAL_STACK = "local stack"
IAM_ROLE = "amazon.aws.iam_role"
# Calls about one resource: they may grow with the count (no API reads several at once, or a write per change).
PER_ITEM_OPS = {
    "batch:DescribeJobDefinitions",
    "batch:RegisterJobDefinition",
    "batch:DeregisterJobDefinition",
    "batch:TagResource",
    "batch:UntagResource",
}
PER_SCHEDULE_OPS = {  # EventBridge reads one rule (its targets, its tags) a call
    "events:DescribeRule",
    "events:ListTargetsByRule",
    "events:ListTagsForResource",
    "events:PutRule",
    "events:PutTargets",
    "events:TagResource",
    "events:UntagResource",
}

# The goals (issue 13).
RERUN_GOALS = ((50, 1.5), (200, 2))  # re-run of N job definitions at most x times the re-run of 1
MAX_STACK_TASKS = 40  # tasks of the local stack's no-change re-run
BASELINE_SPEED_UP = 2  # the local stack's no-change re-run against the baseline's, at 0 and at 50 ms


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
        merged["processes"] = max(r.get("processes", 0) for r in group)
        task_s = [r["task_s"] for r in group if r.get("task_s") is not None]
        if task_s:
            merged["task_s"] = round(statistics.median(task_s), 2)
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
    analysis = {
        "side_by_side": [],
        "targets": [],
        "scale": {},
        "list_and_loop": [],
        "stack_baseline": [],
        "iam_role": None,
        "mitogen": [],
    }

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
    analyse_stack(rows, analysis, target)
    analyse_scale(rows, analysis, target)
    analyse_iam_role(rows, analysis)
    analyse_mitogen(rows, analysis, target)
    return analysis


# --------------------------------------------------------------------------------------------- goals by pairs
def paired_limit(numerator, denominator, limit):
    """Is ``numerator``'s wall time at most ``limit`` times ``denominator``'s?

    Both rows ran ``n`` times, interleaved: repetition i of each ran back to back, so their ratio is little moved by
    the load changes that move single runs on a shared machine. Met when the ratio of the medians is within the limit
    and so are at least two thirds of the pairs; a failed run meets nothing.
    """
    pairs = list(zip(numerator["wall_samples"], denominator["wall_samples"], strict=False))
    ratios = [round(a / b, 3) for a, b in pairs if b]
    median_ratio = ratio(numerator["wall_s"], denominator["wall_s"])
    within = sum(r <= limit for r in ratios)
    ok = numerator["rc"] == 0 and denominator["rc"] == 0 and bool(ratios)
    met = ok and median_ratio is not None and median_ratio <= limit and within >= math.ceil(2 * len(ratios) / 3)
    return {"met": met, "median_ratio": median_ratio, "ratios": ratios, "within": within, "pairs": len(ratios)}


def describe_pairs(paired, limit):
    return (
        f"ratio of medians {paired['median_ratio']}, within {limit} in {paired['within']} of {paired['pairs']} "
        f"interleaved pairs ({min(paired['ratios'], default='-')}-{max(paired['ratios'], default='-')})"
    )


def read_limit(job_definitions):
    """The issue's bound on the reads of N job definitions: one per hundred (the Describe page), plus one."""
    return math.ceil(job_definitions / 100) + 1


def job_definition_reads(row):
    return row["calls"].get("batch:DescribeJobDefinitions", 0)


# --------------------------------------------------------------------------------------------- the local stack
def analyse_stack(rows, analysis, target):
    stack = [r for r in rows if r["section"] == "stack" and r["strategy"] == "linear"]
    if not stack:
        return
    ours_rerun = find(stack, tool=OURS, phase="rerun", latency_ms=0)
    if ours_rerun:
        target(
            f"local stack: no-change re-run runs at most {MAX_STACK_TASKS} tasks",
            ours_rerun["rc"] == 0 and ours_rerun["tasks"] <= MAX_STACK_TASKS,
            f"{ours_rerun['tasks']} tasks ({ours_rerun['skipped']} skipped), "
            f"{ours_rerun['processes']} module processes",
        )
        target(
            "local stack: no-change re-run makes zero write calls",
            ours_rerun["rc"] == 0 and ours_rerun["writes"] == 0,
            f"{ours_rerun['writes']} writes, {ours_rerun['changed']} changed",
        )
    check = find(stack, tool=OURS, phase="check", latency_ms=0)
    if check:
        target(
            "local stack: --check on an empty account makes zero write calls",
            check["rc"] == 0 and check["writes"] == 0,
            f"{check['writes']} writes, rc {check['rc']}",
        )
    baselines = sorted({r["tool"] for r in stack if r["tool"].startswith("baseline ")})
    if ours_rerun and not baselines:
        target(
            f"local stack: no-change re-run at least {BASELINE_SPEED_UP}x faster than the baseline at 0 and 50 ms",
            False,
            "not measured: no baseline (make bench BASELINE=<ref>)",
            mark="N/A ",
        )
    for baseline in baselines:
        for latency in sorted({r["latency_ms"] for r in stack if r["tool"] == baseline}):
            for phase in ("cold", "rerun"):
                ours = find(stack, tool=OURS, phase=phase, latency_ms=latency)
                theirs = find(stack, tool=baseline, phase=phase, latency_ms=latency)
                if not ours or not theirs:
                    continue
                paired = paired_limit(ours, theirs, 1 / BASELINE_SPEED_UP)
                entry = {
                    "phase": phase,
                    "latency_ms": latency,
                    "baseline": baseline,
                    "ours": ours,
                    "theirs": theirs,
                    "speed_up": ratio(theirs["wall_s"], ours["wall_s"]),
                    "paired": paired,
                    "won": paired_comparison(ours, theirs),
                }
                analysis["stack_baseline"].append(entry)
                if phase != "rerun":
                    continue
                speed_ups = [round(1 / r, 2) for r in paired["ratios"] if r]
                target(
                    f"local stack: no-change re-run at least {BASELINE_SPEED_UP}x faster than {baseline} "
                    f"at {latency} ms",
                    paired["met"],
                    f"{ours['wall_s']}s vs {theirs['wall_s']}s (medians): {entry['speed_up']}x; at least "
                    f"{BASELINE_SPEED_UP}x in {paired['within']} of {paired['pairs']} interleaved pairs "
                    f"({min(speed_ups, default='-')}-{max(speed_ups, default='-')}x)",
                )


# --------------------------------------------------------------------------------------------- scale
def scale_families(rows, strategy="linear"):
    """``{family: [rows by N]}``: the stack with N job definitions (and one schedule), with N schedules (and one job
    definition), and the modules alone (the list form in one task, the single module in a loop), each row with its
    N in ``n``."""
    scale = [r for r in rows if r["section"] == "scale" and r["phase"] == "rerun" and r["strategy"] == strategy]
    families = {
        STACK_JDS: [
            dict(r, n=r["job_definitions"]) for r in scale if r.get("family") == "stack" and r["schedules"] == 1
        ],
        STACK_SCHEDULES: [
            dict(r, n=r["schedules"]) for r in scale if r.get("family") == "stack" and r["job_definitions"] == 1
        ],
    }
    for name in (LIST, LOOP):
        families[name] = [dict(r, n=r["job_definitions"]) for r in scale if r.get("family") == name]
    for name in (SCHEDULES_LIST, SCHEDULES_LOOP):
        families[name] = [dict(r, n=r["schedules"]) for r in scale if r.get("family") == name]
    return {name: sorted(found, key=lambda r: r["n"]) for name, found in families.items() if found}


def per_added(family_rows, key):
    """What one more resource adds to ``key``: from the smallest to the largest N of the family."""
    small, large = family_rows[0], family_rows[-1]
    if large["n"] == small["n"]:
        return None
    value = (large[key] - small[key]) / (large["n"] - small["n"])
    return round(value, 4 if key == "wall_s" else 3)


# A call that grows by less than this per added resource is a paged list call (one more call per page of results),
# not one made per resource.
PER_ITEM_GROWTH = 0.5


def repeated_calls(per_added_calls, per_item_ops):
    """The calls that grow with the count, by at least half a call per added resource, although they are not about
    one resource (a look-up made per item), and the ones that grow slower (paged list calls)."""
    growing = {op: v for op, v in per_added_calls.items() if v > 0 and op not in per_item_ops}
    repeated = {op: v for op, v in growing.items() if v >= PER_ITEM_GROWTH}
    paged = {op: v for op, v in growing.items() if v < PER_ITEM_GROWTH}
    return repeated, paged


def list_and_loop(families):
    """The list form beside the loop of the single module, at every N both ran: the loop's wall time over the list
    form's, and the module processes of each."""
    out = []
    for list_name, loop_name in LIST_AND_LOOP:
        lists = {r["n"]: r for r in families.get(list_name, [])}
        for loop in families.get(loop_name, []):
            one = lists.get(loop["n"])
            if one is None:
                continue
            out.append(
                {
                    "list": list_name,
                    "loop": loop_name,
                    "n": loop["n"],
                    "list_s": one["wall_s"],
                    "loop_s": loop["wall_s"],
                    "speed_up": ratio(loop["wall_s"], one["wall_s"]),
                    "list_processes": one["processes"],
                    "loop_processes": loop["processes"],
                    "list_reads": one["reads"],
                    "loop_reads": loop["reads"],
                    "ok": one["rc"] == 0 and loop["rc"] == 0,
                }
            )
    return out


def analyse_scale(rows, analysis, target):
    families = scale_families(rows)
    if not families:
        return
    for name, found in families.items():
        calls_by_op = {}
        for row in found:
            for op, n in row["calls"].items():
                calls_by_op.setdefault(op, {})[row["n"]] = n
        small, large = found[0], found[-1]
        added = large["n"] - small["n"]
        per_call = (
            {op: round((by.get(large["n"], 0) - by.get(small["n"], 0)) / added, 3) for op, by in calls_by_op.items()}
            if added
            else {}
        )
        analysis["scale"][name] = {
            "rows": [
                {
                    k: r.get(k)
                    for k in ("n", "wall_s", "wall_samples", "tasks", "skipped", "processes", "reads", "writes", "rc")
                }
                | {"job_definition_reads": job_definition_reads(r)}
                for r in found
            ],
            "per_added": {key: per_added(found, key) for key in ("wall_s", "reads", "processes", "tasks")},
            "per_added_calls": {op: v for op, v in per_call.items() if v},
        }
        target(
            f"{name}: no-change re-run makes zero writes at every N",
            all(r["writes"] == 0 and r["rc"] == 0 for r in found),
            ", ".join(f"{r['n']}: {r['writes']}" + ("" if r["rc"] == 0 else " (FAILED)") for r in found),
        )
    analysis["list_and_loop"] = list_and_loop(families)
    for name in (STACK_JDS, LIST):
        found = families.get(name)
        if not found:
            continue
        one = next((r for r in found if r["n"] == 1), None)
        for n, limit in RERUN_GOALS:
            many = next((r for r in found if r["n"] == n), None)
            if one and many:
                paired = paired_limit(many, one, limit)
                target(
                    f"{name}: re-run of {n} job definitions at most {limit}x the re-run of 1",
                    paired["met"],
                    f"{many['wall_s']}s vs {one['wall_s']}s (medians); {describe_pairs(paired, limit)}",
                )
        target(
            f"{name}: DescribeJobDefinitions reads for N job definitions at most ceil(N/100) + 1",
            all(job_definition_reads(r) <= read_limit(r["n"]) for r in found),
            ", ".join(f"{r['n']}: {job_definition_reads(r)} (limit {read_limit(r['n'])})" for r in found),
        )
    # A call that grows with the count but is not about one resource: one that could be made once.
    for name, per_item_ops, what in (
        (STACK_JDS, PER_ITEM_OPS, "job definition"),
        (LIST, PER_ITEM_OPS, "job definition"),
        (STACK_SCHEDULES, PER_SCHEDULE_OPS, "schedule"),
        (SCHEDULES_LIST, PER_SCHEDULE_OPS, "schedule"),
    ):
        if name not in analysis["scale"] or len(families[name]) < 2:
            continue
        repeated, paged = repeated_calls(analysis["scale"][name]["per_added_calls"], per_item_ops)
        measured = json.dumps(repeated) if repeated else f"reads per added {what}: {per_added(families[name], 'reads')}"
        if paged:
            measured += "; paged: " + ", ".join(f"{op} {v:+g}" for op, v in paged.items())
        target(f"{name}: no call repeated per {what} that could be made once", not repeated, measured)


# --------------------------------------------------------------------------------------------- amazon.aws iam_role
def analyse_iam_role(rows, analysis):
    """What amazon.aws.iam_role costs per role on a no-change re-run: one task over 1 role and over all the local
    stack's roles (a loop: one module process each); the slope per role, its IAM calls per role, and the duration
    of the one-role task itself (the json callback's task start and end: no ansible-playbook start-up)."""
    found = sorted(
        (dict(r, n=r["roles"]) for r in rows if r["section"] == "iam_role" and r["strategy"] == "linear"),
        key=lambda r: r["n"],
    )
    if not found:
        return
    one, many = found[0], found[-1]
    iam_calls = {op: n for op, n in many["calls"].items() if op.startswith("iam:")}
    per_role_calls = {op: round(n / many["n"], 2) for op, n in sorted(iam_calls.items())}
    analysis["iam_role"] = {
        "rows": [
            {k: r.get(k) for k in ("n", "wall_s", "wall_samples", "task_s", "processes", "reads", "writes", "rc")}
            for r in found
        ],
        "task_s": one.get("task_s"),
        "per_role_s": per_added(found, "wall_s") if len(found) > 1 else None,
        "iam_reads_per_role": round(sum(n for op, n in iam_calls.items() if is_read(op)) / many["n"], 2),
        "iam_writes_per_role": round(sum(n for op, n in iam_calls.items() if not is_read(op)) / many["n"], 2),
        "calls_per_role": per_role_calls,
        "ok": all(r["rc"] == 0 for r in found),
    }


# --------------------------------------------------------------------------------------------- mitogen
def analyse_mitogen(rows, analysis, target):
    for row in rows:
        if row["strategy"] != "mitogen_linear":
            continue
        base = find(
            rows,
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
                    "linear_processes": base.get("processes"),
                    "mitogen_processes": row.get("processes"),
                    "mitogen_rc": row["rc"],
                    "mitogen_error": row.get("error"),
                    "same_calls": (row["reads"], row["writes"]) == (base["reads"], base["writes"]),
                }
            )
    if any(r["section"] != "overhead" for r in rows):
        chosen = strategy_selected()
        target("Mitogen stays opt-in: ansible.cfg and the playbooks select no strategy", not chosen, chosen or "none")


def strategy_selected():
    """Where this checkout selects a strategy (ansible.cfg, playbooks/*.yml), for the opt-in check."""
    found = []
    for line in (ROOT / "ansible.cfg").read_text().splitlines():
        if line.split("=")[0].strip() in ("strategy", "strategy_plugins"):
            found.append(f"ansible.cfg: {line.strip()}")
    for playbook in sorted((ROOT / "playbooks").glob("*.yml")):
        for line in playbook.read_text().splitlines():
            if line.strip().startswith("strategy:"):
                found.append(f"{playbook.name}: {line.strip()}")
    return "; ".join(found)


def is_read(operation):
    op = operation.split(":", 1)[-1]
    return op.startswith(("Describe", "List", "Get", "BatchGet", "Head", "Lookup"))
