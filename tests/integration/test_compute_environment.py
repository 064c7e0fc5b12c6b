"""ondemand.batch.compute_environment and compute_environment_info against the emulator.

Each test batches several tasks into one ansible-playbook run and reads the emulator's API call
statistics between runs: check mode and idempotent re-runs must make no write call.
"""

import json
import time

import pytest

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
REGION = "eu-west-1"
NAME = "dev-carbon-ce"
ARN = f"arn:aws:batch:{REGION}:{ACCOUNT}:compute-environment/{NAME}"
SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
PROFILE_ARN = f"arn:aws:iam::{ACCOUNT}:instance-profile/dev-carbon-instance-profile"
# Keys AWS fills in that check mode cannot know.
UNPREDICTABLE = ("ecs_cluster_arn", "uuid", "status_reason", "container_orchestration_type")


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def ce(task_name, args, **keywords):
    return {"name": task_name, "ondemand.batch.compute_environment": args, **keywords}


def jq(task_name, args, **keywords):
    return {"name": task_name, "ondemand.batch.job_queue": args, **keywords}


def writes(stats):
    return {call: n for call, n in stats["calls"].items() if not call.split(":", 1)[1].startswith(READS)}


READS = ("Describe", "List", "Get")


def failures(result):
    """What went wrong in a run, short enough for an assertion message."""
    messages = [
        f"{task['task']['name']}: {host.get('msg')}"
        for task in result.tasks()
        for host in task["hosts"].values()
        if host.get("failed") and not host.get("ignore_errors")
    ]
    return "\n".join(messages) or result.stdout[-3000:] + result.stderr[-3000:]


def predictable(result):
    return {k: v for k, v in result.items() if k not in UNPREDICTABLE}


@pytest.fixture
def network(aws):
    """A VPC with two subnets, a security group, an instance profile and a regular Batch service role."""
    aws.configure(transition_delay=0.1)
    ec2, iam = aws.client("ec2"), aws.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2, 3)]
    group = ec2.create_security_group(GroupName="dev-carbon-batch", Description="batch", VpcId=vpc)["GroupId"]
    iam.create_instance_profile(InstanceProfileName="dev-carbon-instance-profile")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="dev-carbon-batch-service", AssumeRolePolicyDocument=json.dumps(trust))
    aws.reset_stats()
    return {"subnets": subnets, "security_group": group, "service_role": role["Role"]["Arn"]}


def ec2_args(network, **changes):
    args = {
        "name": NAME,
        "compute_resource_type": "EC2",
        "allocation_strategy": "BEST_FIT_PROGRESSIVE",
        "max_vcpus": 8,
        "instance_types": ["optimal"],
        "subnets": network["subnets"][:2],
        "security_group_ids": [network["security_group"]],
        "instance_role": "dev-carbon-instance-profile",
        "update_policy": {"job_execution_timeout_minutes": 45},
        "tags": {"Environment": "dev", "Owner": "data"},
    }
    args.update(changes)
    return {k: v for k, v in args.items() if v is not None}


def test_create_update_tags_info_delete(playbook, aws, network):
    args = ec2_args(network)
    created = playbook(play(ce("create (check)", args, check_mode=True, diff=True), ce("create", args)))
    assert created.rc == 0, failures(created)
    predicted = created.task("create (check)")
    assert predicted["changed"] is True
    assert predicted["diff"]["before"] == {}
    assert predicted["compute_environment"]["compute_environment_arn"] == ARN
    assert predicted["compute_environment"]["service_role"] == SLR
    result = created.task("create")["compute_environment"]
    assert result["status"] == "VALID"
    assert result["service_role"] == SLR  # omitted service_role: AWS's service-linked role, and no diff for it
    assert result["compute_resources"]["instance_role"] == PROFILE_ARN  # the name was resolved through IAM
    assert result["update_policy"] == {"job_execution_timeout_minutes": 45, "terminate_jobs_on_update": False}
    assert result["tags"] == {"Environment": "dev", "Owner": "data"}
    assert predictable(result) == predictable(predicted["compute_environment"])
    # Creation, then the update policy (CreateComputeEnvironment has none); check mode wrote nothing (a
    # write would show here, or make the real creation fail).
    assert writes(aws.stats()) == {"batch:CreateComputeEnvironment": 1, "batch:UpdateComputeEnvironment": 1}
    # The account came from the instance profile ARN: no STS call was needed to predict the ARNs.
    assert "sts:GetCallerIdentity" not in aws.stats()["calls"]

    aws.reset_stats()
    again = playbook(play(ce("again", args), ce("again (check)", args, check_mode=True)))
    assert again.rc == 0, failures(again)
    assert again.task("again")["changed"] is False
    assert again.task("again (check)")["changed"] is False
    # One DescribeComputeEnvironments per run and nothing else (the profile name matches the reported ARN).
    assert aws.stats()["calls"] == {"batch:DescribeComputeEnvironments": 2}

    # In place: max vCPUs (scaling) and instance types + subnets (infrastructure update: BEST_FIT_PROGRESSIVE
    # with the service-linked role), tags added and removed.
    changed = ec2_args(
        network,
        max_vcpus=16,
        instance_types=["c5", "m5"],
        subnets=[network["subnets"][2], network["subnets"][0]],
        tags={"Environment": "dev", "Team": "carbon"},
    )
    aws.reset_stats()
    updated = playbook(
        play(
            ce("update (check)", changed, check_mode=True),
            ce("update", changed),
            ce("update again", changed),
            {"name": "info by arn", "ondemand.batch.compute_environment_info": {"names": [ARN, "missing-ce"]}},
            {"name": "info all", "ondemand.batch.compute_environment_info": {}},
        ),
        diff=True,
    )
    assert updated.rc == 0, failures(updated)
    update = updated.task("update")
    assert update["changed"] is True
    assert update["diff"]["before"]["compute_resources"]["max_vcpus"] == 8
    assert update["compute_environment"]["compute_resources"]["max_vcpus"] == 16
    assert update["compute_environment"]["tags"] == {"Environment": "dev", "Team": "carbon"}
    assert predictable(updated.task("update (check)")["compute_environment"]) == predictable(
        {**update["compute_environment"], "status": "VALID"}
    )
    assert updated.task("update again")["changed"] is False
    # The info tasks write nothing either.
    assert writes(aws.stats()) == {
        "batch:UpdateComputeEnvironment": 1,
        "batch:TagResource": 1,
        "batch:UntagResource": 1,
    }
    stored = aws.client("batch").describe_compute_environments(computeEnvironments=[NAME])["computeEnvironments"][0]
    assert stored["computeResources"]["maxvCpus"] == 16
    assert stored["computeResources"]["instanceTypes"] == ["c5", "m5"]
    assert stored["tags"] == {"Environment": "dev", "Team": "carbon"}

    found = updated.task("info by arn")["compute_environments"]
    assert [e["compute_environment_name"] for e in found] == [NAME]  # the missing name is left out
    assert found[0] == update["compute_environment"]
    assert updated.task("info all")["compute_environments"] == found

    absent = {"name": NAME, "state": "absent"}
    aws.reset_stats()
    deleted = playbook(
        play(ce("delete (check)", absent, check_mode=True), ce("delete", absent), ce("delete again", absent)),
        diff=True,
    )
    assert deleted.rc == 0, failures(deleted)
    assert deleted.task("delete (check)")["changed"] is True
    assert deleted.task("delete")["changed"] is True
    assert deleted.task("delete")["diff"]["before"]["compute_environment_arn"] == ARN
    assert deleted.task("delete")["compute_environment"] == {}
    assert deleted.task("delete again")["changed"] is False
    # Disable, then delete; the repeated delete writes nothing.
    assert writes(aws.stats()) == {"batch:UpdateComputeEnvironment": 1, "batch:DeleteComputeEnvironment": 1}
    assert aws.client("batch").describe_compute_environments()["computeEnvironments"] == []


def settle(batch):
    """Wait (briefly: the emulator's transition delay) until no environment or queue is in transition."""
    for _attempt in range(100):
        environments = batch.describe_compute_environments()["computeEnvironments"]
        queues = batch.describe_job_queues()["jobQueues"]
        if all(item["status"] in ("VALID", "INVALID") for item in environments + queues):
            return
        time.sleep(0.05)
    raise AssertionError("emulator resources did not settle")


def create_environment(batch, network, name, **resources):
    return batch.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        computeResources={
            "type": "EC2",
            "minvCpus": 0,
            "maxvCpus": 8,
            "instanceTypes": ["optimal"],
            "subnets": network["subnets"][:2],
            "securityGroupIds": [network["security_group"]],
            "instanceRole": PROFILE_ARN,
            **resources,
        },
    )["computeEnvironmentArn"]


def test_replace_keeps_queue_order_and_force_delete(playbook, aws, network):
    """A BEST_FIT environment cannot change instance types in place: fail, then replace; queues follow."""
    batch = aws.client("batch")
    arns = {n: create_environment(batch, network, n) for n in ("dev-carbon-a-ce", NAME, "dev-carbon-b-ce")}
    settle(batch)
    for queue, names in (
        ("dev-carbon-jq", ["dev-carbon-a-ce", NAME, "dev-carbon-b-ce"]),
        ("dev-carbon-lone-jq", [NAME]),
    ):
        batch.create_job_queue(
            jobQueueName=queue,
            priority=1,
            computeEnvironmentOrder=[{"order": i, "computeEnvironment": arns[n]} for i, n in enumerate(names, 1)],
        )
    settle(batch)

    bigger = ec2_args(network, allocation_strategy=None, update_policy=None, tags=None, instance_types=["m5"])
    bigger["max_vcpus"] = 12
    aws.reset_stats()
    replaced = playbook(
        play(
            ce("change (check)", bigger, check_mode=True, ignore_errors=True),
            ce("change", bigger, ignore_errors=True),
            ce("replace (check)", {**bigger, "replace": True}, check_mode=True),
            ce("replace", {**bigger, "replace": True}),
            ce("replace again", {**bigger, "replace": True}),
        ),
        diff=True,
    )
    assert replaced.rc == 0, failures(replaced)
    for task in ("change (check)", "change"):
        failed = replaced.task(task)
        assert failed["failed"] is True
        assert "replace: AWS cannot change compute environment dev-carbon-ce in place: instance_types" in failed["msg"]
        assert "max_vcpus" not in failed["msg"]  # updatable in place, so not listed
    replace = replaced.task("replace")
    assert replace["changed"] is True
    assert replaced.task("replace (check)")["changed"] is True
    assert replace["compute_environment"]["compute_environment_arn"] == ARN  # same name, same ARN
    assert replace["compute_environment"]["compute_resources"]["instance_types"] == ["m5"]
    assert replace["compute_environment"]["compute_resources"]["max_vcpus"] == 12
    assert replace["diff"]["before"]["compute_resources"]["instance_types"] == ["optimal"]
    assert replaced.task("replace again")["changed"] is False
    # Only the replacement wrote (the refusals, the check run and the re-run wrote nothing): a temporary
    # environment and the new one created, both old ones disabled and deleted, two queues pointed at the
    # temporary environment and back.
    assert writes(aws.stats()) == {
        "batch:CreateComputeEnvironment": 2,
        "batch:UpdateComputeEnvironment": 2,
        "batch:DeleteComputeEnvironment": 2,
        "batch:UpdateJobQueue": 4,
    }
    queue = batch.describe_job_queues(jobQueues=["dev-carbon-jq"])["jobQueues"][0]
    order = sorted(queue["computeEnvironmentOrder"], key=lambda e: e["order"])
    assert [e["computeEnvironment"] for e in order] == [arns["dev-carbon-a-ce"], ARN, arns["dev-carbon-b-ce"]]
    names = sorted(e["computeEnvironmentName"] for e in batch.describe_compute_environments()["computeEnvironments"])
    assert names == ["dev-carbon-a-ce", "dev-carbon-b-ce", NAME]

    # Deleting an environment that queues use fails and names them; force takes it out of them.
    absent = {"name": NAME, "state": "absent"}
    aws.reset_stats()
    removed = playbook(
        play(
            ce("delete", absent, ignore_errors=True),
            ce("force delete (check)", {**absent, "force": True}, check_mode=True),
            ce("force delete", {**absent, "force": True}),
            ce("force delete again", {**absent, "force": True}),
        )
    )
    assert removed.rc == 0, failures(removed)
    refused = removed.task("delete")
    assert refused["failed"] is True
    assert "force: compute environment dev-carbon-ce is still used by job queue(s)" in refused["msg"]
    assert "dev-carbon-jq" in refused["msg"] and "dev-carbon-lone-jq" in refused["msg"]
    assert removed.task("force delete (check)")["changed"] is True
    assert removed.task("force delete")["changed"] is True
    assert removed.task("force delete again")["changed"] is False
    queues = {q["jobQueueName"]: q for q in batch.describe_job_queues()["jobQueues"]}
    assert list(queues) == ["dev-carbon-jq"]  # the queue left without an environment was deleted
    order = sorted(queues["dev-carbon-jq"]["computeEnvironmentOrder"], key=lambda e: e["order"])
    assert [e["computeEnvironment"] for e in order] == [arns["dev-carbon-a-ce"], arns["dev-carbon-b-ce"]]
    assert writes(aws.stats()) == {
        "batch:UpdateJobQueue": 2,  # dev-carbon-jq without the environment, dev-carbon-lone-jq disabled
        "batch:DeleteJobQueue": 1,
        "batch:UpdateComputeEnvironment": 1,
        "batch:DeleteComputeEnvironment": 1,
    }


def test_fargate_disabled_regular_service_role_and_invalid(playbook, aws, network):
    fargate = {
        "name": "dev-carbon-fargate-ce",
        "compute_resource_type": "FARGATE_SPOT",
        "max_vcpus": 4,
        "subnets": network["subnets"][:1],
        "security_group_ids": [network["security_group"]],
        "service_role": "dev-carbon-batch-service",
        "compute_environment_state": "DISABLED",
    }
    moved = {**fargate, "subnets": network["subnets"][1:], "max_vcpus": 6}
    invalid = ec2_args(network, subnets=["subnet-0000000000000dead"], update_policy=None)
    result = playbook(
        play(
            ce("create", fargate),
            ce("again", fargate),
            ce("move (check)", moved, check_mode=True),
            ce("move", moved),
            ce("move again", moved),
            ce("enable", {"name": "dev-carbon-fargate-ce", "compute_environment_state": "ENABLED"}),
            ce("invalid", invalid, ignore_errors=True),
        )
    )
    assert result.rc == 0, failures(result)
    created = result.task("create")["compute_environment"]
    assert created["state"] == "DISABLED"  # created ENABLED as AWS requires, then disabled
    assert created["service_role"] == network["service_role"]  # the role name was resolved through IAM
    assert "min_vcpus" not in created["compute_resources"]
    assert result.task("again")["changed"] is False
    assert result.task("move (check)")["changed"] is True
    assert result.task("move")["compute_environment"]["compute_resources"]["subnets"] == network["subnets"][1:]
    assert result.task("move again")["changed"] is False
    assert result.task("enable")["compute_environment"]["state"] == "ENABLED"
    # A subnet that does not exist makes AWS report the environment INVALID; the task fails with its reason.
    failed = result.task("invalid")
    assert failed["failed"] is True
    assert "Compute environment dev-carbon-ce is INVALID" in failed["msg"]
    assert "subnet-0000000000000dead" in failed["msg"]
    assert writes(aws.stats()) == {"batch:CreateComputeEnvironment": 2, "batch:UpdateComputeEnvironment": 3}


def test_wait_true_returns_valid_after_few_describes_and_wait_false_creating(playbook, aws, network):
    """At the emulator's default half-second transition, waiting costs at most two Describes: the first 0.2 s
    after the creation, the second 0.5 s after it. Without wait the environment comes back CREATING."""
    aws.configure(transition_delay=0.5)
    args = ec2_args(network, update_policy=None, tags=None)
    result = playbook(
        play(
            ce("no wait", {**args, "name": "dev-carbon-nowait-ce", "wait": False}),
            {"name": "stats", "ansible.builtin.uri": {"url": f"{aws.url}/_emulator/stats"}, "register": "stats"},
            ce("wait", args),
        )
    )
    assert result.rc == 0, failures(result)
    assert result.task("no wait")["compute_environment"]["status"] == "CREATING"
    assert result.task("wait")["compute_environment"]["status"] == "VALID"
    before = result.task("stats")["json"]["calls"]["batch:DescribeComputeEnvironments"]
    assert before == 2  # wait=false: the look-up, and the Describe that returns the new environment
    waited = aws.stats()["calls"]["batch:DescribeComputeEnvironments"] - before
    assert 2 <= waited <= 3, waited  # the look-up, then one or two polls (one if the machine was slow)
    assert writes(aws.stats()) == {"batch:CreateComputeEnvironment": 2}


def test_bad_inputs_fail_before_any_write(playbook, aws, network):
    fargate = {
        "name": NAME,
        "compute_resource_type": "FARGATE",
        "max_vcpus": 4,
        "subnets": network["subnets"][:1],
        "security_group_ids": [network["security_group"]],
    }
    # One of each kind of rule; tests/unit covers every rule.
    bad = {
        "name": ({**ec2_args(network), "name": "dev carbon"}, "name: must be 1-128 characters"),
        "min above max": (ec2_args(network, min_vcpus=10), "min_vcpus: must not exceed max_vcpus (10 > 8)"),
        "fargate instance types": (
            {**fargate, "instance_types": ["optimal"]},
            "instance_types: not supported for FARGATE compute environments",
        ),
        "unknown instance profile": (
            ec2_args(network, instance_role="no-such-profile"),
            "instance_role: no IAM instance profile named 'no-such-profile' exists",
        ),
        "unmanaged with resources": (
            {"name": NAME, "type": "UNMANAGED", "max_vcpus": 4, "service_role": "dev-carbon-batch-service"},
            "max_vcpus: not supported for UNMANAGED compute environments",
        ),
    }
    result = playbook(play(*(ce(name, args, ignore_errors=True) for name, (args, _message) in bad.items())))
    assert result.rc == 0, failures(result)
    for name, (_args, message) in bad.items():
        task = result.task(name)
        assert task["failed"] is True, name
        assert message in task["msg"], (name, task["msg"])
    assert aws.stats()["writes"] == 0
