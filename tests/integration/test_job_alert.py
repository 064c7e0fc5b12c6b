"""ondemand.batch.job_alert against the emulator: an EventBridge rule on Batch job state changes and its target.

Each step is one ansible-playbook run; the emulator's call statistics between runs prove that an unchanged
re-run, check mode and refused input make no write call, and that a change writes exactly what changed.
"""

import json

import pytest

from tests.integration.test_job import ACCOUNT, REGION, play, writes

pytestmark = pytest.mark.slow

RULE = "t-job-failed"
RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{RULE}"
QUEUE = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/t-jq"
QUEUE2 = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/t-jq-spot"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:t-alerts"
DEFAULT_TEMPLATE = '"Batch job <job> (<id>) on <queue> is <status>: <reason>"'
DEFAULT_PATHS = {
    "job": "$.detail.jobName",
    "id": "$.detail.jobId",
    "queue": "$.detail.jobQueue",
    "status": "$.detail.status",
    "reason": "$.detail.statusReason",
}


def alert(name, args, **keywords):
    return {"name": name, "ondemand.batch.job_alert": args, **keywords}


def alert_args(**changes):
    args = {
        "name": RULE,
        "description": "Failed jobs of t",
        "job_queues": [QUEUE],
        "target_arn": TOPIC,
        "tags": {"ondemand:stack": "t"},
    }
    args.update(changes)
    return args


def tags_of(events, arn):
    return {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=arn)["Tags"]}


@pytest.fixture
def topic(aws):
    aws.client("sns").create_topic(Name="t-alerts")
    aws.reset_stats()
    return TOPIC


def test_check_create_rerun_and_diff(aws, playbook, topic):
    events = aws.client("events")
    predicted = playbook(play(alert("Predict", alert_args())), check=True, diff=True)
    assert predicted.rc == 0, predicted.stdout
    assert predicted.task("Predict")["changed"] is True
    assert writes(aws.stats()) == {}
    assert events.list_rules()["Rules"] == []

    created = playbook(play(alert("Create", alert_args())), diff=True)
    assert created.rc == 0, created.stdout
    result = created.task("Create")
    assert result["changed"] is True
    assert result["job_alert"] == predicted.task("Predict")["job_alert"]
    assert result["diff"] == predicted.task("Predict")["diff"]
    assert result["diff"]["before"] == {}
    assert result["job_alert"] == {
        "name": RULE,
        "arn": RULE_ARN,
        "event_bus_name": "default",
        "state": "ENABLED",
        "enabled": True,
        "description": "Failed jobs of t",
        "event_pattern": {
            "source": ["aws.batch"],
            "detail-type": ["Batch Job State Change"],
            "detail": {"status": ["FAILED"], "jobQueue": [QUEUE]},
        },
        "statuses": ["FAILED"],
        "job_queues": [QUEUE],
        "target": {
            "id": "job-alert",
            "arn": TOPIC,
            "input_transformer": {"input_paths_map": DEFAULT_PATHS, "input_template": DEFAULT_TEMPLATE},
        },
        "other_target_ids": [],
        "tags": {"ondemand:stack": "t"},
    }
    assert writes(aws.stats()) == {"events:PutRule": 1, "events:PutTargets": 1}

    # What AWS holds, read independently of the module.
    rule = events.describe_rule(Name=RULE)
    assert (rule["Arn"], rule["State"], rule["Description"]) == (RULE_ARN, "ENABLED", "Failed jobs of t")
    assert json.loads(rule["EventPattern"]) == result["job_alert"]["event_pattern"]
    (target,) = events.list_targets_by_rule(Rule=RULE)["Targets"]
    assert target == {
        "Id": "job-alert",
        "Arn": TOPIC,
        "InputTransformer": {"InputPathsMap": DEFAULT_PATHS, "InputTemplate": DEFAULT_TEMPLATE},
    }
    assert tags_of(events, RULE_ARN) == {"ondemand:stack": "t"}

    aws.reset_stats()
    rerun = playbook(play(alert("Again", alert_args())))
    checked = playbook(play(alert("Check again", alert_args())), check=True, diff=True)
    assert rerun.task("Again")["changed"] is False
    assert rerun.task("Again")["job_alert"] == result["job_alert"]
    assert checked.task("Check again")["changed"] is False
    assert checked.task("Check again")["diff"]["before"] == checked.task("Check again")["diff"]["after"]
    assert writes(aws.stats()) == {}
    # Reads only: the rule, its targets and its tags, per run.
    assert aws.stats()["calls"] == {
        "events:DescribeRule": 2,
        "events:ListTargetsByRule": 2,
        "events:ListTagsForResource": 2,
    }


def test_changes_write_only_what_changed(aws, playbook, topic):
    events = aws.client("events")
    assert playbook(play(alert("Create", alert_args()))).rc == 0

    steps = [
        # (arguments, the writes they need)
        (alert_args(statuses=["FAILED", "SUCCEEDED"]), {"events:PutRule": 1}),
        (alert_args(statuses=["FAILED", "SUCCEEDED"], job_queues=[QUEUE2, QUEUE]), {"events:PutRule": 1}),
        (alert_args(statuses=["SUCCEEDED", "FAILED"], job_queues=[QUEUE, QUEUE2]), {}),
        (
            alert_args(
                statuses=["FAILED", "SUCCEEDED"], job_queues=[QUEUE, QUEUE2], input_template='"<job>: <reason>"'
            ),
            {"events:PutTargets": 1},
        ),
        (
            alert_args(
                statuses=["FAILED", "SUCCEEDED"],
                job_queues=[QUEUE, QUEUE2],
                input_template='"<job>: <reason>"',
                enabled=False,
                tags={"ondemand:stack": "t", "owner": "data"},
            ),
            {"events:PutRule": 1, "events:TagResource": 1},
        ),
        (
            alert_args(
                statuses=["FAILED", "SUCCEEDED"],
                job_queues=[QUEUE, QUEUE2],
                input_template='"<job>: <reason>"',
                enabled=False,
                tags={"owner": "data"},
            ),
            {"events:UntagResource": 1},
        ),
    ]
    for number, (args, expected) in enumerate(steps):
        aws.reset_stats()
        predicted = playbook(play(alert("Predict", args)), check=True, diff=True)
        assert writes(aws.stats()) == {}, number
        applied = playbook(play(alert("Apply", args)), diff=True)
        assert applied.rc == 0, applied.stdout
        assert writes(aws.stats()) == expected, number
        assert applied.task("Apply")["changed"] is bool(expected), number
        assert predicted.task("Predict")["changed"] is bool(expected), number
        assert predicted.task("Predict")["job_alert"] == applied.task("Apply")["job_alert"], number
        assert predicted.task("Predict")["diff"] == applied.task("Apply")["diff"], number

    final = applied.task("Apply")
    assert final["diff"]["before"]["tags"] == {"ondemand:stack": "t", "owner": "data"}
    assert final["diff"]["after"]["tags"] == {"owner": "data"}
    rule = events.describe_rule(Name=RULE)
    assert rule["State"] == "DISABLED"
    assert json.loads(rule["EventPattern"])["detail"] == {
        "status": ["SUCCEEDED", "FAILED"],
        "jobQueue": [QUEUE, QUEUE2],
    }
    (target,) = events.list_targets_by_rule(Rule=RULE)["Targets"]
    assert target["InputTransformer"]["InputTemplate"] == '"<job>: <reason>"'
    assert tags_of(events, RULE_ARN) == {"owner": "data"}


def test_foreign_target_is_kept_and_absent_twice(aws, playbook, topic):
    events = aws.client("events")
    assert playbook(play(alert("Create", alert_args()))).rc == 0
    foreign = {"Id": "someone-else", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:t-audit"}
    events.put_targets(Rule=RULE, Targets=[foreign])

    aws.reset_stats()
    changed = playbook(play(alert("New topic", alert_args(target_arn=TOPIC + "-2"))))
    assert changed.task("New topic")["changed"] is True
    assert changed.task("New topic")["job_alert"]["other_target_ids"] == ["someone-else"]
    assert writes(aws.stats()) == {"events:PutTargets": 1}
    targets = {t["Id"]: t for t in events.list_targets_by_rule(Rule=RULE)["Targets"]}
    assert targets["someone-else"] == foreign
    assert targets["job-alert"]["Arn"] == TOPIC + "-2"

    # Absent while someone else's target is on the rule: only ours goes, the rule stays (with a warning).
    aws.reset_stats()
    absent = {"name": RULE, "state": "absent"}
    kept = playbook(play(alert("Absent", absent), alert("Absent again", absent)), diff=True)
    first, second = kept.task("Absent"), kept.task("Absent again")
    assert first["changed"] is True
    assert first["job_alert"]["target"] is None
    assert first["job_alert"]["other_target_ids"] == ["someone-else"]
    assert any("kept" in w for w in first.get("warnings", []))
    assert second["changed"] is False
    assert writes(aws.stats()) == {"events:RemoveTargets": 1}
    assert events.list_targets_by_rule(Rule=RULE)["Targets"] == [foreign]

    # Without the foreign target the rule goes; absent on a missing rule is unchanged.
    events.remove_targets(Rule=RULE, Ids=["someone-else"])
    aws.reset_stats()
    predicted = playbook(play(alert("Predict delete", absent)), check=True)
    assert predicted.task("Predict delete")["changed"] is True
    assert writes(aws.stats()) == {}
    deleted = playbook(play(alert("Delete", absent), alert("Delete again", absent)), diff=True)
    assert deleted.task("Delete")["changed"] is True
    assert deleted.task("Delete")["job_alert"] is None
    assert deleted.task("Delete")["diff"]["after"] == {}
    assert deleted.task("Delete again")["changed"] is False
    assert writes(aws.stats()) == {"events:DeleteRule": 1}
    assert events.list_rules()["Rules"] == []


def test_our_target_and_rule_are_removed_together(aws, playbook, topic):
    events = aws.client("events")
    assert playbook(play(alert("Create", alert_args()))).rc == 0
    aws.reset_stats()
    deleted = playbook(play(alert("Delete", {"name": RULE, "state": "absent"})))
    assert deleted.task("Delete")["changed"] is True
    assert writes(aws.stats()) == {"events:RemoveTargets": 1, "events:DeleteRule": 1}
    assert events.list_rules()["Rules"] == []


def test_events_really_route_through_the_transformer(aws, playbook):
    """A Batch job state change put on the default bus reaches the target as the alert message."""
    events, sqs = aws.client("events"), aws.client("sqs")
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("t-alerts-q", "t-events-q")}
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:"
    result = playbook(
        play(
            alert("Message", alert_args(target_arn=arn + "t-alerts-q")),
            alert(
                "Whole event",
                {
                    "name": "t-all-done",
                    "statuses": ["SUCCEEDED", "FAILED"],
                    "target_arn": arn + "t-events-q",
                    "input_template": "",
                },
            ),
        )
    )
    assert result.rc == 0, result.stdout
    assert result.task("Whole event")["job_alert"]["target"]["input_transformer"] is None
    assert result.task("Whole event")["job_alert"]["job_queues"] == []

    def batch_event(status, queue, job="t-job"):
        detail = {"jobName": job, "jobId": "j-1", "jobQueue": queue, "status": status, "statusReason": "Exit 3"}
        return {"Source": "aws.batch", "DetailType": "Batch Job State Change", "Detail": json.dumps(detail)}

    answer = events.put_events(
        Entries=[
            batch_event("FAILED", QUEUE),
            batch_event("SUCCEEDED", QUEUE, job="t-ok"),
            batch_event("FAILED", QUEUE2, job="t-other-queue"),
            batch_event("RUNNING", QUEUE, job="t-running"),
        ]
    )
    assert answer["FailedEntryCount"] == 0

    def bodies(url):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    assert bodies(urls["t-alerts-q"]) == [f"Batch job t-job (j-1) on {QUEUE} is FAILED: Exit 3"]
    whole = bodies(urls["t-events-q"])
    assert sorted(e["detail"]["jobName"] for e in whole) == ["t-job", "t-ok", "t-other-queue"]
    assert {e["detail-type"] for e in whole} == {"Batch Job State Change"}


def test_custom_event_bus(aws, playbook, topic):
    events = aws.client("events")
    events.create_event_bus(Name="t-ops")
    aws.reset_stats()
    args = alert_args(event_bus_name="t-ops")
    predicted = playbook(play(alert("Predict", args)), check=True)
    created = playbook(play(alert("Create", args), alert("Again", args)))
    assert created.rc == 0, created.stdout
    assert created.task("Create")["job_alert"] == predicted.task("Predict")["job_alert"]
    assert created.task("Create")["job_alert"]["arn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/t-ops/{RULE}"
    assert created.task("Again")["changed"] is False
    assert [r["Name"] for r in events.list_rules(EventBusName="t-ops")["Rules"]] == [RULE]
    assert events.list_rules()["Rules"] == []
    assert writes(aws.stats()) == {"events:PutRule": 1, "events:PutTargets": 1}


def test_bad_input_is_refused_before_any_call(aws, playbook):
    cases = {
        "Bad status": alert_args(statuses=["FAILD"]),
        "No status": alert_args(statuses=[]),
        "Queue name": alert_args(job_queues=["t-jq"]),
        "No target": {k: v for k, v in alert_args().items() if k != "target_arn"},
        "Topic name": alert_args(target_arn="t-alerts"),
        "Bad rule name": alert_args(name="t job failed"),
        "Unknown placeholder": alert_args(input_template='"<job> failed on <host>"'),
        "Reserved tag": alert_args(tags={"aws:owner": "x"}),
    }
    result = playbook(play(*(alert(name, args, ignore_errors=True) for name, args in cases.items())))
    messages = {name: result.task(name)["msg"] for name in cases}
    assert all(result.task(name).get("failed") for name in cases), messages
    assert "statuses" in messages["Bad status"] and "FAILD" in messages["Bad status"]
    assert "FAILED" in messages["Bad status"]
    assert messages["No status"].startswith("statuses: give at least one job status")
    assert messages["Queue name"].startswith("job_queues: must be job queue ARNs")
    assert "t-jq" in messages["Queue name"]
    assert "target_arn" in messages["No target"] and "state is present" in messages["No target"]
    assert messages["Topic name"].startswith("target_arn: must be the ARN of an SNS topic")
    assert f"(rule {RULE})" in messages["Topic name"]
    assert messages["Bad rule name"].startswith("name: must be 1-64 letters")
    assert messages["Unknown placeholder"].startswith("input_template: placeholder(s) <host> have no entry")
    assert messages["Reserved tag"].startswith("tags: keys starting with 'aws:' are reserved")
    assert aws.stats()["calls"] == {}
