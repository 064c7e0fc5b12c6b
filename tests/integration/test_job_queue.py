"""ondemand.batch.job_queue and job_queue_info against the emulator.

Compute environments and scheduling policies are made with boto3 (fast); each test batches several
tasks into one ansible-playbook run and reads the emulator's API call statistics between runs.
"""

import time

import pytest

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
REGION = "eu-west-1"
NAME = "dev-carbon-jq"
ARN = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/{NAME}"
PROFILE = "dev-carbon-instance-profile"
READS = ("Describe", "List", "Get")


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def jq(task_name, args, **keywords):
    return {"name": task_name, "ondemand.batch.job_queue": args, **keywords}


def writes(stats):
    return {call: n for call, n in stats["calls"].items() if not call.split(":", 1)[1].startswith(READS)}


def failures(result):
    messages = [
        f"{task['task']['name']}: {host.get('msg')}"
        for task in result.tasks()
        for host in task["hosts"].values()
        if host.get("failed") and not host.get("ignore_errors")
    ]
    return "\n".join(messages) or result.stdout[-3000:] + result.stderr[-3000:]


def order_of(detail):
    return [e["compute_environment"] for e in sorted(detail["compute_environment_order"], key=lambda e: e["order"])]


@pytest.fixture
def environments(aws):
    """Three EC2 environments and one Fargate environment, VALID; returns {name: arn}."""
    aws.configure(transition_delay=0.1)
    ec2, iam, batch = aws.client("ec2"), aws.client("iam"), aws.client("batch")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="dev-carbon-batch", Description="batch", VpcId=vpc)["GroupId"]
    iam.create_instance_profile(InstanceProfileName=PROFILE)
    arns = {}
    for name in ("dev-carbon-a-ce", "dev-carbon-b-ce", "dev-carbon-c-ce", "dev-carbon-d-ce"):
        resources = {
            "type": "EC2",
            "maxvCpus": 4,
            "instanceTypes": ["optimal"],
            "instanceRole": PROFILE,
            "subnets": [subnet],
            "securityGroupIds": [group],
        }
        arns[name] = batch.create_compute_environment(
            computeEnvironmentName=name, type="MANAGED", computeResources=resources
        )["computeEnvironmentArn"]
    arns["dev-carbon-fargate-ce"] = batch.create_compute_environment(
        computeEnvironmentName="dev-carbon-fargate-ce",
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": [subnet], "securityGroupIds": [group]},
    )["computeEnvironmentArn"]
    for _attempt in range(100):
        if all(e["status"] == "VALID" for e in batch.describe_compute_environments()["computeEnvironments"]):
            break
        time.sleep(0.05)
    aws.reset_stats()
    return arns


def test_create_reorder_tags_info_delete(playbook, aws, environments):
    args = {
        "name": NAME,
        "priority": 10,
        # A name and an ARN: compared in order with the ARNs AWS reports.
        "compute_environments": ["dev-carbon-b-ce", environments["dev-carbon-a-ce"]],
        "job_state_time_limit_actions": [{"reason": "No capacity for 30 minutes", "max_time_seconds": 1800}],
        "tags": {"Environment": "dev", "Owner": "data"},
    }
    created = playbook(play(jq("create (check)", args, check_mode=True, diff=True), jq("create", args)))
    assert created.rc == 0, failures(created)
    predicted = created.task("create (check)")
    assert predicted["changed"] is True
    assert predicted["diff"]["before"] == {}
    assert predicted["job_queue"]["job_queue_arn"] == ARN
    result = created.task("create")["job_queue"]
    assert result["status"] == "VALID"
    assert order_of(result) == [environments["dev-carbon-b-ce"], environments["dev-carbon-a-ce"]]
    assert result["job_state_time_limit_actions"] == [
        {"reason": "No capacity for 30 minutes", "state": "RUNNABLE", "max_time_seconds": 1800, "action": "CANCEL"}
    ]
    assert result["tags"] == {"Environment": "dev", "Owner": "data"}
    keys = ("job_queue_name", "job_queue_arn", "state", "status", "priority", "compute_environment_order", "tags")
    assert {k: result[k] for k in keys} == {k: predicted["job_queue"][k] for k in keys}
    # Check mode wrote nothing (a write would show here, or make the real creation fail).
    assert writes(aws.stats()) == {"batch:CreateJobQueue": 1}
    assert "sts:GetCallerIdentity" not in aws.stats()["calls"]  # account and region came from the environments

    aws.reset_stats()
    again = playbook(play(jq("again", args), jq("again (check)", args, check_mode=True)))
    assert again.rc == 0, failures(again)
    assert again.task("again")["changed"] is False
    assert again.task("again (check)")["changed"] is False
    # Per run: one DescribeJobQueues, nothing else (the environments are the queue's own: no look-up).
    assert aws.stats()["calls"] == {"batch:DescribeJobQueues": 2}

    reordered = {
        **args,
        "priority": 20,
        "compute_environments": ["dev-carbon-a-ce", "dev-carbon-c-ce", "dev-carbon-b-ce"],
        "job_state_time_limit_actions": [],
        "tags": {"Environment": "dev", "Team": "carbon"},
    }
    aws.reset_stats()
    updated = playbook(
        play(
            jq("reorder (check)", reordered, check_mode=True),
            jq("reorder", reordered),
            jq("reorder again", reordered),
            {"name": "info by arn", "ondemand.batch.job_queue_info": {"names": [ARN, "missing-jq"]}},
            {"name": "info all", "ondemand.batch.job_queue_info": {}},
        ),
        diff=True,
    )
    assert updated.rc == 0, failures(updated)
    reorder = updated.task("reorder")
    assert reorder["changed"] is True
    assert reorder["diff"]["before"]["priority"] == 10
    expected = [environments[n] for n in ("dev-carbon-a-ce", "dev-carbon-c-ce", "dev-carbon-b-ce")]
    assert order_of(reorder["job_queue"]) == expected
    assert order_of(updated.task("reorder (check)")["job_queue"]) == expected
    assert reorder["job_queue"]["priority"] == 20
    assert "job_state_time_limit_actions" not in reorder["job_queue"]
    assert reorder["job_queue"]["tags"] == {"Environment": "dev", "Team": "carbon"}
    assert updated.task("reorder again")["changed"] is False
    assert writes(aws.stats()) == {"batch:UpdateJobQueue": 1, "batch:TagResource": 1, "batch:UntagResource": 1}
    found = updated.task("info by arn")["job_queues"]
    assert [q["job_queue_name"] for q in found] == [NAME]  # the missing name is left out
    assert found[0] == reorder["job_queue"]
    assert updated.task("info all")["job_queues"] == found

    absent = {"name": NAME, "state": "absent"}
    aws.reset_stats()
    deleted = playbook(
        play(jq("delete (check)", absent, check_mode=True), jq("delete", absent), jq("delete again", absent)),
        diff=True,
    )
    assert deleted.rc == 0, failures(deleted)
    assert deleted.task("delete (check)")["changed"] is True
    assert deleted.task("delete")["changed"] is True
    assert deleted.task("delete")["diff"]["before"]["job_queue_arn"] == ARN
    assert deleted.task("delete")["job_queue"] == {}
    assert deleted.task("delete again")["changed"] is False
    assert writes(aws.stats()) == {"batch:UpdateJobQueue": 1, "batch:DeleteJobQueue": 1}  # disable, delete
    assert aws.client("batch").describe_job_queues()["jobQueues"] == []


def test_scheduling_policy_in_place_or_replace(playbook, aws, environments):
    batch = aws.client("batch")
    policies = {
        name: batch.create_scheduling_policy(name=name, fairsharePolicy={"shareDecaySeconds": 0})["arn"]
        for name in ("dev-carbon-fair", "dev-carbon-fairer")
    }
    fifo = {"name": NAME, "priority": 1, "compute_environments": ["dev-carbon-fargate-ce"]}
    fair = {**fifo, "scheduling_policy": "dev-carbon-fair"}
    fairer = {**fifo, "scheduling_policy": policies["dev-carbon-fairer"]}
    aws.reset_stats()
    result = playbook(
        play(
            jq("fifo", fifo),
            jq("add policy", fair, ignore_errors=True),
            jq("add policy by replacing (check)", {**fair, "replace": True}, check_mode=True),
            jq("add policy by replacing", {**fair, "replace": True}),
            jq("same policy by name", fair),
            jq("other policy by arn", fairer),
            jq("remove policy", {**fifo, "scheduling_policy": ""}, ignore_errors=True),
        )
    )
    assert result.rc == 0, failures(result)
    refused = result.task("add policy")
    assert refused["failed"] is True
    assert "a FIFO job queue (no scheduling policy) cannot get a fair-share policy" in refused["msg"]
    assert "replace=true" in refused["msg"]
    replaced = result.task("add policy by replacing")
    assert replaced["changed"] is True
    assert replaced["job_queue"]["job_queue_arn"] == ARN
    assert replaced["job_queue"]["scheduling_policy_arn"] == policies["dev-carbon-fair"]
    assert (
        result.task("add policy by replacing (check)")["job_queue"]["scheduling_policy_arn"]
        == (policies["dev-carbon-fair"])
    )
    assert result.task("same policy by name")["changed"] is False
    assert result.task("other policy by arn")["job_queue"]["scheduling_policy_arn"] == policies["dev-carbon-fairer"]
    assert "can be replaced but not removed" in result.task("remove policy")["msg"]
    assert writes(aws.stats()) == {
        "batch:CreateJobQueue": 2,  # the FIFO queue, then the fair-share queue that replaced it
        "batch:UpdateJobQueue": 2,  # disable before deleting, then the other policy in place
        "batch:DeleteJobQueue": 1,
    }


def test_bad_inputs_fail_before_any_write(playbook, aws, environments):
    base = {"name": NAME, "priority": 1, "compute_environments": ["dev-carbon-a-ce"]}
    bad = {
        "name": ({**base, "name": "dev carbon jq"}, "name: must be 1-128 characters"),
        "no priority": ({**base, "priority": None}, "priority: required to create a job queue"),
        "four environments": (
            {
                **base,
                "compute_environments": ["dev-carbon-a-ce", "dev-carbon-b-ce", "dev-carbon-c-ce", "dev-carbon-d-ce"],
            },
            "compute_environments: takes at most 3 items (got 4)",
        ),
        "unknown environment": (
            {**base, "compute_environments": ["dev-carbon-a-ce", "dev-carbon-x-ce"]},
            "compute_environments: no compute environment named dev-carbon-x-ce",
        ),
        "ec2 and fargate": (
            {**base, "compute_environments": ["dev-carbon-a-ce", "dev-carbon-fargate-ce"]},
            "compute_environments: cannot mix EC2/SPOT environments (dev-carbon-a-ce) with FARGATE/FARGATE_SPOT "
            "environments (dev-carbon-fargate-ce)",
        ),
        "unknown policy": (
            {**base, "scheduling_policy": "no-such-policy"},
            "scheduling_policy: no scheduling policy named 'no-such-policy' exists",
        ),
        "short time limit": (
            {**base, "job_state_time_limit_actions": [{"reason": "stuck", "max_time_seconds": 60}]},
            "job_state_time_limit_actions[0].max_time_seconds: must be at least 600",
        ),
    }
    tasks = []
    for name, (args, _message) in bad.items():
        tasks.append(jq(name, {k: v for k, v in args.items() if v is not None}, ignore_errors=True))
    result = playbook(play(*tasks))
    assert result.rc == 0, failures(result)
    for name, (_args, message) in bad.items():
        task = result.task(name)
        assert task["failed"] is True, name
        assert message in task["msg"], (name, task["msg"])
    assert aws.stats()["writes"] == 0


def test_queue_waits_for_an_environment_made_without_wait(playbook, aws, environments):
    """A compute environment made with wait=false is still CREATING when the queue task runs: the queue waits
    until it is VALID before CreateJobQueue (AWS associates only VALID environments), even with wait=false."""
    # Long enough that the environment is still CREATING when the queue task starts, on a loaded CI machine too
    # (3 s was not: the queue's first look-up found it VALID already).
    aws.configure(transition_delay=8)
    batch = aws.client("batch")
    resources = batch.describe_compute_environments(computeEnvironments=["dev-carbon-a-ce"])["computeEnvironments"][0][
        "computeResources"
    ]
    new_ce = {
        "name": "dev-carbon-new-ce",
        "compute_resource_type": "EC2",
        "max_vcpus": 4,
        "instance_types": ["optimal"],
        "instance_role": PROFILE,
        "subnets": resources["subnets"],
        "security_group_ids": resources["securityGroupIds"],
        "wait": False,
    }
    queue = {"name": NAME, "priority": 1, "compute_environments": ["dev-carbon-new-ce"], "wait": False}
    aws.reset_stats()
    result = playbook(
        play(
            {"name": "environment", "ondemand.batch.compute_environment": new_ce},
            jq("queue", queue),
        )
    )
    assert result.rc == 0, failures(result)
    assert result.task("environment")["compute_environment"]["status"] == "CREATING"
    assert result.task("queue")["job_queue"]["status"] == "CREATING"  # the queue itself was not waited for
    calls = aws.stats()["calls"]
    # The environment: its look-up and the Describe after CreateComputeEnvironment. The queue: the look-up of
    # its environments (CREATING), then at least one more until VALID; only then CreateJobQueue.
    assert calls["batch:DescribeComputeEnvironments"] >= 4, calls
    assert writes(aws.stats()) == {"batch:CreateComputeEnvironment": 1, "batch:CreateJobQueue": 1}
    detail = batch.describe_compute_environments(computeEnvironments=["dev-carbon-new-ce"])["computeEnvironments"][0]
    assert detail["status"] == "VALID"


def test_check_mode_predicts_an_environment_given_by_arn(playbook, aws, environments):
    """Check mode of a deployment whose queue names a new environment by ARN: a warning, the predicted queue, no
    write and no STS call (the account is the ARN's)."""
    new = f"arn:aws:batch:{REGION}:{ACCOUNT}:compute-environment/dev-carbon-new-ce"
    args = {"name": NAME, "priority": 1, "compute_environments": [new, "dev-carbon-a-ce"]}
    result = playbook(
        play(
            jq("by arn (check)", args, check_mode=True),
            jq("only new by arn (check)", {**args, "compute_environments": [new]}, check_mode=True),
            jq("by arn", args, ignore_errors=True),
        )
    )
    assert result.rc == 0, failures(result)
    for name, order in (("by arn (check)", [new, environments["dev-carbon-a-ce"]]), ("only new by arn (check)", [new])):
        task = result.task(name)
        assert task["changed"] is True, name
        assert order_of(task["job_queue"]) == order
        assert task["job_queue"]["job_queue_arn"] == ARN
        assert any(f"no compute environment named {new}" in w for w in task.get("warnings", [])), task
    assert f"compute_environments: no compute environment named {new}" in result.task("by arn")["msg"]
    assert aws.stats()["writes"] == 0
    assert "sts:GetCallerIdentity" not in aws.stats()["calls"]
