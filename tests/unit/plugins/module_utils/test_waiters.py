import pytest

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchWaitTimeout
from ansible_collections.ondemand.batch.plugins.module_utils.waiters import backoff_delays, wait_for


def test_backoff_grows_and_caps():
    delays = backoff_delays(1.0, factor=2.0, maximum=5.0)
    assert [next(delays) for attempt in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_wait_returns_first_done_result(fake_clock):
    statuses = iter(["CREATING", "CREATING", "VALID"])
    polled = []
    result = wait_for(
        fetch=lambda: {"status": next(statuses)},
        is_done=lambda r: r["status"] == "VALID",
        description="compute environment dev-carbon-ce",
        on_poll=polled.append,
        sleep=fake_clock.sleep,
        clock=fake_clock,
    )
    assert result == {"status": "VALID"}
    assert [p["status"] for p in polled] == ["CREATING", "CREATING", "VALID"]
    assert fake_clock.sleeps == [1.0, 1.5]


def test_wait_timeout_names_resource_and_last_status(fake_clock):
    with pytest.raises(BatchWaitTimeout) as info:
        wait_for(
            fetch=lambda: {"status": "DELETING"},
            is_done=lambda r: False,
            description="job queue dev-carbon-jq to be deleted",
            status_of=lambda r: r["status"],
            timeout=30,
            sleep=fake_clock.sleep,
            clock=fake_clock,
        )
    message = str(info.value)
    assert "job queue dev-carbon-jq to be deleted" in message
    assert "last status: DELETING" in message
    assert "30s" in message
    # Never sleeps past the deadline.
    assert sum(fake_clock.sleeps) == pytest.approx(30)


def test_is_done_can_abort_early(fake_clock):
    def is_done(result):
        if result["status"] == "INVALID":
            raise BatchError(message="compute environment is INVALID: instance role does not exist")
        return result["status"] == "VALID"

    with pytest.raises(BatchError, match="instance role does not exist"):
        wait_for(lambda: {"status": "INVALID"}, is_done, "ce", sleep=fake_clock.sleep, clock=fake_clock)
    assert fake_clock.sleeps == []
