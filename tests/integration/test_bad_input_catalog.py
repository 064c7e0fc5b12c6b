"""The bad-input catalog: every case fails with a message naming the field and the rule, before any write.

Three tables, each run as ONE ansible-playbook (cases isolated with ignore_errors or block/rescue):

- MODULE_CASES call this collection's modules directly with one bad parameter each.
- MODEL_CASES change the inventory model (inventories/local) and compile it with ondemand.batch.stack_plan, as
  playbooks/deploy.yml does first (read_aws: false: no AWS call). A case the plan lets through would only fail at
  its module, after the IAM roles, secrets and earlier Batch resources were written: that is a failure of this
  catalog. Every rule also has a case on the plan compiler itself (tests/unit/plugins/plugin_utils).
- DEPLOY_CASES run the real playbooks/deploy.yml with one mistake of each kind (AWS-checked ones included), to
  prove end to end that the plan stops it and nothing is written.

For every table the emulator must count zero write calls and the account must be unchanged (nothing half-created).
Expectations are regular expressions (case-insensitive) that must all match the failure message: the field, and
the rule (a bound, the allowed values, or what is wrong).
"""

import copy
import json
import re
import time

import pytest
import yaml

from tests.integration.test_faults import FAST, INVENTORY, account_state, normalise, stack_playbook, writes

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/catalog-role"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:catalog-secret-AbCdEf"

JD = {
    "name": "catalog-jd",
    "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
    "command": ["echo", "hello"],
    "vcpus": 1,
    "memory": 128,
}
FARGATE_JD = {**JD, "platform": "FARGATE", "vcpus": 0.25, "memory": 512, "execution_role_arn": ROLE}
SCHEDULE = {
    "name": "catalog-schedule",
    "schedule_expression": "cron(0 4 * * ? *)",
    "job_queue": "catalog-jq",
    "job_definition": "catalog-jd",
    "role_arn": ROLE,
}
JOB = {"name": "catalog-job", "job_queue": "catalog-jq", "job_definition": "catalog-jd", "wait": False}


def with_(base, **changes):
    out = copy.deepcopy(base)
    out.update(changes)
    return out


def ec2_ce(network, **changes):
    return with_(
        {
            "name": "catalog-ce",
            "compute_resource_type": "EC2",
            "min_vcpus": 0,
            "max_vcpus": 8,
            "instance_types": ["optimal"],
            "subnets": network["subnets"],
            "security_group_ids": network["security_group_ids"],
            "instance_role": network["instance_profile"],
            "service_role": network["service_role"],
        },
        **changes,
    )


# (id, module, arguments or a function of the network, [regexes the message must match])
MODULE_CASES = [
    (
        "ce-min-gt-max",
        "compute_environment",
        lambda n: ec2_ce(n, min_vcpus=16, max_vcpus=8),
        ["min_vcpus", "max_vcpus"],
    ),
    ("ce-desired-gt-max", "compute_environment", lambda n: ec2_ce(n, desired_vcpus=32), ["desired_vcpus", "max_vcpus"]),
    (
        "ce-fargate-instance-types",
        "compute_environment",
        lambda n: ec2_ce(n, compute_resource_type="FARGATE", min_vcpus=None, instance_role=None),
        ["instance_types", "fargate"],
    ),
    ("ce-invalid-name", "compute_environment", lambda n: ec2_ce(n, name="bad name!"), ["name", "letters|characters"]),
    ("ce-name-too-long", "compute_environment", lambda n: ec2_ce(n, name="c" * 129), ["name", "128"]),
    (
        "ce-unknown-compute-type",
        "compute_environment",
        lambda n: ec2_ce(n, compute_resource_type="GPU"),
        ["compute_resource_type", "EC2"],
    ),
    (
        "ce-ec2-without-instance-types",
        "compute_environment",
        lambda n: ec2_ce(n, instance_types=None),
        ["instance_types"],
    ),
    (
        "ce-negative-max",
        "compute_environment",
        lambda n: ec2_ce(n, max_vcpus=-1),
        ["max_vcpus", "at least 0|>= ?0|negative"],
    ),
    (
        "jq-four-environments",
        "job_queue",
        lambda n: {"name": "catalog-jq", "priority": 1, "compute_environments": ["a", "b", "c", "d"]},
        ["compute_environments", "3"],
    ),
    (
        "jq-ec2-and-fargate",
        "job_queue",
        lambda n: {"name": "catalog-jq", "priority": 1, "compute_environments": ["catalog-ec2", "catalog-fargate"]},
        ["compute_environments", "fargate", "ec2"],
    ),
    (
        "jq-unknown-environment",
        "job_queue",
        lambda n: {"name": "catalog-jq", "priority": 1, "compute_environments": ["not-there"]},
        ["compute_environments", "not-there"],
    ),
    (
        "jq-invalid-name",
        "job_queue",
        lambda n: {"name": "queue/1", "priority": 1, "compute_environments": ["catalog-ec2"]},
        ["name", "letters|characters"],
    ),
    (
        "jq-duplicate-environment",
        "job_queue",
        lambda n: {"name": "catalog-jq", "priority": 1, "compute_environments": ["catalog-ec2", "catalog-ec2"]},
        ["compute_environments", "duplicate|unique|twice|more than once"],
    ),
    ("jd-timeout-below-60", "job_definition", with_(JD, timeout=30), ["timeout", "60"]),
    ("jd-attempts-0", "job_definition", with_(JD, retry_strategy={"attempts": 0}), ["attempts", r"\b1\b"]),
    ("jd-attempts-11", "job_definition", with_(JD, retry_strategy={"attempts": 11}), ["attempts", r"\b10\b"]),
    (
        "jd-six-evaluate-on-exit",
        "job_definition",
        with_(
            JD,
            retry_strategy={
                "attempts": 2,
                "evaluate_on_exit": [{"on_exit_code": str(i), "action": "RETRY"} for i in range(6)],
            },
        ),
        ["evaluate_on_exit", "5"],
    ),
    ("jd-fargate-bad-pair", "job_definition", with_(FARGATE_JD, vcpus=1, memory=512), ["memory", "vcpu"]),
    ("jd-fargate-bad-vcpus", "job_definition", with_(FARGATE_JD, vcpus=3, memory=8192), ["vcpus", "0.25"]),
    (
        "jd-fargate-without-execution-role",
        "job_definition",
        with_(FARGATE_JD, execution_role_arn=None),
        ["execution_role_arn", "fargate"],
    ),
    ("jd-fargate-gpus", "job_definition", with_(FARGATE_JD, gpus=1), ["gpus", "fargate"]),
    (
        "jd-secrets-without-execution-role",
        "job_definition",
        with_(JD, secrets={"TOKEN": SECRET}),
        ["execution_role_arn", "secrets"],
    ),
    (
        "jd-secret-value-not-reference",
        "job_definition",
        with_(JD, execution_role_arn=ROLE, secrets={"TOKEN": "hunter2-plain-value"}),
        ["secrets", "TOKEN", "arn"],
    ),
    ("jd-invalid-name", "job_definition", with_(JD, name="jd:1"), ["name", "letters|characters"]),
    (
        "jd-reserved-environment",
        "job_definition",
        with_(JD, environment={"AWS_BATCH_X": "1"}),
        ["environment", "AWS_BATCH"],
    ),
    ("jd-memory-too-small", "job_definition", with_(JD, memory=2), ["memory", "4"]),
    (
        "schedule-malformed-cron",
        "job_schedule",
        with_(SCHEDULE, schedule_expression="cron(0 4 * *)"),
        ["schedule_expression", "cron", "6|six"],
    ),
    (
        "schedule-cron-two-question-marks",
        "job_schedule",
        with_(SCHEDULE, schedule_expression="cron(0 4 ? * ? *)"),
        ["schedule_expression", r"\?"],
    ),
    (
        "schedule-malformed-rate",
        "job_schedule",
        with_(SCHEDULE, schedule_expression="rate(5 minute)"),
        ["schedule_expression", "minutes"],
    ),
    (
        "schedule-rate-zero",
        "job_schedule",
        with_(SCHEDULE, schedule_expression="rate(0 minutes)"),
        ["schedule_expression", "rate"],
    ),
    ("schedule-invalid-name", "job_schedule", with_(SCHEDULE, name="x" * 65), ["name", "64"]),
    ("job-array-size-1", "job", with_(JOB, array_size=1), ["array_size", r"\b2\b"]),
    ("job-array-size-10001", "job", with_(JOB, array_size=10001), ["array_size", r"\b10000\b"]),
    ("job-timeout-below-60", "job", with_(JOB, timeout=30), ["timeout", "60"]),
    ("job-attempts-11", "job", with_(JOB, retry_attempts=11), ["retry_attempts|attempts", "10"]),
]


def module_task(case_id, module, args):
    args = {k: v for k, v in args.items() if v is not None}
    return {"name": case_id, f"ondemand.batch.{module}": args, "ignore_errors": True}


@pytest.fixture
def network(aws):
    """An EC2 and a Fargate compute environment (for the queue cases), made before the statistics are zeroed."""
    ec2, iam, batch = aws.client("ec2"), aws.client("iam"), aws.client("batch")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = sorted(
        s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    )
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]["GroupId"]

    def trust(service):
        statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    service_role = iam.create_role(RoleName="catalog-batch", AssumeRolePolicyDocument=trust("batch.amazonaws.com"))
    iam.create_role(RoleName="catalog-ecs", AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
    profile = iam.create_instance_profile(InstanceProfileName="catalog-ecs")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="catalog-ecs", RoleName="catalog-ecs")
    resources = {"subnets": subnets[:1], "securityGroupIds": [group], "maxvCpus": 4}
    batch.create_compute_environment(
        computeEnvironmentName="catalog-ec2",
        type="MANAGED",
        serviceRole=service_role["Role"]["Arn"],
        computeResources={
            **resources,
            "type": "EC2",
            "minvCpus": 0,
            "instanceTypes": ["optimal"],
            "instanceRole": profile,
        },
    )
    batch.create_compute_environment(
        computeEnvironmentName="catalog-fargate",
        type="MANAGED",
        serviceRole=service_role["Role"]["Arn"],
        computeResources={**resources, "type": "FARGATE"},
    )
    for _attempt in range(100):  # settle: the snapshot compared before and after must not catch a transition
        described = batch.describe_compute_environments(computeEnvironments=["catalog-ec2", "catalog-fargate"])
        if all(ce["status"] == "VALID" for ce in described["computeEnvironments"]):
            break
        time.sleep(0.1)
    return {
        "subnets": subnets[:1],
        "security_group_ids": [group],
        "instance_profile": profile,
        "service_role": service_role["Role"]["Arn"],
    }


def failure_message(result):
    """The messages of a failed task result: its own and those of its failed loop items."""
    messages = [str(item.get("msg", "")) for item in result.get("results", []) if item.get("failed")]
    return " | ".join([str(result.get("msg", "")), *messages])


def check_message(case_id, message, expectations):
    missing = [e for e in expectations if not re.search(e, message, re.I)]
    return None if not missing else f"{case_id}: message does not match {missing}: {message[:600]!r}"


def test_module_cases_fail_before_any_write(aws, network, playbook):
    assert len(MODULE_CASES) >= 30
    tasks = []
    for case_id, module, args, _expectations in MODULE_CASES:
        tasks.append(module_task(case_id, module, args(network) if callable(args) else args))
    before = normalise(account_state(aws))
    aws.reset_stats()
    result = playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], env=FAST)
    stats = aws.stats()

    problems = []
    for case_id, _module, _args, expectations in MODULE_CASES:
        task = result.task(case_id)
        if not task.get("failed"):
            problems.append(f"{case_id}: accepted (changed={task.get('changed')})")
            continue
        problem = check_message(case_id, str(task.get("msg", "")), expectations)
        if problem:
            problems.append(problem)
    assert writes(stats) == {}, f"write calls: {writes(stats)}"
    assert normalise(account_state(aws)) == before, "the account changed: something was half-created"
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------------------ inventory model
def local_model():
    model = {}
    for path in sorted((INVENTORY / "group_vars" / "all").glob("*.yml")):
        model.update(yaml.safe_load(path.read_text()) or {})
    return model


MODEL = local_model()
CE = MODEL["batch_compute_environments"][0]
MODEL_JD = MODEL["batch_job_definitions"][0]
MODEL_JQ = MODEL["batch_job_queues"][0]
MODEL_SCHEDULE = MODEL["eventbridge_schedules"][0]
FARGATE_CE = {"name": "fargate", "compute_type": "FARGATE", "max_vcpus": 4}


def ces(*entries):
    return {"batch_compute_environments": list(entries)}


def jq(**changes):
    return {"batch_job_queues": [with_(MODEL_JQ, **changes)]}


def jd(**changes):
    return {"batch_job_definitions": [with_(MODEL_JD, **changes)]}


def schedule(**changes):
    return {"eventbridge_schedules": [with_(MODEL_SCHEDULE, **changes)]}


FAIR_SHARE_MODEL = {"batch_scheduling_policies": [{"name": "fair"}], **jq(scheduling_policy="fair")}

# (id, variables overriding the local inventory, [regexes the message must match])
MODEL_CASES = [
    # Compute environments: the message names the environment, then each rule that failed with its values (and
    # not the rules that held: no instance_types nor FARGATE here).
    (
        "min-gt-max-vcpus",
        ces(with_(CE, min_vcpus=8, max_vcpus=4, desired_vcpus=4)),
        [
            r"batch_compute_environments\[ce\]",
            r"\.min_vcpus: must not exceed max_vcpus \(8 > 4\)",
            r"^(?!.*(instance_types|fargate))",
        ],
    ),
    (
        "desired-gt-max-vcpus",
        ces(with_(CE, desired_vcpus=16)),
        [
            r"batch_compute_environments\[ce\]",
            r"\.desired_vcpus: must not exceed max_vcpus \(16 > 8\)",
        ],
    ),
    (
        "desired-below-min-vcpus",
        ces(with_(CE, min_vcpus=4, desired_vcpus=2)),
        [
            r"batch_compute_environments\[ce\]",
            r"\.desired_vcpus: must be at least min_vcpus \(2 < 4\)",
        ],
    ),
    (
        "ec2-without-instance-types",
        ces(with_(CE, instance_types=[])),
        [r"batch_compute_environments\[ce\]\.instance_types: must not be empty"],
    ),
    (
        "managed-without-max-vcpus",
        ces({k: v for k, v in CE.items() if k != "max_vcpus"}),
        [r"batch_compute_environments\[ce\]\.max_vcpus: required to create a EC2 compute environment"],
    ),
    (
        "ec2-and-fargate-in-one-queue",
        {**ces(CE, FARGATE_CE), **jq(compute_environments=["ce", "fargate"])},
        ["batch_job_queues", "fargate"],
    ),
    (
        "four-environments-in-a-queue",
        {**ces(*(with_(CE, name=f"ce{i}") for i in range(4))), **jq(compute_environments=[f"ce{i}" for i in range(4)])},
        ["batch_job_queues", "3"],
    ),
    ("queue-environment-not-in-model", jq(compute_environments=["nope"]), ["batch_job_queues", "nope"]),
    ("invalid-environment-name", ces(with_(CE, name="bad name!")), ["batch_compute_environments", "letters"]),
    ("duplicate-environment-names", {**ces(CE, CE)}, ["batch_compute_environments", "unique"]),
    (
        "fargate-with-instance-types",
        ces(CE, with_(FARGATE_CE, instance_types=["c5.large"])),
        [
            r"batch_compute_environments\[fargate\]",
            r"\.instance_types: not supported for FARGATE compute environments",
        ],
    ),
    ("unknown-compute-type", ces(with_(CE, compute_type="GPU")), ["compute_type", "EC2", "GPU"]),
    ("misspelt-environment-field", ces(with_(CE, max_vcpu=8)), ["max_vcpu"]),
    ("duplicate-queue-names", {"batch_job_queues": [MODEL_JQ, MODEL_JQ]}, ["batch_job_queues", "unique"]),
    ("queue-priority-out-of-range", jq(priority=5000), ["priority", "1000", "got 5000"]),
    ("queue-unknown-scheduling-policy", jq(scheduling_policy="fair"), ["scheduling_policy", "fair"]),
    (
        "duplicate-job-definition-names",
        {"batch_job_definitions": [MODEL_JD, MODEL_JD]},
        ["batch_job_definitions", "unique"],
    ),
    (
        "secret-not-in-inventory",
        jd(secrets={"MY_SECRET": "NOT_DEFINED"}),
        ["secrets", "NOT_DEFINED", "secrets_secrets"],
    ),
    ("job-role-not-in-model", jd(job_role="ghost"), ["job_role", "ghost", "iam_job_roles"]),
    ("timeout-below-60", jd(timeout=30), ["timeout", "60", r"got 30\b"]),
    ("attempts-0", jd(retry_strategy={"attempts": 0}), ["attempts", r"\b1\b", r"got 0\)"]),
    ("attempts-11", jd(retry_strategy={"attempts": 11}), ["attempts", r"\b10\b", r"got 11\)"]),
    (
        "six-evaluate-on-exit-rules",
        jd(
            retry_strategy={
                "attempts": 2,
                "evaluate_on_exit": [{"on_exit_code": str(i), "action": "RETRY"} for i in range(6)],
            }
        ),
        ["evaluate_on_exit", "5", r"got 6\)"],
    ),
    (
        "fargate-unsupported-vcpu-memory",
        jd(platform="FARGATE", vcpus=1, memory=512),
        ["memory", "vcpu", r"\(got 512\)"],
    ),
    (
        "malformed-cron",
        schedule(schedule_expression="cron(0 4 * *)"),
        ["schedule_expression", r"cron\(\) has 4 fields, not 6"],
    ),
    (
        "malformed-rate",
        schedule(schedule_expression="rate(5 minute)"),
        ["schedule_expression", "rate|minutes", r"rate\(5 minute\)"],
    ),
    ("schedule-unknown-queue", schedule(job_queue="nope"), ["job_queue", "'nope' is not in batch_job_queues"]),
    (
        "schedule-unknown-job-definition",
        schedule(job_definition="nope"),
        ["job_definition", "'nope' is not in batch_job_definitions"],
    ),
    (
        "duplicate-schedule-names",
        {"eventbridge_schedules": [MODEL_SCHEDULE, MODEL_SCHEDULE]},
        ["eventbridge_schedules", "unique"],
    ),
    ("schedule-name-too-long", schedule(name="s" * 64), ["eventbridge_schedules", "64"]),
    # Fair-share queues: AWS Batch needs a share identifier on each job there (and refuses one elsewhere); only
    # EventBridge Scheduler's target can pass it.
    (
        "schedule-share-identifier-on-fifo-queue",
        {"eventbridge_backend": "scheduler", **schedule(share_identifier="blue")},
        ["share_identifier", "no scheduling policy", "got .blue."],
    ),
    (
        "schedule-fair-share-queue-without-share-identifier",
        {"eventbridge_backend": "scheduler", **FAIR_SHARE_MODEL},
        ["share_identifier", "has a scheduling policy", "required"],
    ),
    (
        "schedule-share-identifier-with-events-backend",
        {**FAIR_SHARE_MODEL, **schedule(share_identifier="blue")},
        ["share_identifier", "needs backend: scheduler"],
    ),
    (
        "duplicate-secret-names",
        {"secrets_secrets": [{"name": "MY_SECRET"}, {"name": "MY_SECRET"}]},
        ["secrets_secrets", "unique"],
    ),
    ("invalid-secret-name", {"secrets_secrets": [{"name": "1-BAD"}]}, ["secrets_secrets", "name"]),
    (
        "secret-recovery-window",
        {"secrets_secrets": [{"name": "MY_SECRET", "recovery_window_days": 3}]},
        ["recovery_window_days", "7", "got 3"],
    ),
    ("log-retention-not-allowed", {"batch_log_retention_days": 8}, ["batch_log_retention_days", "14", r"got 8\)"]),
    (
        "alerts-email-invalid",
        {"eventbridge_alerts_email": "not-an-address"},
        ["eventbridge_alerts_email", "e-mail", "not-an-address"],
    ),
    ("invalid-iam-path", {"iam_path": "no-slashes"}, ["iam_path", "/", "no-slashes"]),
    (
        "unknown-default-job-queue",
        {"batch_default_job_queue": "local-carbon-nope"},
        ["batch_default_job_queue", "local-carbon-nope"],
    ),
]


def model_case_task(case_id, variables):
    """One stack_plan compile of the local inventory with ``variables`` on top, without AWS (read_aws: false)."""
    return {
        "name": case_id,
        "vars": variables,
        "ondemand.batch.stack_plan": {"read_aws": False},
        "ignore_errors": True,
    }


def test_model_cases_fail_in_the_stack_plan(aws, playbook):
    """Through Ansible (templating, variable precedence, the action plugin): every case is refused by the plan."""
    assert len(MODEL_CASES) >= 30
    tasks = [model_case_task(case_id, variables) for case_id, variables, _expectations in MODEL_CASES]
    tasks.append(model_case_task("control", {}))
    plays = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    aws.reset_stats()
    result = playbook(plays, inventory=INVENTORY, extra_vars={"stack_aws_endpoint_url": aws.url}, env=FAST)
    stats = aws.stats()
    assert stats["reads"] + stats["writes"] == 0, f"the plan called AWS with read_aws false: {stats['calls']}"
    control = result.task("control")
    assert not control.get("failed"), control.get("msg")

    problems = []
    for case_id, _variables, expectations in MODEL_CASES:
        outcome = result.task(case_id)
        if not outcome.get("failed"):
            problems.append(f"{case_id}: accepted by the stack plan (deploy.yml would write before failing)")
            continue
        problem = check_message(case_id, str(outcome.get("msg", "")), expectations)
        if problem:
            problems.append(problem)
    assert not problems, f"{len(problems)} of {len(MODEL_CASES)} cases:\n" + "\n".join(problems)


# ------------------------------------------------------------------------------------------------ end to end
def ce_model(**changes):
    return ces(with_(CE, **changes))


# A representative of each kind of mistake, through the real playbooks/deploy.yml: a module rule, a reference between
# resources, a value's type, a reserved tag, a schedule, and what only AWS can tell (a subnet, the region, the owner).
DEPLOY_CASES = [
    (
        "environment-min-vcpus-negative",
        ce_model(min_vcpus=-2),
        ["batch_compute_environments\\[ce\\].min_vcpus: must be at least 0 \\(got -2\\)"],
    ),
    (
        "queue-environment-not-in-model",
        jq(compute_environments=["nope"]),
        ["batch_job_queues\\[jq\\].compute_environments: nope not in"],
    ),
    (
        "job-definition-keep-revisions-0",
        jd(keep_revisions=0),
        ["batch_job_definitions\\[jd\\].keep_revisions: must be at least 1"],
    ),
    (
        "cron-minute-61",
        schedule(schedule_expression="cron(61 4 * * ? *)"),
        ["schedule_expression: cron\\(\\) minutes field: 61"],
    ),
    (
        "secret-value-a-dict",
        {"secrets_secrets": [{"name": "MY_SECRET", "value": {"password": "pr00f-dict"}}]},
        ["secrets_secrets\\[MY_SECRET\\].value: must be a string", "^(?!.*pr00f-dict)"],
    ),
    (
        "tag-overrides-membership",
        {"stack_tags": {"ondemand:stack": "someone-else"}},
        ["stack_tags.ondemand:stack: tag keys starting with ondemand:"],
    ),
    (
        "subnet-does-not-exist",
        {"batch_subnets": ["subnet-00000000000000000"], "batch_security_group_ids": []},
        ["batch_subnets: subnet subnet-00000000000000000 does not exist"],
    ),
    (
        "region-does-not-exist",
        {"stack_region": "eu-west-9"},
        ["stack_region: is not a region of the account's partition \\(got 'eu-west-9'\\)"],
    ),
]


@pytest.mark.parametrize("case_id, variables, expectations", DEPLOY_CASES, ids=[c[0] for c in DEPLOY_CASES])
def test_deploy_with_a_bad_model_writes_nothing(aws, tmp_path, case_id, variables, expectations):
    before = normalise(account_state(aws))
    aws.reset_stats()
    result = stack_playbook(aws, "deploy", tmp_path, extra_vars=variables)
    stats = aws.stats()
    assert result.rc != 0, f"{case_id}: the deploy succeeded"
    failed = [
        (t["task"]["name"], failure_message(h)) for t in result.tasks() for h in t["hosts"].values() if h.get("failed")
    ]
    assert [name for name, _msg in failed] == [
        "Compile the stack plan (every rule checked, what exists read; nothing written)"
    ], failed
    assert writes(stats) == {}, f"{case_id}: write calls before the failure: {writes(stats)}"
    assert normalise(account_state(aws)) == before, f"{case_id}: something was half-created"
    problem = check_message(case_id, failed[0][1], expectations)
    assert problem is None, problem


def test_a_deploy_refuses_another_stacks_resource_and_an_untagged_one_before_any_write(aws, tmp_path):
    """Ownership is read from AWS by the plan: nothing of another stack is touched, nothing adopted unasked."""
    secrets = aws.client("secretsmanager")
    secrets.create_secret(
        Name="/local-carbon/MY_SECRET",
        SecretString="theirs",
        Tags=[{"Key": "ondemand:stack", "Value": "staging-carbon"}],
    )
    aws.client("logs").create_log_group(logGroupName="/aws/batch/local-carbon")
    before = normalise(account_state(aws))
    aws.reset_stats()
    result = stack_playbook(aws, "deploy", tmp_path)
    assert result.rc != 0
    message = failure_message(
        result.task("Compile the stack plan (every rule checked, what exists read; nothing written)")
    )
    assert "secrets_secrets[MY_SECRET]: secret /local-carbon/MY_SECRET belongs to stack 'staging-carbon'" in message
    assert (
        "batch_log_group_name: log group /aws/batch/local-carbon exists and is not tagged as a member of any stack"
        in message
    )
    assert writes(aws.stats()) == {}
    assert normalise(account_state(aws)) == before
    assert secrets.get_secret_value(SecretId="/local-carbon/MY_SECRET")["SecretString"] == "theirs"


def test_catalog_covers_the_issue_list():
    """The issue's list, each by at least one case (ids above)."""
    ids = {c[0] for c in MODULE_CASES} | {c[0] for c in MODEL_CASES} | {c[0] for c in DEPLOY_CASES}
    required = [
        "min-gt-max",
        "ec2-and-fargate",
        "four-environments",
        "invalid",
        "fargate-instance-types|fargate-with-instance",
        "fargate-bad-pair|fargate-unsupported",
        "secrets-without-execution-role",
        "secret-not-in-inventory",
        "timeout-below-60",
        "attempts-0",
        "attempts-11",
        "six-evaluate-on-exit",
        "malformed-cron",
        "malformed-rate",
        "unknown-compute-type",
        "queue-environment-not-in-model",
        "schedule-unknown-queue",
        "duplicate",
    ]
    missing = [r for r in required if not any(re.search(r, i) for i in ids)]
    assert not missing, missing
