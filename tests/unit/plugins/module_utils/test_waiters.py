import pytest

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchWaitTimeout
from ansible_collections.ondemand.batch.plugins.module_utils.waiters import (
    STATUS_POLLING,
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


def test_backoff_is_rounded_to_the_millisecond():
    delays = backoff_delays(0.2, factor=1.5, maximum=15.0)
    # 0.2 * 1.5**4 is 1.0124999... in binary floating point.
    assert [next(delays) for attempt in range(5)] == [0.2, 0.3, 0.45, 0.675, 1.012]
    assert next(backoff_delays(20.0, maximum=15.0)) == 15.0  # never above the cap, not even the first


def test_status_polling_sequence():
    """Compute environments and job queues: first Describe 0.2 s after the write, then 1.5x, at most 15 s."""
    assert STATUS_POLLING == {"initial_delay": 0.2, "factor": 1.5, "max_delay": 15.0, "poll_first": False}
    delays = backoff_delays(STATUS_POLLING["initial_delay"], STATUS_POLLING["factor"], STATUS_POLLING["max_delay"])
    assert [next(delays) for attempt in range(14)] == [
        0.2,
        0.3,
        0.45,
        0.675,
        1.012,
        1.519,
        2.278,
        3.417,
        5.126,
        7.689,
        11.533,
        15.0,
        15.0,
        15.0,
    ]


def test_status_waiters_sleep_before_the_first_describe(fake_clock):
    """The resource was just written (or seen in transition): no Describe at once, which could only say "not yet"."""
    statuses = iter(["CREATING", "CREATING", "CREATING", "VALID"])
    fetched_at = []

    def fetch():
        fetched_at.append(fake_clock.now)
        return {"status": next(statuses)}

    options = {"sleep": fake_clock.sleep, "clock": fake_clock}
    assert wait_until_valid(fetch, "compute environment ce", options) == {"status": "VALID"}
    assert fake_clock.sleeps == [0.2, 0.3, 0.45, 0.675]
    assert fetched_at == pytest.approx([0.2, 0.5, 0.95, 1.625])


def test_a_half_second_transition_costs_two_describes(fake_clock):
    """The emulator's default transition (0.5 s): seen VALID by the second Describe, 0.5 s after the write."""

    def fetch():
        return {"status": "VALID" if fake_clock.now >= 0.5 else "CREATING"}

    for wait in (wait_until_valid, lambda f, label, o: wait_until_settled(f, {"status": "UPDATING"}, label, o)):
        fake_clock.sleeps.clear()
        fake_clock.now = 0.0
        wait(fetch, "job queue q", {"sleep": fake_clock.sleep, "clock": fake_clock})
        assert fake_clock.sleeps == [0.2, 0.3]


def test_status_waiter_timeout_is_kept(fake_clock):
    options = {"timeout": 1, "sleep": fake_clock.sleep, "clock": fake_clock}
    with pytest.raises(BatchWaitTimeout, match="Timed out after 1s waiting for job queue q to be deleted"):
        wait_until_deleted(lambda: {"status": "DELETING"}, "job queue q", options)
    assert sum(fake_clock.sleeps) == pytest.approx(1)
    assert fake_clock.sleeps[:3] == [0.2, 0.3, 0.45]


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
