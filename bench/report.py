"""`make bench`: the tables printed from the analysed results."""


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    return "\n".join(out)


def report(results):
    rows = results["rows"]
    lines = [
        f"ondemand.batch benchmark ({results['started']}, {results['versions']['cpus']} CPUs, load "
        f"{results['versions']['load_average_at_start']:.1f} at start; ansible-core "
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
    if analysis["scale"]:
        sc = analysis["scale"]
        lines.append("Scale: no-change re-run of N job definitions (one looped task)")
        lines.append(
            table(
                ["N", "wall s", "API calls"],
                [[n, f"{sc['rerun_wall_s'][n]:.2f}", sc["rerun_calls"][n]] for n in sc["rerun_wall_s"]],
            )
        )
        lines.append(
            f"cost per added job definition: {sc['per_added_resource_s']:.3f} s "
            f"(per step: {', '.join(f'{s:.3f}' for s in sc['per_added_resource_s_by_step'])}), "
            f"API calls per added job definition: {sc['per_added_resource_calls']}"
        )
        lines.append("")
    if analysis["mitogen"]:
        lines.append("Mitogen (strategy mitogen_linear) / default linear strategy")
        lines.append(
            table(
                ["scenario", "run", "tool", "linear s", "mitogen s", "ratio", "same API calls", "mitogen result"],
                [
                    [
                        m["scenario"],
                        m["phase"],
                        m["tool"],
                        f"{m['linear_s']:.2f}",
                        f"{m['mitogen_s']:.2f}",
                        m["ratio"],
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
    for note in results.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)
