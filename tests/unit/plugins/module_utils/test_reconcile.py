"""The reconcile driver and context: steps plan before anyone writes, waits of many resources share one poll."""

import pytest

from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchError,
    BatchValidationError,
    BatchWaitTimeout,
)
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import (
    PLANNED,
    Context,
    Pause,
    Poll,
    drive,
    prefixed_problems,
    run_one,
)


class Statuses:
    """A Describe that answers from ``script[arn]`` (a list of statuses, the last one repeating)."""

    def __init__(self, **script):
        self.script = {arn: list(statuses) for arn, statuses in script.items()}
        self.calls = []

    def __call__(self, client, arns):
        self.calls.append(sorted(arns))
        found = []
        for arn in arns:
            statuses = self.script.get(arn)
            if statuses:
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                if status != "gone":
                    found.append({"arn": arn, "status": status})
        return found


@pytest.fixture
def ctx(fake_clock):
    return Context({"batch": object()}, "eu-west-1", wait_options={"sleep": fake_clock.sleep, "clock": fake_clock})


def poll(ctx, describe, arn, until="valid"):
    return Poll(ctx, describe, "arn", arn, f"thing {arn}", until)


def test_waits_of_many_steps_share_one_describe_per_poll(ctx, fake_clock):
    describe = Statuses(a=["CREATING", "VALID"], b=["CREATING", "CREATING", "VALID"])
    log = []

    def step(arn):
        log.append(f"write {arn}")
        detail = yield poll(ctx, describe, arn)
        log.append(f"{arn} {detail['status']}")
        return arn

    results, errors, planning = drive(ctx, {"a": step("a"), "b": step("b")})
    assert results == {"a": "a", "b": "b"} and errors == planning == {}
    assert log == ["write a", "write b", "a VALID", "b VALID"]
    assert describe.calls == [["a", "b"], ["a", "b"], ["b"]]
    assert fake_clock.sleeps == [0.2, 0.3, 0.45]


def test_a_step_can_wait_for_several_resources_at_once(ctx):
    describe = Statuses(a=["VALID"], b=["UPDATING", "VALID"])

    def step():
        details = yield [poll(ctx, describe, "a"), poll(ctx, describe, "b")]
        return [d["status"] for d in details]

    assert run_one(ctx, step()) == ["VALID", "VALID"]
    assert describe.calls == [["a", "b"], ["b"]]


def test_every_step_plans_before_any_writes(ctx):
    written = []

    def step(name, fails=False):
        if fails:
            raise BatchValidationError("max_vcpus", "must be at least 0")
        yield PLANNED
        written.append(name)
        return True, None, None

    _results, errors, planning = drive(ctx, {"a": step("a"), "b": step("b", fails=True)})
    assert written == [] and errors == {}
    assert list(planning) == ["b"]
    results, errors, planning = drive(ctx, {"a": step("a"), "c": step("c")})
    assert written == ["a", "c"] and planning == {} and errors == {}


def test_a_failing_step_does_not_stop_the_others_once_writing(ctx):
    describe = Statuses(a=["INVALID"], b=["CREATING", "VALID"])

    def step(arn):
        yield PLANNED
        detail = yield poll(ctx, describe, arn)
        return detail["status"]

    results, errors, planning = drive(ctx, {"a": step("a"), "b": step("b")})
    assert results == {"b": "VALID"} and planning == {}
    assert str(errors["a"]) == "Thing a is INVALID: no reason given"


def test_a_wait_times_out_with_its_own_timeout(fake_clock):
    ctx = Context({"batch": object()}, wait_options={"timeout": 1, "sleep": fake_clock.sleep, "clock": fake_clock})
    describe = Statuses(a=["DELETING"])

    def step():
        yield poll(ctx, describe, "a", "deleted")

    with pytest.raises(BatchWaitTimeout, match="Timed out after 1s waiting for thing a to be deleted; last status"):
        run_one(ctx, step())
    assert sum(fake_clock.sleeps) == pytest.approx(1)


def test_a_step_may_catch_what_a_poll_throws(ctx):
    describe = Statuses(a=["gone"])

    def step():
        try:
            yield poll(ctx, describe, "a")
        except BatchError as error:
            return f"caught: {error.message}"
        return "not gone"

    assert run_one(ctx, step()) == "caught: Thing a disappeared while waiting for it to become VALID"


def test_reads_come_at_once_and_are_batched(ctx, fake_clock):
    describe = Statuses(a=["CREATING"], b=["VALID"])

    def step(arn):
        return (yield poll(ctx, describe, arn, until=None))

    results, _errors, _planning = drive(ctx, {"a": step("a"), "b": step("b")})
    assert results == {"a": {"arn": "a", "status": "CREATING"}, "b": {"arn": "b", "status": "VALID"}}
    assert describe.calls == [["a", "b"]] and fake_clock.sleeps == []


class Sts:
    def __init__(self):
        self.calls = 0

    def get_caller_identity(self, aws_retry):
        self.calls += 1
        return {"Account": "123456789012", "Arn": "arn:aws-cn:sts::123456789012:assumed-role/x/y"}


def test_account_comes_from_a_known_arn_or_sts_once():
    sts = Sts()
    ctx = Context({"sts": lambda: sts}, "cn-north-1")
    assert ctx.account(["arn:aws:iam::999999999999:role/r"]) == ("aws", "999999999999")
    assert sts.calls == 0
    assert ctx.account() == ("aws-cn", "123456789012")
    entry = ctx.for_entry("job_queues[q]")
    assert entry.arn_prefix("batch") == "arn:aws-cn:batch:cn-north-1:123456789012"
    assert sts.calls == 1  # shared by every entry of the run


def test_entries_share_clients_caches_and_warnings_and_prefix_their_warnings():
    made = []
    warned = []
    ctx = Context({"batch": lambda: made.append(1) or object()}, warn=warned.append)
    entry = ctx.for_entry("job_queues[q]", wait=False, wait_timeout=5)
    assert entry.batch is ctx.batch and made == [1]
    assert (entry.wait, entry.wait_options["timeout"], ctx.wait) == (False, 5, True)
    assert entry.cached("k", lambda: "loaded") == "loaded" and ctx.cached("k", lambda: "again") == "loaded"
    entry.warn("careful")
    assert warned == ctx.warnings == ["job_queues[q]: careful"]


def test_problems_of_an_entry_are_prefixed():
    error = BatchValidationError(None, None, problems=[("max_vcpus", "must be at least 0"), ("name", "bad")])
    assert prefixed_problems("compute_environments[ce]", error) == [
        ("compute_environments[ce].max_vcpus", "must be at least 0"),
        ("compute_environments[ce].name", "bad"),
    ]
    assert prefixed_problems("job_queues[q]", BatchError(message="boom")) == [("job_queues[q]", "boom")]


def test_a_pause_lets_time_pass_and_other_waits_go_on_meanwhile(ctx, fake_clock):
    describe = Statuses(b=["CREATING", "CREATING", "VALID"])
    log = []

    def pausing():
        log.append(("pause", fake_clock.now))
        assert (yield Pause(0.6)) is None
        log.append(("resumed", fake_clock.now))
        return "paused"

    def waiting():
        detail = yield poll(ctx, describe, "b")
        log.append(("b VALID", fake_clock.now))
        return detail["status"]

    results, errors, planning = drive(ctx, {"a": pausing(), "b": waiting()})
    assert results == {"a": "paused", "b": "VALID"} and errors == planning == {}
    # The waits keep their schedule (0.2, 0.3, 0.45 ...): the pause ends between two polls, the nap is cut there.
    assert log == [("pause", 0.0), ("resumed", 0.6), ("b VALID", pytest.approx(0.95))]
    assert fake_clock.sleeps == pytest.approx([0.2, 0.3, 0.1, 0.35])
    assert describe.calls == [["b"], ["b"], ["b"]]


def test_pauses_alone_sleep_until_the_first_one_ends(ctx, fake_clock):
    def step(seconds):
        yield Pause(seconds)
        return fake_clock.now

    results, _errors, _planning = drive(ctx, {"a": step(5), "b": step(2), "c": step(2)})
    assert results == {"a": 5, "b": 2, "c": 2}
    assert fake_clock.sleeps == [2, 3]
