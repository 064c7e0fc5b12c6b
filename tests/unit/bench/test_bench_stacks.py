"""bench/stacks.py: the scaled inventories are the local stack with more entries, and module processes are counted
one per interpreter ansible starts."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bench import stacks  # noqa: E402


def group_vars(inventory, name):
    return yaml.safe_load((Path(inventory) / "group_vars" / "all" / f"{name}.yml").read_text())


def test_a_scaled_inventory_is_the_local_one_with_copies_of_its_first_entries(tmp_path):
    inventory = stacks.scaled_inventory(tmp_path / "inv", job_definitions=3, schedules=2)
    local = stacks.LOCAL_INVENTORY
    definitions = group_vars(inventory, "batch")["batch_job_definitions"]
    schedules = group_vars(inventory, "eventbridge")["eventbridge_schedules"]
    assert [d["name"] for d in definitions] == ["jd", "jd-002", "jd-003"]
    assert [s["name"] for s in schedules] == ["daily", "daily-002"]
    assert definitions[0] == group_vars(local, "batch")["batch_job_definitions"][0]
    assert schedules[0] == group_vars(local, "eventbridge")["eventbridge_schedules"][0]
    # The copies differ from the first entry in one field only, and stay references to the stack's own resources.
    assert {k: v for k, v in definitions[2].items() if k not in ("name", "environment")} == {
        k: v for k, v in definitions[0].items() if k not in ("name", "environment")
    }
    assert definitions[2]["environment"] == {**definitions[0]["environment"], "BENCH_INDEX": "3"}
    assert schedules[1]["job_definition"] == "jd" and schedules[1]["schedule_expression"] == "cron(2 4 * * ? *)"
    # Everything else is the local inventory's, untouched.
    for name in ("iam", "secrets", "stack"):
        assert group_vars(inventory, name) == group_vars(local, name)
    assert (inventory / "hosts.yml").read_text() == (local / "hosts.yml").read_text()


def test_one_of_each_is_the_local_inventory(tmp_path):
    inventory = stacks.scaled_inventory(tmp_path / "inv")
    for name in ("batch", "eventbridge"):
        assert group_vars(inventory, name) == group_vars(stacks.LOCAL_INVENTORY, name)
    with pytest.raises(ValueError):
        stacks.scaled_inventory(tmp_path / "none", job_definitions=0)


def test_the_module_alone_entries_are_what_is_registered():
    entries = stacks.job_definition_entries(2)
    assert [e["name"] for e in entries] == ["bench_scale_0", "bench_scale_1"]

    class Batch:
        calls = []

        def register_job_definition(self, **kwargs):
            self.calls.append(kwargs)

    stacks.register_job_definitions(Batch(), entries)
    assert [c["jobDefinitionName"] for c in Batch.calls] == ["bench_scale_0", "bench_scale_1"]
    assert Batch.calls[1]["containerProperties"]["environment"] == [{"name": "INDEX", "value": "1"}]


def test_the_wrapper_counts_each_interpreter_and_runs_the_real_one(tmp_path):
    counter = stacks.ProcessCounter(tmp_path)
    assert counter.extra_vars() == {"ansible_python_interpreter": str(counter.wrapper)}
    counter.reset()
    assert counter.count() == 0
    for _run in range(3):
        out = subprocess.run(
            [counter.wrapper, "-c", "import sys; print(sys.stdin.read().upper())"],
            input="payload",
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == "PAYLOAD"  # arguments and stdin reach the real Python (pipelining)
    assert counter.count() == 3
    counter.reset()
    assert counter.count() == 0


def test_the_module_alone_schedules_are_distinct_and_submit_to_the_given_job():
    entries = stacks.schedule_entries(70, "arn:aws:iam::1:role/bench_events", job_queue="q", job_definition="d")
    assert len({e["name"] for e in entries}) == 70
    assert len({e["schedule_expression"] for e in entries}) == 70  # minute and hour: no two alike
    assert entries[61]["schedule_expression"] == "cron(1 1 * * ? *)"
    assert {(e["job_queue"], e["job_definition"], e["role_arn"]) for e in entries} == {
        ("q", "d", "arn:aws:iam::1:role/bench_events")
    }
