"""ondemand.batch.job_info against the emulator: batching, filters, logs and waiting."""

import time

import pytest

from tests.integration.test_job import make_stack, play, short_transitions

pytestmark = pytest.mark.slow


@pytest.fixture
def fast(aws):
    yield from short_transitions(aws)


def info(name, args, **keywords):
    return {"name": name, "ondemand.batch.job_info": args, **keywords}


def test_150_ids_are_described_in_two_calls(fast, playbook):
    fast.configure(executor="none")
    stack = make_stack(fast)
    batch = fast.client("batch")
    ids = [
        batch.submit_job(jobName=f"bulk-{i}", jobQueue=stack["queue"], jobDefinition=stack["jd"])["jobId"]
        for i in range(150)
    ]
    fast.reset_stats()
    result = playbook(play(info("Describe them", {"job_ids": ids + ["no-such-job"]})))
    assert result.rc == 0, result.stdout
    found = result.task("Describe them")
    assert [job["job_id"] for job in found["jobs"]] == ids
    assert sum(found["status_counts"].values()) == 150
    assert fast.stats()["calls"] == {"batch:DescribeJobs": 2}


def test_filters_time_window_logs_and_waiting(fast, playbook):
    stack = make_stack(fast)
    batch = fast.client("batch")

    def submit(name, command):
        overrides = {"command": ["sh", "-c", command]}
        return batch.submit_job(
            jobName=name, jobQueue=stack["queue"], jobDefinition=stack["jd"], containerOverrides=overrides
        )["jobId"]

    ids = [
        submit("alpha-1", "echo alpha one"),
        submit("alpha-2", "echo alpha two; exit 1"),
        submit("beta", "echo beta says hi"),
    ]
    fast.reset_stats()
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    queue = {"job_queue": stack["queue"]}
    result = playbook(
        play(
            info("Wait for all", {"job_ids": ids, "wait": True, "poll_interval": 0.2, "max_poll_interval": 1}),
            info("Failed ones", dict(queue, status=["FAILED"])),
            info("Named alpha", dict(queue, name="alpha-*")),
            info("Beta with logs", dict(queue, name="beta", log_lines=5)),
            info("Created in the last hour", dict(queue, created_within="1h", details=True)),
            info("Created in the future", dict(queue, created_after=future)),
            info("At most one", dict(queue, max_results=1)),
            info("Succeeded of the ids", {"job_ids": ids, "status": ["SUCCEEDED"]}),
        )
    )
    assert result.rc == 0, result.stdout
    waited = result.task("Wait for all")
    assert [job["status"] for job in waited["jobs"]] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    assert waited["status_counts"] == {"SUCCEEDED": 2, "FAILED": 1}
    assert [job["job_name"] for job in result.task("Failed ones")["jobs"]] == ["alpha-2"]
    assert sorted(job["job_name"] for job in result.task("Named alpha")["jobs"]) == ["alpha-1", "alpha-2"]
    beta = result.task("Beta with logs")["jobs"]
    assert [job["log_lines"] for job in beta] == [["beta says hi"]]
    assert beta[0]["log_stream"].startswith("t-jd/default/")
    recent = result.task("Created in the last hour")["jobs"]
    assert len(recent) == 3
    assert all(job["attempts"] == 1 for job in recent)  # details: described, not summaries
    assert result.task("Created in the future")["jobs"] == []
    assert len(result.task("At most one")["jobs"]) == 1
    assert [job["job_name"] for job in result.task("Succeeded of the ids")["jobs"]] == ["alpha-1", "beta"]
    assert fast.stats()["writes"] == 0


def test_bad_options_are_refused(fast, playbook):
    result = playbook(
        play(
            info("Bad window", {"job_queue": "q", "created_within": "yesterday"}, ignore_errors=True),
            info("Bad date", {"job_queue": "q", "created_before": "soon"}, ignore_errors=True),
            info("Nothing to look at", {"status": ["FAILED"]}, ignore_errors=True),
        )
    )
    assert "created_within: must be a number and m, h or d" in result.task("Bad window")["msg"]
    assert "created_before: must be an ISO 8601" in result.task("Bad date")["msg"]
    assert (
        "one of the following is required: job_ids, job_queue, array_job_id" in result.task("Nothing to look at")["msg"]
    )
    assert fast.stats()["calls"] == {}
