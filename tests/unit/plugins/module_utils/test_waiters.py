import pytest

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchWaitTimeout
from ansible_collections.ondemand.batch.plugins.module_utils.waiters import (
    backoff_delays,
    status_text,
    wait_for,
    wait_until_deleted,
    wait_until_settled,
    wait_until_valid,
)


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


def scripted(*details):
    """fetch() returning the given describe entries in turn (the last one repeats)."""
    queue = list(details)
    return lambda: queue.pop(0) if len(queue) > 1 else queue[0]


def test_status_text():
    assert status_text(None) == "gone"
    assert status_text({"status": "VALID"}) == "VALID"
    assert status_text({"status": "INVALID", "statusReason": "no role"}) == "INVALID (no role)"


def test_wait_until_valid_passes_creating(fake_clock):
    fetch = scripted({"status": "CREATING"}, {"status": "VALID", "name": "q"})
    options = {"sleep": fake_clock.sleep, "clock": fake_clock}
    assert wait_until_valid(fetch, "job queue q", options) == {"status": "VALID", "name": "q"}


def test_wait_until_valid_fails_with_reason_and_capitalised_label(fake_clock):
    fetch = scripted({"status": "INVALID", "statusReason": "CLIENT_ERROR - role missing"})
    with pytest.raises(BatchError, match="^Compute environment dev-ce is INVALID: CLIENT_ERROR - role missing$"):
        wait_until_valid(fetch, "compute environment dev-ce", {"sleep": fake_clock.sleep, "clock": fake_clock})
    with pytest.raises(BatchError, match="^Job queue q disappeared while waiting"):
        wait_until_valid(scripted(None), "job queue q", {"sleep": fake_clock.sleep, "clock": fake_clock})


def test_wait_until_deleted_and_timeout_message(fake_clock):
    options = {"sleep": fake_clock.sleep, "clock": fake_clock}
    assert wait_until_deleted(scripted({"status": "DELETING"}, None), "job queue q", options) is None
    with pytest.raises(BatchWaitTimeout, match="job queue q to be deleted; last status: DELETING"):
        wait_until_deleted(scripted({"status": "DELETING"}), "job queue q", {**options, "timeout": 5})


def test_wait_until_settled(fake_clock):
    options = {"sleep": fake_clock.sleep, "clock": fake_clock}
    valid = {"status": "VALID"}
    assert wait_until_settled(scripted(), valid, "job queue q", options) is valid  # no call when settled
    fetch = scripted({"status": "UPDATING"}, {"status": "VALID", "fresh": True})
    assert wait_until_settled(fetch, {"status": "UPDATING"}, "job queue q", options) == {
        "status": "VALID",
        "fresh": True,
    }
