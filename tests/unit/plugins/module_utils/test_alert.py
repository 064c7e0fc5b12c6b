"""Pure logic of job alerts: validation, the event pattern, the target, comparison and rendering."""

import json

import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import alert
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchValidationError

QUEUE = "arn:aws:batch:eu-west-1:123456789012:job-queue/dev-jq"
QUEUE2 = "arn:aws:batch:eu-west-1:123456789012:job-queue/dev-jq-spot"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:dev-alerts"


def params(**changes):
    base = {
        "name": "dev-job-failed",
        "state": "present",
        "enabled": True,
        "description": None,
        "job_queues": [QUEUE],
        "statuses": ["FAILED"],
        "target_arn": TOPIC,
        "target_id": "job-alert",
        "input_template": None,
        "input_paths": None,
        "event_bus_name": "default",
        "tags": None,
        "purge_tags": True,
    }
    base.update(changes)
    return base


def test_valid_params_pass():
    alert.validate_alert_params(params())
    alert.validate_alert_params(params(job_queues=[], statuses=["SUCCEEDED", "FAILED"]))
    alert.validate_alert_params(params(target_arn="arn:aws:sqs:eu-west-1:123456789012:events.fifo"))
    alert.validate_alert_params(params(event_bus_name="arn:aws:events:eu-west-1:123456789012:event-bus/ops"))
    alert.validate_alert_params(params(input_template=""))
    alert.validate_alert_params(params(input_template='"<job> in <aws.events.rule-name>"', input_paths={"job": "$.x"}))
    alert.validate_alert_params(params(target_arn="arn:aws-cn:sns:cn-north-1:123456789012:t"))


def test_absent_needs_only_the_names():
    alert.validate_alert_params({"name": "r", "state": "absent", "target_arn": None, "statuses": []})


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"name": "bad name"}, "name", "1-64 letters"),
        ({"name": "x" * 65}, "name", "1-64 letters"),
        ({"target_arn": None}, "target_arn", "is required with state=present (rule dev-job-failed)"),
        ({"target_arn": "dev-alerts"}, "target_arn", "ARN of an SNS topic"),
        ({"target_arn": "arn:aws:lambda:eu-west-1:123456789012:function:f"}, "target_arn", "SQS queue"),
        ({"statuses": []}, "statuses", "at least one job status"),
        ({"statuses": ["FAILD"]}, "statuses", "FAILD is not a job status; use SUBMITTED"),
        ({"job_queues": ["dev-jq"]}, "job_queues", "must be job queue ARNs"),
        ({"job_queues": [QUEUE.replace("job-queue", "job-definition")]}, "job_queues", "got 'arn:aws:batch"),
        ({"target_id": "a b"}, "target_id", "1-64 letters"),
        ({"event_bus_name": "bad bus!"}, "event_bus_name", "event bus name"),
        ({"description": "d" * 513}, "description", "at most 512 characters"),
        ({"input_template": '"<job> <nope>"'}, "input_template", "<nope> have no entry in input_paths"),
        ({"input_template": '"unterminated'}, "input_template", "one JSON string"),
        ({"input_template": "", "input_paths": {"a": "$.a"}}, "input_paths", "only used with an input_template"),
        ({"input_paths": {"job": "detail.jobName"}}, "input_paths", "job: must be a JSON path"),
        ({"input_paths": {"aws.x": "$.a"}}, "input_paths", "must not start with 'aws'"),
        ({"tags": {"aws:owner": "me"}}, "tags", "reserved by AWS"),
    ],
)
def test_bad_params_name_the_option_and_the_rule(changes, field, fragment):
    with pytest.raises(BatchValidationError) as raised:
        alert.validate_alert_params(params(**changes))
    assert raised.value.field == field
    assert fragment in str(raised.value.message)
    assert str(raised.value.message).startswith(f"{field}: ")


def test_pattern_orders_statuses_like_a_job_and_sorts_queues():
    pattern = alert.event_pattern(["FAILED", "RUNNING", "FAILED"], [QUEUE2, QUEUE, QUEUE])
    assert pattern == {
        "source": ["aws.batch"],
        "detail-type": ["Batch Job State Change"],
        "detail": {"status": ["RUNNING", "FAILED"], "jobQueue": [QUEUE, QUEUE2]},
    }


def test_no_queues_means_every_queue():
    assert alert.event_pattern(["FAILED"], []) == {
        "source": ["aws.batch"],
        "detail-type": ["Batch Job State Change"],
        "detail": {"status": ["FAILED"]},
    }


def test_desired_rule_keeps_the_current_description_when_left_out():
    rule = alert.desired_rule(params(), current={"Description": "kept"})
    assert rule["Description"] == "kept"
    assert "EventBusName" not in rule
    assert json.loads(rule["EventPattern"])["detail"] == {"status": ["FAILED"], "jobQueue": [QUEUE]}
    assert alert.desired_rule(params(description="new"), current={"Description": "kept"})["Description"] == "new"
    assert "Description" not in alert.desired_rule(params(description=""), current={"Description": "kept"})
    assert alert.desired_rule(params(enabled=False, event_bus_name="ops"))["EventBusName"] == "ops"
    assert alert.desired_rule(params(enabled=False))["State"] == "DISABLED"


def test_default_target_is_the_roles_message():
    target = alert.desired_target(params())
    assert target == {
        "Id": "job-alert",
        "Arn": TOPIC,
        "InputTransformer": {
            "InputTemplate": '"Batch job <job> (<id>) on <queue> is <status>: <reason>"',
            "InputPathsMap": {
                "job": "$.detail.jobName",
                "id": "$.detail.jobId",
                "queue": "$.detail.jobQueue",
                "status": "$.detail.status",
                "reason": "$.detail.statusReason",
            },
        },
    }
    assert alert.desired_target(params(input_template="")) == {"Id": "job-alert", "Arn": TOPIC}
    assert alert.desired_target(params(input_template='"x"', input_paths={}))["InputTransformer"] == {
        "InputTemplate": '"x"'
    }


def test_rule_comparison_reads_the_pattern_as_eventbridge_does():
    desired = alert.desired_rule(params(job_queues=[QUEUE, QUEUE2], statuses=["RUNNING", "FAILED"]))
    current = {
        "Name": "dev-job-failed",
        "Arn": "arn",
        "State": "ENABLED",
        "EventPattern": json.dumps(
            {
                "detail": {"jobQueue": [QUEUE2, QUEUE], "status": ["FAILED", "RUNNING"]},
                "detail-type": ["Batch Job State Change"],
                "source": ["aws.batch"],
            },
            indent=2,
        ),
        "EventBusName": "default",
        "CreatedBy": "123456789012",
    }
    assert alert.comparable_rule(current) == alert.comparable_rule(desired)
    assert alert.comparable_rule(dict(current, State="DISABLED")) != alert.comparable_rule(desired)
    assert alert.comparable_rule(dict(current, Description="x")) != alert.comparable_rule(desired)
    assert alert.comparable_rule(dict(current, ScheduleExpression="rate(1 day)")) != alert.comparable_rule(desired)
    fewer = alert.desired_rule(params(job_queues=[QUEUE], statuses=["RUNNING", "FAILED"]))
    assert alert.comparable_rule(current) != alert.comparable_rule(fewer)


def test_target_comparison_counts_settings_a_write_would_drop():
    desired = alert.desired_target(params())
    assert alert.comparable_target(dict(desired)) == alert.comparable_target(desired)
    assert alert.comparable_target(dict(desired, RetryPolicy=alert.DEFAULT_RETRY_POLICY)) == alert.comparable_target(
        desired
    )
    assert alert.comparable_target(dict(desired, DeadLetterConfig={"Arn": "q"})) != alert.comparable_target(desired)
    assert alert.comparable_target(dict(desired, Arn=TOPIC + "2")) != alert.comparable_target(desired)
    assert alert.comparable_target(None) is None


def test_render_is_snake_case_with_pattern_as_dict():
    rule = dict(alert.desired_rule(params(description="d")), Arn="arn:rule")
    rendered = alert.render_alert(rule, alert.desired_target(params()), {"a": "b"}, ["x", "foreign"], "default")
    assert rendered["event_pattern"]["detail"]["jobQueue"] == [QUEUE]
    assert rendered["statuses"] == ["FAILED"]
    assert rendered["job_queues"] == [QUEUE]
    assert rendered["state"] == "ENABLED" and rendered["enabled"] is True
    assert rendered["target"]["input_transformer"]["input_paths_map"]["job"] == "$.detail.jobName"
    assert rendered["other_target_ids"] == ["foreign", "x"]
    assert rendered["tags"] == {"a": "b"}
    assert rendered["event_bus_name"] == "default"
    assert alert.render_alert(None, None, {}, [], "default") is None


def test_rule_arns():
    assert alert.rule_arn("aws", "eu-west-1", "1", "default", "r") == "arn:aws:events:eu-west-1:1:rule/r"
    assert alert.rule_arn("aws", "eu-west-1", "1", "ops", "r") == "arn:aws:events:eu-west-1:1:rule/ops/r"
    bus_arn = "arn:aws:events:eu-west-1:123456789012:event-bus/ops"
    assert alert.rule_arn("aws", "eu-west-1", "1", bus_arn, "r") == "arn:aws:events:eu-west-1:1:rule/ops/r"


def test_every_broken_rule_of_an_alert_is_collected():
    from ansible_collections.ondemand.batch.plugins.module_utils.validation import Problems

    problems = Problems()
    alert.validate_alert_params(
        {
            "name": "a",
            "target_arn": "arn:aws:sns:eu-west-1:123456789012:t",
            "statuses": ["EXPLODED"],
            "description": "x" * 600,
            "tags": {"aws:x": "1"},
        },
        problems=problems,
    )
    assert [field for field, _rule in problems.items] == ["statuses", "description", "tags"]
    assert "EXPLODED is not a job status" in problems.items[0][1]
