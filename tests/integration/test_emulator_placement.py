"""Jobs that cannot run stay RUNNABLE with the reason AWS gives; capacity; jobStateTimeLimitActions; blocked events."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from emulator.testing import BatchWorld

MAX_RESOURCE = (
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the CPU "
    "requirement of the job."
)
JOB_RESOURCE = (
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) is higher than that "
    "can be met by the CE(s) attached to the job queue."
)


@pytest.fixture
def world(aws):
    before = aws._request("GET", "/_emulator/config")
    aws.configure(transition_delay=0.05, executor="none")
    yield BatchWorld(aws)
    aws.configure(**before)


def resources(vcpus, memory):
    return {"resourceRequirements": [{"type": "VCPU", "value": str(vcpus)}, {"type": "MEMORY", "value": str(memory)}]}


def stays_runnable(world, job_id, seconds=0.3):
    world.wait_job(job_id, "RUNNABLE")
    time.sleep(seconds)
    detail = world.describe_job(job_id)
    assert detail["status"] == "RUNNABLE", detail
    return detail


def ec2_queue(world, name, **overrides):
    profile = world.instance_profile(f"{name}-profile")
    world.compute_environment(f"{name}-ce", world.ec2_resources(profile, **overrides))
    world.queue(name, [f"{name}-ce"])


def test_ec2_jobs_must_fit_an_instance_type_and_max_vcpus(world):
    ec2_queue(world, "small", instanceTypes=["c4.large"], maxvCpus=4)
    reasons = {}
    for name, (vcpus, memory) in {"fits": (2, 3808), "cpu": (4, 1024), "memory": (2, 3840), "max": (8, 1024)}.items():
        definition = world.job_definition(name, ["true"], fargate=False, container=resources(vcpus, memory))
        reasons[name] = world.submit(name, definition, queue="small")
    assert world.wait_job(reasons.pop("fits"))[0]["status"] == "SUCCEEDED"
    found = {name: stays_runnable(world, job_id)["statusReason"] for name, job_id in reasons.items()}
    assert found == {"cpu": JOB_RESOURCE, "memory": JOB_RESOURCE, "max": MAX_RESOURCE}
    listed = world.batch.list_jobs(jobQueue="small", jobStatus="RUNNABLE")["jobSummaryList"]
    assert {job["statusReason"] for job in listed} == {JOB_RESOURCE, MAX_RESOURCE}

    # Container overrides at submit count: a smaller job of the same definition runs.
    smaller = world.submit(
        "cpu-override",
        "cpu",
        queue="small",
        containerOverrides={"resourceRequirements": [{"type": "VCPU", "value": "1"}]},
    )
    assert world.wait_job(smaller)[0]["status"] == "SUCCEEDED"


def test_fargate_pairs_and_platforms(world):
    world.fargate_queue("queue")
    bad_pair = world.submit("pair", world.job_definition("pair", ["true"], container=resources(1, 1024)))
    ec2_job = world.submit("ec2", world.job_definition("ec2", ["true"], fargate=False, container=resources(1, 2048)))
    good = world.submit("good", world.job_definition("good", ["true"], container=resources(0.5, 4096)))
    assert world.wait_job(good)[0]["status"] == "SUCCEEDED"
    assert stays_runnable(world, bad_pair)["statusReason"] == JOB_RESOURCE
    assert stays_runnable(world, ec2_job, 0)["statusReason"] == JOB_RESOURCE


def test_capacity_jobs_wait_for_max_vcpus_then_run(world):
    world.emulator.configure(executor="local")
    ce = world.compute_environment("tight-ce", world.fargate_resources(maxvCpus=2))
    world.queue("tight", [ce])
    definition = world.job_definition("nap", ["sleep", "0.6"])
    jobs = [world.submit(f"nap-{index}", definition, queue="tight") for index in range(3)]
    deadline = time.monotonic() + 10
    most, waited = 0, False
    while time.monotonic() < deadline:
        details = world.batch.describe_jobs(jobs=jobs)["jobs"]
        statuses = [job["status"] for job in details]
        most = max(most, sum(status in ("STARTING", "RUNNING") for status in statuses))
        if "RUNNABLE" in statuses and sum(status in ("STARTING", "RUNNING") for status in statuses) == 2:
            waiting = next(job for job in details if job["status"] == "RUNNABLE")
            assert "statusReason" not in waiting  # waiting for capacity is not a blocked queue
            waited = True
        if all(status == "SUCCEEDED" for status in statuses):
            break
        time.sleep(0.02)
    assert statuses == ["SUCCEEDED"] * 3 and most == 2 and waited

    # capacity=unlimited: all three run at once.
    world.emulator.configure(capacity="unlimited")
    longer = world.job_definition("long-nap", ["sleep", "3"])
    jobs = [world.submit(f"free-{index}", longer, queue="tight") for index in range(3)]
    deadline = time.monotonic() + 20
    while {job["status"] for job in world.batch.describe_jobs(jobs=jobs)["jobs"]} != {"RUNNING"}:
        assert time.monotonic() < deadline, world.batch.describe_jobs(jobs=jobs)["jobs"]
        time.sleep(0.02)


def test_time_limit_actions_cancel_the_blocked_head_and_events_are_published(world):
    sqs, events = world.emulator.client("sqs"), world.emulator.client("events")
    queue_url = sqs.create_queue(QueueName="blocked")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.batch"], "detail-type": ["Batch Job Queue Blocked"]}
    events.put_rule(Name="blocked", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="blocked", Targets=[{"Id": "sqs", "Arn": queue_arn}])

    world.emulator.configure(time_limit_scale=0.002)  # 600 s -> 1.2 s
    ce = world.compute_environment("limited-ce", wait=None)
    world.wait_compute_environment("limited-ce")
    actions = [
        {"reason": "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE", "state": "RUNNABLE", "maxTimeSeconds": 600,
         "action": "CANCEL"},
        {"reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", "state": "RUNNABLE", "maxTimeSeconds": 600,
         "action": "CANCEL"},
    ]  # fmt: skip
    world.queue("limited", [ce], jobStateTimeLimitActions=actions)
    too_big = world.job_definition("too-big", ["true"], container=resources(8, 16384))
    bad_pair = world.job_definition("bad-pair", ["true"], container=resources(1, 1024))
    first = world.submit("first", too_big, queue="limited")
    second = world.submit("second", bad_pair, queue="limited")  # JOB_RESOURCE_REQUIREMENT: no action for it
    started = time.monotonic()
    detail = world.wait_job(first, timeout=10)[0]
    assert time.monotonic() - started >= 1.0
    assert detail["status"] == "FAILED" and detail["isCancelled"] is True
    assert detail["statusReason"] == (
        "Canceled by JobStateTimeLimit action due to reason: MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"
    )
    assert stays_runnable(world, second, 1.5)["statusReason"] == JOB_RESOURCE  # now the head, never cancelled

    received = []
    deadline = time.monotonic() + 5
    while len(received) < 2 and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            received.append(json.loads(message["Body"]))
    assert [(event["detail"]["jobId"], event["detail"]["statusReason"]) for event in received] == [
        (first, MAX_RESOURCE),
        (second, JOB_RESOURCE),
    ]
    assert received[0]["detail-type"] == "Batch Job Queue Blocked" and received[0]["source"] == "aws.batch"
    assert received[0]["resources"] == [detail["jobArn"], detail["jobQueue"]]
    assert received[0]["detail"]["status"] == "RUNNABLE"


def test_insufficient_capacity_control(world):
    world.emulator.configure(insufficient_capacity=["c4"], time_limit_scale=0.001)
    profile = world.instance_profile("ice-profile")
    world.compute_environment("ice-ce", world.ec2_resources(profile, instanceTypes=["c4.large", "c4.xlarge"]))
    world.queue("ice", ["ice-ce"])
    job_id = world.submit(
        "ice", world.job_definition("ice", ["true"], fargate=False, container=resources(2, 2048)), "ice"
    )
    assert stays_runnable(world, job_id)["statusReason"] == (
        "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested for instance type "
        "[c4.large]"
    )
    world.emulator.configure(insufficient_capacity=[])
    assert world.wait_job(job_id)[0]["status"] == "SUCCEEDED"


def test_time_limit_actions_are_validated(world):
    ce = world.compute_environment("checked-ce")
    action = {"reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", "state": "RUNNABLE", "maxTimeSeconds": 600,
              "action": "CANCEL"}  # fmt: skip
    for bad in ({"maxTimeSeconds": 599}, {"maxTimeSeconds": 86401}, {"action": "TERMINATE"}, {"state": "PENDING"}):
        with pytest.raises(ClientError) as excinfo:
            world.batch.create_job_queue(
                jobQueueName="checked",
                priority=1,
                computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}],
                jobStateTimeLimitActions=[{**action, **bad}],
            )
        assert excinfo.value.response["Error"]["Code"] == "ClientException", bad
    world.queue("checked", [ce], jobStateTimeLimitActions=[action])
    assert world.describe_queue("checked")["jobStateTimeLimitActions"] == [action]
