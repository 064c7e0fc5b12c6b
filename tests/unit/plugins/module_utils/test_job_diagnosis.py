"""Why a job stays RUNNABLE: the rules over fake DescribeJobs/DescribeJobQueues/DescribeComputeEnvironments answers,
the calls they cost, and the follower that asks once the threshold passed."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.ondemand.batch.plugins.module_utils import job as jobs
from ansible_collections.ondemand.batch.plugins.module_utils import job_diagnosis as why
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchWaitTimeout
from tests.unit.fakes import FakeClient

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:batch:eu-west-1:{ACCOUNT}"
QUEUE = f"{PREFIX}:job-queue/dev-jq"


def job(vcpus="1", memory="2048", platform="EC2", **extra):
    detail = {
        "jobId": "job-1",
        "jobName": "nightly",
        "jobQueue": QUEUE,
        "status": "RUNNABLE",
        "platformCapabilities": [platform],
        "container": {"resourceRequirements": [{"type": "VCPU", "value": vcpus}, {"type": "MEMORY", "value": memory}]},
    }
    detail.update(extra)
    return detail


def queue(*environments, state="ENABLED", status="VALID", name="dev-jq", **extra):
    return {
        "jobQueueName": name,
        "jobQueueArn": f"{PREFIX}:job-queue/{name}",
        "state": state,
        "status": status,
        "computeEnvironmentOrder": [
            {"order": i, "computeEnvironment": f"{PREFIX}:compute-environment/{e}"} for i, e in enumerate(environments)
        ],
        **extra,
    }


def environment(name="dev-ce", kind="EC2", max_vcpus=8, instance_types=("optimal",), state="ENABLED", **extra):
    resources = {"type": kind, "maxvCpus": max_vcpus}
    if kind in ("EC2", "SPOT"):
        resources["instanceTypes"] = list(instance_types)
    detail = {
        "computeEnvironmentName": name,
        "computeEnvironmentArn": f"{PREFIX}:compute-environment/{name}",
        "ecsClusterArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/{name}-cluster",
        "type": "MANAGED",
        "state": state,
        "status": "VALID",
        "computeResources": resources,
    }
    detail.update(extra)
    return detail


def reasons(findings):
    return [f["reason"] for f in findings]


# ---------------------------------------------------------------------------------------------- the rules
def test_the_issue_case_64_vcpus_on_an_8_vcpu_environment():
    findings = why.diagnose(job(vcpus="64"), queue("dev-ce"), [environment()])
    assert findings == [
        {
            "reason": "TOO_MANY_VCPUS",
            "message": "the job needs 64 vCPUs, more than any compute environment of dev-jq can give: "
            "dev-ce has maxvCpus 8",
        }
    ]


def test_a_disabled_queue_is_said_first_and_alone():
    findings = why.diagnose(job(vcpus="64"), queue("dev-ce", state="DISABLED"), [environment()])
    assert reasons(findings) == ["QUEUE_DISABLED"]
    assert "dev-jq is DISABLED" in findings[0]["message"]


def test_an_invalid_queue_carries_its_reason():
    findings = why.diagnose(job(), queue("dev-ce", status="INVALID", statusReason="CE gone"), [environment()])
    assert findings == [{"reason": "QUEUE_INVALID", "message": "the job queue dev-jq is INVALID: CE gone"}]


def test_a_gone_queue():
    assert reasons(why.diagnose(job(), None, [])) == ["QUEUE_MISSING"]


def test_no_environment_enabled_and_valid_lists_each_with_its_state():
    environments = [
        environment("a", state="DISABLED"),
        environment("b", status="INVALID", statusReason="instance profile not found"),
    ]
    (found,) = why.diagnose(job(), queue("a", "b"), environments)
    assert found["reason"] == "NO_USABLE_ENVIRONMENT"
    assert found["message"].endswith("a is DISABLED and VALID; b is ENABLED and INVALID (instance profile not found)")


def test_a_fargate_job_on_ec2_environments():
    (found,) = why.diagnose(job(vcpus="1", platform="FARGATE"), queue("dev-ce"), [environment()])
    assert found["reason"] == "PLATFORM_MISMATCH"
    assert "for FARGATE but the usable compute environments of dev-jq are dev-ce (EC2)" in found["message"]


@pytest.mark.parametrize(
    ("vcpus", "memory", "code"),
    [("4", "2048", "TOO_MANY_VCPUS"), ("2", "8000", "TOO_MUCH_MEMORY"), ("2", "3000", None)],
)
def test_the_largest_instance_type_bounds_a_job(vcpus, memory, code):
    """c4.large: 2 vCPUs and at most 4 GiB (c families: 2 GiB per vCPU at most)."""
    environments = [environment(max_vcpus=16, instance_types=["c4.large"])]
    findings = why.diagnose(job(vcpus=vcpus, memory=memory), queue("dev-ce"), environments)
    assert reasons(findings) == ([code] if code else [])
    if code:
        assert "the largest instance type of dev-ce has" in findings[0]["message"]


def test_families_and_optimal_are_not_judged_by_size():
    environments = [environment(max_vcpus=256, instance_types=["c5", "c4.large"])]
    assert why.diagnose(job(vcpus="64", memory="100000"), queue("dev-ce"), environments) == []


def test_one_environment_that_fits_is_enough():
    environments = [environment("small", max_vcpus=8), environment("big", max_vcpus=128)]
    assert why.diagnose(job(vcpus="64"), queue("small", "big"), environments) == []


@pytest.mark.parametrize(("vcpus", "memory", "ok"), [("0.25", "512", True), ("2", "512", False), ("3", "8192", False)])
def test_fargate_takes_only_its_vcpu_memory_pairs(vcpus, memory, ok):
    environments = [environment(kind="FARGATE", max_vcpus=16)]
    findings = why.diagnose(job(vcpus=vcpus, memory=memory, platform="FARGATE"), queue("dev-ce"), environments)
    assert reasons(findings) == ([] if ok else ["FARGATE_SIZE"])


def test_a_fargate_job_can_be_too_big_in_two_ways_at_once():
    environments = [environment(kind="FARGATE", max_vcpus=8)]
    findings = why.diagnose(job(vcpus="64", platform="FARGATE"), queue("dev-ce"), environments)
    assert reasons(findings) == ["TOO_MANY_VCPUS", "FARGATE_SIZE"]
    assert findings[1]["message"] == (
        "the job asks for 64 vCPUs and 2048 MiB, a size Fargate does not run "
        "(Fargate offers 0.25, 0.5, 1, 2, 4, 8, 16, 32 vCPUs)"
    )


def test_aws_status_reason_comes_first():
    reason = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement cannot be met"
    findings = why.diagnose(job(vcpus="64", statusReason=reason), queue("dev-ce"), [environment()])
    assert reasons(findings) == ["STATUS_REASON", "TOO_MANY_VCPUS"]
    assert findings[0]["message"] == f"AWS Batch says: {reason}"


def running(vcpus, cluster="dev-ce-cluster", count=None):
    detail = job(vcpus=vcpus, status="RUNNING")
    detail["container"]["taskArn"] = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task/{cluster}/abc"
    if count is not None:
        detail["_count"] = count
    return detail


def test_max_vcpus_taken_by_running_jobs():
    others = [running("2"), running("2"), running("1", count=2), running("8", cluster="elsewhere")]
    (found,) = why.diagnose(job(vcpus="4"), queue("dev-ce"), [environment()], others)
    assert found["reason"] == "CAPACITY_IN_USE"
    assert "dev-ce has 6 of its 8 vCPUs taken by 4 jobs" in found["message"]
    assert why.diagnose(job(vcpus="2"), queue("dev-ce"), [environment()], others) == []


def test_nothing_found_says_so():
    assert why.summary([]).startswith("nothing in the queue or its compute environments prevents it")


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("c4.large", (2, 4096)),
        ("m5.xlarge", (4, 16384)),
        ("r5.24xlarge", (96, 96 * 8192)),
        ("c5n.large", (2, 2 * 2688)),
        ("g4dn.2xlarge", (8, None)),
        ("m6g.medium", (1, 4096)),
        ("c5", None),
        ("optimal", None),
        ("t3.large", None),
        ("m5.metal", None),
    ],
)
def test_instance_sizes_from_their_names(name, size):
    assert why.instance_size(name) == size


# ---------------------------------------------------------------------------------------------- the calls
def aws(queues, environments, summaries=(), details=()):
    return FakeClient(
        describe_job_queues={"jobQueues": queues},
        describe_compute_environments={"computeEnvironments": environments},
        list_jobs=lambda jobQueue, jobStatus, **_: {  # noqa: N803 - AWS names
            "jobSummaryList": [s for s in summaries if s["status"] == jobStatus and s["queue"] == jobQueue]
        },
        describe_jobs=lambda jobs: {"jobs": [d for d in details if d["jobId"] in jobs]},
    )


def test_a_set_up_problem_costs_two_calls():
    batch = aws([queue("dev-ce")], [environment()])
    assert reasons(why.explain_runnable(batch, job(vcpus="64"))) == ["TOO_MANY_VCPUS"]
    assert batch.names() == ["describe_job_queues", "describe_compute_environments"]
    assert batch.calls[1][1] == {"computeEnvironments": [f"{PREFIX}:compute-environment/dev-ce"]}


def test_capacity_is_counted_over_every_queue_that_shares_the_environments():
    other = queue("dev-ce", name="other-jq")
    summaries = [
        {"jobId": f"j{i}", "status": "RUNNING", "queue": other["jobQueueArn"] if i % 2 else QUEUE} for i in range(150)
    ]
    details = [dict(running("0.05"), jobId=f"j{i}") for i in range(150)]
    batch = aws([queue("dev-ce"), other, queue("unrelated-ce", name="unrelated")], [environment()], summaries, details)
    (found,) = why.explain_runnable(batch, job(vcpus="1"))
    assert found["reason"] == "CAPACITY_IN_USE"
    listed = [kwargs["jobQueue"] for name, kwargs in batch.calls if name == "list_jobs"]
    assert sorted(set(listed)) == sorted([QUEUE, other["jobQueueArn"]])  # not the unrelated queue
    assert len(listed) == 4  # RUNNING and STARTING per queue
    described = [len(kwargs["jobs"]) for name, kwargs in batch.calls if name == "describe_jobs"]
    assert described == [100, 50]


def test_a_failed_look_up_becomes_a_finding_and_a_warning():
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeJobQueues")
    warnings = []
    findings = why.safe_explain(FakeClient(describe_job_queues=denied), job(), warnings.append)
    assert reasons(findings) == ["DIAGNOSIS_FAILED"]
    assert len(warnings) == 1 and "stays RUNNABLE" in warnings[0]


# ---------------------------------------------------------------------------------------------- the follower
class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def scripted(states):
    states = list(states)
    return lambda jobs: {"jobs": [states.pop(0) if len(states) > 1 else states[0]]}


def follower(states, diagnose_after=60, known_status="SUBMITTED"):
    clock, asked, events = Clock(), [], []

    def diagnose(detail):
        asked.append(clock.now)
        return [{"reason": "QUEUE_DISABLED", "message": "the job queue dev-jq is DISABLED"}]

    follow = jobs.JobFollower(
        FakeClient(describe_jobs=scripted(states)),
        on_event=lambda kind, data: events.append((kind, data.get("waited"))),
        poll_interval=5,
        max_poll_interval=5,
        sleep=clock.sleep,
        clock=clock,
        diagnose=diagnose,
        diagnose_after=diagnose_after,
        known_status=known_status,
        wall=lambda: 1_000.0,
    )
    return follow, asked, events


def test_the_follower_asks_once_per_stretch_in_runnable_after_the_threshold():
    attempt = {"container": {"exitCode": 1}, "startedAt": 1, "stoppedAt": 2}
    runnable = [jobs_detail("RUNNABLE")] * 20
    retried = [jobs_detail("RUNNABLE", attempts=[attempt], retryStrategy={"attempts": 2})] * 20
    states = runnable + [jobs_detail("RUNNING")] + retried + [jobs_detail("SUCCEEDED", attempts=[attempt, attempt])]
    follow, asked, events = follower(states)
    follow.follow("job-1", timeout=3600)
    assert asked == [60.0, 165.0]  # once per stretch, each time 60 s in (polls every 5 s)
    assert [waited for kind, waited in events if kind == "diagnosis"] == [60.0, 60.0]
    assert follow.result()["diagnosis"]["findings"][0]["reason"] == "QUEUE_DISABLED"


def test_a_timeout_while_runnable_says_why_even_before_the_threshold():
    follow, asked, _events = follower([jobs_detail("RUNNABLE")], diagnose_after=600)
    with pytest.raises(BatchWaitTimeout, match="last status: RUNNABLE. Why it does not start: the job queue dev-jq"):
        follow.follow("job-1", timeout=30)
    assert asked == [30.0]


def test_zero_never_asks():
    follow, asked, _events = follower([jobs_detail("RUNNABLE")], diagnose_after=0)
    with pytest.raises(BatchWaitTimeout) as info:
        follow.follow("job-1", timeout=100)
    assert asked == []
    assert "Why" not in info.value.message


def test_a_job_followed_later_counts_the_time_since_it_was_created():
    follow, asked, events = follower([jobs_detail("RUNNABLE", createdAt=900_000)], known_status=None)
    with pytest.raises(BatchWaitTimeout):
        follow.follow("job-1", timeout=10)
    assert asked == [0.0]  # created 100 s before the first poll: past the 60 s threshold at once
    assert [waited for kind, waited in events if kind == "diagnosis"] == [100.0]


def test_no_question_for_a_job_that_runs():
    follow, asked, _events = follower([jobs_detail("RUNNING"), jobs_detail("SUCCEEDED")], diagnose_after=1)
    follow.follow("job-1")
    assert asked == []


def jobs_detail(status, **extra):
    return dict(job(status=status), **extra)
