"""The resource modules together, as one playbook: what a Batch stack needs, in a valid order.

An EC2 environment `dev-carbon-ce`, a SPOT one, a queue over both (in that order) with a fair-share
policy, a second queue over FARGATE_SPOT then FARGATE, and a job definition like the seed's. The same
playbook runs in --check --diff on an empty account (no write, every change predicted), creates,
re-runs with nothing to do (no write), changes max vCPUs in place, and tears down in reverse order.
"""

import json

import pytest

pytestmark = pytest.mark.slow

READS = ("Describe", "List", "Get")
POLICY = "dev-carbon-fairshare"
QUEUES = {
    "dev-carbon-jq": ["dev-carbon-ce", "dev-carbon-spot-ce"],
    "dev-carbon-fargate-jq": ["dev-carbon-fspot-ce", "dev-carbon-fargate-ce"],
}
ENVIRONMENTS = ["dev-carbon-ce", "dev-carbon-spot-ce", "dev-carbon-fspot-ce", "dev-carbon-fargate-ce"]


def writes(stats):
    return {call: n for call, n in stats["calls"].items() if not call.split(":", 1)[1].startswith(READS)}


@pytest.fixture
def prerequisites(aws):
    """What other roles provide: network, instance profile, spot fleet role, execution role, a secret."""
    aws.configure(transition_delay=0.1)
    ec2, iam = aws.client("ec2"), aws.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="dev-carbon-batch", Description="batch", VpcId=vpc)["GroupId"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    execution_role = iam.create_role(RoleName="dev-carbon-exec", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    fleet_role = iam.create_role(RoleName="dev-carbon-spot-fleet", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.create_instance_profile(InstanceProfileName="dev-carbon-ecs-instance")
    secret = aws.client("secretsmanager").create_secret(
        Name="/carbon/dev/eu-west-1/MY_SECRET", SecretString="s3cr3t-value"
    )
    aws.reset_stats()
    return {
        "subnets": [subnet],
        "security_group_ids": [group],
        "execution_role": execution_role,
        "fleet_role": fleet_role,
        "secret_arn": secret["ARN"],
    }


def stack_play(net, state="present", max_vcpus=8):
    common = {"subnets": net["subnets"], "security_group_ids": net["security_group_ids"], "state": state}
    environments = [
        {
            "name": "Compute environment dev-carbon-ce (EC2)",
            "ondemand.batch.compute_environment": {
                **common,
                "name": "dev-carbon-ce",
                "type": "MANAGED",
                "compute_resource_type": "EC2",
                "allocation_strategy": "BEST_FIT_PROGRESSIVE",
                "instance_types": ["c4.large"],
                "min_vcpus": 0,
                "desired_vcpus": 0,
                "max_vcpus": max_vcpus,
                "instance_role": "dev-carbon-ecs-instance",
                "tags": {"stack": "dev-carbon"},
            },
        },
        {
            "name": "Compute environment dev-carbon-spot-ce (SPOT)",
            "ondemand.batch.compute_environment": {
                **common,
                "name": "dev-carbon-spot-ce",
                "type": "MANAGED",
                "compute_resource_type": "SPOT",
                "allocation_strategy": "SPOT_PRICE_CAPACITY_OPTIMIZED",
                "instance_types": ["c4.large"],
                "min_vcpus": 0,
                "max_vcpus": 8,
                "instance_role": "dev-carbon-ecs-instance",
                "spot_iam_fleet_role": net["fleet_role"],
            },
        },
        {
            "name": "Compute environment dev-carbon-fspot-ce (FARGATE_SPOT)",
            "ondemand.batch.compute_environment": {
                **common,
                "name": "dev-carbon-fspot-ce",
                "type": "MANAGED",
                "compute_resource_type": "FARGATE_SPOT",
                "max_vcpus": 16,
            },
        },
        {
            "name": "Compute environment dev-carbon-fargate-ce (FARGATE)",
            "ondemand.batch.compute_environment": {
                **common,
                "name": "dev-carbon-fargate-ce",
                "type": "MANAGED",
                "compute_resource_type": "FARGATE",
                "max_vcpus": 16,
            },
        },
    ]
    policy = {
        "name": "Fair-share policy",
        "ondemand.batch.scheduling_policy": {
            "name": POLICY,
            "state": state,
            "share_decay_seconds": 3600,
            "share_distribution": [{"share_identifier": "carbon", "weight_factor": 1.0}],
        },
    }
    queues = [
        {
            "name": f"Job queue {name}",
            "ondemand.batch.job_queue": {
                "name": name,
                "state": state,
                "priority": 1,
                "compute_environments": environments_of_queue,
                **({"scheduling_policy": POLICY} if name == "dev-carbon-jq" else {}),
            },
        }
        for name, environments_of_queue in QUEUES.items()
    ]
    definition = {
        "name": "Job definition dev-carbon-jd",
        "ondemand.batch.job_definition": {
            "name": "dev-carbon-jd",
            "state": state,
            "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
            "command": ["echo", "hello world"],
            "vcpus": 1,
            "memory": 128,
            "environment": {"LOG_LEVEL": "INFO"},
            "secrets": {"MY_SECRET": net["secret_arn"]},
            "execution_role_arn": net["execution_role"],
            "log_configuration": {"log_driver": "awslogs", "options": {"awslogs-group": "/aws/batch/job"}},
            "timeout": 60,
            "retry_strategy": {"attempts": 3, "evaluate_on_exit": [{"on_reason": "*", "action": "RETRY"}]},
        },
    }
    # Creation needs the policy before the queue and environments before queues; removal the reverse.
    tasks = [policy, *environments, *queues, definition]
    if state == "absent":
        tasks = [*queues, *environments, policy, definition]
    return [{"name": "Batch stack", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def changed_tasks(result):
    return sorted(t["task"]["name"] for t in result.tasks() if t["hosts"]["localhost"].get("changed"))


def test_stack_check_create_rerun_update_and_teardown(aws, playbook, prerequisites):
    batch = aws.client("batch")
    all_tasks = sorted(t["name"] for t in stack_play(prerequisites)[0]["tasks"])

    # --check --diff on an empty account: every resource predicted as a change, nothing written.
    predicted = playbook(stack_play(prerequisites), check=True, diff=True)
    assert predicted.rc == 0, predicted.stdout[-3000:]
    assert changed_tasks(predicted) == all_tasks
    assert writes(aws.stats()) == {}
    assert batch.describe_compute_environments()["computeEnvironments"] == []
    diff = predicted.task("Compute environment dev-carbon-ce (EC2)")["diff"]
    assert diff["before"] == {} and diff["after"]["compute_environment_name"] == "dev-carbon-ce"

    created = playbook(stack_play(prerequisites))
    assert created.rc == 0, created.stdout[-3000:]
    assert changed_tasks(created) == all_tasks
    # Check mode predicted what the real run produced.
    assert (
        predicted.task("Job definition dev-carbon-jd")["job_definition"]
        == created.task("Job definition dev-carbon-jd")["job_definition"]
    )
    queues = {q["jobQueueName"]: q for q in batch.describe_job_queues()["jobQueues"]}
    for name, expected in QUEUES.items():
        order = sorted(queues[name]["computeEnvironmentOrder"], key=lambda e: e["order"])
        assert [e["computeEnvironment"].rsplit("/", 1)[1] for e in order] == expected
    assert queues["dev-carbon-jq"]["schedulingPolicyArn"].endswith(f"/{POLICY}")
    definition = batch.describe_job_definitions(jobDefinitionName="dev-carbon-jd", status="ACTIVE")["jobDefinitions"]
    assert [d["revision"] for d in definition] == [1]
    container = definition[0]["containerProperties"]
    assert container["secrets"] == [{"name": "MY_SECRET", "valueFrom": prerequisites["secret_arn"]}]
    assert definition[0]["retryStrategy"]["attempts"] == 3 and definition[0]["timeout"]["attemptDurationSeconds"] == 60

    aws.reset_stats()
    rerun = playbook(stack_play(prerequisites))
    assert rerun.rc == 0 and rerun.changed == 0, changed_tasks(rerun)
    assert writes(aws.stats()) == {}

    aws.reset_stats()
    scaled = playbook(stack_play(prerequisites, max_vcpus=16))
    assert scaled.rc == 0, scaled.stdout[-3000:]
    assert changed_tasks(scaled) == ["Compute environment dev-carbon-ce (EC2)"]
    assert writes(aws.stats()) == {"batch:UpdateComputeEnvironment": 1}
    (environment,) = batch.describe_compute_environments(computeEnvironments=["dev-carbon-ce"])["computeEnvironments"]
    assert environment["computeResources"]["maxvCpus"] == 16

    removed = playbook(stack_play(prerequisites, state="absent"))
    assert removed.rc == 0, removed.stdout[-3000:]
    assert changed_tasks(removed) == all_tasks
    assert batch.describe_job_queues()["jobQueues"] == []
    assert batch.describe_compute_environments()["computeEnvironments"] == []
    assert batch.describe_job_definitions(jobDefinitionName="dev-carbon-jd", status="ACTIVE")["jobDefinitions"] == []
    assert batch.list_scheduling_policies()["schedulingPolicies"] == []

    aws.reset_stats()
    again = playbook(stack_play(prerequisites, state="absent"))
    assert again.rc == 0 and again.changed == 0, changed_tasks(again)
    assert writes(aws.stats()) == {}
