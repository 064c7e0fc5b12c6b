"""The emulator's controls and statistics, without a server."""

import pytest

from emulator.batch.jobs import _glob
from emulator.controls import ConfigError, Controls, Stats


def test_controls_validate_and_report():
    controls = Controls()
    assert controls.as_dict() == {
        "latency_ms": 0,
        "throttle_rate": 0.0,
        "error_rate": 0.0,
        "seed": None,
        "transition_delay": 0.5,
        "executor": "local",
        "capacity": "enforce",
        "time_limit_scale": 1,
        "insufficient_capacity": [],
        "iam_propagation_delay": 0,
    }
    assert controls.update(latency_ms="25", seed="3")["latency_ms"] == 25
    assert controls.update(insufficient_capacity="m5, c4.large,m5")["insufficient_capacity"] == ["c4.large", "m5"]
    assert controls.update(time_limit_scale=0.001, capacity="unlimited")["time_limit_scale"] == 0.001
    for bad in (
        {"throttle_rate": -0.1},
        {"error_rate": "x"},
        {"throttle_rate": 0.6, "error_rate": 0.6},
        {"transition_delay": -1},
        {"executor": "docker"},
        {"seed": "abc"},
        {"capacity": "infinite"},
        {"time_limit_scale": 0},
        {"insufficient_capacity": [1]},
        {"iam_propagation_delay": -1},
        {"unknown": 1},
    ):
        with pytest.raises(ConfigError):
            controls.update(**bad)
    assert controls.as_dict()["seed"] == 3


def test_fault_draws_repeat_with_the_same_seed():
    def draws(controls):
        return [controls.draw_fault() for _draw in range(200)]

    first = draws(Controls(throttle_rate=0.2, error_rate=0.1, seed=9))
    assert first == draws(Controls(throttle_rate=0.2, error_rate=0.1, seed=9))
    kinds = [kind for kind, _status in first]
    assert 20 < kinds.count("throttle") < 60 and 5 < kinds.count("error") < 40
    assert {status for kind, status in first if kind == "error"} == {500, 503}
    assert Controls().draw_fault() == (None, None)


def test_stats_split_reads_and_writes():
    stats = Stats()
    for operation in ("DescribeJobs", "SubmitJob", "ListJobs", "GetRole"):
        stats.count("batch", operation)
    stats.count_fault("throttle")
    stats.count_fault("error")
    assert stats.as_dict() == {
        "reads": 3,
        "writes": 1,
        "throttled": 1,
        "errors": 1,
        "calls": {"batch:DescribeJobs": 1, "batch:GetRole": 1, "batch:ListJobs": 1, "batch:SubmitJob": 1},
        "by_service": {"batch": {"reads": 3, "writes": 1}},
    }
    stats.reset()
    assert stats.as_dict()["calls"] == {}


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("3", "3", True),
        ("3", "30", False),
        ("3*", "30", True),
        ("*", "", True),
        ("CannotStart*", "CannotStartContainerError: x", True),
        ("Essential container in task exited", "Essential container in task exited", True),
        ("essential*", "Essential container", False),
    ],
)
def test_evaluate_on_exit_patterns(pattern, value, matches):
    assert _glob(pattern, value) is matches
