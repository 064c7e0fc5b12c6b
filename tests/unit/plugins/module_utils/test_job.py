import pytest
from botocore.exceptions import ClientError

from ansible_collections.ondemand.batch.plugins.module_utils import job as jobs
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchError,
    BatchValidationError,
    BatchWaitTimeout,
)
from tests.unit.fakes import FakeClient

JD_ARN = "arn:aws:batch:eu-west-1:123456789012:job-definition/dev-jd"
JQ_ARN = "arn:aws:batch:eu-west-1:123456789012:job-queue/dev-jq"


def client_error(code, operation="Op"):
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


def submit_params(**overrides):
    base = {"name": "nightly", "job_queue": "dev-jq", "job_definition": "dev-jd"}
    base.update(overrides)
    return base


# ---------------------------------------------------------------------------------------------- input
@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("dev-jd", ("dev-jd", None)),
        ("dev-jd:6", ("dev-jd", 6)),
        (JD_ARN, ("dev-jd", None)),
        (JD_ARN + ":6", ("dev-jd", 6)),
        ("arn:aws-cn:batch:cn-north-1:756143471679:job-definition/dev-carbon-jd:6", ("dev-carbon-jd", 6)),
    ],
)
def test_job_definition_references(reference, expected):
    assert jobs.parse_job_definition_ref(reference) == expected


@pytest.mark.parametrize("reference", ["dev-jd:x", "dev-jd:0", "bad name", "arn:aws:batch:r:1:job-queue/q", ""])
def test_bad_job_definition_references(reference):
    with pytest.raises(BatchValidationError) as info:
        jobs.parse_job_definition_ref(reference)
    assert info.value.field == "job_definition"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "-x"}, "name"),
        ({"name": "a" * 129}, "name"),
        ({"job_queue": None}, "job_queue"),
        ({"array_size": 1}, "array_size"),
        ({"array_size": 10001}, "array_size"),
        ({"retry_attempts": 0}, "retry_attempts"),
        ({"timeout": 59}, "timeout"),
        ({"scheduling_priority_override": 10000}, "scheduling_priority_override"),
        ({"depends_on": [{"job_id": str(i)} for i in range(21)]}, "depends_on"),
        ({"depends_on": [{"job_id": "a", "type": "N_TO_N"}]}, "depends_on"),
        ({"depends_on": [{"job_id": None, "type": None}]}, "depends_on"),
        ({"retry_attempts": 2, "evaluate_on_exit": [{"action": "EXIT", "on_exit_code": "3x"}]}, "evaluate_on_exit"),
        ({"retry_attempts": 2, "evaluate_on_exit": [{"action": "EXIT", "on_reason": "a;b"}]}, "evaluate_on_exit"),
        ({"evaluate_on_exit": [{"action": "EXIT", "on_exit_code": "3"}]}, "evaluate_on_exit"),
        ({"retry_attempts": 2, "evaluate_on_exit": [{"action": "EXIT"}] * 6}, "evaluate_on_exit"),
        ({"environment": {"AWS_BATCH_JOB_ID": "x"}}, "environment"),
        ({"environment": {"A": "1"}, "secret_environment": {"A": "2"}}, "secret_environment"),
        ({"vcpus": 0}, "vcpus"),
        ({"memory": 0}, "memory"),
        ({"tags": {str(i): "v" for i in range(51)}}, "tags"),
    ],
)
def test_submit_validation_names_the_field(overrides, field):
    with pytest.raises(BatchValidationError) as info:
        jobs.validate_submit(submit_params(**overrides))
    assert info.value.field == field


def test_sequential_dependency_without_job_id_is_fine_for_array_jobs():
    jobs.validate_submit(submit_params(array_size=3, depends_on=[{"job_id": None, "type": "SEQUENTIAL"}]))


def test_submit_request_maps_every_option():
    request = jobs.build_submit_request(
        submit_params(
            parameters={"mode": "full", "n": 2},
            command=["python", "run.py"],
            environment={"B": "2", "A": 1},
            secret_environment={"TOKEN": "s3cr3t"},
            vcpus=0.25,
            memory=512,
            array_size=4,
            depends_on=[{"job_id": "j1", "type": "N_TO_N"}, {"job_id": "j2", "type": None}],
            retry_attempts=3,
            evaluate_on_exit=[{"action": "EXIT", "on_exit_code": "3"}, {"action": "RETRY", "on_reason": "Host*"}],
            timeout=120,
            tags={"team": "data"},
            propagate_tags=True,
            share_identifier="blue",
            scheduling_priority_override=0,
        ),
        JD_ARN + ":6",
        JQ_ARN,
    )
    assert request == {
        "jobName": "nightly",
        "jobQueue": JQ_ARN,
        "jobDefinition": JD_ARN + ":6",
        "parameters": {"mode": "full", "n": "2"},
        "containerOverrides": {
            "command": ["python", "run.py"],
            "environment": [
                {"name": "A", "value": "1"},
                {"name": "B", "value": "2"},
                {"name": "TOKEN", "value": "s3cr3t"},
            ],
            "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}],
        },
        "arrayProperties": {"size": 4},
        "dependsOn": [{"jobId": "j1", "type": "N_TO_N"}, {"jobId": "j2"}],
        "retryStrategy": {
            "attempts": 3,
            "evaluateOnExit": [{"action": "EXIT", "onExitCode": "3"}, {"action": "RETRY", "onReason": "Host*"}],
        },
        "timeout": {"attemptDurationSeconds": 120},
        "tags": {"team": "data"},
        "propagateTags": True,
        "shareIdentifier": "blue",
        "schedulingPriorityOverride": 0,
    }
    shown = jobs.masked_request(request, {"TOKEN"})
    assert {"name": "TOKEN", "value": "********"} in shown["containerOverrides"]["environment"]
    assert {"name": "TOKEN", "value": "s3cr3t"} in request["containerOverrides"]["environment"]


def test_minimal_submit_request():
    assert jobs.build_submit_request(submit_params(), JD_ARN + ":1", "dev-jq") == {
        "jobName": "nightly",
        "jobQueue": "dev-jq",
        "jobDefinition": JD_ARN + ":1",
    }
    overrides = jobs.container_overrides(vcpus=2.0)
    assert overrides == {"resourceRequirements": [{"type": "VCPU", "value": "2"}]}


# ---------------------------------------------------------------------------------------------- look-ups
def definition(revision, status="ACTIVE", name="dev-jd"):
    return {
        "jobDefinitionName": name,
        "jobDefinitionArn": f"arn:aws:batch:eu-west-1:123456789012:job-definition/{name}:{revision}",
        "revision": revision,
        "status": status,
    }


def test_name_resolves_to_the_highest_active_revision_across_pages():
    batch = FakeClient(
        describe_job_definitions=[
            {"jobDefinitions": [definition(3), definition(9)], "nextToken": "t1"},
            {"jobDefinitions": [definition(7), definition(11, name="dev-jd-other")]},
        ]
    )
    found = jobs.resolve_job_definition(batch, "dev-jd")
    assert found["revision"] == 9
    assert batch.calls[0] == ("describe_job_definitions", {"jobDefinitionName": "dev-jd", "status": "ACTIVE"})
    assert batch.calls[1][1]["nextToken"] == "t1"


def test_name_without_active_revision_is_refused():
    batch = FakeClient(describe_job_definitions={"jobDefinitions": []})
    with pytest.raises(BatchValidationError, match="no ACTIVE revision of job definition 'dev-jd'"):
        jobs.resolve_job_definition(batch, "dev-jd")


def test_explicit_revision_and_arn():
    batch = FakeClient(describe_job_definitions={"jobDefinitions": [definition(6)]})
    assert jobs.resolve_job_definition(batch, "dev-jd:6")["revision"] == 6
    assert jobs.resolve_job_definition(batch, JD_ARN + ":6")["revision"] == 6
    assert batch.calls[0][1] == {"jobDefinitions": ["dev-jd:6"]}


def test_inactive_revision_is_refused_with_advice():
    batch = FakeClient(describe_job_definitions={"jobDefinitions": [definition(5, status="INACTIVE")]})
    with pytest.raises(BatchValidationError, match="INACTIVE.*name alone"):
        jobs.resolve_job_definition(batch, "dev-jd:5")


def test_queue_lookup():
    queue = {"jobQueueName": "dev-jq", "jobQueueArn": JQ_ARN, "state": "ENABLED"}
    batch = FakeClient(describe_job_queues=[{"jobQueues": [queue]}, {"jobQueues": []}])
    assert jobs.require_job_queue(batch, "dev-jq") == queue
    with pytest.raises(BatchValidationError, match="job_queue: no job queue 'gone'"):
        jobs.require_job_queue(batch, "gone")
    disabled = FakeClient(describe_job_queues={"jobQueues": [dict(queue, state="DISABLED")]})
    with pytest.raises(BatchValidationError, match="DISABLED"):
        jobs.require_job_queue(disabled, JQ_ARN)


def test_describe_jobs_sends_at_most_100_ids_per_call():
    batch = FakeClient(
        describe_jobs=lambda jobs: {"jobs": [{"jobId": i, "status": "RUNNING"} for i in jobs if i != "missing"]}
    )
    ids = [f"id-{i}" for i in range(250)] + ["missing", "id-3"]
    found = jobs.describe_jobs(batch, ids)
    assert [len(kwargs["jobs"]) for _name, kwargs in batch.calls] == [100, 100, 51]
    assert [j["jobId"] for j in found] == [f"id-{i}" for i in range(250)]


def test_list_jobs_without_filters_lists_every_status_in_one_pagination():
    batch = FakeClient(
        list_jobs=[
            {"jobSummaryList": [{"jobId": "a", "jobName": "x", "status": "RUNNING"}], "nextToken": "n"},
            {"jobSummaryList": [{"jobId": "b", "jobName": "y", "status": "SUCCEEDED"}]},
        ]
    )
    found = jobs.list_jobs(batch, job_queue="dev-jq")
    assert [j["jobId"] for j in found] == ["a", "b"]
    assert batch.calls[0][1] == {"jobQueue": "dev-jq", "filters": [{"name": "AFTER_CREATED_AT", "values": ["0"]}]}
    assert batch.calls[1][1]["nextToken"] == "n"


def test_list_jobs_by_status_asks_per_status():
    batch = FakeClient(
        list_jobs=lambda **kw: {"jobSummaryList": [{"jobId": kw["jobStatus"], "status": kw["jobStatus"]}]}
    )
    found = jobs.list_jobs(batch, job_queue="q", statuses=["FAILED", "RUNNING"])
    assert [kw["jobStatus"] for _name, kw in batch.calls] == ["FAILED", "RUNNING"]
    assert [j["jobId"] for j in found] == ["FAILED", "RUNNING"]


def test_list_jobs_filters_name_server_side_and_the_rest_here():
    summaries = [
        {"jobId": "1", "jobName": "nightly", "status": "RUNNING", "createdAt": 5_000},
        {"jobId": "2", "jobName": "nightly", "status": "SUCCEEDED", "createdAt": 6_000},
        {"jobId": "3", "jobName": "nightly-2", "status": "RUNNING", "createdAt": 7_000},
        {"jobId": "4", "jobName": "nightly", "status": "RUNNING", "createdAt": 1_000},
    ]
    batch = FakeClient(list_jobs={"jobSummaryList": summaries})
    found = jobs.list_jobs(batch, job_queue="q", name="nightly", statuses=["RUNNING"], created_after=2_000)
    assert [j["jobId"] for j in found] == ["1"]
    assert batch.calls[0][1]["filters"] == [{"name": "JOB_NAME", "values": ["nightly"]}]
    prefixed = jobs.list_jobs(batch, job_queue="q", name="nightly*", created_before=6_500)
    assert [j["jobId"] for j in prefixed] == ["1", "2", "4"]


def test_list_jobs_stops_at_max_results():
    batch = FakeClient(
        list_jobs={"jobSummaryList": [{"jobId": str(i), "status": "RUNNING"} for i in range(10)], "nextToken": "more"}
    )
    assert len(jobs.list_jobs(batch, job_queue="q", max_results=3)) == 3
    assert batch.count("list_jobs") == 1


def test_array_children_are_listed_per_status_without_filters():
    batch = FakeClient(list_jobs={"jobSummaryList": []})
    jobs.list_jobs(batch, array_job_id="parent", statuses=["FAILED"])
    assert batch.calls == [("list_jobs", {"arrayJobId": "parent", "jobStatus": "FAILED"})]


def test_stop_job_cancels_queued_and_terminates_running_jobs():
    batch = FakeClient(cancel_job={}, terminate_job={})
    assert jobs.stop_job(batch, {"jobId": "a", "status": "RUNNABLE"}, "why") == "cancelled"
    assert jobs.stop_job(batch, {"jobId": "b", "status": "RUNNING"}, "why") == "terminated"
    assert jobs.stop_job(batch, {"jobId": "c", "status": "STARTING"}, "why", check_mode=True) == "terminated"
    assert jobs.stop_job(batch, {"jobId": "d", "status": "SUCCEEDED"}, "why") is None
    assert batch.calls == [
        ("cancel_job", {"jobId": "a", "reason": "why"}),
        ("terminate_job", {"jobId": "b", "reason": "why"}),
    ]


# ---------------------------------------------------------------------------------------------- logs
def test_log_reader_returns_each_line_once_and_survives_a_missing_stream():
    pages = [
        client_error("ResourceNotFoundException"),
        {"events": [{"message": "one\n"}, {"message": "two"}], "nextForwardToken": "f1"},
        {"events": [], "nextForwardToken": "f1"},
        {"events": [{"message": "three"}], "nextForwardToken": "f2"},
        {"events": [], "nextForwardToken": "f2"},
    ]
    logs = FakeClient(get_log_events=pages)
    reader = jobs.LogReader(logs)
    assert reader.read("/aws/batch/job", "s") == []
    assert reader.read("/aws/batch/job", "s") == ["one", "two"]
    assert reader.read("/aws/batch/job", "s") == ["three"]
    tokens = [kwargs.get("nextToken") for _name, kwargs in logs.calls]
    assert tokens == [None, None, "f1", "f1", "f2"]


def test_log_reader_warns_once_and_stops_on_access_denied():
    warnings = []
    logs = FakeClient(get_log_events=client_error("AccessDeniedException"))
    reader = jobs.LogReader(logs, warn=warnings.append)
    assert reader.read("g", "s") == []
    assert reader.read("g", "s") == []
    assert logs.count("get_log_events") == 1
    assert len(warnings) == 1 and "Not reading the job's logs" in warnings[0]


def test_tail_log_takes_the_last_lines():
    logs = FakeClient(get_log_events={"events": [{"message": f"l{i}"} for i in range(5)]})
    assert jobs.tail_log(logs, "g", "s", 3) == ["l2", "l3", "l4"]
    assert logs.calls[0][1] == {"logGroupName": "g", "logStreamName": "s", "startFromHead": False, "limit": 3}
    assert jobs.tail_log(logs, "g", None, 3) == []


def test_log_group_comes_from_the_awslogs_configuration():
    assert jobs.log_group_of({}) == "/aws/batch/job"
    configured = {"container": {"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/x"}}}}
    assert jobs.log_group_of(configured) == "/x"


# ---------------------------------------------------------------------------------------------- results
def detail(status, **extra):
    job = {
        "jobId": "job-1",
        "jobArn": "arn:aws:batch:eu-west-1:123456789012:job/job-1",
        "jobName": "nightly",
        "jobQueue": JQ_ARN,
        "jobDefinition": JD_ARN + ":6",
        "status": status,
        "createdAt": 1_700_000_000_000,
    }
    job.update(extra)
    return job


def test_shape_job():
    job = detail(
        "FAILED",
        statusReason="Essential container in task exited",
        startedAt=1_700_000_001_000,
        stoppedAt=1_700_000_004_500,
        container={"exitCode": 3, "logStreamName": "dev-jd/default/abc"},
        attempts=[{"container": {"exitCode": 3, "logStreamName": "dev-jd/default/abc"}, "startedAt": 1}],
        dependsOn=[{"jobId": "j0"}],
    )
    shaped = jobs.shape_job(job, ["a", "b"])
    assert shaped["job_definition_name"] == "dev-jd"
    assert shaped["job_definition_revision"] == 6
    assert shaped["exit_code"] == 3
    assert shaped["attempts"] == 1
    assert shaped["duration_seconds"] == 3.5
    assert shaped["created_at"] == "2023-11-14T22:13:20.000Z"
    assert shaped["log_group"] == "/aws/batch/job"
    assert shaped["log_stream"] == "dev-jd/default/abc"
    assert shaped["log_lines"] == ["a", "b"]
    assert shaped["depends_on"] == [{"job_id": "j0", "type": None}]
    message = jobs.failure_message(shaped)
    assert message.startswith("Job nightly (job-1) FAILED: Essential container in task exited; exit code 3")
    assert message.endswith("Last 2 log lines (/aws/batch/job dev-jd/default/abc):\na\nb")


def test_exit_code_falls_back_to_the_last_attempt():
    job = detail("FAILED", container={}, attempts=[{"container": {"exitCode": 1}}, {"container": {"exitCode": 2}}])
    assert jobs.exit_code_of(job) == 2


# ---------------------------------------------------------------------------------------------- following
class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(states):
    """A describe_jobs handler that walks through ``states`` (one per call), staying on the last."""
    states = list(states)

    def describe(jobs):
        return {"jobs": [states.pop(0) if len(states) > 1 else states[0]]}

    return describe


def test_follower_reports_status_changes_and_log_lines_as_they_happen():
    stream = {"logStreamName": "dev-jd/default/abc"}
    batch = FakeClient(
        describe_jobs=scripted(
            [
                detail("SUBMITTED"),
                detail("RUNNABLE"),
                detail("RUNNING", container=stream),
                detail("RUNNING", container=stream),
                detail("RUNNING", container=stream),
                detail("SUCCEEDED", container=dict(stream, exitCode=0)),
            ]
        )
    )
    logs = FakeClient(
        get_log_events=[
            {"events": [{"message": "hello"}], "nextForwardToken": "t1"},
            {"events": [], "nextForwardToken": "t1"},
            {"events": [], "nextForwardToken": "t1"},
            {"events": [{"message": "bye"}], "nextForwardToken": "t2"},
            {"events": [], "nextForwardToken": "t2"},
        ]
    )
    events = []
    clock = Clock()
    follower = jobs.JobFollower(
        batch,
        logs,
        log_lines=1,
        on_event=lambda kind, data: events.append((kind, data.get("status") or data.get("line"))),
        poll_interval=1,
        max_poll_interval=4,
        sleep=clock.sleep,
        clock=clock,
    )
    final = follower.follow("job-1", timeout=60)
    assert final["status"] == "SUCCEEDED"
    kinds = [e for e in events if e[0] in ("status", "log", "end")]
    assert kinds == [
        ("status", "SUBMITTED"),
        ("status", "RUNNABLE"),  # no PENDING: a job without dependencies skips it, and no poll saw it
        ("status", "STARTING"),  # not seen, but every attempt starts from STARTING
        ("status", "RUNNING"),
        ("log", "hello"),
        ("log", "bye"),
        ("status", "SUCCEEDED"),
        ("end", None),
    ]
    assert [e[0] for e in events].index("attempt") == [e[0] for e in events].index("log") - 1
    # delays: 1 after each change, growing by half while nothing happens
    assert clock.sleeps == [1, 1, 1, 1.5, 1]
    assert follower.result()["log_lines"] == ["bye"]
    assert batch.count("describe_jobs") == 6


def test_follower_backs_off_to_the_maximum_and_times_out_with_the_last_status():
    batch = FakeClient(describe_jobs=scripted([detail("RUNNABLE")]))
    clock = Clock()
    follower = jobs.JobFollower(batch, None, poll_interval=2, max_poll_interval=5, sleep=clock.sleep, clock=clock)
    with pytest.raises(BatchWaitTimeout, match="Timed out after 30s waiting for job nightly .* last status: RUNNABLE"):
        follower.follow("job-1", timeout=30)
    assert clock.sleeps[:4] == [2, 3.0, 4.5, 5]
    assert max(clock.sleeps) == 5
    assert follower.result()["status"] == "RUNNABLE"


def test_follower_follows_an_array_job_through_its_status_summary():
    def parent(status, summary):
        return detail(status, arrayProperties={"size": 1000, "statusSummary": summary})

    batch = FakeClient(
        describe_jobs=scripted(
            [
                parent("PENDING", {"RUNNABLE": 1000}),
                parent("PENDING", {"RUNNING": 400, "SUCCEEDED": 600}),
                parent("SUCCEEDED", {"SUCCEEDED": 1000}),
            ]
        )
    )
    summaries = []
    clock = Clock()
    follower = jobs.JobFollower(
        batch,
        None,
        on_event=lambda kind, data: summaries.append(data["summary"]) if kind == "array" else None,
        sleep=clock.sleep,
        clock=clock,
    )
    follower.follow("job-1")
    assert batch.count("describe_jobs") == 3
    assert all(kwargs == {"jobs": ["job-1"]} for _name, kwargs in batch.calls)
    assert summaries[-1] == {"SUCCEEDED": 1000}
    assert follower.result()["array_status_summary"] == {"SUCCEEDED": 1000}


def test_follower_reads_every_attempt_stream():
    first = {"container": {"exitCode": 1, "logStreamName": "s1"}}
    batch = FakeClient(
        describe_jobs=scripted(
            [
                detail("RUNNING", container={"logStreamName": "s1"}),
                detail(
                    "FAILED",
                    container={"exitCode": 1, "logStreamName": "s2"},
                    attempts=[first, {"container": {"exitCode": 1, "logStreamName": "s2"}}],
                ),
            ]
        )
    )
    lines = {"s1": ["attempt one"], "s2": ["attempt two"]}

    def get_log_events(logGroupName, logStreamName, startFromHead, nextToken=None):  # noqa: N803 - AWS names
        if nextToken:
            return {"events": [], "nextForwardToken": nextToken}
        return {"events": [{"message": m} for m in lines[logStreamName]], "nextForwardToken": logStreamName}

    logs = FakeClient(get_log_events=get_log_events)
    clock = Clock()
    follower = jobs.JobFollower(batch, logs, log_lines=10, sleep=clock.sleep, clock=clock)
    follower.follow("job-1")
    result = follower.result()
    assert [(a["log_stream"], a["log_lines"]) for a in result["attempt_details"]] == [
        ("s1", ["attempt one"]),
        ("s2", ["attempt two"]),
    ]
    assert (result["log_stream"], result["log_lines"]) == ("s2", ["attempt two"])  # the last attempt's own lines


def attempt(number, exit_code=2, reason="Essential container in task exited"):
    return {
        "container": {"exitCode": exit_code, "logStreamName": f"s{number}"},
        "startedAt": 1_700_000_000_000 + number * 10_000,
        "stoppedAt": 1_700_000_000_000 + number * 10_000 + 500,
        "statusReason": reason,
    }


def stream_logs(lines):
    """get_log_events answering each stream's ``lines`` once (then nothing new)."""

    def get_log_events(logGroupName, logStreamName, startFromHead, nextToken=None):  # noqa: N803 - AWS names
        if nextToken:
            return {"events": [], "nextForwardToken": nextToken}
        return {"events": [{"message": m} for m in lines.get(logStreamName, [])], "nextForwardToken": logStreamName}

    return FakeClient(get_log_events=get_log_events)


def record(events):
    def on_event(kind, data):
        if kind == "status":
            events.append(f"{data['previous']} -> {data['status']}" if data["previous"] else data["status"])
        elif kind == "attempt":
            events.append(f"attempt {data['attempt']} in {data['log_stream']}")
        elif kind == "log":
            events.append(f"| {data['line']}")
        elif kind == "attempt_end":
            events.append(f"attempt {data['attempt']} ended with {data['detail']['container'].get('exitCode')}")
        else:
            events.append(kind)

    return on_event


def follow(states, lines, known_status="SUBMITTED", log_lines=10):
    events = []
    clock = Clock()
    follower = jobs.JobFollower(
        FakeClient(describe_jobs=scripted(states)),
        stream_logs(lines),
        log_lines=log_lines,
        on_event=record(events),
        sleep=clock.sleep,
        clock=clock,
        known_status=known_status,
    )
    follower.follow("job-1")
    return follower, events


RETRIED = {"retryStrategy": {"attempts": 3}}


def test_three_attempts_seen_in_two_polls_are_told_in_order_each_with_its_own_lines():
    """The polls see PENDING, then RUNNABLE after attempt 1 has run, then FAILED after attempts 2 and 3."""
    follower, events = follow(
        [
            detail("PENDING", **RETRIED),
            detail("RUNNABLE", attempts=[attempt(1)], container=attempt(1)["container"], **RETRIED),
            detail(
                "FAILED", attempts=[attempt(1), attempt(2), attempt(3)], container=attempt(3)["container"], **RETRIED
            ),
        ],
        {"s1": ["attempt 1 says hi"], "s2": ["attempt 2 says hi"], "s3": ["attempt 3 says hi", "giving up"]},
    )
    assert events == [
        "SUBMITTED -> PENDING",
        "PENDING -> RUNNABLE",
        "RUNNABLE -> STARTING",
        "STARTING -> RUNNING",
        "attempt 1 in s1",
        "| attempt 1 says hi",
        "attempt 1 ended with 2",
        "RUNNING -> RUNNABLE",
        "RUNNABLE -> STARTING",
        "STARTING -> RUNNING",
        "attempt 2 in s2",
        "| attempt 2 says hi",
        "attempt 2 ended with 2",
        "RUNNING -> RUNNABLE",
        "RUNNABLE -> STARTING",
        "STARTING -> RUNNING",
        "attempt 3 in s3",
        "| attempt 3 says hi",
        "| giving up",
        "attempt 3 ended with 2",
        "RUNNING -> FAILED",
        "end",
    ]
    result = follower.result()
    assert [(a["attempt"], a["log_stream"], a["log_lines"]) for a in result["attempt_details"]] == [
        (1, "s1", ["attempt 1 says hi"]),
        (2, "s2", ["attempt 2 says hi"]),
        (3, "s3", ["attempt 3 says hi", "giving up"]),
    ]
    assert (result["log_stream"], result["log_lines"]) == ("s3", ["attempt 3 says hi", "giving up"])
    message = jobs.failure_message(result)
    assert message.startswith("Job nightly (job-1) FAILED; exit code 2; 3 attempts")
    first, second, third = message.split("\nAttempt ")[1:]
    assert first == (
        "1: exit code 2; Essential container in task exited. Last 1 log lines (/aws/batch/job s1):\nattempt 1 says hi"
    )
    assert second.endswith("(/aws/batch/job s2):\nattempt 2 says hi")
    assert third.endswith("(/aws/batch/job s3):\nattempt 3 says hi\ngiving up")


def test_running_is_told_even_when_no_poll_saw_it():
    _follower, events = follow(
        [detail("RUNNABLE"), detail("FAILED", attempts=[attempt(1)], container=attempt(1)["container"])],
        {"s1": ["boom"]},
    )
    assert events == [
        "SUBMITTED -> RUNNABLE",
        "RUNNABLE -> STARTING",
        "STARTING -> RUNNING",
        "attempt 1 in s1",
        "| boom",
        "attempt 1 ended with 2",
        "RUNNING -> FAILED",
        "end",
    ]


def test_a_job_that_never_ran_is_not_said_to_have_run():
    """Cancelled while RUNNABLE, or a dependency failed: no attempt, so no STARTING or RUNNING."""
    _follower, events = follow([detail("RUNNABLE"), detail("FAILED", statusReason="cancelled")], {})
    assert events == ["SUBMITTED -> RUNNABLE", "RUNNABLE -> FAILED", "end"]


def test_an_attempt_that_could_not_start_is_not_said_to_have_run():
    never_started = {"container": {"reason": "CannotPullContainerError: no such image"}, "statusReason": "x"}
    _follower, events = follow([detail("FAILED", attempts=[never_started])], {})
    assert events[:2] == ["SUBMITTED -> RUNNABLE", "RUNNABLE -> STARTING"]
    assert "STARTING -> FAILED" in events


def test_the_current_attempt_is_followed_live_between_ended_ones():
    _follower, events = follow(
        [
            detail("RUNNING", container={"logStreamName": "s1"}, **RETRIED),
            detail("RUNNING", attempts=[attempt(1)], container={"logStreamName": "s2"}, **RETRIED),
            detail("SUCCEEDED", attempts=[attempt(1), attempt(2, exit_code=0)], **RETRIED),
        ],
        {"s1": ["one"], "s2": ["two"]},
    )
    assert events == [
        "SUBMITTED -> RUNNABLE",
        "RUNNABLE -> STARTING",
        "STARTING -> RUNNING",
        "attempt 1 in s1",
        "| one",
        "attempt 1 ended with 2",
        "RUNNING -> RUNNABLE",
        "RUNNABLE -> STARTING",
        "STARTING -> RUNNING",
        "attempt 2 in s2",
        "| two",
        "attempt 2 ended with 0",
        "RUNNING -> SUCCEEDED",
        "end",
    ]


def test_a_job_followed_later_starts_from_what_the_first_poll_shows():
    _follower, events = follow(
        [detail("SUCCEEDED", attempts=[attempt(1, exit_code=0)])], {"s1": ["done long ago"]}, known_status=None
    )
    assert events == [
        "RUNNING",
        "attempt 1 in s1",
        "| done long ago",
        "attempt 1 ended with 0",
        "RUNNING -> SUCCEEDED",
        "end",
    ]


def test_an_array_parent_reports_the_statuses_it_shows():
    parent = {"arrayProperties": {"size": 2, "statusSummary": {"SUCCEEDED": 2}}}
    _follower, events = follow([detail("PENDING", **parent), detail("SUCCEEDED", **parent)], {})
    assert [e for e in events if "->" in e] == ["SUBMITTED -> PENDING", "PENDING -> SUCCEEDED"]


def test_follower_fails_when_the_job_vanishes():
    batch = FakeClient(describe_jobs={"jobs": []})
    with pytest.raises(BatchError, match="not found"):
        jobs.JobFollower(batch, sleep=lambda s: None).follow("gone")


def test_wait_for_jobs_describes_only_active_jobs():
    done = set()
    calls = []

    def describe(jobs):
        calls.append(list(jobs))
        answer = []
        for job_id in jobs:
            status = "SUCCEEDED" if job_id in done else "RUNNING"
            answer.append({"jobId": job_id, "status": status})
        done.update(jobs[: len(jobs) // 2 + 1])
        return {"jobs": answer}

    batch = FakeClient(describe_jobs=describe)
    clock = Clock()
    ids = [f"j{i}" for i in range(150)]
    result = jobs.wait_for_jobs(batch, ids, timeout=600, sleep=clock.sleep, clock=clock)
    assert [j["status"] for j in result] == ["SUCCEEDED"] * 150
    assert [len(c) for c in calls[:2]] == [100, 50]
    assert all(len(c) <= 100 for c in calls)
    assert len(calls[2]) < 150  # the next poll asks only for jobs still running


def test_failed_children_of_an_array_job():
    parent = detail("FAILED", arrayProperties={"size": 3, "statusSummary": {"FAILED": 1, "SUCCEEDED": 2}})
    child = detail("FAILED", jobId="job-1:2", container={"exitCode": 3, "logStreamName": "s"})
    batch = FakeClient(
        list_jobs={"jobSummaryList": [{"jobId": "job-1:2", "status": "FAILED"}]}, describe_jobs={"jobs": [child]}
    )
    logs = FakeClient(get_log_events={"events": [{"message": "boom"}]})
    children = jobs.failed_children(batch, parent, logs, log_lines=5)
    assert children[0]["job_id"] == "job-1:2"
    assert children[0]["exit_code"] == 3
    assert children[0]["log_lines"] == ["boom"]
    assert batch.calls[0] == ("list_jobs", {"arrayJobId": "job-1", "jobStatus": "FAILED"})
