"""ondemand.batch.scheduling_policy and scheduling_policy_info against the emulator."""

import json

import pytest

from emulator.testing import BatchWorld

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
REGION = "eu-west-1"
NAME = "dev-carbon-sp"
ARN = f"arn:aws:batch:{REGION}:{ACCOUNT}:scheduling-policy/{NAME}"

POLICY = {
    "name": NAME,
    "share_decay_seconds": 3600,
    "compute_reservation": 10,
    "share_distribution": [
        {"share_identifier": "carbon", "weight_factor": 0.5},
        {"share_identifier": "adhoc*", "weight_factor": 2},
    ],
    "tags": {"Environment": "dev"},
}
EXPECTED = {
    "name": NAME,
    "arn": ARN,
    "fairshare_policy": {
        "share_decay_seconds": 3600,
        "compute_reservation": 10,
        "share_distribution": [
            {"share_identifier": "adhoc*", "weight_factor": 2.0},
            {"share_identifier": "carbon", "weight_factor": 0.5},
        ],
    },
    "tags": {"Environment": "dev"},
}


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def sp(task_name, args, **keywords):
    return {"name": task_name, "ondemand.batch.scheduling_policy": args, **keywords}


def _is_read(call):
    return call.split(":", 1)[1].startswith(("Describe", "List", "Get"))


def writes(stats):
    return {call: count for call, count in stats["calls"].items() if not _is_read(call)}


def snapshot(task_name):
    """A task reading the emulator's call statistics, so one playbook can check calls between its tasks."""
    url = "{{ lookup('ansible.builtin.env', 'AWS_ENDPOINT_URL') }}/_emulator/stats"
    return {"name": task_name, "ansible.builtin.uri": {"url": url, "return_content": True}, "check_mode": False}


def writes_between(result, first, second):
    before = result.task(first)["json"]["calls"] if first else {}
    after = result.task(second)["json"]["calls"]
    return {
        call: count - before.get(call, 0)
        for call, count in after.items()
        if count != before.get(call, 0) and not _is_read(call)
    }


def test_create_update_tags_info_delete(playbook, aws):
    updated_args = {**POLICY, "compute_reservation": 20, "share_distribution": [{"share_identifier": "carbon"}]}
    retagged_args = {**updated_args, "tags": {"Environment": "dev", "Owner": "data"}}
    absent = {"name": NAME, "state": "absent"}

    def info(task_name, **args):
        return {"name": task_name, "ondemand.batch.scheduling_policy_info": args}

    result = playbook(
        play(
            sp("create (check)", POLICY, check_mode=True),
            snapshot("after check"),
            sp("create", POLICY),
            sp("again", POLICY),
            sp("again (check)", POLICY, check_mode=True),
            snapshot("after create"),
            sp("update (check)", updated_args, check_mode=True),
            sp("update", updated_args),
            sp("update again", updated_args),
            sp("retag", retagged_args),
            sp("keep tags", {**updated_args, "tags": {"Owner": "data"}, "purge_tags": False}),
            snapshot("after update"),
            info("by name", names=[NAME, "missing-sp"]),
            info("all"),
            snapshot("after info"),
            sp("delete (check)", absent, check_mode=True),
            sp("delete", absent),
            sp("delete again", absent),
            snapshot("after delete"),
        ),
        diff=True,
    )
    assert result.rc == 0, result.stdout

    check = result.task("create (check)")
    assert check["changed"] is True
    assert check["scheduling_policy"] == EXPECTED
    assert check["diff"] == {"before": {}, "after": EXPECTED}
    assert writes_between(result, None, "after check") == {}

    assert result.task("create")["changed"] is True
    assert result.task("create")["scheduling_policy"] == EXPECTED
    assert result.task("again")["changed"] is False
    assert result.task("again (check)")["changed"] is False
    assert writes_between(result, "after check", "after create") == {"batch:CreateSchedulingPolicy": 1}

    update = result.task("update")
    assert update["changed"] is True
    assert result.task("update (check)")["scheduling_policy"] == update["scheduling_policy"]
    assert update["diff"]["before"]["fairshare_policy"]["compute_reservation"] == 10
    assert update["scheduling_policy"]["fairshare_policy"] == {
        "share_decay_seconds": 3600,
        "compute_reservation": 20,
        "share_distribution": [{"share_identifier": "carbon", "weight_factor": 1.0}],
    }
    assert result.task("update again")["changed"] is False
    assert result.task("retag")["changed"] is True
    assert result.task("retag")["scheduling_policy"]["tags"] == {"Environment": "dev", "Owner": "data"}
    assert result.task("keep tags")["changed"] is False
    assert writes_between(result, "after create", "after update") == {
        "batch:UpdateSchedulingPolicy": 1,
        "batch:TagResource": 1,
    }

    by_name = result.task("by name")["scheduling_policies"]
    assert [p["name"] for p in by_name] == [NAME]
    assert by_name[0]["fairshare_policy"]["compute_reservation"] == 20
    assert by_name[0]["tags"] == {"Environment": "dev", "Owner": "data"}
    assert result.task("all")["scheduling_policies"] == by_name
    assert writes_between(result, "after update", "after info") == {}

    assert result.task("delete (check)")["changed"] is True
    assert result.task("delete")["changed"] is True
    assert result.task("delete")["diff"]["before"]["arn"] == ARN
    assert result.task("delete again")["changed"] is False
    assert writes_between(result, "after info", "after delete") == {"batch:DeleteSchedulingPolicy": 1}
    assert aws.client("batch").list_scheduling_policies()["schedulingPolicies"] == []


BAD_INPUTS = {
    "reservation": ({"name": NAME, "compute_reservation": 100}, "compute_reservation: must be at most 99"),
    "identifier": (
        {"name": NAME, "share_distribution": [{"share_identifier": "team-a"}]},
        "share_distribution[0].share_identifier: must be 1-255 letters and digits",
    ),
    "overlap": (
        {"name": NAME, "share_distribution": [{"share_identifier": "team*"}, {"share_identifier": "team1"}]},
        "share_distribution: share identifiers 'team*' and 'team1' overlap",
    ),
}


def test_delete_refused_while_a_queue_uses_it_and_bad_inputs(playbook, aws):
    batch = aws.client("batch")
    arn = batch.create_scheduling_policy(name=NAME, fairsharePolicy={"shareDecaySeconds": 0})["arn"]
    role = aws.client("iam").create_role(
        RoleName="dev-carbon-batch-service",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    environment = batch.create_compute_environment(
        computeEnvironmentName="dev-carbon-ce", type="UNMANAGED", state="ENABLED", serviceRole=role
    )["computeEnvironmentArn"]
    BatchWorld(aws).wait_compute_environment("dev-carbon-ce")  # AWS associates only VALID environments
    batch.create_job_queue(
        jobQueueName="dev-carbon-jq",
        state="ENABLED",
        priority=1,
        schedulingPolicyArn=arn,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
    )
    aws.reset_stats()
    result = playbook(
        play(
            *(sp(name, args, ignore_errors=True) for name, (args, _message) in BAD_INPUTS.items()),
            snapshot("after bad inputs"),
            sp("delete (check)", {"name": NAME, "state": "absent"}, check_mode=True, ignore_errors=True),
            sp("delete", {"name": NAME, "state": "absent"}, ignore_errors=True),
        )
    )
    # Bad input fails before any call, with a message naming the parameter and the rule.
    for name, (_args, message) in BAD_INPUTS.items():
        task = result.task(name)
        assert task["failed"] is True, name
        assert message in task["msg"], (name, task["msg"])
    assert result.task("after bad inputs")["json"]["calls"] == {}

    # AWS refuses to delete a policy in use: the module says so, naming the queue, before any write.
    for task in ("delete (check)", "delete"):
        failed = result.task(task)
        assert failed["failed"] is True
        assert "dev-carbon-jq" in failed["msg"] and NAME in failed["msg"]
    assert writes(aws.stats()) == {}
    assert batch.describe_scheduling_policies(arns=[arn])["schedulingPolicies"]
