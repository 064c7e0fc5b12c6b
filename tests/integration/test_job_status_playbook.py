"""submit-job.yml with job_wait=false prints the command that shows the job later; that command (job-status.yml)
shows the job's attempts and logs and follows it live while it runs. One submit and one follow against the emulator."""

import os
import shlex
import subprocess
import sys
import time

import pytest

from tests.integration.test_job import ROOT, first, make_stack, short_transitions
from tests.integration.test_submit_job_playbook import PLAYBOOK, inventory

pytestmark = pytest.mark.slow

BIN = os.path.dirname(sys.executable)


@pytest.fixture
def fast(aws):
    yield from short_transitions(aws)


def stream(aws, cmd, on_line=lambda line: None):
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
    start, lines = time.monotonic(), []
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as p:
        for line in p.stdout:
            lines.append((time.monotonic() - start, line.rstrip("\n")))
            on_line(line)
        rc = p.wait(300)
    return rc, lines


def test_a_job_submitted_without_waiting_is_shown_and_followed_by_the_printed_command(fast, playbook, tmp_path):
    # The job runs until the test lets it end, once job-status has shown its first line: followed while it runs.
    release = tmp_path / "release"
    wait = f'echo starting; while [ ! -e "{release}" ]; do sleep 0.1; done; echo done'
    stack = make_stack(fast, command=["sh", "-c", wait])
    submitted = playbook(
        str(PLAYBOOK),
        inventory=inventory(tmp_path, stack),
        extra_vars={"job_wait": False, "job_name": "later", "job_vcpus": 0.5, "job_memory": 2048},
    )
    assert submitted.rc == 0, submitted.stdout + submitted.stderr
    job_id = submitted.task("Submit the job and follow it")["job"]["job_id"]
    said = submitted.task("Say how to follow the job later")["msg"]
    assert said[0].endswith(f"job id {job_id}")
    command = said[-1].strip()
    assert command.startswith("ansible-playbook ") and command.endswith(f"-e job_id={job_id}")
    assert "job-status.yml" in command
    assert submitted.task("Show the outcome").get("skipped")  # nothing to show: it was not followed

    resources = fast.client("batch").describe_jobs(jobs=[job_id])["jobs"][0]["container"]["resourceRequirements"]
    assert sorted((r["type"], r["value"]) for r in resources) == [("MEMORY", "2048"), ("VCPU", "0.5")]

    argv = shlex.split(command)
    rc, lines = stream(
        fast, [os.path.join(BIN, argv[0]), *argv[1:]], lambda line: "| starting" in line and release.touch()
    )
    output = "\n".join(line for _seconds, line in lines)
    assert rc == 0, output
    assert first(lines, f"job id {job_id} in t-jq") < first(lines, "| starting")
    assert first(lines, "| starting") < first(lines, "| done")  # "done" came after the test saw "starting": live
    assert first(lines, "| done") <= first(lines, "): SUCCEEDED (exit code 0")
    assert "Job later (" in output and "'  | done'" in output  # the outcome, with the attempt's lines


def test_job_status_runs_by_its_collection_name_and_asks_for_the_job_id(fast, playbook, tmp_path):
    """ondemand.batch.job_status (the FQCN alias); without job_id it says what to pass, before any AWS call."""
    result = playbook("ondemand.batch.job_status", inventory=inventory(tmp_path, {"jd": "x", "queue": "y"}))
    assert result.rc != 0
    assert "Give the job's id: -e job_id=<job id>" in result.stdout
    assert fast.stats()["calls"] == {}
