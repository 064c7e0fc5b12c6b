"""The six list-form modules against the emulator: one task per kind for a whole Batch stack.

One lifecycle: ``--check --diff`` on an empty account (every entry predicted, no write), create, a re-run
(every entry ``none``, no write, and the reads per kind), a set of changes previewed with ``--check --diff``
and then made (the preview is the run, entry for entry and field for field), removal, and a second removal.
"""

import json

import pytest

from tests.integration.test_job import ACCOUNT, REGION

pytestmark = pytest.mark.slow

READS = ("Describe", "List", "Get")
KINDS = ("scheduling_policies", "compute_environments", "job_queues", "job_definitions", "job_schedules", "job_alerts")
RESULT_KEYS = {
    "scheduling_policies": "scheduling_policy",
    "compute_environments": "compute_environment",
    "job_queues": "job_queue",
    "job_definitions": "job_definition",
    "job_schedules": "schedule",
    "job_alerts": "job_alert",
}


def is_read(call):
    return call.split(":", 1)[1].startswith(READS)


def writes(calls):
    return {call: n for call, n in calls.items() if not is_read(call)}


@pytest.fixture
def net(aws):
    """What other roles provide: network, instance profile, roles, a secret, a topic."""
    aws.configure(transition_delay=0.1)
    ec2, iam = aws.client("ec2"), aws.client("iam")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:1]
    groups = [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]][:1]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    execution_role = iam.create_role(RoleName="l-exec", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.create_instance_profile(InstanceProfileName="l-ecs-instance")
    secret = aws.client("secretsmanager").create_secret(Name="/l/dev/MY_SECRET", SecretString="s3cr3t")["ARN"]
    topic = aws.client("sns").create_topic(Name="l-alerts")["TopicArn"]
    aws.reset_stats()
    return {
        "subnets": subnets,
        "security_group_ids": groups,
        "execution_role": execution_role,
        "secret_arn": secret,
        # A partial ARN (no random suffix): the job definitions resolve it to the full one.
        "secret_partial_arn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:/l/dev/MY_SECRET",
        "topic": topic,
        "events_role": f"arn:aws:iam::{ACCOUNT}:role/l-events",
    }


def model(net, changed=False):
    """The stack as the list modules take it; ``changed`` applies the set of changes of the update phase."""
    common = {"subnets": net["subnets"], "security_group_ids": net["security_group_ids"]}
    tags = {"ondemand:stack": "l"}
    environments = [
        {
            **common,
            "name": "l-ce",
            "compute_resource_type": "EC2",
            "allocation_strategy": "BEST_FIT_PROGRESSIVE",
            "instance_types": ["m5", "c5"] if changed else ["optimal"],
            "max_vcpus": 32 if changed else 16,
            "instance_role": "l-ecs-instance",
            # A creation needs no request for it; the infrastructure update below asks for the latest AMI too.
            "update_to_latest_image_version": True,
            "tags": tags,
        },
        {
            **common,
            "name": "l-b-ce",
            "compute_resource_type": "EC2",
            "max_vcpus": 8,
            "instance_types": ["optimal"],
            "instance_role": "l-ecs-instance",
            "tags": tags,
        },
        {**common, "name": "l-fargate-ce", "compute_resource_type": "FARGATE", "max_vcpus": 8, "tags": tags},
    ]
    policies = [
        {
            "name": "l-fair",
            "share_decay_seconds": 3600,
            "share_distribution": [{"share_identifier": "l", "weight_factor": 2.0 if changed else 1.0}],
            "tags": tags,
        }
    ]
    queues = [
        {
            "name": "l-jq",
            "priority": 20 if changed else 10,
            "compute_environments": ["l-b-ce", "l-ce"] if changed else ["l-ce", "l-b-ce"],
            "scheduling_policy": "l-fair",
            "tags": tags,
        },
        {"name": "l-fargate-jq", "priority": 1, "compute_environments": ["l-fargate-ce"], "tags": tags},
    ]
    definitions = [
        {
            "name": f"l-jd-{index}",
            "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
            "command": ["echo", str(index)],
            "vcpus": 1,
            "memory": 256 if changed and index == 0 else 128,
            "environment": {"LOG_LEVEL": "DEBUG" if changed and index == 0 else "INFO"},
            "secrets": {"MY_SECRET": net["secret_partial_arn"]},
            "execution_role_arn": net["execution_role"],
            "tags": {**tags, "team": "data"} if changed and index == 1 else tags,
        }
        for index in range(3)
    ]
    schedules = [
        {
            "name": "l-nightly",
            "schedule_expression": "cron(0 5 * * ? *)" if changed else "cron(0 4 * * ? *)",
            "job_queue": "l-jq",
            "job_definition": "l-jd-0",
            "role_arn": net["events_role"],
            "tags": tags,
        },
        {
            "name": "l-berlin",
            "backend": "scheduler",
            "schedule_expression": "cron(0 4 * * ? *)",
            "timezone": "Europe/Berlin",
            "job_queue": "l-fargate-jq",
            "job_definition": "l-jd-1",
            "role_arn": net["events_role"],
        },
    ]
    queue_arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/l-jq"
    alerts = [{"name": "l-job-failed", "job_queues": [queue_arn], "target_arn": net["topic"], "tags": tags}]
    return {
        "scheduling_policies": policies,
        "compute_environments": environments,
        "job_queues": queues,
        "job_definitions": definitions,
        "job_schedules": schedules,
        "job_alerts": alerts,
    }


def snapshot(name):
    url = "{{ lookup('ansible.builtin.env', 'AWS_ENDPOINT_URL') }}/_emulator/stats"
    return {"name": name, "ansible.builtin.uri": {"url": url, "return_content": True}, "check_mode": False}


def stack_play(net, state="present", changed=False, snapshots=False):
    entries = model(net, changed)
    if state == "absent":
        entries = {
            kind: [
                {**entry, "state": "absent", "force": True}
                if kind == "compute_environments"
                else {**entry, "state": "absent"}
                for entry in items
            ]
            for kind, items in entries.items()
        }
        order = (
            "job_schedules",
            "job_alerts",
            "job_queues",
            "scheduling_policies",
            "compute_environments",
            "job_definitions",
        )
    else:
        order = KINDS
    tasks = [snapshot("start")] if snapshots else []
    for kind in order:
        tasks.append({"name": kind, f"ondemand.batch.{kind}": {kind: entries[kind]}})
        if snapshots:
            tasks.append(snapshot(f"after {kind}"))
    return [{"name": "Batch stack, one task per kind", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def calls_per_kind(result, order=KINDS):
    """{kind: {call: count}} made by each kind's task (between the snapshots around it)."""
    per_kind, previous = {}, result.task("start")["json"]["calls"]
    for kind in order:
        current = result.task(f"after {kind}")["json"]["calls"]
        per_kind[kind] = {c: n - previous.get(c, 0) for c, n in current.items() if n != previous.get(c, 0)}
        previous = current
    return per_kind


def entries(result, kind):
    return {item["name"]: item for item in result.task(kind)[kind]}


def plan(result, kind):
    return {name: (item["action"], item["changed_fields"]) for name, item in entries(result, kind).items()}


# AWS-generated fields a prediction cannot know (and the Describe order of a new revision's lists).
UNPREDICTABLE = {"ecs_cluster_arn", "uuid", "status_reason", "container_orchestration_type", "job_queue_type"}


def comparable(kind, result):
    if not isinstance(result, dict):
        return result
    return {key: value for key, value in result.items() if key not in UNPREDICTABLE}


def test_stack_lifecycle_with_one_task_per_kind(aws, playbook, net):
    # --check --diff on an empty account: every entry predicted as a creation, nothing written.
    predicted = playbook(stack_play(net), check=True, diff=True)
    assert predicted.rc == 0, predicted.stdout[-4000:]
    for kind in KINDS:
        assert {action for action, _fields in plan(predicted, kind).values()} == {"create"}, kind
    assert writes(aws.stats()["calls"]) == {}
    diff = predicted.task("compute_environments")["diff"]
    assert [d["before_header"] for d in diff] == [
        "compute_environment l-ce",
        "compute_environment l-b-ce",
        "compute_environment l-fargate-ce",
    ]
    assert diff[0]["before"] == {} and diff[0]["after"]["compute_environment_name"] == "l-ce"

    created = playbook(stack_play(net))
    assert created.rc == 0, created.stdout[-4000:]
    for kind in KINDS:
        assert plan(created, kind) == plan(predicted, kind), kind
    # Check mode predicted each creation's result (but what only AWS can know: cluster ARN, UUID, reasons).
    for kind in KINDS:
        for name, item in entries(created, kind).items():
            prediction = entries(predicted, kind)[name][RESULT_KEYS[kind]]
            assert comparable(kind, prediction) == comparable(kind, item[RESULT_KEYS[kind]]), (kind, name)
    # The partial secret ARN was registered as the secret's full ARN.
    definition = entries(created, "job_definitions")["l-jd-0"]["job_definition"]
    assert definition["container_properties"]["secrets"] == [{"name": "MY_SECRET", "value_from": net["secret_arn"]}]
    assert (
        entries(created, "job_definitions")["l-jd-0"]["job_definition"]
        == entries(predicted, "job_definitions")["l-jd-0"]["job_definition"]
    )
    batch = aws.client("batch")
    queues = {q["jobQueueName"]: q for q in batch.describe_job_queues()["jobQueues"]}
    assert [e["computeEnvironment"].rsplit("/", 1)[1] for e in queues["l-jq"]["computeEnvironmentOrder"]] == [
        "l-ce",
        "l-b-ce",
    ]

    rerun = playbook(stack_play(net, snapshots=True))
    assert rerun.rc == 0 and rerun.changed == 0, rerun.stdout[-4000:]
    calls = calls_per_kind(rerun)
    for kind in KINDS:
        assert writes(calls[kind]) == {}, (kind, calls[kind])
        assert {action for action, _fields in plan(rerun, kind).values()} == {"none"}, kind
    # Batched reads: one call for each Batch kind (two for scheduling policies: list, then describe), the
    # secret's partial ARN resolved with one DescribeSecret per run.
    assert calls["compute_environments"] == {"batch:DescribeComputeEnvironments": 1}
    assert calls["job_queues"] == {"batch:DescribeJobQueues": 1}
    assert calls["scheduling_policies"] == {"batch:ListSchedulingPolicies": 1, "batch:DescribeSchedulingPolicies": 1}
    assert calls["job_definitions"] == {"batch:DescribeJobDefinitions": 1, "secretsmanager:DescribeSecret": 1}
    print("no-change reads per kind:", json.dumps(calls, sort_keys=True))

    # A set of changes: the preview is the run, entry for entry and field for field.
    aws.reset_stats()
    preview = playbook(stack_play(net, changed=True), check=True, diff=True)
    assert preview.rc == 0, preview.stdout[-4000:]
    assert writes(aws.stats()["calls"]) == {}
    applied = playbook(stack_play(net, changed=True), diff=True)
    assert applied.rc == 0, applied.stdout[-4000:]
    expected = {
        "compute_environments": {
            "l-ce": ("update", ["instance_types", "max_vcpus"]),
            "l-b-ce": ("none", []),
            "l-fargate-ce": ("none", []),
        },
        "scheduling_policies": {"l-fair": ("update", ["share_distribution"])},
        "job_queues": {"l-jq": ("update", ["compute_environments", "priority"]), "l-fargate-jq": ("none", [])},
        "job_definitions": {
            "l-jd-0": ("update", ["environment", "memory"]),
            "l-jd-1": ("update", ["tags"]),
            "l-jd-2": ("none", []),
        },
        "job_schedules": {"l-nightly": ("update", ["schedule_expression"]), "l-berlin": ("none", [])},
        "job_alerts": {"l-job-failed": ("none", [])},
    }
    for kind in KINDS:
        assert plan(preview, kind) == expected[kind], kind
        assert plan(applied, kind) == expected[kind], kind
        result_key = RESULT_KEYS[kind]
        for name, item in entries(applied, kind).items():
            assert comparable(kind, entries(preview, kind)[name][result_key]) == comparable(kind, item[result_key]), (
                kind,
                name,
            )
        for before_diff, after_diff in zip(preview.task(kind)["diff"], applied.task(kind)["diff"], strict=True):
            assert comparable(kind, before_diff["before"]) == comparable(kind, after_diff["before"]), kind
            assert comparable(kind, before_diff["after"]) == comparable(kind, after_diff["after"]), kind

    removed = playbook(stack_play(net, state="absent"))
    assert removed.rc == 0, removed.stdout[-4000:]
    assert batch.describe_job_queues()["jobQueues"] == []
    assert batch.describe_compute_environments()["computeEnvironments"] == []
    aws.reset_stats()
    again = playbook(stack_play(net, state="absent"))
    assert again.rc == 0 and again.changed == 0, again.stdout[-4000:]
    assert writes(aws.stats()["calls"]) == {}


def test_an_invalid_environment_is_repaired_by_the_next_run(aws, playbook, net):
    """A deploy with a wrong subnet leaves the environments INVALID and the queue uncreated; fixing the subnet and
    deploying again repairs them (in place where AWS allows it, else replaced, without replace=true) and creates
    the queue; a third run changes nothing."""

    def play(subnets):
        common = {
            "subnets": subnets,
            "security_group_ids": net["security_group_ids"],
            "max_vcpus": 4,
            "compute_resource_type": "EC2",
            "instance_types": ["optimal"],
            "instance_role": "l-ecs-instance",
        }
        environments = [
            {**common, "name": "r-ce"},  # BEST_FIT: subnets cannot change in place
            {**common, "name": "u-ce", "allocation_strategy": "BEST_FIT_PROGRESSIVE"},  # an infrastructure update
        ]
        queue = {"name": "r-jq", "priority": 1, "compute_environments": ["r-ce", "u-ce"]}
        tasks = [
            {
                "name": "compute_environments",
                "ondemand.batch.compute_environments": {"compute_environments": environments},
            },
            {"name": "job_queues", "ondemand.batch.job_queues": {"job_queues": [queue]}},
        ]
        return [{"name": "Repair", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]

    broken = playbook(play(["subnet-0123456789abcdef0"]))
    assert broken.rc != 0
    failed = broken.task("compute_environments")
    assert "compute_environments[r-ce]: Compute environment r-ce is INVALID" in failed["msg"]
    batch = aws.client("batch")
    assert {e["status"] for e in batch.describe_compute_environments()["computeEnvironments"]} == {"INVALID"}
    assert batch.describe_job_queues()["jobQueues"] == []

    repaired = playbook(play(net["subnets"]))
    assert repaired.rc == 0, repaired.stdout[-4000:]
    items = entries(repaired, "compute_environments")
    assert (items["r-ce"]["action"], items["r-ce"]["changed_fields"]) == ("replace", ["subnets"])
    assert (items["u-ce"]["action"], items["u-ce"]["changed_fields"]) == ("update", ["subnets"])
    assert items["r-ce"]["reason"].startswith("INVALID: ") and "subnet-0123456789abcdef0" in items["r-ce"]["reason"]
    assert any("r-ce is INVALID" in warning for warning in repaired.task("compute_environments")["warnings"])
    assert {e["status"] for e in batch.describe_compute_environments()["computeEnvironments"]} == {"VALID"}
    assert entries(repaired, "job_queues")["r-jq"]["action"] == "create"

    again = playbook(play(net["subnets"]))
    assert again.rc == 0 and again.changed == 0, again.stdout[-4000:]
