"""bench/run.py: what it measures, in which combinations, and how it reads a task's duration."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)


def test_the_scaled_stacks_are_n_job_definitions_and_n_schedules_with_the_local_stack_once():
    assert bench_run.scaled_stack_sizes((1, 10, 200), (1, 50)) == [(1, 1), (10, 1), (200, 1), (1, 50)]


def test_the_modules_alone_run_list_forms_always_and_loops_when_asked():
    assert bench_run.module_alone_cases((1, 50), (1,), loops=False) == [
        (bench_run.LIST, 1),
        (bench_run.LIST, 50),
        (bench_run.SCHEDULES_LIST, 1),
    ]
    with_loops = bench_run.module_alone_cases((1, 50), (1,))
    assert (bench_run.LOOP, 50) in with_loops and (bench_run.SCHEDULES_LOOP, 1) in with_loops
    assert set(bench_run.MODULE_ALONE) == {family for family, _n in with_loops}
    for playbook, _variable, _kind in bench_run.MODULE_ALONE.values():
        assert (bench_run.PLAYBOOKS / playbook).is_file()


class Result:
    def __init__(self, tasks):
        self._tasks = tasks

    def tasks(self):
        return iter(self._tasks)


def task(name, start, end):
    return {"task": {"name": name, "duration": {"start": start, "end": end}}, "hosts": {}}


def test_task_durations_come_from_the_json_callbacks_start_and_end():
    result = Result(
        [
            task("Ensure the stack's IAM roles", "2026-12-02T02:26:05.426535Z", "2026-12-02T02:26:06.311535Z"),
            task("twice", "2026-12-02T02:26:06.000000Z", "2026-12-02T02:26:06.500000Z"),
            task("twice", "2026-12-02T02:26:07.000000Z", "2026-12-02T02:26:07.250000Z"),
            {"task": {"name": "no duration"}, "hosts": {}},
        ]
    )
    assert bench_run.task_durations(result) == {"Ensure the stack's IAM roles": 0.885, "twice": 0.75}


def test_a_results_file_is_analysed_again_from_its_measured_runs():
    raw = {
        "section": "stack", "scenario": "local stack", "phase": "rerun", "tool": bench_run.OURS, "strategy": "linear",
        "latency_ms": 0, "cpu_s": 1.0, "tasks": 50, "skipped": 0, "processes": 0, "changed": 0, "reads": 34,
        "writes": 0, "rc": 0, "calls": {},
    }  # fmt: skip
    results = {"raw_rows": [raw | {"wall_s": 7.0}, raw | {"wall_s": 9.0}], "rows": [], "analysis": {}}
    again = bench_run.reanalysed(results)
    (row,) = again["rows"]
    assert (row["wall_s"], row["repetitions"]) == (8.0, 2)
    (tasks,) = [t for t in again["analysis"]["targets"] if t["target"].endswith("runs at most 40 tasks")]
    assert not tasks["met"] and tasks["measured"].startswith("50 tasks")
