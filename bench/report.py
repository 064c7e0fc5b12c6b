"""`make bench`: the tables printed from the analysed results."""


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    return "\n".join(out)


def load_at_end(versions):
    end = versions.get("load_average_at_end")
    return "" if end is None else f", {end:.1f} at end"


def report(results):
    rows = results["rows"]
    lines = [
        f"ondemand.batch benchmark ({results['started']}, {results['versions']['cpus']} CPUs, load "
        f"{results['versions']['load_average_at_start']:.1f} at start{load_at_end(results['versions'])}; ansible-core "
        f"{results['versions']['ansible-core']}, moto {results['versions']['moto']})",
        "",
    ]

    def fmt_rc(r):
        return "ok" if r["rc"] == 0 else f"FAILED ({(r.get('error') or '')[:60]})"

    main = [r for r in rows if r["section"] in ("stack", "side_by_side", "mitogen", "jobs")]
    if main:
        lines.append("Runs (wall seconds: median of the repetitions; API calls counted by the emulator)")
        lines.append(
            table(
                [
                    "section",
                    "scenario",
                    "run",
                    "tool",
                    "strategy",
                    "latency",
                    "wall s",
                    "n",
                    "tasks",
                    "skipped",
                    "processes",
                    "changed",
                    "reads",
                    "writes",
                    "result",
                ],
                [
                    [
                        r["section"],
                        r["scenario"],
                        r["phase"],
                        r["tool"],
                        r["strategy"],
                        f"{r['latency_ms']}ms",
                        f"{r['wall_s']:.2f}",
                        r["repetitions"],
                        r["tasks"],
                        r.get("skipped", ""),
                        r.get("processes", ""),
                        r["changed"],
                        r["reads"],
                        r["writes"],
                        fmt_rc(r),
                    ]
                    for r in main
                ],
            )
        )
        lines.append("")
    analysis = results["analysis"]
    if analysis["side_by_side"]:
        lines.append(
            "Side by side: ondemand.batch / community.aws (EC2 compute environment + job queue + job definition)"
        )
        lines.append(
            table(
                [
                    "run",
                    "latency",
                    "ours",
                    "ours s",
                    "theirs s",
                    "time ratio",
                    "pairs won",
                    "CPU ratio",
                    "ours r/w",
                    "theirs r/w",
                    "calls ratio",
                    "theirs result",
                ],
                [
                    [
                        s["phase"],
                        f"{s['latency_ms']}ms",
                        s["ours_variant"],
                        f"{s['ours']['wall_s']:.2f}",
                        f"{s['theirs']['wall_s']:.2f}",
                        s["wall_ratio"] if s["wall_ratio"] is not None else "n/a",
                        f"{s['paired']['faster_in']}/{len(s['paired']['ratios'])}",
                        s["cpu_ratio"] if s["cpu_ratio"] is not None else "n/a",
                        f"{s['ours']['reads']}/{s['ours']['writes']}",
                        f"{s['theirs']['reads']}/{s['theirs']['writes']}",
                        s["calls_ratio"] if s["calls_ratio"] is not None else "n/a",
                        "ok" if s["theirs"]["rc"] == 0 else f"FAILED: {(s['theirs_error'] or '')[:70]}",
                    ]
                    for s in analysis["side_by_side"]
                ],
            )
        )
        lines.append("")
    if analysis.get("stack_baseline"):
        first = analysis["stack_baseline"][0]
        baseline = results.get("baseline") or {}
        lines.append(
            f"Local stack: ondemand.batch / {first['baseline']} ({baseline.get('ref', '?')}: "
            f"{baseline.get('subject', '')}), each deploy.yml on its own emulator, interleaved"
        )
        lines.append(
            table(
                [
                    "run",
                    "latency",
                    "ours s",
                    "baseline s",
                    "speed-up",
                    "pairs won",
                    "pairs >= 2x",
                    "ours tasks (skipped)",
                    "baseline tasks (skipped)",
                    "ours processes",
                    "baseline processes",
                    "ours r/w",
                    "baseline r/w",
                ],
                [
                    [
                        e["phase"],
                        f"{e['latency_ms']}ms",
                        f"{e['ours']['wall_s']:.2f}",
                        f"{e['theirs']['wall_s']:.2f}",
                        f"{e['speed_up']}x" if e["speed_up"] is not None else "n/a",
                        f"{e['won']['faster_in']}/{len(e['won']['ratios'])}",
                        f"{e['paired']['within']}/{e['paired']['pairs']}",
                        f"{e['ours']['tasks']} ({e['ours']['skipped']})",
                        f"{e['theirs']['tasks']} ({e['theirs']['skipped']})",
                        e["ours"]["processes"],
                        e["theirs"]["processes"],
                        f"{e['ours']['reads']}/{e['ours']['writes']}",
                        f"{e['theirs']['reads']}/{e['theirs']['writes']}",
                    ]
                    for e in analysis["stack_baseline"]
                ],
            )
        )
        lines.append("")
    if analysis["scale"]:
        lines.append(
            "Scale: no-change re-run of N resources (wall: median; tasks executed, skipped apart; module processes "
            "started; reads: DescribeJobDefinitions / all)"
        )
        for name, family in analysis["scale"].items():
            lines.append(f"{name}:")
            lines.append(
                table(
                    ["N", "wall s", "runs", "tasks (skipped)", "processes", "reads", "writes", "result"],
                    [
                        [
                            r["n"],
                            f"{r['wall_s']:.2f}",
                            " ".join(f"{w:.2f}" for w in r["wall_samples"]),
                            f"{r['tasks']} ({r['skipped']})",
                            r["processes"],
                            f"{r['job_definition_reads']} / {r['reads']}",
                            r["writes"],
                            "ok" if r["rc"] == 0 else "FAILED",
                        ]
                        for r in family["rows"]
                    ],
                )
            )
            per = family["per_added"]
            if per["wall_s"] is not None:
                calls = ", ".join(f"{op} {v:+g}" for op, v in family["per_added_calls"].items()) or "none"
                lines.append(
                    f"  per added resource: {per['wall_s']:+.3f} s, {per['processes']:+g} module processes, "
                    f"{per['tasks']:+g} tasks, {per['reads']:+g} reads ({calls})"
                )
            lines.append("")
    if analysis.get("list_and_loop"):
        lines.append(
            "List form (one task, one module process) against the single module in a loop (one process per item), "
            "no-change re-run"
        )
        lines.append(
            table(
                ["N", "list form", "s", "loop", "s", "loop / list", "processes list/loop", "reads list/loop"],
                [
                    [
                        e["n"],
                        e["list"],
                        f"{e['list_s']:.2f}",
                        e["loop"],
                        f"{e['loop_s']:.2f}",
                        f"{e['speed_up']}x" if e["ok"] and e["speed_up"] is not None else "n/a (a run failed)",
                        f"{e['list_processes']}/{e['loop_processes']}",
                        f"{e['list_reads']}/{e['loop_reads']}",
                    ]
                    for e in analysis["list_and_loop"]
                ],
            )
        )
        lines.append("")
    if analysis.get("iam_role"):
        lines.extend(iam_role_lines(analysis["iam_role"], results.get("iam_role") or {}))
    if analysis["mitogen"]:
        lines.append("Mitogen (strategy mitogen_linear, opt-in) beside the default linear strategy")
        lines.append(
            table(
                [
                    "scenario",
                    "run",
                    "tool",
                    "linear s",
                    "mitogen s",
                    "ratio",
                    "processes linear/mitogen",
                    "same API calls",
                    "mitogen result",
                ],
                [
                    [
                        m["scenario"],
                        m["phase"],
                        m["tool"],
                        f"{m['linear_s']:.2f}",
                        f"{m['mitogen_s']:.2f}",
                        m["ratio"],
                        f"{m['linear_processes']}/{m['mitogen_processes']}",
                        m["same_calls"],
                        "ok" if m["mitogen_rc"] == 0 else f"FAILED: {m['mitogen_error']}",
                    ]
                    for m in analysis["mitogen"]
                ],
            )
        )
        lines.append("")
    if results.get("overhead"):
        ov = results["overhead"]
        lines.append(
            f"Emulator overhead per API call: median of {ov['calls_per_operation']} boto3 calls over HTTP, "
            "interleaved with the same calls to moto's bare server; and the emulator's WSGI layer alone "
            "(identify, count, fault draw) timed in process"
        )
        lines.append(
            table(
                ["operation", "emulator ms", "moto ms", "difference ms", "emulator layer us (in process)"],
                [
                    [
                        o["operation"],
                        f"{o['emulator_median_ms']:.2f}",
                        f"{o['moto_median_ms']:.2f}",
                        f"{o['overhead_ms']:+.2f}",
                        o["layer_us"],
                    ]
                    for o in ov["rows"]
                ],
            )
        )
        lines.append("")
    if results.get("payload"):
        pl = results["payload"]
        lines.append(
            f"AnsiballZ payload: controller CPU to build it, per task (min of {pl['repeat']} builds in fresh forks); "
            f"baseline, a module that only imports AnsibleAWSModule: {pl['baseline']['build_cpu_s'] * 1000:.0f} ms, "
            f"{pl['baseline']['payload_bytes'] // 1024} KB"
        )
        lines.append(
            table(
                ["module", "build ms", "over baseline ms", "payload KB"],
                [
                    [
                        r["module"],
                        f"{r['build_cpu_s'] * 1000:.0f}",
                        f"{r['over_baseline_s'] * 1000:+.0f}",
                        r["payload_bytes"] // 1024,
                    ]
                    for r in pl["rows"]
                ],
            )
        )
        lines.append("")
    if analysis["targets"]:
        lines.append("Targets")
        lines.append(
            table(
                ["", "target", "measured"],
                [
                    [t.get("mark") or ("MET " if t["met"] else "MISS"), t["target"], t["measured"]]
                    for t in analysis["targets"]
                ],
            )
        )
        lines.append("")
    mitogen = results.get("mitogen")
    if mitogen and not mitogen.get("available"):
        lines.append(f"Mitogen: not measured ({mitogen.get('reason')}).")
        lines.append("")
    for note in results.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def iam_role_lines(iam, section):
    """amazon.aws.iam_role's own cost per role, from the rows of 1 and of all the stack's roles."""
    roles = ", ".join(section.get("roles") or [])
    lines = [
        f"amazon.aws.iam_role, no-change re-run of the local stack's roles ({roles or 'the plan'}), the iam role's "
        "task; task s: the task alone (json callback), wall s: the whole ansible-playbook run",
        table(
            ["roles", "wall s", "runs", "task s", "processes", "reads", "writes", "result"],
            [
                [
                    r["n"],
                    f"{r['wall_s']:.2f}",
                    " ".join(f"{w:.2f}" for w in r["wall_samples"]),
                    f"{r['task_s']:.2f}" if r.get("task_s") is not None else "n/a",
                    r["processes"],
                    r["reads"],
                    r["writes"],
                    "ok" if r["rc"] == 0 else "FAILED",
                ]
                for r in iam["rows"]
            ],
        ),
    ]
    per_role = f"{iam['per_role_s']:+.3f} s wall per added role, " if iam.get("per_role_s") is not None else ""
    calls = ", ".join(f"{op.split(':', 1)[1]} {n:g}" for op, n in iam["calls_per_role"].items()) or "none"
    lines.append(
        f"  per role: {per_role}{iam['iam_reads_per_role']:g} IAM reads and {iam['iam_writes_per_role']:g} writes "
        f"({calls}); one no-change role task {iam['task_s']:.2f} s"
        if iam.get("task_s") is not None
        else f"  per role: {per_role}{iam['iam_reads_per_role']:g} IAM reads ({calls})"
    )
    lines.append("")
    return lines
