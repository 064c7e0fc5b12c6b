"""ondemand.batch.tagged_resources_info against the emulator: tag and resource type filters, pagination, read only."""

import pytest

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
REGION = "eu-west-1"
KEY = "ondemand:stack"
STACK, OTHER = "dev-carbon", "other-stack"


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def info(task_name, check_mode=False, **args):
    return {"name": task_name, "ondemand.batch.tagged_resources_info": args, "check_mode": check_mode}


def snapshot(task_name):
    url = "{{ lookup('ansible.builtin.env', 'AWS_ENDPOINT_URL') }}/_emulator/stats"
    return {"name": task_name, "ansible.builtin.uri": {"url": url, "return_content": True}, "check_mode": False}


def calls_between(result, first, second, call):
    before = result.task(first)["json"]["calls"].get(call, 0)
    return result.task(second)["json"]["calls"].get(call, 0) - before


def listed(result, task_name):
    outcome = result.task(task_name)
    assert outcome.get("changed") is False, outcome
    return [(r["resource_type"], r["name"]) for r in outcome["resources"]]


@pytest.fixture
def resources(aws):
    """Resources of STACK, of OTHER, untagged, and one that lost its tag; returns STACK's as (type, name)."""
    secrets, events, sns, logs = (aws.client(s) for s in ("secretsmanager", "events", "sns", "logs"))

    def tags(stack, **extra):
        return [{"Key": KEY, "Value": stack}] + [{"Key": k, "Value": v} for k, v in extra.items()]

    secrets.create_secret(Name="/carbon/dev/MY_SECRET", SecretString="x", Tags=tags(STACK, project="carbon"))
    # A name that ends like a random suffix would ("-" and six characters) is not cut twice.
    secrets.create_secret(Name="/carbon/dev/db-master", SecretString="x", Tags=tags(STACK))
    secrets.create_secret(Name="/other/MY_SECRET", SecretString="x", Tags=tags(OTHER))
    secrets.create_secret(Name="/carbon/dev/untagged", SecretString="x")
    lost = secrets.create_secret(Name="/carbon/dev/lost-tag", SecretString="x", Tags=tags(STACK))
    secrets.untag_resource(SecretId=lost["ARN"], TagKeys=[KEY])
    sns.create_topic(Name=f"{STACK}-alerts", Tags=tags(STACK))
    sns.create_topic(Name=f"{OTHER}-alerts", Tags=tags(OTHER))
    logs.create_log_group(logGroupName=f"/aws/batch/{STACK}", tags={KEY: STACK})
    logs.create_log_group(logGroupName=f"/aws/batch/{OTHER}", tags={KEY: OTHER})
    events.put_rule(Name=f"{STACK}-daily", ScheduleExpression="rate(1 day)", Tags=tags(STACK))
    events.create_event_bus(Name="custom-bus")
    events.put_rule(
        Name=f"{STACK}-on-bus", EventBusName="custom-bus", EventPattern='{"source": ["aws.batch"]}', Tags=tags(STACK)
    )
    events.put_rule(Name=f"{OTHER}-daily", ScheduleExpression="rate(1 day)", Tags=tags(OTHER))
    aws.reset_stats()
    return sorted(
        [
            ("events:rule", f"{STACK}-daily"),
            ("events:rule", f"{STACK}-on-bus"),
            ("logs:log-group", f"/aws/batch/{STACK}"),
            ("secretsmanager:secret", "/carbon/dev/MY_SECRET"),
            ("secretsmanager:secret", "/carbon/dev/db-master"),
            ("sns:topic", f"{STACK}-alerts"),
        ]
    )


def test_tag_and_resource_type_filters(playbook, aws, resources):
    member = {KEY: STACK}
    result = playbook(
        play(
            info("every type", tags=member),
            info("secrets", tags=member, resource_types=["secretsmanager:secret"]),
            info("topics and log groups", tags=member, resource_types=["sns", "logs"]),
            info("rules", tags=member, resource_types=["events:rule"]),
            info("two tags", tags={**member, "project": "carbon"}),
            info("any stack", tags={KEY: None}, resource_types=["sns"]),
            info("no such stack", tags={KEY: "nobody"}),
        )
    )
    assert result.rc == 0, result.stdout[-3000:]
    assert listed(result, "every type") == resources
    assert listed(result, "secrets") == [r for r in resources if r[0] == "secretsmanager:secret"]
    assert listed(result, "topics and log groups") == [
        ("logs:log-group", f"/aws/batch/{STACK}"),
        ("sns:topic", f"{STACK}-alerts"),
    ]
    assert listed(result, "rules") == [("events:rule", f"{STACK}-daily"), ("events:rule", f"{STACK}-on-bus")]
    assert listed(result, "two tags") == [("secretsmanager:secret", "/carbon/dev/MY_SECRET")]
    assert listed(result, "any stack") == [("sns:topic", f"{STACK}-alerts"), ("sns:topic", f"{OTHER}-alerts")]
    assert listed(result, "no such stack") == []

    every = {r["name"]: r for r in result.task("every type")["resources"]}
    secret = every["/carbon/dev/MY_SECRET"]
    assert secret["arn"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:/carbon/dev/MY_SECRET-")
    assert len(secret["arn"]) == len(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:/carbon/dev/MY_SECRET-") + 6
    assert secret["tags"] == {KEY: STACK, "project": "carbon"}
    assert every[f"{STACK}-on-bus"]["arn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/custom-bus/{STACK}-on-bus"
    assert every[f"{STACK}-alerts"]["arn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:{STACK}-alerts"
    assert aws.stats()["writes"] == 0
    assert aws.stats()["calls"] == {"tagging:GetResources": 7}


def test_pagination_and_check_mode(playbook, aws, resources):
    member = {KEY: STACK}
    result = playbook(
        play(
            snapshot("before"),
            info("one per page", tags=member, page_size=1),
            snapshot("after one per page"),
            info("one page", tags=member),
            snapshot("after one page"),
            info("check mode", check_mode=True, tags=member, page_size=2),
        )
    )
    assert result.rc == 0, result.stdout[-3000:]
    assert listed(result, "one per page") == resources
    assert listed(result, "one page") == resources
    assert listed(result, "check mode") == resources
    # One GetResources call per page, following PaginationToken to the end.
    assert calls_between(result, "before", "after one per page", "tagging:GetResources") == len(resources)
    assert calls_between(result, "after one per page", "after one page", "tagging:GetResources") == 1
    assert aws.stats()["writes"] == 0


def test_bad_input_fails_before_any_call(playbook, aws):
    result = playbook(
        play(
            {**info("bad type", resource_types=["secrets manager"]), "ignore_errors": True},
            {**info("bad page size", page_size=500), "ignore_errors": True},
        )
    )
    assert result.rc == 0, result.stdout[-3000:]
    outcome = result.task("bad type")
    assert outcome["failed"] and outcome["msg"].startswith("resource_types: each entry is 'service' or 'service:type'")
    outcome = result.task("bad page size")
    assert outcome["failed"] and outcome["msg"] == "page_size: must be 1 to 100, got 500"
    assert aws.stats()["calls"] == {}
