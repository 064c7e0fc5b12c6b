"""Module-level logic of ondemand.batch.job and job_schedule, with fake clients (no AWS, no emulator)."""

import json

import pytest
from botocore.exceptions import ClientError

from ansible_collections.ondemand.batch.plugins.module_utils import schedule_ensure
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context
from ansible_collections.ondemand.batch.plugins.module_utils.schedule import events_target, scheduler_request
from ansible_collections.ondemand.batch.plugins.modules import job as job_module
from ansible_collections.ondemand.batch.plugins.modules import job_schedule
from tests.unit.fakes import FakeClient

ACCOUNT = "123456789012"
JD_ARN = f"arn:aws:batch:eu-west-1:{ACCOUNT}:job-definition/dev-jd"
JQ_ARN = f"arn:aws:batch:eu-west-1:{ACCOUNT}:job-queue/dev-jq"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/events"


def not_found(operation="Op"):
    return ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "missing"}}, operation)


def batch_client(**extra):
    handlers = {
        "describe_job_definitions": {
            "jobDefinitions": [
                {"jobDefinitionName": "dev-jd", "jobDefinitionArn": f"{JD_ARN}:{r}", "revision": r, "status": "ACTIVE"}
                for r in (4, 6)
            ]
        },
        "describe_job_queues": {"jobQueues": [{"jobQueueName": "dev-jq", "jobQueueArn": JQ_ARN, "state": "ENABLED"}]},
        "list_jobs": {"jobSummaryList": []},
        "submit_job": {"jobId": "new-job", "jobArn": "arn:job/new-job", "jobName": "nightly"},
        "cancel_job": {},
        "terminate_job": {},
    }
    handlers.update(extra)
    return FakeClient(**handlers)


def job_params(**changes):
    params = {name: spec.get("default") for name, spec in job_module.argument_spec().items()}
    params.update(name="nightly", job_queue="dev-jq", job_definition="dev-jd", poll_interval=0.01)
    params.update(changes)
    return params


def test_check_mode_resolves_but_submits_nothing():
    batch = batch_client()
    changed, result = job_module.ensure_submitted(batch, job_params(), check_mode=True)
    assert changed is True
    assert result["job"]["job_definition"] == f"{JD_ARN}:6"
    assert result["job"]["job_definition_revision"] == 6
    assert result["job"]["job_id"] is None
    assert result["request"]["jobQueue"] == JQ_ARN
    assert batch.writes() == []


def test_submit_without_waiting():
    batch = batch_client()
    changed, result = job_module.ensure_submitted(batch, job_params(wait=False), check_mode=False)
    assert changed is True
    assert result["job"]["job_id"] == "new-job"
    assert result["job"]["status"] == "SUBMITTED"
    assert batch.writes() == ["submit_job"]


def test_skip_if_active_reports_the_running_job_and_submits_nothing():
    running = {"jobId": "old", "jobName": "nightly", "status": "RUNNING", "jobQueue": JQ_ARN}
    batch = batch_client(list_jobs={"jobSummaryList": [running]}, describe_jobs={"jobs": [running]})
    changed, result = job_module.ensure_submitted(batch, job_params(skip_if_active=True), check_mode=False)
    assert changed is False
    assert result["job"]["job_id"] == "old"
    assert "already RUNNING in dev-jq" in result["skipped_reason"]
    assert batch.writes() == []


def test_module_side_wait_reports_failure_with_log_tail():
    failed = {
        "jobId": "new-job",
        "jobName": "nightly",
        "status": "FAILED",
        "statusReason": "Essential container in task exited",
        "container": {"exitCode": 3, "logStreamName": "s"},
    }
    batch = batch_client(describe_jobs={"jobs": [failed]})
    logs = FakeClient(
        get_log_events=lambda **kw: {
            "events": [] if kw.get("nextToken") else [{"message": "boom"}],
            "nextForwardToken": "t",
        }
    )
    changed, result = job_module.ensure_submitted(batch, job_params(), check_mode=False, logs=logs)
    assert changed is True
    assert "exit code 3" in result["failure"]
    assert result["failure"].endswith("boom")
    assert result["job"]["log_lines"] == ["boom"]


def follow_params(**changes):
    return job_params(name=None, job_queue=None, job_definition=None, job_id="old-job", **changes)


def ended_job(status="FAILED"):
    attempts = [
        {"container": {"exitCode": 1, "logStreamName": f"s{n}"}, "startedAt": n, "stoppedAt": n + 1} for n in (1, 2)
    ]
    return {
        "jobId": "old-job",
        "jobName": "nightly",
        "status": status,
        "attempts": attempts,
        "container": attempts[-1]["container"],
    }


def per_stream_logs():
    return FakeClient(
        get_log_events=lambda **kw: {
            "events": [] if kw.get("nextToken") else [{"message": f"from {kw['logStreamName']}"}],
            "nextForwardToken": "t",
        }
    )


def test_a_job_submitted_earlier_is_shown_with_every_attempt_and_nothing_is_submitted():
    batch = batch_client(describe_jobs={"jobs": [ended_job()]})
    changed, result = job_module.ensure_followed(batch, follow_params(), check_mode=False, logs=per_stream_logs())
    assert changed is False
    assert result["submitted"] is False
    assert [a["log_lines"] for a in result["job"]["attempt_details"]] == [["from s1"], ["from s2"]]
    assert "Attempt 1: exit code 1" in result["failure"]  # fail_on_job_failure, as for a submitted job
    assert batch.writes() == []


def test_a_job_submitted_earlier_is_only_looked_at_in_check_mode_or_without_wait():
    running = {"jobId": "old-job", "jobName": "nightly", "status": "RUNNING", "container": {"logStreamName": "s1"}}
    for params, check_mode in ((follow_params(), True), (follow_params(wait=False), False)):
        batch = batch_client(describe_jobs={"jobs": [running]})
        changed, result = job_module.ensure_followed(batch, params, check_mode=check_mode, logs=per_stream_logs())
        assert (changed, result["job"]["status"], result["job"]["log_lines"]) == (False, "RUNNING", ["from s1"])
        assert [name for name, _kwargs in batch.calls] == ["describe_jobs"]


def test_an_unknown_job_id_names_the_parameter():
    batch = batch_client(describe_jobs={"jobs": []})
    try:
        job_module.ensure_followed(batch, follow_params(), check_mode=False)
    except job_module.BatchValidationError as e:
        assert e.field == "job_id"
        assert "no job old-job" in e.message
    else:
        raise AssertionError("an unknown job id is refused")


def test_stop_by_name_cancels_and_terminates_active_jobs():
    jobs = [
        {"jobId": "a", "jobName": "nightly", "status": "RUNNABLE"},
        {"jobId": "b", "jobName": "nightly", "status": "RUNNING"},
    ]
    batch = batch_client(list_jobs={"jobSummaryList": jobs}, describe_jobs={"jobs": jobs})
    changed, result = job_module.ensure_stopped(batch, job_params(state="absent", wait=False), check_mode=False)
    assert changed is True
    assert [j["stop_action"] for j in result["jobs"]] == ["cancelled", "terminated"]
    assert batch.writes() == ["cancel_job", "terminate_job"]


def schedule_params(**changes):
    params = {name: spec.get("default") for name, spec in job_schedule.argument_spec().items()}
    params.update(
        name="nightly",
        schedule_expression="cron(0 4 * * ? *)",
        job_queue="dev-jq",
        job_definition="dev-jd",
        role_arn=ROLE,
    )
    params.update(changes)
    return params


def events_client(rule=None, targets=(), tags=None):
    return FakeClient(
        describe_rule=rule if rule is not None else not_found("DescribeRule"),
        list_targets_by_rule={"Targets": list(targets)},
        list_tags_for_resource={"Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]},
        put_rule={"RuleArn": "arn:aws:events:eu-west-1:1:rule/nightly"},
        put_targets={"FailedEntryCount": 0},
        remove_targets={"FailedEntryCount": 0},
        delete_rule={},
        tag_resource={},
        untag_resource={},
    )


def ensure(clients, params, check_mode, warn):
    """job_schedule's ensure, in the module's shape: (changed, schedule, diff)."""
    ctx = Context(clients, "eu-west-1", check_mode=check_mode, warn=warn)
    run = schedule_ensure.ensure_present if params["state"] == "present" else schedule_ensure.ensure_absent
    changed, before, after = run(ctx, params["name"], params)
    return changed, after, {"before": before or {}, "after": after or {}}


def ensure_rule(events, batch, params, check_mode, warn):
    return ensure({"events": events, "batch": batch}, params, check_mode, warn)


def ensure_schedule(scheduler, batch, params, _dates, check_mode, warn):
    return ensure({"scheduler": scheduler, "batch": batch}, params, check_mode, warn)


def existing_rule(params):
    rule = {"Name": "nightly", "Arn": "arn:aws:events:eu-west-1:1:rule/nightly", "State": "ENABLED"}
    rule["ScheduleExpression"] = params["schedule_expression"]
    return rule


def test_unchanged_rule_makes_no_write_call():
    params = schedule_params(tags={"a": "b"})
    target = events_target(params, JQ_ARN)
    target.pop("RetryPolicy")  # AWS's defaults, as an untouched target may come back
    events = events_client(existing_rule(params), [target], tags={"a": "b"})
    changed, result, _diff = ensure_rule(events, batch_client(), params, False, warn=lambda m: None)
    assert changed is False
    assert events.writes() == []
    assert result["target"]["job_queue"] == JQ_ARN


def test_changed_expression_rewrites_only_the_rule():
    params = schedule_params()
    events = events_client(
        existing_rule(schedule_params(schedule_expression="rate(1 day)")), [events_target(params, JQ_ARN)]
    )
    changed, result, diff = ensure_rule(events, batch_client(), params, False, warn=lambda m: None)
    assert changed is True
    assert events.writes() == ["put_rule"]
    assert diff["before"]["schedule_expression"] == "rate(1 day)"
    assert diff["after"]["schedule_expression"] == "cron(0 4 * * ? *)"


def test_check_mode_create_predicts_without_writing():
    events = events_client()
    changed, result, _diff = ensure_rule(events, batch_client(), schedule_params(), True, warn=lambda m: None)
    assert changed is True
    assert result["arn"] == "arn:aws:events:eu-west-1:123456789012:rule/nightly"  # the role's account
    assert result["state"] == "ENABLED"
    assert events.writes() == []


def test_absent_keeps_a_rule_that_has_foreign_targets():
    params = schedule_params()
    warnings = []
    events = events_client(existing_rule(params), [events_target(params, JQ_ARN), {"Id": "theirs", "Arn": "arn:x"}])
    changed, result, _diff = ensure_rule(events, None, dict(params, state="absent"), False, warn=warnings.append)
    assert changed is True
    assert events.writes() == ["remove_targets"]
    assert result["other_target_ids"] == ["theirs"]
    assert "kept" in warnings[0]


def test_missing_queue_is_a_warning_in_check_mode_and_an_error_otherwise():
    batch = batch_client(describe_job_queues={"jobQueues": []})
    warnings = []
    changed, _result, _diff = ensure_rule(events_client(), batch, schedule_params(), True, warn=warnings.append)
    assert changed is True
    assert "does not exist (yet)" in warnings[0]
    try:
        ensure_rule(events_client(), batch, schedule_params(), False, warn=warnings.append)
    except BatchValidationError as e:
        assert e.field == "job_queue"
    else:
        raise AssertionError("a real run must fail without the queue")


def test_unchanged_schedule_makes_no_write_call():
    params = schedule_params(backend="scheduler", timezone="Europe/Berlin")
    current = scheduler_request(params, None, None)
    current["Arn"] = "arn:aws:scheduler:eu-west-1:1:schedule/default/nightly"
    current["Target"] = dict(current["Target"], Input=json.dumps(json.loads(current["Target"]["Input"]), indent=1))
    scheduler = FakeClient(get_schedule=current, update_schedule={}, create_schedule={})
    changed, result, _diff = ensure_schedule(scheduler, batch_client(), params, (None, None), False, lambda m: None)
    assert changed is False
    assert scheduler.writes() == []
    assert result["timezone"] == "Europe/Berlin"
    changed, _result, _diff = ensure_schedule(
        scheduler, batch_client(), dict(params, enabled=False), (None, None), False, lambda m: None
    )
    assert changed is True
    assert scheduler.writes() == ["update_schedule"]


# --- issue 14: Scheduler refuses an execution role IAM has not propagated yet -------------------------------------
NOT_ASSUMABLE = "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."


def refusing(times, answer):
    """A CreateSchedule/UpdateSchedule handler that refuses the role ``times`` times, then answers."""
    left = [times]

    def handler(**_kwargs):
        if left[0]:
            left[0] -= 1
            return ClientError({"Error": {"Code": "ValidationException", "Message": NOT_ASSUMABLE}}, "CreateSchedule")
        return answer

    return handler


def scheduler_run(scheduler, params, fake_clock, warnings, **options):
    clients = {"scheduler": scheduler, "batch": batch_client()}
    wait_options = {"sleep": fake_clock.sleep, "clock": fake_clock, **options}
    ctx = Context(clients, "eu-west-1", warn=warnings.append, wait_options=wait_options)
    return schedule_ensure.ensure_present(ctx, params["name"], params)


def test_a_schedule_is_created_once_scheduler_can_assume_its_new_role(fake_clock):
    created = {"ScheduleArn": "arn:aws:scheduler:eu-west-1:1:schedule/default/nightly"}
    scheduler = FakeClient(get_schedule=not_found("GetSchedule"), create_schedule=refusing(2, created))
    warnings = []
    changed, _before, after = scheduler_run(scheduler, schedule_params(backend="scheduler"), fake_clock, warnings)
    assert changed is True and after["arn"] == created["ScheduleArn"]
    assert scheduler.writes() == ["create_schedule"] * 3  # refused twice (nothing created), then created
    assert fake_clock.sleeps == [1, 2]
    assert warnings == [
        f"schedule nightly: EventBridge Scheduler cannot assume {ROLE} yet; IAM changes take a while to reach it: "
        "trying again in 1s (attempt 2, 0s of 120s)",
        f"schedule nightly: EventBridge Scheduler cannot assume {ROLE} yet; IAM changes take a while to reach it: "
        "trying again in 2s (attempt 3, 1s of 120s)",
    ]


def test_an_update_is_retried_the_same_way_and_bounded(fake_clock):
    params = schedule_params(backend="scheduler", enabled=False)
    current = dict(scheduler_request(schedule_params(backend="scheduler"), None, None), Arn="arn:...:nightly")
    scheduler = FakeClient(get_schedule=current, update_schedule=refusing(100, {}))
    warnings = []
    with pytest.raises(BatchError) as failure:  # a role that never becomes assumable fails the task
        scheduler_run(scheduler, params, fake_clock, warnings, iam_propagation_timeout=10)
    assert failure.value.message == (
        "Failed to write schedule (still after 5 attempts over 10s: IAM changes usually reach EventBridge Scheduler "
        "within seconds; check that role_arn exists and trusts scheduler.amazonaws.com, or raise "
        "iam_propagation_timeout)"
    )
    assert scheduler.writes() == ["update_schedule"] * 5 and fake_clock.sleeps == [1, 2, 4, 3]
    assert len(warnings) == 4


def test_other_validation_errors_and_a_zero_timeout_fail_at_once(fake_clock):
    other = ClientError({"Error": {"Code": "ValidationException", "Message": "Invalid group"}}, "CreateSchedule")
    scheduler = FakeClient(get_schedule=not_found("GetSchedule"), create_schedule=other)
    warnings = []
    for options in ({}, {"iam_propagation_timeout": 0}):
        with pytest.raises(BatchError, match="^Failed to write schedule: .*Invalid group"):
            scheduler_run(scheduler, schedule_params(backend="scheduler"), fake_clock, warnings, **options)
    refused = FakeClient(get_schedule=not_found("GetSchedule"), create_schedule=refusing(1, {}))
    with pytest.raises(BatchError) as failure:  # no retry with iam_propagation_timeout=0
        scheduler_run(refused, schedule_params(backend="scheduler"), fake_clock, warnings, iam_propagation_timeout=0)
    assert failure.value.exception.response["Error"]["Message"] == NOT_ASSUMABLE
    assert scheduler.writes() == ["create_schedule"] * 2 and refused.writes() == ["create_schedule"]
    assert fake_clock.sleeps == [] and warnings == []
