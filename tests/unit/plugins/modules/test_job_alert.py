"""Module-level logic of ondemand.batch.job_alert with a fake EventBridge client (no AWS, no emulator)."""

from botocore.exceptions import ClientError

from ansible_collections.ondemand.batch.plugins.module_utils import alert_ensure
from ansible_collections.ondemand.batch.plugins.module_utils.alert import desired_rule, desired_target
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context
from ansible_collections.ondemand.batch.plugins.modules import job_alert

ACCOUNT = "123456789012"
QUEUE = f"arn:aws:batch:eu-west-1:{ACCOUNT}:job-queue/dev-jq"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:dev-alerts"
RULE_ARN = f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/dev-job-failed"
WRITES = ("put", "remove", "delete", "tag", "untag")


class FakeEvents:
    def __init__(self, rule=None, targets=(), tags=None):
        self.rule = rule
        self.targets = list(targets)
        self.tags = dict(tags or {})
        self.calls = []

    def _call(self, name, kwargs):
        assert kwargs.pop("aws_retry") is True
        self.calls.append((name, kwargs))

    def describe_rule(self, **kwargs):
        self._call("describe_rule", kwargs)
        if self.rule is None:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no"}}, "DescribeRule")
        return dict(self.rule)

    def list_targets_by_rule(self, **kwargs):
        self._call("list_targets_by_rule", kwargs)
        return {"Targets": [dict(t) for t in self.targets]}

    def list_tags_for_resource(self, **kwargs):
        self._call("list_tags_for_resource", kwargs)
        return {"Tags": [{"Key": k, "Value": v} for k, v in self.tags.items()]}

    def put_rule(self, **kwargs):
        self._call("put_rule", kwargs)
        return {"RuleArn": RULE_ARN}

    def put_targets(self, **kwargs):
        self._call("put_targets", kwargs)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, **kwargs):
        self._call("remove_targets", kwargs)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def delete_rule(self, **kwargs):
        self._call("delete_rule", kwargs)

    def tag_resource(self, **kwargs):
        self._call("tag_resource", kwargs)

    def untag_resource(self, **kwargs):
        self._call("untag_resource", kwargs)

    def writes(self):
        return [name for name, _kwargs in self.calls if name.startswith(WRITES)]


def params(**changes):
    values = {name: spec.get("default") for name, spec in job_alert.argument_spec().items()}
    values.update(name="dev-job-failed", job_queues=[QUEUE], target_arn=TOPIC, tags={"ondemand:stack": "dev"})
    values.update(changes)
    return values


def existing(p, **rule_changes):
    rule = dict(desired_rule(p), Arn=RULE_ARN, EventBusName="default")
    rule.update(rule_changes)
    return FakeEvents(rule, [desired_target(p)], tags=p["tags"])


def ensure(events, params, check_mode, warn):
    """job_alert's ensure, in the module's shape: (changed, job_alert, diff)."""
    ctx = Context({"events": events}, "eu-west-1", check_mode=check_mode, warn=warn)
    run = alert_ensure.ensure_present if params["state"] == "present" else alert_ensure.ensure_absent
    changed, before, after = run(ctx, params["name"], params)
    return changed, after, {"before": before or {}, "after": after or {}}


def test_create_writes_rule_with_tags_then_target():
    events = FakeEvents()
    changed, result, diff = ensure(events, params(), False, print)
    assert changed is True
    assert events.writes() == ["put_rule", "put_targets"]
    put_rule = events.calls[1][1]
    assert put_rule["Tags"] == [{"Key": "ondemand:stack", "Value": "dev"}]
    assert result["arn"] == RULE_ARN
    assert result["tags"] == {"ondemand:stack": "dev"}
    assert diff["before"] == {}


def test_check_mode_create_predicts_the_same_result():
    events = FakeEvents()
    predicted = ensure(events, params(), True, print)
    assert events.writes() == []
    assert predicted == ensure(FakeEvents(), params(), False, print)


def test_unchanged_makes_no_write():
    p = params()
    events = existing(p)
    changed, result, diff = ensure(events, p, False, print)
    assert changed is False
    assert events.writes() == []
    assert diff["before"] == diff["after"]


def test_changed_statuses_rewrite_only_the_rule():
    p = params()
    events = existing(p)
    changed, result, _diff = ensure(events, params(statuses=["FAILED", "SUCCEEDED"]), False, print)
    assert changed is True
    assert events.writes() == ["put_rule"]
    assert result["statuses"] == ["SUCCEEDED", "FAILED"]


def test_foreign_target_is_never_written():
    p = params()
    events = existing(p)
    events.targets.append({"Id": "someone-else", "Arn": "arn:aws:sqs:eu-west-1:1:q"})
    changed, result, _diff = ensure(events, params(target_arn=TOPIC + "-2"), False, print)
    assert changed is True
    assert events.writes() == ["put_targets"]
    assert [t["Id"] for t in events.calls[-1][1]["Targets"]] == ["job-alert"]
    assert result["other_target_ids"] == ["someone-else"]


def test_tags_are_set_and_purged():
    p = params()
    events = existing(p)
    events.tags = {"ondemand:stack": "dev", "old": "x"}
    changed, result, _diff = ensure(events, params(tags={"ondemand:stack": "dev", "new": "y"}), False, print)
    assert changed is True
    assert events.writes() == ["untag_resource", "tag_resource"]
    assert result["tags"] == {"ondemand:stack": "dev", "new": "y"}


def test_absent_with_foreign_target_keeps_the_rule():
    p = params()
    events = existing(p)
    events.targets.append({"Id": "someone-else", "Arn": "arn:aws:sqs:eu-west-1:1:q"})
    warnings = []
    changed, result, _diff = ensure(events, params(state="absent"), False, warnings.append)
    assert changed is True
    assert events.writes() == ["remove_targets"]
    assert result["target"] is None and result["other_target_ids"] == ["someone-else"]
    assert "kept" in warnings[0]


def test_absent_removes_target_then_rule_and_is_idempotent():
    p = params()
    events = existing(p)
    changed, result, diff = ensure(events, params(state="absent"), False, print)
    assert (changed, result, diff["after"]) == (True, None, {})
    assert events.writes() == ["remove_targets", "delete_rule"]
    changed, result, _diff = ensure(FakeEvents(), params(state="absent"), False, print)
    assert (changed, result) == (False, None)


def test_custom_bus_is_passed_to_every_call():
    events = FakeEvents()
    ensure(events, params(event_bus_name="ops"), False, print)
    for name, kwargs in events.calls:
        if name in ("describe_rule", "put_rule", "put_targets"):
            assert kwargs["EventBusName"] == "ops", name
