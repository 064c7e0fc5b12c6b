import datetime
import json

import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import schedule
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchValidationError

ROLE = "arn:aws:iam::123456789012:role/events"


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 4 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0/15 * * * ? *)",
        "cron(*/5 8-17 ? * mon,wed,fri *)",
        "cron(0 10 L * ? *)",
        "cron(0 10 15W * ? *)",
        "cron(0 10 LW * ? *)",
        "cron(0 10 ? * 6L *)",
        "cron(0 10 ? * 3#2 *)",
        "cron(0 10 ? * MON#1 2030)",
        "cron(0 0 1 JAN-MAR ? 2025-2030)",
        "cron(59 23 31 12 ? 2199)",
        "cron(0 4 ? * FRI-MON *)",
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
    ],
)
def test_valid_expressions(expression):
    assert schedule.validate_schedule_expression(expression) in ("cron", "rate")


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("cron(0 4 * * *)", "has 5 fields, not 6"),
        ("cron(0 4 * * * * *)", "has 7 fields"),
        ("cron(0 4 * * * *)", "exactly one of day-of-month"),
        ("cron(0 4 ? * ? *)", "exactly one of day-of-month"),
        ("cron(0 4 1 * MON *)", "exactly one of day-of-month"),
        ("cron(60 4 * * ? *)", "minutes field: 60 is outside 0-59"),
        ("cron(0 24 * * ? *)", "hours field: 24 is outside 0-23"),
        ("cron(0 4 0 * ? *)", "day-of-month field: 0 is outside 1-31"),
        ("cron(0 4 32 * ? *)", "outside 1-31"),
        ("cron(0 4 * 13 ? *)", "month field: 13 is outside 1-12"),
        ("cron(0 4 ? * 8 *)", "day-of-week field: 8 is outside 1-7"),
        ("cron(0 4 ? * FOO *)", "not a number or SUN-SAT"),
        ("cron(0 4 * FOO ? *)", "not a number or JAN-DEC"),
        ("cron(0 4 * * ? 1969)", "outside 1970-2199"),
        ("cron(? 4 * * ? *)", "only allowed in day-of-month or day-of-week"),
        ("cron(0/0 4 * * ? *)", "step '0'"),
        ("cron(0/x 4 * * ? *)", "step 'x'"),
        ("cron(0- 4 * * ? *)", "malformed"),
        ("cron(0,,5 4 * * ? *)", "malformed"),
        ("cron(0 4 ? * 2#6 *)", "week number must be 1-5"),
        ("rate(1 minutes)", "write rate(1 minute)"),
        ("rate(5 minute)", "write rate(5 minutes)"),
        ("rate(0 minutes)", "at least 1"),
        ("rate(5 weeks)", "unknown unit"),
        ("rate(-1 days)", "positive whole number"),
        ("rate(1.5 hours)", "positive whole number"),
        ("rate(hourly)", "positive whole number"),
        ("at(2030-01-31T04:00:00)", "need backend: scheduler"),
        ("every day at 4", "must be cron(...), rate(...)"),
        ("", "is required"),
        ("cron 0 4 * * ? *", "must be cron(...)"),
    ],
)
def test_invalid_expressions_name_the_rule(expression, fragment):
    with pytest.raises(BatchValidationError) as info:
        schedule.validate_schedule_expression(expression)
    assert info.value.field == "schedule_expression"
    assert fragment in str(info.value)


def test_at_only_with_scheduler():
    assert schedule.validate_schedule_expression("at(2030-01-31T04:00:00)", backend="scheduler") == "at"
    with pytest.raises(BatchValidationError, match="yyyy-mm-ddThh:mm:ss"):
        schedule.validate_schedule_expression("at(2030-01-31 04:00)", backend="scheduler")
    with pytest.raises(BatchValidationError, match="not a valid date"):
        schedule.validate_schedule_expression("at(2030-02-30T04:00:00)", backend="scheduler")


@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC", "America/New_York", "Asia/Shanghai"])
def test_valid_time_zones(zone):
    assert schedule.validate_timezone(zone) == zone


@pytest.mark.parametrize("zone", ["Europe/Berlinn", "CEST+1", "../etc/passwd", "/usr/share/zoneinfo/UTC", ""])
def test_invalid_time_zones(zone):
    with pytest.raises(BatchValidationError) as info:
        schedule.validate_timezone(zone)
    assert info.value.field == "timezone"


def test_dates_parse_to_utc():
    assert schedule.format_date(schedule.parse_date("start_date", "2030-01-31T04:00:00Z")) == "2030-01-31T04:00:00Z"
    assert (
        schedule.format_date(schedule.parse_date("start_date", "2030-01-31T05:00:00+01:00")) == "2030-01-31T04:00:00Z"
    )
    assert schedule.format_date(schedule.parse_date("start_date", "2030-01-31T04:00:00")) == "2030-01-31T04:00:00Z"
    aware = datetime.datetime(2030, 1, 31, 4, tzinfo=datetime.timezone.utc)  # noqa: UP017
    assert schedule.parse_date("end_date", aware) == aware
    with pytest.raises(BatchValidationError, match="end_date: must be an ISO 8601"):
        schedule.parse_date("end_date", "tomorrow")


def params(**overrides):
    base = {
        "name": "nightly",
        "state": "present",
        "backend": "events",
        "enabled": True,
        "schedule_expression": "cron(0 4 * * ? *)",
        "job_queue": "dev-jq",
        "job_definition": "dev-jd",
        "role_arn": ROLE,
        "target_id": "ondemand-batch-job",
        "group": "default",
    }
    base.update(overrides)
    return base


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"name": "bad name"}, "name", "1-64"),
        ({"job_definition": "dev-jd:3"}, "job_definition", "without a revision (dev-jd)"),
        ({"job_definition": "arn:aws:batch:eu-west-1:123456789012:job-definition/dev-jd:3"}, "job_definition", ""),
        ({"timezone": "Europe/Berlin"}, "timezone", "backend: scheduler"),
        ({"flexible_time_window": 10}, "flexible_time_window", "backend: scheduler"),
        ({"backend": "scheduler", "timezone": "Mars/Olympus"}, "timezone", "IANA"),
        ({"backend": "scheduler", "tags": {"a": "b"}}, "tags", "no tags"),
        ({"backend": "scheduler", "flexible_time_window": 2000}, "flexible_time_window", "1440"),
        (
            {"backend": "scheduler", "start_date": "2030-02-01T00:00:00Z", "end_date": "2030-01-01T00:00:00Z"},
            "end_date",
            "later",
        ),
        ({"role_arn": "events-role"}, "role_arn", "IAM role ARN"),
        ({"dead_letter_arn": "arn:aws:sns:eu-west-1:123456789012:topic"}, "dead_letter_arn", "SQS"),
        ({"array_size": 1}, "array_size", "2-10000"),
        ({"retry_attempts": 11}, "retry_attempts", "1-10"),
        ({"retry_policy": {"maximum_retry_attempts": 186}}, "retry_policy", "0-185"),
        ({"retry_policy": {"maximum_event_age": 59}}, "retry_policy", "60-86400"),
        ({"environment": {"AWS_BATCH_X": "1"}}, "environment", "reserved"),
        ({"schedule_expression": None}, "schedule_expression", "required"),
        ({"role_arn": None}, "role_arn", "required"),
        ({"job_name": "-starts-with-hyphen"}, "job_name", "starting with a letter"),
        ({"share_identifier": "blue"}, "share_identifier", "needs backend: scheduler"),
        ({"scheduling_priority_override": 5}, "scheduling_priority_override", "needs backend: scheduler"),
        ({"backend": "scheduler", "share_identifier": "blue*"}, "share_identifier", "letters and digits"),
        ({"backend": "scheduler", "share_identifier": "x" * 256}, "share_identifier", "1-255"),
        ({"backend": "scheduler", "scheduling_priority_override": 10000}, "scheduling_priority_override", "0-9999"),
    ],
)
def test_schedule_params_are_checked_before_any_call(overrides, field, fragment):
    with pytest.raises(BatchValidationError) as info:
        schedule.validate_schedule_params(params(**overrides))
    assert info.value.field == field
    assert fragment in str(info.value)


def test_absent_needs_only_a_name():
    assert schedule.validate_schedule_params({"name": "nightly", "state": "absent"}) == (None, None)


def test_events_target_carries_batch_parameters_input_retry_and_dead_letter():
    target = schedule.events_target(
        params(
            array_size=10,
            retry_attempts=2,
            parameters={"mode": "full", "n": 3},
            command=["echo", "hi"],
            environment={"B": 2, "A": "1"},
            vcpus=0.5,
            memory=1024,
            retry_policy={"maximum_retry_attempts": 3, "maximum_event_age": 3600},
            dead_letter_arn="arn:aws:sqs:eu-west-1:123456789012:dlq",
        ),
        "arn:aws:batch:eu-west-1:123456789012:job-queue/dev-jq",
    )
    assert target["Id"] == "ondemand-batch-job"
    assert target["Arn"].endswith(":job-queue/dev-jq")
    assert target["BatchParameters"] == {
        "JobDefinition": "dev-jd",
        "JobName": "nightly",
        "ArrayProperties": {"Size": 10},
        "RetryStrategy": {"Attempts": 2},
    }
    assert json.loads(target["Input"]) == {
        "Parameters": {"mode": "full", "n": "3"},
        "ContainerOverrides": {
            "Command": ["echo", "hi"],
            "Environment": [{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "2"}],
            "ResourceRequirements": [{"Type": "VCPU", "Value": "0.5"}, {"Type": "MEMORY", "Value": "1024"}],
        },
    }
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}
    assert target["DeadLetterConfig"] == {"Arn": "arn:aws:sqs:eu-west-1:123456789012:dlq"}


def test_target_without_retry_policy_equals_one_with_the_aws_defaults():
    desired = schedule.events_target(params(), "arn:aws:batch:eu-west-1:1:job-queue/q")
    current = {k: v for k, v in desired.items() if k != "RetryPolicy"}
    assert schedule.comparable_target(current) == schedule.comparable_target(desired)
    changed = dict(desired, RetryPolicy={"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 86400})
    assert schedule.comparable_target(changed) != schedule.comparable_target(desired)


def test_input_compared_as_json_not_text():
    desired = schedule.events_target(params(parameters={"a": "1", "b": "2"}), "arn:q")
    current = dict(desired, Input=json.dumps({"Parameters": {"b": "2", "a": "1"}}, indent=2))
    assert schedule.comparable_target(current) == schedule.comparable_target(desired)


def test_foreign_target_settings_count_as_a_difference():
    desired = schedule.events_target(params(), "arn:q")
    current = dict(desired, InputPath="$.detail")
    assert schedule.comparable_target(current) != schedule.comparable_target(desired)


def test_scheduler_target_is_the_universal_submit_job_target():
    request = schedule.scheduler_request(
        params(backend="scheduler", timezone="Europe/Berlin", flexible_time_window=15, array_size=5),
        None,
        None,
    )
    target = request["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:batch:submitJob"
    assert json.loads(target["Input"]) == {
        "JobName": "nightly",
        "JobQueue": "dev-jq",
        "JobDefinition": "dev-jd",
        "ArrayProperties": {"Size": 5},
    }
    assert request["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert request["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert request["State"] == "ENABLED"
    assert request["ActionAfterCompletion"] == "NONE"


def test_scheduler_target_submits_to_a_fair_share_queue():
    params_ = params(backend="scheduler", share_identifier="blue", scheduling_priority_override=0)
    schedule.validate_schedule_params(params_)
    submitted = json.loads(schedule.scheduler_target(params_)["Input"])
    assert (submitted["ShareIdentifier"], submitted["SchedulingPriorityOverride"]) == ("blue", 0)
    described = schedule.describe_target(schedule.scheduler_target(params_))
    assert (described["share_identifier"], described["scheduling_priority_override"]) == ("blue", 0)
    plain = schedule.describe_target(schedule.scheduler_target(params(backend="scheduler")))
    assert (plain["share_identifier"], plain["scheduling_priority_override"]) == (None, None)


def test_scheduler_target_follows_the_partition_of_the_role():
    request = schedule.scheduler_request(
        params(backend="scheduler", role_arn="arn:aws-cn:iam::123456789012:role/s"), None, None
    )
    assert request["Target"]["Arn"] == "arn:aws-cn:scheduler:::aws-sdk:batch:submitJob"


def test_schedule_as_aws_returns_it_compares_equal_to_the_request():
    start = schedule.parse_date("start_date", "2030-01-01T00:00:00Z")
    request = schedule.scheduler_request(params(backend="scheduler"), start, None)
    answer = dict(
        request,
        Arn="arn:aws:scheduler:eu-west-1:1:schedule/default/nightly",
        StartDate=datetime.datetime(2030, 1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
        Description=None,
        CreationDate=datetime.datetime.now(),
    )
    answer["Target"] = dict(request["Target"], Input=json.dumps(json.loads(request["Target"]["Input"])))
    assert schedule.comparable_schedule(answer) == schedule.comparable_schedule(request)
    assert schedule.comparable_schedule(dict(answer, State="DISABLED")) != schedule.comparable_schedule(request)


def test_scheduler_request_keeps_the_current_description_when_none_is_given():
    request = schedule.scheduler_request(params(backend="scheduler"), None, None, {"Description": "kept"})
    assert request["Description"] == "kept"


def test_describe_target_decodes_both_backends():
    events = schedule.describe_target(
        schedule.events_target(params(command=["a"], retry_attempts=2), "arn:aws:batch:r:1:job-queue/q")
    )
    assert events["job_queue"] == "arn:aws:batch:r:1:job-queue/q"
    assert events["job_definition"] == "dev-jd"
    assert events["command"] == ["a"]
    assert events["retry_attempts"] == 2
    assert events["retry_policy"] == {"maximum_retry_attempts": 185, "maximum_event_age": 86400}
    scheduler = schedule.describe_target(schedule.scheduler_target(params(retry_attempts=3)))
    assert scheduler["job_queue"] == "dev-jq"
    assert scheduler["job_name"] == "nightly"
    assert scheduler["retry_attempts"] == 3


def test_every_broken_rule_of_a_schedule_is_collected():
    from ansible_collections.ondemand.batch.plugins.module_utils.validation import Problems

    problems = Problems()
    params = {
        "name": "s",
        "schedule_expression": "cron(61 4 * * ? *)",
        "job_queue": "arn:aws:batch:eu-west-1:123456789012:job-queue/q",
        "job_definition": "jd",
        "role_arn": "arn:aws:iam::123456789012:role/r",
        "timezone": "Mars/Olympus_Mons",
        "backend": "scheduler",
        "array_size": 1,
        "retry_attempts": 11,
        "description": "d" * 513,
        "dead_letter_arn": "arn:aws:sns:eu-west-1:123456789012:topic",
    }
    schedule.validate_schedule_params(params, problems=problems)
    assert [field for field, _rule in problems.items] == [
        "schedule_expression",
        "timezone",
        "description",
        "dead_letter_arn",
        "array_size",
        "retry_attempts",
    ]
    assert "61 is outside 0-59" in problems.items[0][1]


def test_a_name_ending_in_a_newline_is_refused():
    with pytest.raises(BatchValidationError, match="^name: must be 1-64"):
        schedule.validate_schedule_params({"name": "daily\n", "state": "absent"})
