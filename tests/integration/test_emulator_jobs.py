"""Batch jobs on the emulator: states, the local executor, arrays, dependencies, retries and stopping (issue 3)."""

import json
import os
import re
import time

import pytest
from botocore.exceptions import ClientError

from emulator.testing import BatchWorld

SH = ["sh", "-c"]


@pytest.fixture
def world(aws):
    before = aws._request("GET", "/_emulator/config")
    aws.configure(transition_delay=0.05, executor="local")
    world = BatchWorld(aws)
    world.fargate_queue("queue")
    yield world
    aws.configure(**before)


def shell(script):
    return [*SH, script]


# --- the executor -------------------------------------------------------------------------------------
def test_job_runs_its_command_and_logs_each_line(world):
    definition = world.job_definition(
        "hello",
        shell('echo "hello $GREETING"; echo "to stderr" >&2; printf "no newline"'),
        container={"environment": [{"name": "GREETING", "value": "world"}]},
    )
    job_id = world.submit("hello-job", definition)
    detail, seen = world.wait_job(job_id)
    assert detail["status"] == "SUCCEEDED", detail
    assert detail["statusReason"] == "Essential container in task exited"
    assert detail["container"]["exitCode"] == 0
    assert detail["createdAt"] <= detail["startedAt"] <= detail["stoppedAt"]
    [attempt] = detail["attempts"]
    assert attempt["container"]["exitCode"] == 0
    assert attempt["statusReason"] == "Essential container in task exited"
    assert attempt["startedAt"] == detail["startedAt"] and attempt["stoppedAt"] <= detail["stoppedAt"]
    stream = detail["container"]["logStreamName"]
    assert attempt["container"]["logStreamName"] == stream
    assert re.fullmatch(r"hello/default/[0-9a-f]{32}", stream)
    assert stream.split("/")[-1] in detail["container"]["taskArn"]

    events = world.logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream, startFromHead=True)
    messages = [event["message"] for event in events["events"]]
    assert sorted(messages) == sorted(["hello world", "to stderr", "no newline"])
    assert all(
        detail["startedAt"] - 1000 <= event["timestamp"] <= detail["stoppedAt"] + 1000 for event in events["events"]
    )


def test_job_moves_through_every_state(world):
    world.emulator.configure(transition_delay=0.25)
    job_id = world.submit("states", world.job_definition("states", ["sleep", "0.5"]))
    seen = world.wait_job(job_id)[1]
    assert seen == ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]


def test_batch_variables_parameters_and_overrides(world):
    definition = world.job_definition(
        "vars",
        ["echo", "Ref::first", "Ref::second", "Ref::unknown"],
        parameters={"first": "from-definition", "second": "default"},
        container={"environment": [{"name": "KEEP", "value": "kept"}, {"name": "CHANGE", "value": "old"}]},
    )
    plain = world.submit("params", definition, parameters={"second": "from-submit"})
    detail = world.wait_job(plain)[0]
    assert world.log_messages(detail) == ["from-definition from-submit Ref::unknown"]
    assert detail["parameters"] == {"first": "from-definition", "second": "from-submit"}
    assert detail["container"]["command"] == ["echo", "from-definition", "from-submit", "Ref::unknown"]

    script = (
        'echo "$KEEP $CHANGE $ADDED"; echo "$AWS_BATCH_JOB_ID|$AWS_BATCH_JQ_NAME|$AWS_BATCH_CE_NAME|'
        '$AWS_BATCH_JOB_ATTEMPT|${AWS_BATCH_JOB_ARRAY_INDEX-none}"; pwd; echo "$AWS_ENDPOINT_URL"'
    )
    overridden = world.submit(
        "overrides",
        definition,
        containerOverrides={
            "command": shell(script),
            "environment": [{"name": "CHANGE", "value": "new"}, {"name": "ADDED", "value": "added"}],
            "resourceRequirements": [{"type": "MEMORY", "value": "4096"}],
        },
    )
    detail = world.wait_job(overridden)[0]
    first, second, workdir, endpoint = world.log_messages(detail)
    assert endpoint == world.emulator.url  # jobs can call the emulator like a task calls AWS
    assert first == "kept new added"
    assert second == f"{overridden}|queue|queue-ce|1|none"
    assert "emulator-job-" in workdir and not os.path.exists(workdir)  # a temporary directory, removed after
    container = detail["container"]
    assert {"name": "CHANGE", "value": "new"} in container["environment"]
    assert {"type": "MEMORY", "value": "4096"} in container["resourceRequirements"]
    assert {"type": "VCPU", "value": "1"} in container["resourceRequirements"]


def test_exit_code_decides_failure(world):
    job_id = world.submit("fails", world.job_definition("fails", shell("echo failing; exit 3")))
    detail = world.wait_job(job_id)[0]
    assert detail["status"] == "FAILED"
    assert detail["statusReason"] == "Essential container in task exited"
    assert detail["container"]["exitCode"] == 3
    assert detail["attempts"][0]["container"]["exitCode"] == 3
    assert world.log_messages(detail) == ["failing"]
    summary = world.batch.list_jobs(jobQueue="queue", jobStatus="FAILED")["jobSummaryList"]
    assert summary[0]["container"] == {"exitCode": 3}


def test_a_command_that_cannot_start_fails_the_job(world):
    job_id = world.submit("missing", world.job_definition("missing", ["no-such-command-anywhere", "x"]))
    detail = world.wait_job(job_id)[0]
    assert detail["status"] == "FAILED"
    assert detail["statusReason"].startswith("CannotStartContainerError: ")
    assert "no-such-command-anywhere" in detail["statusReason"]
    assert "exitCode" not in detail["attempts"][0]["container"]
    assert detail["attempts"][0]["container"]["reason"] == detail["statusReason"]


def test_timeout_stops_the_attempt_and_is_not_retried(world):
    definition = world.job_definition("slow", ["sleep", "30"], timeout={"attemptDurationSeconds": 1})
    started = time.monotonic()
    job_id = world.submit("slow", definition, retryStrategy={"attempts": 3})
    detail = world.wait_job(job_id, timeout=15)[0]
    assert time.monotonic() - started < 10
    assert detail["status"] == "FAILED"
    assert detail["statusReason"] == "Job attempt duration exceeded timeout"
    assert len(detail["attempts"]) == 1
    assert detail["attempts"][0]["container"]["exitCode"] == 143  # SIGTERM
    # The submit timeout overrides the job definition's.
    job_id = world.submit(
        "quick-enough", world.job_definition("short", ["sleep", "0.2"]), timeout={"attemptDurationSeconds": 5}
    )
    assert world.wait_job(job_id)[0]["status"] == "SUCCEEDED"


def test_secrets_are_resolved_into_the_environment(world):
    sm = world.emulator.client("secretsmanager")
    plain = sm.create_secret(Name="db-password", SecretString="s3cret")["ARN"]
    document = sm.create_secret(Name="db", SecretString=json.dumps({"user": "admin", "port": 5432}))["ARN"]
    ssm = world.emulator.client("ssm")
    ssm.put_parameter(Name="/app/token", Value="tok", Type="SecureString")
    ssm.put_parameter(Name="plain-param", Value="pp", Type="String")
    secrets = [
        {"name": "PASSWORD", "valueFrom": plain},
        {"name": "DB_USER", "valueFrom": f"{document}:user::"},
        {"name": "DB_PORT", "valueFrom": f"{document}:port::"},
        {"name": "TOKEN", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/app/token"},
        {"name": "PLAIN", "valueFrom": "plain-param"},
    ]
    definition = world.job_definition(
        "secrets", shell('echo "$PASSWORD|$DB_USER|$DB_PORT|$TOKEN|$PLAIN"'), container={"secrets": secrets}
    )
    detail = world.wait_job(world.submit("secrets", definition))[0]
    assert detail["status"] == "SUCCEEDED", detail
    assert world.log_messages(detail) == ["s3cret|admin|5432|tok|pp"]
    assert detail["container"]["secrets"] == secrets  # described as given, never resolved

    broken = world.job_definition(
        "broken-secret",
        ["true"],
        container={"secrets": [{"name": "X", "valueFrom": f"{document}:missing-key::"}]},
    )
    detail = world.wait_job(world.submit("broken", broken))[0]
    assert detail["status"] == "FAILED" and detail["statusReason"].startswith("ResourceInitializationError")


def test_log_configuration_group_and_prefix(world):
    config = {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/custom/jobs", "awslogs-stream-prefix": "app"},
    }
    definition = world.job_definition("custom-log", ["echo", "custom"], container={"logConfiguration": config})
    detail = world.wait_job(world.submit("no-group", definition))[0]
    assert detail["status"] == "FAILED"
    assert "log group does not exist" in detail["statusReason"]  # AWS does not create a named group

    world.logs.create_log_group(logGroupName="/custom/jobs")
    detail = world.wait_job(world.submit("with-group", definition))[0]
    assert detail["status"] == "SUCCEEDED", detail
    assert re.fullmatch(r"app/default/[0-9a-f]{32}", detail["container"]["logStreamName"])
    assert world.log_messages(detail, group="/custom/jobs") == ["custom"]


# --- arrays and dependencies --------------------------------------------------------------------------
def test_array_job_children_and_status_summary(world):
    definition = world.job_definition("array", shell('echo "index $AWS_BATCH_JOB_ARRAY_INDEX of $AWS_BATCH_JOB_ID"'))
    parent_id = world.submit("array", definition, arrayProperties={"size": 3})
    parent = world.wait_job(parent_id)[0]
    assert parent["status"] == "SUCCEEDED"
    assert parent["arrayProperties"]["size"] == 3
    assert parent["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 3
    assert "logStreamName" not in parent["container"] and parent["attempts"] == []
    children = world.batch.describe_jobs(jobs=[f"{parent_id}:{index}" for index in range(3)])["jobs"]
    for child in children:
        index = child["arrayProperties"]["index"]
        assert child["jobId"] == f"{parent_id}:{index}"
        assert world.log_messages(child) == [f"index {index} of {parent_id}:{index}"]
    listed = world.batch.list_jobs(arrayJobId=parent_id, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert [job["jobId"] for job in listed] == [f"{parent_id}:{index}" for index in range(3)]
    assert world.batch.list_jobs(jobQueue="queue", jobStatus="SUCCEEDED")["jobSummaryList"][0]["arrayProperties"] == {
        "size": 3
    }


def test_array_parent_fails_when_a_child_fails(world):
    definition = world.job_definition("picky", shell('test "$AWS_BATCH_JOB_ARRAY_INDEX" != 1'))
    parent_id = world.submit("picky", definition, arrayProperties={"size": 2})
    parent = world.wait_job(parent_id)[0]
    assert parent["status"] == "FAILED"
    assert parent["arrayProperties"]["statusSummary"]["FAILED"] == 1
    assert parent["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 1


def test_dependencies_wait_for_success_and_fail_with_their_dependency(world):
    quick = world.job_definition("quick", ["sleep", "0.3"])
    failing = world.job_definition("failing", ["false"])
    first = world.submit("first", quick)
    second = world.submit("second", quick, dependsOn=[{"jobId": first}])
    broken = world.submit("broken", failing)
    blocked = world.submit("blocked", quick, dependsOn=[{"jobId": broken}, {"jobId": first}])
    first_detail = world.wait_job(first)[0]
    second_detail, seen = world.wait_job(second)
    assert second_detail["status"] == "SUCCEEDED"
    assert second_detail["startedAt"] >= first_detail["stoppedAt"]
    assert second_detail["dependsOn"] == [{"jobId": first}]
    blocked_detail = world.wait_job(blocked)[0]
    assert blocked_detail["status"] == "FAILED"
    assert blocked_detail["statusReason"] == "Dependent Job failed"
    assert blocked_detail["attempts"] == []
    with pytest.raises(ClientError):
        world.submit("orphan", quick, dependsOn=[{"jobId": "00000000-0000-0000-0000-000000000000"}])


def test_sequential_and_n_to_n_array_dependencies(world):
    definition = world.job_definition("step", ["sleep", "0.1"])
    first = world.submit("seq", definition, arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
    second = world.submit(
        "n2n", definition, arrayProperties={"size": 3}, dependsOn=[{"jobId": first, "type": "N_TO_N"}]
    )
    world.wait_job(second)
    ids = [f"{first}:{i}" for i in range(3)] + [f"{second}:{i}" for i in range(3)]
    jobs = {job["jobId"]: job for job in world.batch.describe_jobs(jobs=ids)["jobs"]}
    assert all(job["status"] == "SUCCEEDED" for job in jobs.values())
    for index in (1, 2):
        assert jobs[f"{first}:{index}"]["startedAt"] >= jobs[f"{first}:{index - 1}"]["stoppedAt"]
    for index in range(3):
        assert jobs[f"{second}:{index}"]["startedAt"] >= jobs[f"{first}:{index}"]["stoppedAt"]
    with pytest.raises(ClientError):  # N_TO_N needs arrays of the same size
        world.submit("bad", definition, arrayProperties={"size": 2}, dependsOn=[{"jobId": first, "type": "N_TO_N"}])


# --- retries ------------------------------------------------------------------------------------------
def test_retry_strategy_with_evaluate_on_exit(world):
    flaky = world.job_definition(
        "flaky", shell('echo "attempt $AWS_BATCH_JOB_ATTEMPT"; [ "$AWS_BATCH_JOB_ATTEMPT" = 3 ]')
    )
    # No evaluateOnExit: every failure is retried until the attempts are used up.
    detail = world.wait_job(world.submit("retried", flaky, retryStrategy={"attempts": 3}))[0]
    assert detail["status"] == "SUCCEEDED" and len(detail["attempts"]) == 3
    assert [attempt["container"]["exitCode"] for attempt in detail["attempts"]] == [1, 1, 0]
    assert len({attempt["container"]["logStreamName"] for attempt in detail["attempts"]}) == 3

    detail = world.wait_job(world.submit("too-few", flaky, retryStrategy={"attempts": 2}))[0]
    assert detail["status"] == "FAILED" and len(detail["attempts"]) == 2

    exit_rules = {
        "attempts": 5,
        "evaluateOnExit": [
            {"onExitCode": "3", "action": "RETRY"},
            {"onExitCode": "*", "action": "exit"},
        ],
    }
    three_then_four = world.job_definition(
        "three-then-four", shell('[ "$AWS_BATCH_JOB_ATTEMPT" = 1 ] && exit 3; exit 4'), retryStrategy=exit_rules
    )
    detail = world.wait_job(world.submit("exit-rules", three_then_four))[0]
    assert detail["status"] == "FAILED"
    assert [attempt["container"]["exitCode"] for attempt in detail["attempts"]] == [3, 4]

    reason_rules = {
        "attempts": 2,
        "evaluateOnExit": [
            {"onStatusReason": "Essential*", "onExitCode": "9*", "action": "EXIT"},
            {"onReason": "CannotStartContainerError*", "action": "RETRY"},
        ],
    }
    missing = world.job_definition("missing", ["no-such-command"], retryStrategy=reason_rules)
    detail = world.wait_job(world.submit("reason-rules", missing))[0]
    assert detail["status"] == "FAILED" and len(detail["attempts"]) == 2
    ninety = world.job_definition("ninety", shell("exit 90"), retryStrategy=reason_rules)
    detail = world.wait_job(world.submit("status-rules", ninety))[0]
    assert detail["status"] == "FAILED" and len(detail["attempts"]) == 1


# --- cancel and terminate -----------------------------------------------------------------------------
def test_cancel_and_terminate_follow_aws(world):
    world.compute_environment("off-ce", state="DISABLED")
    world.queue("parked", ["off-ce"])
    long = world.job_definition("long", shell("echo $$ > pid; exec sleep 30"))

    parked = world.submit("parked", long, queue="parked")
    detail = world.wait_job(parked, "RUNNABLE")[0]
    time.sleep(0.3)
    assert world.describe_job(parked)["status"] == "RUNNABLE"  # no ENABLED compute environment: stays RUNNABLE
    world.batch.cancel_job(jobId=parked, reason="not needed")
    detail = world.describe_job(parked)
    assert (detail["status"], detail["statusReason"], detail["isCancelled"]) == ("FAILED", "not needed", True)

    running = world.submit("running", long)
    world.wait_job(running, "RUNNING")
    world.batch.cancel_job(jobId=running, reason="too late")  # AWS: a RUNNING job is not cancelled
    time.sleep(0.3)
    assert world.describe_job(running)["status"] == "RUNNING"
    world.batch.terminate_job(jobId=running, reason="stop it")
    detail = world.wait_job(running, timeout=10)[0]
    assert (detail["status"], detail["statusReason"], detail["isTerminated"]) == ("FAILED", "stop it", True)
    assert detail["container"]["exitCode"] == 143

    queued = world.submit("queued", long, queue="parked")
    world.batch.terminate_job(jobId=queued, reason="terminated early")
    assert world.describe_job(queued)["status"] == "FAILED"


def test_jobs_wait_for_an_enabled_valid_queue_and_environment(world):
    world.compute_environment("later-ce", state="DISABLED")
    world.queue("later", ["later-ce"])
    job_id = world.submit("waits", world.job_definition("waits", ["true"]), queue="later")
    world.wait_job(job_id, "RUNNABLE")
    time.sleep(0.3)
    assert world.describe_job(job_id)["status"] == "RUNNABLE"
    world.batch.update_compute_environment(computeEnvironment="later-ce", state="ENABLED")
    assert world.wait_job(job_id)[0]["status"] == "SUCCEEDED"

    world.batch.update_job_queue(jobQueue="later", state="DISABLED")
    with pytest.raises(ClientError) as excinfo:
        world.submit("refused", world.job_definition("refused", ["true"]), queue="later")
    assert excinfo.value.response["Error"]["Code"] == "ClientException"


def test_a_job_too_big_for_the_environment_stays_runnable(world):
    big = world.job_definition(
        "big",
        ["true"],
        container={"resourceRequirements": [{"type": "VCPU", "value": "8"}, {"type": "MEMORY", "value": "16384"}]},
    )
    job_id = world.submit("big", big)
    world.wait_job(job_id, "RUNNABLE")
    time.sleep(0.4)
    detail = world.describe_job(job_id)
    assert detail["status"] == "RUNNABLE"
    assert detail["statusReason"].startswith("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE")


# --- listing and describing ---------------------------------------------------------------------------
def test_list_jobs_filters_status_and_pagination(world):
    definition = world.job_definition("listed", ["true"])
    early = [world.submit(f"report-{index}", definition) for index in range(3)]
    middle = world.batch.describe_jobs(jobs=[early[-1]])["jobs"][0]["createdAt"] + 1
    time.sleep(0.02)
    late = world.submit("other", definition)
    for job_id in [*early, late]:
        world.wait_job(job_id)

    def names(**kwargs):
        return [job["jobName"] for job in world.batch.list_jobs(jobQueue="queue", **kwargs)["jobSummaryList"]]

    assert names() == []  # without status or filters only RUNNING jobs are listed
    assert names(jobStatus="SUCCEEDED") == ["other", "report-2", "report-1", "report-0"]  # newest first
    assert names(filters=[{"name": "JOB_NAME", "values": ["REPORT-*"]}]) == ["report-2", "report-1", "report-0"]
    assert names(filters=[{"name": "JOB_NAME", "values": ["report-1"]}]) == ["report-1"]
    assert names(filters=[{"name": "BEFORE_CREATED_AT", "values": [str(middle)]}]) == [
        "report-2",
        "report-1",
        "report-0",
    ]
    assert names(filters=[{"name": "AFTER_CREATED_AT", "values": [str(middle)]}]) == ["other"]
    assert names(filters=[{"name": "JOB_DEFINITION", "values": ["listed:1"]}]) == [
        "other",
        "report-2",
        "report-1",
        "report-0",
    ]
    with pytest.raises(ClientError):
        names(filters=[{"name": "JOB_NAME", "values": ["a"]}, {"name": "JOB_NAME", "values": ["b"]}])

    pages, token = [], None
    while True:
        page = world.batch.list_jobs(
            jobQueue="queue", jobStatus="SUCCEEDED", maxResults=3, **({"nextToken": token} if token else {})
        )
        pages.append([job["jobName"] for job in page["jobSummaryList"]])
        token = page.get("nextToken")
        if not token:
            break
    assert pages == [["other", "report-2", "report-1"], ["report-0"]]
    paginated = [
        job["jobName"]
        for page in world.batch.get_paginator("list_jobs").paginate(
            jobQueue="queue", jobStatus="SUCCEEDED", PaginationConfig={"PageSize": 1}
        )
        for job in page["jobSummaryList"]
    ]
    assert paginated == ["other", "report-2", "report-1", "report-0"]


def test_describe_jobs_takes_at_most_100_ids(world):
    job_id = world.submit("one", world.job_definition("one", ["true"]))
    assert [job["jobId"] for job in world.batch.describe_jobs(jobs=[job_id, "unknown"])["jobs"]] == [job_id]
    with pytest.raises(ClientError) as excinfo:
        world.batch.describe_jobs(jobs=[job_id] * 101)
    assert excinfo.value.response["Error"]["Code"] == "ClientException"


# --- executor none, reset -----------------------------------------------------------------------------
def test_executor_none_runs_thousands_of_children_cheaply(world):
    world.emulator.configure(executor="none", capacity="unlimited")  # 2000 at once, not 4 (maxvCpus)
    definition = world.job_definition("nothing", ["false"])  # would fail if it ran
    started = time.monotonic()
    parent_id = world.submit("load", definition, arrayProperties={"size": 2000})
    parent = world.wait_job(parent_id, timeout=60)[0]
    assert parent["status"] == "SUCCEEDED"
    assert parent["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 2000
    assert time.monotonic() - started < 20
    child = world.describe_job(f"{parent_id}:1999")
    assert child["container"]["exitCode"] == 0 and "logStreamName" not in child["container"]


def test_reset_kills_running_job_processes(world, tmp_path):
    pid_file = tmp_path / "pid"
    definition = world.job_definition("sleeper", shell(f"echo $$ > {pid_file}; exec sleep 30"))
    job_id = world.submit("sleeper", definition)
    world.wait_job(job_id, "RUNNING")
    deadline = time.monotonic() + 5
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    pid = int(pid_file.read_text())
    os.kill(pid, 0)
    world.emulator.reset()
    deadline = time.monotonic() + 5
    while _alive(pid):
        assert time.monotonic() < deadline, f"job process {pid} survived the reset"
        time.sleep(0.05)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead; only its parent (the emulator) has not reaped it yet
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
