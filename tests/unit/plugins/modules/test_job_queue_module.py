"""ensure_present / ensure_absent of ondemand.batch.job_queue against an in-memory Batch."""

import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import job_queue_ensure as ensure
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context
from ansible_collections.ondemand.batch.plugins.modules import job_queue_info
from tests.unit.plugins.modules.test_compute_environment_fakes import ACCOUNT, FakeBatch

NAME = "dev-carbon-jq"
PREFIX = f"arn:aws:batch:eu-west-1:{ACCOUNT}"
ARN = f"{PREFIX}:job-queue/{NAME}"
POLICY = f"{PREFIX}:scheduling-policy/dev-carbon-fair"


def wanted(**values):
    desired = dict.fromkeys(ensure.OPTIONS)
    desired.update({"priority": 10, "compute_environments": ["dev-carbon-a-ce"], "job_queue_state": "ENABLED"})
    desired.update(values)
    return desired


@pytest.fixture
def batch():
    fake = FakeBatch()
    for name in ("dev-carbon-a-ce", "dev-carbon-b-ce"):
        fake.add_environment(name)
    fake.add_environment("dev-carbon-fargate-ce", {"type": "FARGATE"})
    fake.policies = [POLICY, POLICY + "er"]
    return fake


@pytest.fixture
def context(batch, fake_clock):
    def make(check_mode=False, wait=True):
        return Context(
            {"batch": batch},
            "eu-west-1",
            check_mode=check_mode,
            wait=wait,
            wait_options={"timeout": 60, "sleep": fake_clock.sleep, "clock": fake_clock},
        )

    return make


def present(ctx, name, desired, **settings):
    """ensure_present with the entry's other settings (tags, replace, ...) given as keywords."""
    return ensure.ensure_present(ctx, name, {**desired, **settings})


def absent(ctx, name, **settings):
    return ensure.ensure_absent(ctx, name, settings)


def ce_arn(name):
    return f"{PREFIX}:compute-environment/{name}"


def test_check_mode_create_predicts_the_arn_from_the_environments(batch, context):
    changed, before, after = present(
        context(check_mode=True), NAME, wanted(compute_environments=["dev-carbon-b-ce", ce_arn("dev-carbon-a-ce")])
    )
    assert (changed, before) == (True, None)
    assert after["jobQueueArn"] == ARN
    assert [e["computeEnvironment"] for e in after["computeEnvironmentOrder"]] == [
        ce_arn("dev-carbon-b-ce"),
        ce_arn("dev-carbon-a-ce"),
    ]
    assert batch.writes == []


def test_create_and_rerun_with_one_read(batch, context):
    desired = wanted(
        compute_environments=["dev-carbon-b-ce", "dev-carbon-a-ce"],
        scheduling_policy="dev-carbon-fair",
        job_state_time_limit_actions=[
            {"reason": "stuck", "state": "RUNNABLE", "max_time_seconds": 600, "action": "CANCEL"}
        ],
    )
    changed, _before, after = present(context(), NAME, desired, tags={"a": "b"})
    assert changed is True and after["status"] == "VALID"
    assert batch.writes == [
        (
            "create_job_queue",
            {
                "jobQueueName": NAME,
                "priority": 10,
                "state": "ENABLED",
                "computeEnvironmentOrder": [
                    {"order": 1, "computeEnvironment": ce_arn("dev-carbon-b-ce")},
                    {"order": 2, "computeEnvironment": ce_arn("dev-carbon-a-ce")},
                ],
                "schedulingPolicyArn": POLICY,
                "jobStateTimeLimitActions": [
                    {"reason": "stuck", "state": "RUNNABLE", "maxTimeSeconds": 600, "action": "CANCEL"}
                ],
                "tags": {"a": "b"},
            },
        )
    ]
    batch.calls.clear()
    changed, before, after = present(context(), NAME, desired, tags={"a": "b"})
    assert changed is False and before == after
    # One DescribeJobQueues: the environment and policy names match the queue's ARNs, no look-up.
    assert [op for op, _kwargs in batch.calls] == ["describe_job_queues"]


@pytest.mark.parametrize(
    "environments, looked_up",
    [
        (["dev-carbon-a-ce", "dev-carbon-b-ce"], False),  # names of the current environments, same order
        ([ce_arn("dev-carbon-a-ce"), "dev-carbon-b-ce"], False),  # an ARN equal to the current one
        (["dev-carbon-b-ce", "dev-carbon-a-ce"], True),  # reordered
        (["dev-carbon-a-ce"], True),  # one fewer
        (["dev-carbon-a-ce", "dev-carbon-new-ce"], True),  # another environment
        (["arn:aws:batch:eu-west-1:999999999999:compute-environment/dev-carbon-a-ce", "dev-carbon-b-ce"], True),
    ],
)
def test_environments_are_looked_up_only_when_they_differ(batch, context, environments, looked_up):
    batch.add_queue(NAME, [ce_arn("dev-carbon-a-ce"), ce_arn("dev-carbon-b-ce")], priority=10)
    ctx = context(check_mode=True)  # a real run of the ARN of another account would fail; the look-up is the point
    present(ctx, NAME, wanted(compute_environments=environments))
    calls = [op for op, _kwargs in batch.calls]
    assert ("describe_compute_environments" in calls) is looked_up, calls


def test_reorder_priority_and_tags_in_place(batch, context):
    batch.add_queue(NAME, [ce_arn("dev-carbon-a-ce"), ce_arn("dev-carbon-b-ce")], tags={"old": "x"})
    desired = wanted(compute_environments=["dev-carbon-b-ce", "dev-carbon-a-ce"], priority=20)
    changed, _before, predicted = present(context(check_mode=True), NAME, desired, tags={"new": "y"})
    assert changed is True and batch.writes == []
    changed, before, after = present(context(), NAME, desired, tags={"new": "y"})
    assert before["priority"] == 1
    assert batch.operations() == ["update_job_queue", "untag_resource", "tag_resource"]
    assert batch.writes[0][1] == {
        "jobQueue": ARN,
        "priority": 20,
        "computeEnvironmentOrder": [
            {"order": 1, "computeEnvironment": ce_arn("dev-carbon-b-ce")},
            {"order": 2, "computeEnvironment": ce_arn("dev-carbon-a-ce")},
        ],
    }
    for key in ("priority", "computeEnvironmentOrder", "tags", "state"):
        assert predicted[key] == after[key], key


def test_refusals_before_any_write(batch, context):
    batch.add_queue(NAME, [ce_arn("dev-carbon-a-ce")])
    cases = [
        (wanted(compute_environments=["dev-carbon-a-ce", "dev-carbon-fargate-ce"]), "cannot mix EC2/SPOT", True),
        (wanted(compute_environments=["dev-carbon-a-ce", "nope-ce"]), "no compute environment named nope-ce", False),
        (wanted(scheduling_policy="nope"), "no scheduling policy named 'nope' exists", False),
        (wanted(scheduling_policy="dev-carbon-fair"), "a FIFO job queue (no scheduling policy) cannot get", True),
    ]
    for desired, message, also_in_check_mode in cases:
        with pytest.raises(BatchValidationError) as info:
            present(context(), NAME, desired)
        assert message in str(info.value)
        if also_in_check_mode:
            with pytest.raises(BatchValidationError, match="compute_environments|scheduling_policy"):
                present(context(check_mode=True), NAME, desired)
    assert batch.writes == []


def test_check_mode_assumes_missing_names_are_created_earlier(batch, context):
    """A check run of a whole deployment: the environments and policy are not there yet."""
    ctx = context(check_mode=True)
    desired = wanted(compute_environments=["dev-carbon-new-ce", "dev-carbon-a-ce"], scheduling_policy="new-policy")
    changed, _before, after = present(ctx, NAME, desired)
    assert changed is True
    assert [e["computeEnvironment"] for e in after["computeEnvironmentOrder"]] == [
        ce_arn("dev-carbon-new-ce"),
        ce_arn("dev-carbon-a-ce"),
    ]
    assert after["schedulingPolicyArn"] == f"{PREFIX}:scheduling-policy/new-policy"
    assert after["jobQueueArn"] == ARN
    assert len(ctx.warnings) == 2 and "check mode assumes an earlier task creates it" in ctx.warnings[0]
    assert batch.writes == []


def test_invalid_environment_is_refused(batch, context):
    batch._environment("dev-carbon-a-ce").update(status="INVALID", statusReason="bad subnet")
    with pytest.raises(BatchValidationError, match="dev-carbon-a-ce is INVALID: bad subnet"):
        present(context(), NAME, wanted())
    assert batch.writes == []


def test_replace_recreates_under_the_same_name(batch, context):
    batch.add_queue(NAME, [ce_arn("dev-carbon-a-ce")], priority=5, tags={"keep": "me"})
    desired = wanted(priority=None, compute_environments=None, scheduling_policy="dev-carbon-fair")
    changed, _before, predicted = present(context(check_mode=True), NAME, desired, replace=True)
    assert changed is True and batch.writes == []
    changed, before, after = present(context(), NAME, desired, replace=True)
    assert batch.operations() == ["update_job_queue", "delete_job_queue", "create_job_queue"]
    assert batch.writes[2][1]["priority"] == 5  # kept from the old queue
    assert batch.writes[2][1]["tags"] == {"keep": "me"}
    assert after["jobQueueArn"] == ARN and after["schedulingPolicyArn"] == POLICY
    assert predicted["schedulingPolicyArn"] == POLICY


def test_policy_can_be_swapped_in_place(batch, context):
    batch.add_queue(NAME, [ce_arn("dev-carbon-a-ce")], priority=10, schedulingPolicyArn=POLICY)
    present(context(), NAME, wanted(scheduling_policy=POLICY + "er"))
    assert batch.writes == [("update_job_queue", {"jobQueue": ARN, "schedulingPolicyArn": POLICY + "er"})]
    with pytest.raises(BatchValidationError, match="can be replaced but not removed"):
        present(context(), NAME, wanted(scheduling_policy=""))


def test_absent(batch, context):
    assert absent(context(), NAME) == (False, None, None)
    batch.add_queue(NAME, [ce_arn("dev-carbon-a-ce")])
    changed, before, after = absent(context(check_mode=True), NAME)
    assert (changed, before["jobQueueArn"], after) == (True, ARN, None)
    assert batch.writes == []
    absent(context(), NAME)
    assert batch.writes == [
        ("update_job_queue", {"jobQueue": ARN, "state": "DISABLED"}),
        ("delete_job_queue", {"jobQueue": ARN}),
    ]
    assert batch.queues == {}


def test_info_by_names_and_all(batch):
    batch.add_queue(NAME, [ce_arn("dev-carbon-b-ce"), ce_arn("dev-carbon-a-ce")], tags={"Environment": "dev"})
    batch.add_queue("other-jq", [ce_arn("dev-carbon-a-ce")])
    found = job_queue_info.list_job_queues(batch, [ARN, "missing-jq"])
    assert [q["job_queue_name"] for q in found] == [NAME]
    assert [e["compute_environment"] for e in found[0]["compute_environment_order"]] == [
        ce_arn("dev-carbon-b-ce"),
        ce_arn("dev-carbon-a-ce"),
    ]
    assert found[0]["tags"] == {"Environment": "dev"}
    assert len(job_queue_info.list_job_queues(batch)) == 2
    with pytest.raises(BatchValidationError, match="names: must be 1-128 characters"):
        job_queue_info.list_job_queues(batch, ["bad name"])


class SettlingBatch(FakeBatch):
    """A fake in which environments in transition settle after a number of their Describes, and queues, as on
    AWS, take only VALID compute environments ("must be in the VALID state before you can associate them")."""

    def __init__(self):
        super().__init__()
        self.settle_after = {}  # ARN -> (Describes that still show the transition, final status)

    def describe_compute_environments(self, **kwargs):
        result = super().describe_compute_environments(**kwargs)
        for detail in result["computeEnvironments"]:
            arn = detail["computeEnvironmentArn"]
            if arn in self.settle_after:
                left, final = self.settle_after[arn]
                if left <= 1:
                    del self.settle_after[arn]
                    self.environments[arn].update(status=final, statusReason=f"now {final}")
                else:
                    self.settle_after[arn] = (left - 1, final)
        return result

    def _check_order(self, order):
        for item in order:
            environment = self._environment(item["computeEnvironment"])
            if environment is not None and environment["status"] != "VALID":
                raise AssertionError(
                    f"{environment['computeEnvironmentName']} associated while {environment['status']}"
                )
        super()._check_order(order)

    def in_transition(self, name, status="CREATING", describes=2, final="VALID"):
        """The first ``describes`` Describes of the environment show ``status``, the next ones ``final``."""
        detail = self._environment(name)
        detail["status"] = status
        self.settle_after[detail["computeEnvironmentArn"]] = (describes, final)


@pytest.fixture
def settling(fake_clock):
    fake = SettlingBatch()
    for name in ("dev-carbon-a-ce", "dev-carbon-b-ce"):
        fake.add_environment(name)
    return fake


def settling_context(batch, fake_clock, **kwargs):
    options = {"timeout": 60, "sleep": fake_clock.sleep, "clock": fake_clock}
    return Context({"batch": batch}, "eu-west-1", wait_options=options, **kwargs)


@pytest.mark.parametrize("wait", [True, False])
def test_create_waits_for_environments_still_creating(settling, fake_clock, wait):
    """An environment made with wait=false is still CREATING: the queue waits for it before CreateJobQueue,
    whatever its own ``wait`` says (AWS associates only VALID environments)."""
    settling.in_transition("dev-carbon-b-ce", "CREATING", describes=2)
    ctx = settling_context(settling, fake_clock, wait=wait)
    changed, _before, after = present(ctx, NAME, wanted(compute_environments=["dev-carbon-b-ce"]))
    assert changed is True
    assert settling._environment("dev-carbon-b-ce")["status"] == "VALID"
    operations = [op for op, _kwargs in settling.calls]
    # Look-up, resolve (CREATING), a poll (CREATING), a poll (VALID), and only then the write.
    assert operations[:5] == [
        "describe_job_queues",
        "describe_compute_environments",
        "describe_compute_environments",
        "describe_compute_environments",
        "create_job_queue",
    ]
    assert fake_clock.sleeps[:2] == [0.2, 0.3]


def test_update_of_the_environments_waits_for_one_updating(settling, fake_clock):
    settling.add_queue(NAME, [ce_arn("dev-carbon-a-ce")], priority=10)
    settling.in_transition("dev-carbon-b-ce", "UPDATING", describes=1)
    ctx = settling_context(settling, fake_clock)
    desired = wanted(compute_environments=["dev-carbon-a-ce", "dev-carbon-b-ce"])
    present(ctx, NAME, desired)
    assert settling.operations() == ["update_job_queue"]
    operations = [op for op, _kwargs in settling.calls]
    assert operations.index("update_job_queue") > 2  # after the look-up, the resolve and the wait
    assert operations.count("describe_compute_environments") == 2  # resolve (UPDATING), one poll (VALID)


def test_no_wait_and_no_extra_call_when_nothing_is_associated(settling, fake_clock):
    """An environment in transition is not waited for when no write associates it: no change, or a change
    of something else (priority)."""
    settling.add_queue(NAME, [ce_arn("dev-carbon-a-ce")], priority=10)
    settling.in_transition("dev-carbon-a-ce", "UPDATING", describes=5)
    ctx = settling_context(settling, fake_clock)
    changed, _before, _after = present(ctx, NAME, wanted())
    assert changed is False
    assert [op for op, _kwargs in settling.calls] == ["describe_job_queues"]
    settling.calls.clear()
    present(ctx, NAME, wanted(priority=20))
    assert settling.operations() == ["update_job_queue"]
    assert settling.writes[0][1] == {"jobQueue": ARN, "priority": 20}
    assert [op for op, _kwargs in settling.calls if op.startswith("describe_compute")] == []
    assert fake_clock.sleeps == [0.2]  # the queue's own wait after UpdateJobQueue, not the environment's


def test_check_mode_never_waits(settling, fake_clock):
    settling.in_transition("dev-carbon-a-ce", "CREATING", describes=5)
    changed, _before, after = present(settling_context(settling, fake_clock, check_mode=True), NAME, wanted())
    assert changed is True and settling.writes == []
    assert fake_clock.sleeps == []
    assert [op for op, _kwargs in settling.calls] == ["describe_job_queues", "describe_compute_environments"]


def test_environment_turning_invalid_fails_before_the_write(settling, fake_clock):
    settling.in_transition("dev-carbon-a-ce", "CREATING", describes=2, final="INVALID")
    with pytest.raises(BatchError, match="^Compute environment dev-carbon-a-ce is INVALID: now INVALID$"):
        present(settling_context(settling, fake_clock), NAME, wanted())
    assert settling.writes == []


def test_check_mode_predicts_environments_given_by_arn_that_do_not_exist(batch, fake_clock):
    """Check mode of a whole deployment that names a new environment by ARN: predicted with a warning, and the
    account comes from that ARN (no STS call)."""

    def no_sts():
        raise AssertionError("STS called")

    ctx = Context(
        {"batch": batch, "sts": no_sts},
        region="eu-west-1",
        check_mode=True,
        wait_options={"timeout": 60, "sleep": fake_clock.sleep, "clock": fake_clock},
    )
    new = ce_arn("dev-carbon-new-ce")
    changed, _before, after = present(ctx, NAME, wanted(compute_environments=[new]))
    assert changed is True and batch.writes == []
    assert [e["computeEnvironment"] for e in after["computeEnvironmentOrder"]] == [new]
    assert after["jobQueueArn"] == ARN
    assert ctx.warnings == [
        f"compute_environments: no compute environment named {new}; check mode assumes an earlier task creates it"
    ]
    with pytest.raises(BatchValidationError, match=f"no compute environment named {new}"):
        present(Context({"batch": batch}, "eu-west-1"), NAME, wanted(compute_environments=[new]))
    assert batch.writes == []


def test_replacing_waits_for_environments_before_deleting_the_queue(settling, fake_clock):
    """A replacement re-creates the queue on its environments: one still CREATING is waited for before the old
    queue is deleted, so that one turning INVALID leaves the old queue in place."""
    settling.policies = [POLICY]
    settling.add_queue(NAME, [ce_arn("dev-carbon-a-ce")], priority=5)
    settling.in_transition("dev-carbon-b-ce", "CREATING", describes=2, final="INVALID")
    desired = wanted(compute_environments=["dev-carbon-b-ce"], scheduling_policy=POLICY)
    with pytest.raises(BatchError, match="^Compute environment dev-carbon-b-ce is INVALID"):
        present(settling_context(settling, fake_clock), NAME, desired, replace=True)
    assert settling.writes == []
    settling.in_transition("dev-carbon-a-ce", "CREATING", describes=1)
    present(settling_context(settling, fake_clock), NAME, wanted(scheduling_policy=POLICY), replace=True)
    assert settling.operations() == ["update_job_queue", "delete_job_queue", "create_job_queue"]
