"""ondemand.batch.job_schedule against the emulator: EventBridge rules and EventBridge Scheduler schedules.

Each step is one ansible-playbook run; the emulator's call statistics between runs prove that an
unchanged re-run, check mode and refused expressions make no write call.
"""

import json

import pytest

from tests.integration.test_job import ACCOUNT, REGION, make_stack, play, short_transitions, writes

pytestmark = pytest.mark.slow


@pytest.fixture
def fast(aws):
    yield from short_transitions(aws)


EVENTS_ROLE = f"arn:aws:iam::{ACCOUNT}:role/t-events"


def schedule(name, args, **keywords):
    return {"name": name, "ondemand.batch.job_schedule": args, **keywords}


@pytest.fixture
def stack(fast):
    created = make_stack(fast)
    created["dlq"] = fast.client("sqs").create_queue(QueueName="t-dlq")["QueueUrl"]
    created["dlq_arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:t-dlq"
    fast.reset_stats()
    return created


def rule_args(stack, **changes):
    args = {
        "name": "t-nightly",
        "schedule_expression": "cron(0 4 * * ? *)",
        "description": "Nightly run",
        "job_queue": stack["queue"],
        "job_definition": stack["jd"],
        "job_name": "t-scheduled",
        "array_size": 3,
        "retry_attempts": 2,
        "parameters": {"mode": "full"},
        "command": ["sh", "-c", "echo scheduled"],
        "environment": {"LOG_LEVEL": "debug"},
        "role_arn": EVENTS_ROLE,
        "retry_policy": {"maximum_retry_attempts": 3, "maximum_event_age": 3600},
        "dead_letter_arn": stack["dlq_arn"],
        "tags": {"stack": "t"},
    }
    args.update(changes)
    return args


def test_rule_create_rerun_change_disable_delete(fast, playbook, stack):
    events = fast.client("events")
    created = playbook(play(schedule("Create", rule_args(stack))), diff=True)
    assert created.rc == 0, created.stdout
    result = created.task("Create")
    assert result["changed"] is True
    assert result["schedule"]["arn"].endswith(":rule/t-nightly")
    assert result["schedule"]["target"]["job_queue"] == stack["queue_arn"]
    assert result["diff"]["before"] == {}
    rule = events.describe_rule(Name="t-nightly")
    assert rule["ScheduleExpression"] == "cron(0 4 * * ? *)"
    assert rule["State"] == "ENABLED"
    (target,) = events.list_targets_by_rule(Rule="t-nightly")["Targets"]
    assert target["Id"] == "ondemand-batch-job"
    assert target["Arn"] == stack["queue_arn"]
    assert target["RoleArn"] == EVENTS_ROLE
    assert target["BatchParameters"] == {
        "JobDefinition": "t-jd",
        "JobName": "t-scheduled",
        "ArrayProperties": {"Size": 3},
        "RetryStrategy": {"Attempts": 2},
    }
    assert json.loads(target["Input"]) == {
        "Parameters": {"mode": "full"},
        "ContainerOverrides": {
            "Command": ["sh", "-c", "echo scheduled"],
            "Environment": [{"Name": "LOG_LEVEL", "Value": "debug"}],
        },
    }
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}
    assert target["DeadLetterConfig"] == {"Arn": stack["dlq_arn"]}
    assert events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"] == [{"Key": "stack", "Value": "t"}]

    # Someone else's target on the same rule: never touched.
    foreign = {"Id": "someone-else", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:t-dlq"}
    events.put_targets(Rule="t-nightly", Targets=[foreign])

    fast.reset_stats()
    rerun = playbook(play(schedule("Again", rule_args(stack))))
    assert rerun.task("Again")["changed"] is False
    assert rerun.task("Again")["schedule"]["other_target_ids"] == ["someone-else"]
    assert writes(fast.stats()) == {}

    changed_args = rule_args(
        stack, schedule_expression="rate(1 hour)", enabled=False, retry_policy=None, tags={"stack": "u"}
    )
    predicted = playbook(play(schedule("Predict", changed_args)), check=True, diff=True)
    assert predicted.task("Predict")["changed"] is True
    assert predicted.task("Predict")["diff"]["after"]["state"] == "DISABLED"
    assert writes(fast.stats()) == {}

    changed = playbook(play(schedule("Change", changed_args)))
    assert changed.task("Change")["changed"] is True
    assert changed.task("Change")["schedule"] == predicted.task("Predict")["schedule"]
    rule = events.describe_rule(Name="t-nightly")
    assert (rule["ScheduleExpression"], rule["State"], rule["Description"]) == (
        "rate(1 hour)",
        "DISABLED",
        "Nightly run",
    )
    targets = {t["Id"]: t for t in events.list_targets_by_rule(Rule="t-nightly")["Targets"]}
    assert targets["someone-else"] == foreign
    assert targets["ondemand-batch-job"]["RetryPolicy"] == {
        "MaximumRetryAttempts": 185,
        "MaximumEventAgeInSeconds": 86400,
    }
    assert events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"] == [{"Key": "stack", "Value": "u"}]

    kept = playbook(play(schedule("Delete while shared", {"name": "t-nightly", "state": "absent"})))
    assert kept.task("Delete while shared")["changed"] is True
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="t-nightly")["Targets"]] == ["someone-else"]

    events.remove_targets(Rule="t-nightly", Ids=["someone-else"])
    deleted = playbook(
        play(
            schedule("Delete", {"name": "t-nightly", "state": "absent"}),
            schedule("Delete again", {"name": "t-nightly", "state": "absent"}),
        )
    )
    assert deleted.task("Delete")["changed"] is True
    assert deleted.task("Delete")["schedule"] is None
    assert deleted.task("Delete again")["changed"] is False
    assert [r["Name"] for r in events.list_rules()["Rules"]] == []


# A one-time run onto a fair-share queue: Scheduler passes SubmitJob's share identifier and priority.
ONCE = {"delete_after_completion": True, "share_identifier": "blue", "scheduling_priority_override": 5}


def test_scheduler_backend_with_a_time_zone(fast, playbook, stack):
    scheduler = fast.client("scheduler")
    args = {
        "name": "t-berlin",
        "backend": "scheduler",
        "schedule_expression": "cron(0 4 * * ? *)",
        "timezone": "Europe/Berlin",
        "flexible_time_window": 15,
        "start_date": "2030-01-01T00:00:00+01:00",
        "job_queue": stack["queue"],
        "job_definition": stack["jd"],
        "parameters": {"mode": "full"},
        "role_arn": f"arn:aws:iam::{ACCOUNT}:role/t-scheduler",
        "dead_letter_arn": stack["dlq_arn"],
    }
    created = playbook(
        play(
            schedule("Create", args),
            schedule(
                "One-time run",
                dict(args, name="t-once", schedule_expression="at(2030-01-31T02:00:00)", **ONCE),
            ),
        )
    )
    assert created.rc == 0, created.stdout
    result = created.task("Create")["schedule"]
    assert result["timezone"] == "Europe/Berlin"
    assert result["start_date"] == "2029-12-31T23:00:00Z"
    found = scheduler.get_schedule(Name="t-berlin")
    assert found["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert found["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert found["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:batch:submitJob"
    assert json.loads(found["Target"]["Input"]) == {
        "JobName": "t-berlin",
        "JobQueue": "t-jq",
        "JobDefinition": "t-jd",
        "Parameters": {"mode": "full"},
    }
    assert found["Target"]["DeadLetterConfig"] == {"Arn": stack["dlq_arn"]}
    once = scheduler.get_schedule(Name="t-once")
    assert once["ScheduleExpression"] == "at(2030-01-31T02:00:00)"
    assert once["ActionAfterCompletion"] == "DELETE"
    submitted = json.loads(once["Target"]["Input"])
    assert (submitted["ShareIdentifier"], submitted["SchedulingPriorityOverride"]) == ("blue", 5)
    assert created.task("One-time run")["schedule"]["target"]["share_identifier"] == "blue"

    fast.reset_stats()
    rerun = playbook(
        play(
            schedule("Again", args),
            schedule(
                "Once again",
                dict(args, name="t-once", schedule_expression="at(2030-01-31T02:00:00)", **ONCE),
            ),
        )
    )
    assert rerun.task("Again")["changed"] is False
    assert rerun.task("Once again")["changed"] is False
    assert writes(fast.stats()) == {}

    changed = playbook(play(schedule("Later", dict(args, schedule_expression="cron(30 5 * * ? *)", enabled=False))))
    assert changed.task("Later")["changed"] is True
    found = scheduler.get_schedule(Name="t-berlin")
    assert (found["ScheduleExpression"], found["State"]) == ("cron(30 5 * * ? *)", "DISABLED")

    deleted = playbook(play(schedule("Delete", {"name": "t-berlin", "backend": "scheduler", "state": "absent"})))
    assert deleted.task("Delete")["changed"] is True
    assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == ["t-once"]


def test_bad_schedules_are_refused_before_any_call(fast, playbook, stack):
    base = rule_args(stack)
    cases = {
        "Five fields": dict(base, schedule_expression="cron(0 4 * * *)"),
        "Two question marks": dict(base, schedule_expression="cron(0 4 ? * ? *)"),
        "Plural for one": dict(base, schedule_expression="rate(1 hours)"),
        "Pinned revision": dict(base, job_definition="t-jd:6"),
        "Unknown zone": {**base, "backend": "scheduler", "tags": None, "timezone": "Europe/Atlantis"},
        "Share on a rule": dict(base, share_identifier="blue"),
    }
    result = playbook(play(*(schedule(name, args, ignore_errors=True) for name, args in cases.items())))
    messages = {name: result.task(name)["msg"] for name in cases}
    assert "cron() has 5 fields, not 6" in messages["Five fields"]
    assert "exactly one of day-of-month" in messages["Two question marks"]
    assert "write rate(1 hour)" in messages["Plural for one"]
    assert "without a revision (t-jd)" in messages["Pinned revision"]
    assert "timezone: must be an IANA time zone name" in messages["Unknown zone"]
    assert "share_identifier: needs backend: scheduler" in messages["Share on a rule"]
    assert fast.stats()["calls"] == {}
