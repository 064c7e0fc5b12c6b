"""ondemand.batch.job against the emulator: submit, follow live, fail, retry, arrays, dependencies, stop.

Jobs run as local processes of the emulator (its ``local`` executor). Each test batches several tasks
into one ansible-playbook run; API call statistics prove check mode and the cost of following jobs.
The helpers at the top are shared with the other job test files.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"
REGION = "eu-west-1"


# ---------------------------------------------------------------------------------------------- helpers
def play(*tasks, **keywords):
    return [{"name": "Jobs", "hosts": "localhost", "gather_facts": False, **keywords, "tasks": list(tasks)}]


def job_task(name, args, **keywords):
    return {"name": name, "ondemand.batch.job": {"poll_interval": 0.2, "max_poll_interval": 1, **args}, **keywords}


def writes(stats):
    return {call: count for call, count in stats["calls"].items() if not call.split(":", 1)[1].startswith(READS)}


READS = ("Describe", "List", "Get", "BatchGet", "Head", "Lookup")


def _wait_valid(describe, key, name, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = describe()[key]
        if found and found[0]["status"] == "VALID":
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"{name} not VALID after {timeout}s: {found}")


def make_stack(aws, prefix="t", max_vcpus=16, revisions=1, command=None):
    """A VALID Fargate compute environment and job queue, and a job definition with ``revisions`` revisions."""
    batch, ec2 = aws.client("batch"), aws.client("ec2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    groups = [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]][:1]
    batch.create_compute_environment(
        computeEnvironmentName=f"{prefix}-ce",
        type="MANAGED",
        state="ENABLED",
        computeResources={"type": "FARGATE", "maxvCpus": max_vcpus, "subnets": subnets, "securityGroupIds": groups},
    )
    _wait_valid(
        lambda: batch.describe_compute_environments(computeEnvironments=[f"{prefix}-ce"]), "computeEnvironments", "ce"
    )
    batch.create_job_queue(
        jobQueueName=f"{prefix}-jq",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": f"{prefix}-ce"}],
    )
    queue = _wait_valid(lambda: batch.describe_job_queues(jobQueues=[f"{prefix}-jq"]), "jobQueues", "queue")
    definitions = []
    for revision in range(1, revisions + 1):
        definitions.append(
            batch.register_job_definition(
                jobDefinitionName=f"{prefix}-jd",
                type="container",
                platformCapabilities=["FARGATE"],
                containerProperties={
                    "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
                    "command": command or ["sh", "-c", f"echo hello from revision {revision}"],
                    "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}],
                    "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{prefix}-execution",
                },
            )
        )
    return {
        "queue": f"{prefix}-jq",
        "queue_arn": queue["jobQueueArn"],
        "jd": f"{prefix}-jd",
        "jd_arn": definitions[-1]["jobDefinitionArn"],
    }


def short_transitions(aws):
    """Short Batch transitions for these tests; the emulator's previous settings are restored afterwards.

    A generator for the ``fast`` fixture of each job test file (``yield from short_transitions(aws)``).
    """
    before = aws._request("GET", "/_emulator/config")
    aws.configure(transition_delay=0.1, executor="local")
    yield aws
    aws.configure(transition_delay=before["transition_delay"], executor=before["executor"])


@pytest.fixture
def fast(aws):
    yield from short_transitions(aws)


def run_streaming(aws, plays, tmp_path, extra_args=(), timeout=300, playbook=None, inventory=None):
    """ansible-playbook with the default callback; returns (rc, [(seconds since start, line)])."""
    path = playbook
    if path is None:
        path = tmp_path / "streaming.yml"
        path.write_text(json.dumps(plays))
    env = {
        **os.environ,
        **aws.env(),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "PYTHONUNBUFFERED": "1",
    }
    hosts = ["-i", str(inventory)] if inventory else ["-i", "localhost,", "-c", "local"]
    cmd = [str(BIN / "ansible-playbook"), *hosts, str(path), *extra_args]
    start = time.monotonic()
    lines = []
    with subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        for line in process.stdout:
            lines.append((time.monotonic() - start, line.rstrip("\n")))
        rc = process.wait(timeout)
    return rc, lines


def first(lines, text):
    for seconds, line in lines:
        if text in line:
            return seconds
    raise AssertionError(f"{text!r} not in output:\n" + "\n".join(line for _seconds, line in lines))


# ---------------------------------------------------------------------------------------------- tests
def test_success_is_followed_live_and_returned(fast, tmp_path):
    stack = make_stack(fast)
    plays = play(
        job_task(
            "Run the job",
            {
                "name": "live",
                "job_queue": stack["queue"],
                "job_definition": stack["jd"],
                "command": ["sh", "-c", "echo first line; sleep 3; echo second line"],
                "secret_environment": {"API_TOKEN": "hunter2-do-not-print"},
            },
            register="run",
        ),
        {
            "name": "Show the result",
            "ansible.builtin.debug": {
                "msg": "RESULT {{ run.job.status }} {{ run.job.exit_code }} rev {{ run.job.job_definition_revision }} "
                "{{ run.job.log_lines | join('|') }}"
            },
        },
    )
    rc, lines = run_streaming(fast, plays, tmp_path, extra_args=["-v"])
    output = "\n".join(line for _seconds, line in lines)
    assert rc == 0, output
    shown_first = first(lines, "| first line")
    shown_second = first(lines, "| second line")
    ended = first(lines, "): SUCCEEDED")
    # Live: the first line is on the terminal while the job still sleeps, seconds before it ends.
    assert ended - shown_first >= 1.5, output
    assert shown_first < shown_second <= ended
    assert first(lines, "submitted to t-jq with t-jd:1") <= first(lines, "RUNNING")
    assert "RESULT SUCCEEDED 0 rev 1 first line|second line" in output
    assert "hunter2-do-not-print" not in output


def test_failure_reports_exit_code_and_log_tail(fast, playbook):
    stack = make_stack(fast)
    failing = {
        "name": "exit-3",
        "job_queue": stack["queue"],
        "job_definition": stack["jd"],
        "command": ["sh", "-c", "echo preparing; echo giving up >&2; exit 3"],
    }
    result = playbook(
        play(
            job_task("Fail the task", failing, ignore_errors=True),
            job_task("Return the failure", dict(failing, fail_on_job_failure=False, log_lines=1)),
            job_task("Wait on the target", dict(failing, live_output=False), ignore_errors=True),
        )
    )
    failed = result.task("Fail the task")
    assert failed["failed"] is True
    assert failed["changed"] is True
    assert "FAILED: Essential container in task exited; exit code 3" in failed["msg"]
    assert failed["msg"].endswith("preparing\ngiving up")
    assert failed["job"]["exit_code"] == 3
    returned = result.task("Return the failure")
    assert not returned.get("failed")
    assert returned["job"]["status"] == "FAILED"
    assert returned["job"]["log_lines"] == ["giving up"]
    assert returned["job"]["log_group"] == "/aws/batch/job"
    assert returned["job"]["log_stream"].startswith("t-jd/default/")
    on_target = result.task("Wait on the target")  # live_output: false, the module waited by itself
    assert on_target["failed"] is True
    assert "exit code 3" in on_target["msg"]
    assert on_target["job"]["log_lines"] == ["preparing", "giving up"]


def test_retry_with_evaluate_on_exit(fast, playbook, tmp_path):
    stack = make_stack(fast)
    counter = tmp_path / "attempts"
    flaky = 'n=$(cat "$COUNTER" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$COUNTER"; echo attempt $n; [ $n -ge 2 ]'
    result = playbook(
        play(
            job_task(
                "Retried until it succeeds",
                {
                    "name": "flaky",
                    "job_queue": stack["queue"],
                    "job_definition": stack["jd"],
                    "command": ["sh", "-c", flaky],
                    "environment": {"COUNTER": str(counter)},
                    "retry_attempts": 3,
                    "evaluate_on_exit": [
                        {"on_exit_code": "3", "action": "EXIT"},
                        {"on_exit_code": "*", "action": "RETRY"},
                    ],
                },
            ),
            job_task(
                "Not retried on exit code 3",
                {
                    "name": "fatal",
                    "job_queue": stack["queue"],
                    "job_definition": stack["jd"],
                    "command": ["sh", "-c", "exit 3"],
                    "retry_attempts": 3,
                    "evaluate_on_exit": [
                        {"on_exit_code": "3", "action": "EXIT"},
                        {"on_exit_code": "*", "action": "RETRY"},
                    ],
                    "fail_on_job_failure": False,
                },
            ),
        )
    )
    assert result.rc == 0, result.stdout
    retried = result.task("Retried until it succeeds")["job"]
    assert retried["status"] == "SUCCEEDED"
    assert retried["attempts"] == 2
    assert [a["exit_code"] for a in retried["attempt_details"]] == [1, 0]
    # Each attempt with its own stream and its own lines; log_lines are the last attempt's (its log_stream).
    assert [a["log_lines"] for a in retried["attempt_details"]] == [["attempt 1"], ["attempt 2"]]
    assert len({a["log_stream"] for a in retried["attempt_details"]}) == 2
    assert retried["log_lines"] == ["attempt 2"]
    assert retried["log_stream"] == retried["attempt_details"][1]["log_stream"]
    fatal = result.task("Not retried on exit code 3")["job"]
    assert fatal["status"] == "FAILED"
    assert fatal["attempts"] == 1


def test_array_jobs_report_the_summary_and_the_failed_child(fast, playbook):
    stack = make_stack(fast)
    base = {"job_queue": stack["queue"], "job_definition": stack["jd"], "array_size": 4, "fail_on_job_failure": False}
    result = playbook(
        play(
            job_task(
                "One child fails",
                dict(
                    base,
                    name="array-fail",
                    command=[
                        "sh",
                        "-c",
                        'echo child $AWS_BATCH_JOB_ARRAY_INDEX; [ "$AWS_BATCH_JOB_ARRAY_INDEX" != 2 ]',
                    ],
                ),
            ),
            job_task(
                "Children one after the other",
                dict(base, name="array-seq", command=["sh", "-c", "sleep 0.2"], depends_on=[{"type": "SEQUENTIAL"}]),
            ),
        )
    )
    assert result.rc == 0, result.stdout
    failed = result.task("One child fails")["job"]
    assert failed["status"] == "FAILED"
    assert failed["array_size"] == 4
    assert failed["array_status_summary"]["FAILED"] == 1
    assert failed["array_status_summary"]["SUCCEEDED"] == 3
    child = failed["failed_children"][0]
    assert child["job_id"] == f"{failed['job_id']}:2"
    assert child["log_lines"] == ["child 2"]
    sequential = result.task("Children one after the other")["job"]
    assert sequential["status"] == "SUCCEEDED"
    batch = fast.client("batch")
    children = sorted(
        batch.describe_jobs(jobs=[f"{sequential['job_id']}:{i}" for i in range(4)])["jobs"],
        key=lambda j: j["arrayProperties"]["index"],
    )
    for earlier, later in zip(children, children[1:], strict=False):
        assert later["startedAt"] >= earlier["stoppedAt"]


def test_following_a_1000_child_array_job_costs_one_describe_per_poll(fast, playbook):
    fast.configure(executor="none")  # children "run" without processes: the size costs nothing here
    stack = make_stack(fast, max_vcpus=256)
    fast.reset_stats()
    result = playbook(
        play(
            job_task(
                "A thousand children",
                {"name": "fan-out", "job_queue": stack["queue"], "job_definition": stack["jd"], "array_size": 1000},
            )
        )
    )
    assert result.rc == 0, result.stdout
    job = result.task("A thousand children")["job"]
    assert job["status"] == "SUCCEEDED"
    assert job["array_status_summary"]["SUCCEEDED"] == 1000
    calls = fast.stats()["calls"]
    assert calls["batch:SubmitJob"] == 1
    assert calls["batch:DescribeJobs"] <= 15  # one per poll of the parent, never per child
    assert "batch:ListJobs" not in calls


def test_dependencies(fast, playbook):
    stack = make_stack(fast)
    base = {"job_queue": stack["queue"], "job_definition": stack["jd"]}
    result = playbook(
        play(
            job_task("First", dict(base, name="first", command=["sh", "-c", "sleep 1"], wait=False), register="first"),
            job_task(
                "Second waits for the first",
                dict(base, name="second", depends_on=[{"job_id": "{{ first.job.job_id }}"}]),
            ),
            job_task(
                "Array A",
                dict(base, name="array-a", array_size=2, command=["sh", "-c", "sleep 0.5"], wait=False),
                register="array_a",
            ),
            job_task(
                "Array B, child by child after A",
                dict(
                    base,
                    name="array-b",
                    array_size=2,
                    depends_on=[{"job_id": "{{ array_a.job.job_id }}", "type": "N_TO_N"}],
                ),
            ),
        )
    )
    assert result.rc == 0, result.stdout
    batch = fast.client("batch")
    first_id = result.task("First")["job"]["job_id"]
    second = result.task("Second waits for the first")["job"]
    assert second["depends_on"] == [{"job_id": first_id, "type": None}]
    first_job, second_job = batch.describe_jobs(jobs=[first_id, second["job_id"]])["jobs"]
    assert second_job["startedAt"] >= first_job["stoppedAt"]
    a_id = result.task("Array A")["job"]["job_id"]
    b_id = result.task("Array B, child by child after A")["job"]["job_id"]
    assert result.task("Array B, child by child after A")["job"]["status"] == "SUCCEEDED"
    for index in range(2):
        a_child, b_child = batch.describe_jobs(jobs=[f"{a_id}:{index}", f"{b_id}:{index}"])["jobs"]
        assert b_child["startedAt"] >= a_child["stoppedAt"]


def test_timeout_skip_if_active_cancel_and_terminate(fast, playbook):
    stack = make_stack(fast)
    base = {"job_queue": stack["queue"], "job_definition": stack["jd"]}
    result = playbook(
        play(
            job_task(
                "Give up waiting",
                dict(base, name="long", command=["sh", "-c", "echo started; sleep 60"], wait_timeout=3),
                register="long",
                ignore_errors=True,
            ),
            job_task("Skip while active", dict(base, name="long", skip_if_active=True)),
            job_task(
                "Queued behind the long job",
                dict(base, name="queued", depends_on=[{"job_id": "{{ long.job.job_id }}"}], wait=False),
                register="queued",
            ),
            job_task(
                "Cancel the queued job",
                {"state": "absent", "job_id": "{{ queued.job.job_id }}", "reason": "not needed"},
            ),
            job_task("Terminate the long job", {"state": "absent", "job_id": "{{ long.job.job_id }}"}),
            job_task("Terminate it again", {"state": "absent", "job_id": "{{ long.job.job_id }}"}),
        )
    )
    assert result.rc == 0, result.stdout
    timed_out = result.task("Give up waiting")
    assert timed_out["failed"] is True
    assert "Timed out after 3s" in timed_out["msg"] and "last status: RUNNING" in timed_out["msg"]
    assert timed_out["job"]["status"] == "RUNNING"
    assert timed_out["job"]["log_lines"] == ["started"]
    skipped = result.task("Skip while active")
    assert skipped["changed"] is False
    assert skipped["submitted"] is False
    assert skipped["job"]["job_id"] == timed_out["job"]["job_id"]
    cancelled = result.task("Cancel the queued job")
    assert cancelled["changed"] is True
    assert cancelled["job"]["stop_action"] == "cancelled"
    assert cancelled["job"]["status"] == "FAILED"
    assert cancelled["job"]["status_reason"] == "not needed"
    terminated = result.task("Terminate the long job")
    assert terminated["job"]["stop_action"] == "terminated"
    assert terminated["job"]["status"] == "FAILED"
    assert result.task("Terminate it again")["changed"] is False
    calls = fast.stats()["calls"]
    assert calls["batch:SubmitJob"] == 2  # long and queued; the skipped one was not submitted
    assert calls["batch:CancelJob"] == 1
    assert calls["batch:TerminateJob"] == 1


def test_check_mode_submits_nothing_and_resolves_the_definition(fast, playbook):
    stack = make_stack(fast, revisions=3)
    fast.reset_stats()
    result = playbook(
        play(
            job_task("Would submit", {"name": "nightly", "job_queue": stack["queue"], "job_definition": stack["jd"]}),
            job_task("Would stop nothing", {"state": "absent", "name": "nightly", "job_queue": stack["queue"]}),
        ),
        check=True,
    )
    assert result.rc == 0, result.stdout
    would = result.task("Would submit")
    assert would["changed"] is True
    assert would["job"]["job_definition"] == stack["jd_arn"]
    assert would["job"]["job_definition_revision"] == 3
    assert would["job"]["job_id"] is None
    assert would["request"]["jobDefinition"].endswith(":3")
    assert result.task("Would stop nothing")["changed"] is False
    stats = fast.stats()
    assert writes(stats) == {}
    assert stats["writes"] == 0


def test_bad_input_is_refused_before_any_call(fast, playbook):
    stack = make_stack(fast)
    fast.reset_stats()
    result = playbook(
        play(
            job_task(
                "Bad name",
                {"name": "-bad", "job_queue": stack["queue"], "job_definition": stack["jd"]},
                ignore_errors=True,
            ),
            job_task(
                "Reserved variable",
                {"name": "x", "job_queue": "q", "job_definition": "d", "environment": {"AWS_BATCH_X": "1"}},
                ignore_errors=True,
            ),
            job_task(
                "Unknown definition",
                {"name": "x", "job_queue": stack["queue"], "job_definition": "nope"},
                ignore_errors=True,
            ),
        )
    )
    assert "name: must be 1-128 letters" in result.task("Bad name")["msg"]
    assert "environment: names starting with AWS_BATCH are reserved" in result.task("Reserved variable")["msg"]
    assert "job_definition: no ACTIVE revision of job definition 'nope'" in result.task("Unknown definition")["msg"]
    stats = fast.stats()
    assert stats["writes"] == 0
    assert set(stats["calls"]) == {"batch:DescribeJobDefinitions"}  # only the unknown definition was looked up


def test_aws_cli_submits_by_names_alone(fast):
    """The seed's own command works without a revision: the latest ACTIVE revision runs."""
    stack = make_stack(fast, revisions=2)
    env = {**os.environ, **fast.env(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    completed = subprocess.run(
        [
            str(BIN / "aws"),
            "batch",
            "submit-job",
            "--job-name",
            "triggered-via-cli",
            "--job-definition",
            stack["jd"],
            "--job-queue",
            stack["queue"],
            "--output",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    job_id = json.loads(completed.stdout)["jobId"]
    job = fast.client("batch").describe_jobs(jobs=[job_id])["jobs"][0]
    assert job["jobName"] == "triggered-via-cli"
    assert job["jobDefinition"] == stack["jd_arn"]
    assert job["jobDefinition"].endswith(":2")
    assert job["jobQueue"] == stack["queue_arn"]
