"""ondemand.batch.job_definition and job_definition_info against the emulator.

Each test batches several tasks into one ansible-playbook run; API call statistics are read between
runs to prove check mode and idempotent re-runs make no write call.
"""

import copy

import pytest

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
REGION = "eu-west-1"
NAME = "dev-carbon-jd"
ARN_PREFIX = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dev-carbon-my-secret-AbCdEf"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev-carbon-execution-role"
JOB_ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev-carbon-job-role"

# The seed's job definition (terraform-aws-batch README), complete.
SEED = {
    "name": NAME,
    "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
    "command": ["echo", "hello world"],
    "vcpus": 1,
    "memory": 128,
    "platform": "EC2",
    "environment": {"LOG_LEVEL": "INFO"},
    "secrets": {"MY_SECRET": SECRET_ARN},
    "job_role_arn": JOB_ROLE,
    "execution_role_arn": EXECUTION_ROLE,
    "log_configuration": {
        "log_driver": "awslogs",
        "options": {"awslogs-group": "/aws/batch/dev-carbon", "awslogs-region": REGION, "awslogs-stream-prefix": NAME},
    },
    "timeout": 60,
    "retry_strategy": {"attempts": 3, "evaluate_on_exit": [{"on_reason": "*", "action": "RETRY"}]},
    "tags": {"Environment": "dev", "Project": "carbon"},
}

FARGATE = {
    "name": "dev-carbon-fargate-jd",
    "platform": "FARGATE",
    "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
    "command": ["echo", "fargate"],
    "vcpus": 0.25,
    "memory": 512,
    "execution_role_arn": EXECUTION_ROLE,
    "runtime_platform": {"cpu_architecture": "ARM64"},
    "ephemeral_storage": 30,
    "log_configuration": {"log_driver": "awslogs", "options": {"awslogs-group": "/aws/batch/dev-carbon"}},
}


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def jd(task_name, args, **keywords):
    return {"name": task_name, "ondemand.batch.job_definition": args, **keywords}


def with_args(base, **changes):
    args = copy.deepcopy(base)
    args.update(changes)
    return args


def writes(stats):
    return {call: count for call, count in stats["calls"].items() if not _is_read(call)}


def _is_read(call):
    return call.split(":", 1)[1].startswith(("Describe", "List", "Get"))


def snapshot(task_name):
    """A task reading the emulator's call statistics, so one playbook can check calls between its tasks."""
    url = "{{ lookup('ansible.builtin.env', 'AWS_ENDPOINT_URL') }}/_emulator/stats"
    return {"name": task_name, "ansible.builtin.uri": {"url": url, "return_content": True}, "check_mode": False}


def calls_between(result, first, second):
    """API calls made between two snapshot tasks (``first=None``: since the statistics were reset)."""
    before = result.task(first)["json"]["calls"] if first else {}
    after = result.task(second)["json"]["calls"]
    return {call: count - before.get(call, 0) for call, count in after.items() if count != before.get(call, 0)}


def writes_between(result, first, second):
    return {call: count for call, count in calls_between(result, first, second).items() if not _is_read(call)}


def active_revisions(aws, name):
    found = aws.client("batch").describe_job_definitions(jobDefinitionName=name, status="ACTIVE")["jobDefinitions"]
    return sorted(d["revision"] for d in found)


def test_seed_check_create_idempotent(playbook, aws):
    result = playbook(
        play(
            jd("create (check)", SEED, check_mode=True),
            snapshot("after check"),
            jd("create", SEED),
            snapshot("after create"),
            jd("again", SEED),
            jd("again (check)", SEED, check_mode=True),
            snapshot("after re-runs"),
        ),
        diff=True,
    )
    assert result.rc == 0, result.stdout

    # Check mode predicts the creation and makes no write call; the account of the predicted ARN is the execution
    # role ARN's (no STS call).
    predicted = result.task("create (check)")
    assert predicted["changed"] is True
    assert predicted["job_definition"]["revision"] == 1
    assert predicted["job_definition"]["job_definition_arn"] == f"{ARN_PREFIX}{NAME}:1"
    assert predicted["diff"]["before"] == {}
    assert writes_between(result, None, "after check") == {}
    assert "sts:GetCallerIdentity" not in calls_between(result, None, "after check")

    # The real run registers exactly once and returns what check mode predicted.
    created = result.task("create")
    assert created["changed"] is True
    assert created["job_definition"] == predicted["job_definition"]
    assert writes_between(result, "after check", "after create") == {"batch:RegisterJobDefinition": 1}

    definition = created["job_definition"]
    assert definition["job_definition_name"] == NAME
    assert definition["platform_capabilities"] == ["EC2"]
    assert definition["tags"] == SEED["tags"]
    container = definition["container_properties"]
    assert container["command"] == ["echo", "hello world"]
    assert container["secrets"] == [{"name": "MY_SECRET", "value_from": SECRET_ARN}]
    # User data keeps its spelling: log options keys and environment names are not snake_cased.
    assert container["log_configuration"]["options"]["awslogs-group"] == "/aws/batch/dev-carbon"
    assert container["environment"] == [{"name": "LOG_LEVEL", "value": "INFO"}]
    assert definition["retry_strategy"] == {"attempts": 3, "evaluate_on_exit": [{"on_reason": "*", "action": "RETRY"}]}
    assert definition["timeout"] == {"attempt_duration_seconds": 60}

    # Re-runs, real and in check mode, change nothing and write nothing; one read each, no STS.
    assert result.task("again")["changed"] is False
    assert result.task("again (check)")["changed"] is False
    assert result.task("again")["job_definition"] == definition
    assert result.task("again (check)")["job_definition"] == definition
    assert calls_between(result, "after create", "after re-runs") == {"batch:DescribeJobDefinitions": 2}

    # What AWS stored.
    stored = aws.client("batch").describe_job_definitions(jobDefinitionName=NAME)["jobDefinitions"]
    assert [d["revision"] for d in stored] == [1]
    assert stored[0]["containerProperties"]["secrets"] == [{"name": "MY_SECRET", "valueFrom": SECRET_ARN}]
    assert stored[0]["tags"] == SEED["tags"]


def test_change_registers_revision_tags_in_place_and_keep_revisions(playbook, aws):
    changed = with_args(SEED, command=["echo", "bye"], environment={"LOG_LEVEL": "DEBUG"})
    result = playbook(
        play(
            jd("create", SEED),
            jd("change (check)", changed, check_mode=True),
            jd("change", changed),
            jd("retag", with_args(changed, tags={"Environment": "dev", "Owner": "data"})),
            jd("retag again", with_args(changed, tags={"Environment": "dev", "Owner": "data"})),
            jd("keep one", with_args(changed, keep_revisions=1, tags={"Environment": "dev", "Owner": "data"})),
            jd("back to the seed (tags unset)", with_args(SEED, tags=None)),
        ),
        diff=True,
    )
    assert result.rc == 0, result.stdout

    check = result.task("change (check)")
    change = result.task("change")
    assert check["changed"] is True and change["changed"] is True
    assert check["job_definition"] == change["job_definition"]
    assert change["job_definition"]["revision"] == 2
    before, after = change["diff"]["before"], change["diff"]["after"]
    assert before["container_properties"]["command"] == ["echo", "hello world"]
    assert after["container_properties"]["command"] == ["echo", "bye"]
    assert before["active_revisions"] == [1] and after["active_revisions"] == [1, 2]
    # The new revision inherits the tags (tags given again, purge_tags default).
    assert change["job_definition"]["tags"] == SEED["tags"]

    retag = result.task("retag")
    assert retag["changed"] is True
    assert retag["job_definition"]["revision"] == 2  # tags changed in place, no new revision
    assert retag["job_definition"]["tags"] == {"Environment": "dev", "Owner": "data"}
    assert retag["diff"]["before"]["tags"] == SEED["tags"]
    assert result.task("retag again")["changed"] is False

    keep = result.task("keep one")
    assert keep["changed"] is True
    assert keep["deregistered"] == [f"{ARN_PREFIX}{NAME}:1"]
    assert keep["job_definition"]["revision"] == 2

    back = result.task("back to the seed (tags unset)")
    assert back["changed"] is True
    assert back["job_definition"]["revision"] == 3
    assert back["job_definition"]["tags"] == {"Environment": "dev", "Owner": "data"}  # inherited

    assert active_revisions(aws, NAME) == [2, 3]
    calls = aws.stats()["calls"]
    assert calls["batch:RegisterJobDefinition"] == 3
    assert calls["batch:DeregisterJobDefinition"] == 1
    assert calls.get("batch:TagResource") == 1
    assert calls.get("batch:UntagResource") == 1  # purge_tags removed Project
    tags = aws.client("batch").list_tags_for_resource(resourceArn=f"{ARN_PREFIX}{NAME}:2")["tags"]
    assert tags == {"Environment": "dev", "Owner": "data"}


def register(aws, name, command):
    return aws.client("batch").register_job_definition(
        jobDefinitionName=name,
        type="container",
        containerProperties={
            "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
            "command": command,
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "128"}],
        },
    )


def test_absent_one_revision_then_all_and_recreate(playbook, aws):
    for word in ("one", "two", "three"):
        register(aws, NAME, ["echo", word])
    register(aws, "dev-carbon-other-jd", ["echo", "other"])
    aws.reset_stats()
    absent = {"name": NAME, "state": "absent"}
    recreate = {k: v for k, v in SEED.items() if k != "tags"}
    result = playbook(
        play(
            jd("drop revision 2 (check)", {**absent, "revision": 2}, check_mode=True),
            jd("drop revision 2", {**absent, "revision": 2}),
            jd("drop revision 2 again", {**absent, "revision": 2}),
            jd("drop all (check)", absent, check_mode=True),
            jd("drop all", absent),
            jd("drop all again", absent),
            jd("recreate (check)", recreate, check_mode=True),
            jd("recreate", recreate),
        ),
        diff=True,
    )
    assert result.rc == 0, result.stdout
    assert result.task("drop revision 2 (check)")["deregistered"] == [f"{ARN_PREFIX}{NAME}:2"]
    one = result.task("drop revision 2")
    assert one["changed"] is True and one["deregistered"] == [f"{ARN_PREFIX}{NAME}:2"]
    assert one["diff"]["before"]["active_revisions"] == [1, 2, 3]
    assert one["diff"]["after"]["active_revisions"] == [1, 3]
    assert result.task("drop revision 2 again")["changed"] is False
    assert result.task("drop all (check)")["changed"] is True
    everything = result.task("drop all")
    assert sorted(everything["deregistered"]) == [f"{ARN_PREFIX}{NAME}:1", f"{ARN_PREFIX}{NAME}:3"]
    assert everything["diff"]["after"] == {}
    assert everything["job_definition"] == {}
    again = result.task("drop all again")
    assert again["changed"] is False and again["deregistered"] == []

    # Revision numbers keep growing after deregistration; check mode predicts that too.
    predicted = result.task("recreate (check)")["job_definition"]
    assert predicted["revision"] == 4
    assert predicted["job_definition_arn"] == f"{ARN_PREFIX}{NAME}:4"
    assert result.task("recreate")["job_definition"] == predicted

    assert active_revisions(aws, NAME) == [4]
    assert active_revisions(aws, "dev-carbon-other-jd") == [1]  # another name is left alone
    assert writes(aws.stats()) == {"batch:DeregisterJobDefinition": 3, "batch:RegisterJobDefinition": 1}


def test_fargate_idempotent_and_info(playbook, aws):
    register(aws, NAME, ["echo", "old"])
    register(aws, NAME, ["echo", "new"])
    aws.client("batch").deregister_job_definition(jobDefinition=f"{NAME}:1")
    aws.reset_stats()

    def info(task_name, **args):
        return {"name": task_name, "ondemand.batch.job_definition_info": args}

    result = playbook(
        play(
            jd("fargate (check)", FARGATE, check_mode=True),
            jd("fargate", FARGATE),
            jd("fargate again", FARGATE),
            info("latest of one name", names=[NAME, "no-such-jd"], latest_only=True),
            info("every active", latest_only=False),
            info("inactive", names=[NAME], status="INACTIVE"),
            info("exact revisions", names=[f"{NAME}:1", f"{ARN_PREFIX}{NAME}:2"], status="ANY"),
        )
    )
    assert result.rc == 0, result.stdout
    created = result.task("fargate")
    assert created["changed"] is True
    assert result.task("fargate (check)")["job_definition"] == created["job_definition"]
    definition = created["job_definition"]
    assert definition["platform_capabilities"] == ["FARGATE"]
    container = definition["container_properties"]
    assert container["runtime_platform"] == {"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}
    assert container["ephemeral_storage"] == {"size_in_gib": 30}
    assert container["fargate_platform_configuration"] == {"platform_version": "LATEST"}
    assert container["network_configuration"] == {"assign_public_ip": "DISABLED"}
    assert result.task("fargate again")["changed"] is False

    latest = result.task("latest of one name")["job_definitions"]
    assert [(d["job_definition_name"], d["revision"]) for d in latest] == [(NAME, 2)]
    assert latest[0]["container_properties"]["command"] == ["echo", "new"]
    every = result.task("every active")["job_definitions"]
    assert [(d["job_definition_name"], d["revision"]) for d in every] == [("dev-carbon-fargate-jd", 1), (NAME, 2)]
    assert every[0]["container_properties"]["log_configuration"]["options"] == {
        "awslogs-group": "/aws/batch/dev-carbon"
    }
    inactive = result.task("inactive")["job_definitions"]
    assert [(d["revision"], d["status"]) for d in inactive] == [(1, "INACTIVE")]
    exact = result.task("exact revisions")["job_definitions"]
    assert [d["revision"] for d in exact] == [2, 1]
    assert writes(aws.stats()) == {"batch:RegisterJobDefinition": 1}


# A representative set: every rule is unit-tested (tests/unit/plugins/module_utils/test_job_definition.py).
BAD_INPUTS = {
    "bad name": ({"name": "dev carbon jd"}, "name: must be 1-128 characters"),
    "timeout": (with_args(SEED, timeout=59), "timeout: must be at least 60 (got 59)"),
    "rules": (
        with_args(
            SEED, retry_strategy={"attempts": 2, "evaluate_on_exit": [{"on_exit_code": "1", "action": "EXIT"}] * 6}
        ),
        "retry_strategy.evaluate_on_exit: takes at most 5 items (got 6)",
    ),
    "plain secret": (with_args(SEED, secrets={"MY_SECRET": "hunter2-plain"}), "secrets.MY_SECRET: must reference"),
    "fargate combo": (with_args(FARGATE, vcpus=1, memory=512), "memory: must be one of 2048, 3072"),
    "fargate role": (with_args(FARGATE, execution_role_arn=None), "execution_role_arn: is required on FARGATE"),
    "revision when present": (with_args(SEED, revision=1), "revision: is only used with state=absent"),
}


def test_bad_inputs_fail_before_any_call(playbook, aws):
    result = playbook(play(*(jd(name, args, ignore_errors=True) for name, (args, _message) in BAD_INPUTS.items())))
    for name, (_args, message) in BAD_INPUTS.items():
        task = result.task(name)
        assert task["failed"] is True, name
        assert message in task["msg"], (name, task["msg"])
    assert "hunter2-plain" not in result.stdout  # a pasted secret is never echoed, not even in the invocation
    assert aws.stats()["calls"] == {}
