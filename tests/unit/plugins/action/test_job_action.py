import os

import pytest

from ansible_collections.ondemand.batch.plugins.action import job as action
from ansible_collections.ondemand.batch.plugins.plugin_utils import aws
from tests.unit.fakes import FakeClient

JD = "arn:aws:batch:eu-west-1:123456789012:job-definition/dev-jd:6"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def detail(status, **extra):
    job = {"jobId": "0123456789abcdef", "jobName": "nightly", "jobDefinition": JD, "status": status}
    job.update(extra)
    return job


def submitted():
    return {"changed": True, "submitted": True, "job": {"job_id": "0123456789abcdef", "job_name": "nightly"}}


def run(states, log_pages, known_status="SUBMITTED", batch_answers=None, **settings):
    batch = FakeClient(describe_jobs=[{"jobs": [s]} for s in states], **(batch_answers or {}))
    logs = FakeClient(get_log_events=log_pages)
    shown, warnings = [], []
    printer = action.ProgressPrinter(
        "localhost", lambda text, color=None: shown.append(text), show_logs=settings.pop("show_logs", True)
    )
    options = action.follow_settings(dict({"poll_interval": 0.5}, **settings))
    clock = Clock()
    result = action.follow_and_report(
        submitted(), batch, logs, options, printer, warnings.append, clock.sleep, clock, known_status=known_status
    )
    return result, shown, warnings


STREAM = {"logStreamName": "dev-jd/default/abc"}


def test_success_prints_progress_and_log_lines_live_and_returns_them():
    result, shown, _warnings = run(
        [
            detail("RUNNABLE"),
            detail("RUNNING", container=STREAM),
            detail("SUCCEEDED", container=dict(STREAM, exitCode=0), startedAt=1000, stoppedAt=3500),
        ],
        [
            {"events": [{"message": "hello from the job"}], "nextForwardToken": "t"},
            {"events": [], "nextForwardToken": "t"},
        ],
    )
    assert not result.get("failed")
    assert result["changed"] is True
    assert result["job"]["status"] == "SUCCEEDED"
    assert result["job"]["log_lines"] == ["hello from the job"]
    assert shown == [
        "[localhost] job nightly (01234567): SUBMITTED -> RUNNABLE",
        "[localhost] job nightly (01234567): RUNNABLE -> STARTING",
        "[localhost] job nightly (01234567): STARTING -> RUNNING",
        "[localhost] job nightly (01234567): attempt 1 logs in /aws/batch/job dev-jd/default/abc",
        "[localhost]   | hello from the job",
        "[localhost] job nightly (01234567): SUCCEEDED (exit code 0; ran 2.5s)",
    ]


def test_a_retried_job_prints_each_attempt_in_order_and_fails_with_each_attempts_lines():
    def attempt(number):
        container = {"exitCode": 2, "logStreamName": f"dev-jd/default/a{number}"}
        return {"container": container, "startedAt": number * 1000, "stoppedAt": number * 1000 + 500}

    retried = {"retryStrategy": {"attempts": 2}, "statusReason": "Essential container in task exited"}
    pages = {"dev-jd/default/a1": ["first try"], "dev-jd/default/a2": ["second try"]}

    def get_log_events(logGroupName, logStreamName, startFromHead, nextToken=None):  # noqa: N803 - AWS names
        if nextToken:
            return {"events": [], "nextForwardToken": nextToken}
        return {"events": [{"message": m} for m in pages[logStreamName]], "nextForwardToken": "t"}

    result, shown, _warnings = run(
        [
            detail("PENDING"),
            detail("FAILED", attempts=[attempt(1), attempt(2)], container=attempt(2)["container"], **retried),
        ],
        get_log_events,
    )
    prefix = "[localhost] job nightly (01234567): "
    assert shown == [
        prefix + "SUBMITTED -> PENDING",
        prefix + "PENDING -> RUNNABLE",
        prefix + "RUNNABLE -> STARTING",
        prefix + "STARTING -> RUNNING",
        prefix + "attempt 1 of 2 logs in /aws/batch/job dev-jd/default/a1",
        "[localhost]   | first try",
        prefix + "attempt 1 of 2 ended: exit code 2",
        prefix + "RUNNING -> RUNNABLE (retried: attempt 2 of 2)",
        prefix + "RUNNABLE -> STARTING",
        prefix + "STARTING -> RUNNING",
        prefix + "attempt 2 of 2 logs in /aws/batch/job dev-jd/default/a2",
        "[localhost]   | second try",
        prefix + "FAILED (exit code 2; 2 attempts; Essential container in task exited)",
    ]
    assert result["failed"] is True
    assert "\nAttempt 1: exit code 2. Last 1 log lines (/aws/batch/job dev-jd/default/a1):\nfirst try" in result["msg"]
    assert result["msg"].endswith("(/aws/batch/job dev-jd/default/a2):\nsecond try")
    assert result["job"]["log_lines"] == ["second try"]


def test_failure_fails_the_task_with_exit_code_and_log_tail():
    failed = detail("FAILED", container=dict(STREAM, exitCode=3), statusReason="Essential container in task exited")
    result, shown, _warnings = run(
        [detail("RUNNING", container=STREAM), failed],
        [
            {"events": [{"message": "step 1"}, {"message": "giving up"}], "nextForwardToken": "t"},
            {"events": [], "nextForwardToken": "t"},
        ],
    )
    assert result["failed"] is True
    assert "exit code 3" in result["msg"]
    assert result["msg"].endswith("step 1\ngiving up")
    assert shown[-1].endswith("FAILED (exit code 3; Essential container in task exited)")


def test_failure_is_returned_not_raised_with_fail_on_job_failure_false():
    result, _shown, _warnings = run(
        [detail("FAILED", container={"exitCode": 3})], [{"events": []}], fail_on_job_failure=False
    )
    assert not result.get("failed")
    assert result["job"]["exit_code"] == 3


QUEUE = "arn:aws:batch:eu-west-1:123456789012:job-queue/dev-jq"
CE = "arn:aws:batch:eu-west-1:123456789012:compute-environment/dev-ce"


def test_timeout_fails_and_says_the_job_keeps_running():
    result, _shown, warnings = run([detail("RUNNABLE")], [{"events": []}], wait_timeout=5)
    assert result["failed"] is True
    assert "Timed out after 5s" in result["msg"]
    assert "keeps running" in result["msg"]
    assert result["job"]["status"] == "RUNNABLE"
    assert "the look-ups that would explain it failed" in result["msg"]  # this fake client answers nothing else
    assert len(warnings) == 1


def test_a_job_stuck_in_runnable_is_explained_live_once_then_in_the_timeout_message():
    queue = {
        "jobQueueName": "dev-jq",
        "jobQueueArn": QUEUE,
        "state": "DISABLED",
        "status": "VALID",
        "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": CE}],
    }
    environment = {
        "computeEnvironmentName": "dev-ce",
        "computeEnvironmentArn": CE,
        "state": "ENABLED",
        "status": "VALID",
        "type": "MANAGED",
        "computeResources": {"type": "EC2", "maxvCpus": 8},
    }
    answers = {
        "describe_job_queues": {"jobQueues": [queue]},
        "describe_compute_environments": {"computeEnvironments": [environment]},
    }
    result, shown, _warnings = run(
        [detail("RUNNABLE", jobQueue=QUEUE)],
        [{"events": []}],
        batch_answers=answers,
        wait_timeout=30,
        diagnose_after=10,
    )
    said = [line for line in shown if "still RUNNABLE" in line]
    assert said == [
        "[localhost] job nightly (01234567): still RUNNABLE after 10s: the job queue dev-jq is DISABLED: AWS Batch "
        "does not schedule its jobs until it is ENABLED again"
    ]
    assert "Why it does not start: the job queue dev-jq is DISABLED" in result["msg"]
    assert result["job"]["diagnosis"]["findings"][0]["reason"] == "QUEUE_DISABLED"


def test_no_log_hides_log_lines_from_the_terminal():
    result, shown, _warnings = run(
        [detail("RUNNING", container=STREAM), detail("SUCCEEDED", container=STREAM)],
        [{"events": [{"message": "secret-ish"}], "nextForwardToken": "t"}, {"events": [], "nextForwardToken": "t"}],
        show_logs=False,
    )
    assert not any("secret-ish" in line for line in shown)
    assert any("log lines hidden" in line for line in shown)
    assert result["job"]["log_lines"] == ["secret-ish"]


def test_follow_settings_types_templated_values():
    settings = action.follow_settings({"wait": "yes", "wait_timeout": "60", "log_lines": "5", "poll_interval": "0.1"})
    assert settings["wait"] is True
    assert settings["wait_timeout"] == 60
    assert settings["log_lines"] == 5
    assert settings["poll_interval"] == 0.1
    assert settings["max_poll_interval"] == 15.0
    assert settings["fail_on_job_failure"] is True


def test_connection_params_follow_amazon_aws_precedence():
    environment = {
        "AWS_ACCESS_KEY_ID": "env-key",
        "AWS_SECRET_ACCESS_KEY": "env-secret",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_URL": "http://env-endpoint",
    }
    params = aws.connection_params({"aws_region": "eu-central-1", "aws_secret_key": "arg-secret"}, environment)
    assert params["region"] == "eu-central-1"
    assert params["access_key"] == "env-key"
    assert params["secret_key"] == "arg-secret"
    assert params["endpoint_url"] == "http://env-endpoint"
    assert params["validate_certs"] is True
    assert aws.connection_params({}, {"AWS_DEFAULT_REGION": "us-east-1"})["region"] == "us-east-1"
    assert aws.connection_params({"validate_certs": "no"}, {})["validate_certs"] is False


def test_environment_overlay_is_undone(monkeypatch):
    monkeypatch.delenv("ONDEMAND_TEST_OVERLAY", raising=False)
    monkeypatch.setenv("ONDEMAND_TEST_KEPT", "before")
    with aws.environment_overlay({"ONDEMAND_TEST_OVERLAY": "x", "ONDEMAND_TEST_KEPT": "during"}):
        assert os.environ["ONDEMAND_TEST_OVERLAY"] == "x"
        assert os.environ["ONDEMAND_TEST_KEPT"] == "during"
    assert "ONDEMAND_TEST_OVERLAY" not in os.environ
    assert os.environ["ONDEMAND_TEST_KEPT"] == "before"


def test_clients_use_the_task_environment_endpoint(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    batch, logs = action.make_clients(
        {"region": "eu-west-1", "access_key": "a", "secret_key": "b"},
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"},
    )
    assert batch.client.meta.endpoint_url == "http://127.0.0.1:1"
    assert logs.client.meta.region_name == "eu-west-1"
    assert "AWS_ENDPOINT_URL" not in os.environ
    explicit, _logs = action.make_clients({"region": "eu-west-1", "endpoint_url": "http://127.0.0.1:2"}, {})
    assert explicit.client.meta.endpoint_url == "http://127.0.0.1:2"


def test_profile_and_keys_together_are_refused_like_amazon_aws():
    with pytest.raises(Exception, match="profile and access tokens"):
        action.make_clients({"region": "eu-west-1", "profile": "p", "access_key": "a"}, {})


def test_a_job_followed_later_is_told_from_what_aws_still_knows():
    ended = {"container": dict(STREAM, exitCode=0), "startedAt": 1000, "stoppedAt": 2000}
    result, shown, _warnings = run(
        [detail("SUCCEEDED", attempts=[ended], container=ended["container"], startedAt=1000, stoppedAt=2000)],
        [{"events": [{"message": "done earlier"}], "nextForwardToken": "t"}, {"events": [], "nextForwardToken": "t"}],
        known_status=None,
    )
    assert shown == [
        "[localhost] job nightly (01234567): RUNNING",
        "[localhost] job nightly (01234567): attempt 1 logs in /aws/batch/job dev-jd/default/abc",
        "[localhost]   | done earlier",
        "[localhost] job nightly (01234567): SUCCEEDED (exit code 0; ran 1.0s)",
    ]
    assert result["job"]["attempt_details"][0]["log_lines"] == ["done earlier"]


def test_an_array_job_followed_later_shows_its_children_per_status():
    def parent(status, summary):
        return detail(status, arrayProperties={"size": 4, "statusSummary": summary})

    result, shown, _warnings = run(
        [parent("RUNNING", {"RUNNING": 1, "SUCCEEDED": 3}), parent("SUCCEEDED", {"SUCCEEDED": 4})],
        [{"events": []}],
        known_status=None,
    )
    assert shown == [
        "[localhost] job nightly (01234567): RUNNING",
        "[localhost] job nightly (01234567): children RUNNING 1, SUCCEEDED 3",
        "[localhost] job nightly (01234567): children SUCCEEDED 4",
        "[localhost] job nightly (01234567): SUCCEEDED",
    ]
    assert result["job"]["array_status_summary"] == {"SUCCEEDED": 4}


def test_the_line_before_a_job_followed_later_names_it():
    shown = []
    printer = action.ProgressPrinter("localhost", lambda text, color=None: shown.append(text))
    printer.following(
        {
            "job_id": "0123456789abcdef",
            "job_name": "nightly",
            "job_queue": "arn:aws:batch:r:1:job-queue/dev-jq",
            "created_at": "2030-01-01T04:00:00.000Z",
        }
    )
    assert shown == [
        "[localhost] job nightly (01234567): job id 0123456789abcdef in dev-jq, created 2030-01-01T04:00:00.000Z"
    ]
