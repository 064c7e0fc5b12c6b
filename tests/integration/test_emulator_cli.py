"""The emulator from the outside: the real AWS CLI against it (issue 3's "done when") and its daemon mode."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import boto3

from emulator.testing import BatchWorld
from tests.integration.support.emulator import ROOT, free_port

AWS_CLI = str(Path(sys.executable).parent / "aws")
ORDER = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]


class Cli:
    def __init__(self, aws):
        self.env = {**os.environ, **aws.env()}
        self.calls = Counter()
        self.durations = []

    def __call__(self, service, command, *args, check=True):
        operation = "".join(part.capitalize() for part in command.split("-"))
        self.calls[f"{service}:{operation}"] += 1
        started = time.monotonic()
        completed = subprocess.run(
            [AWS_CLI, service, command, *args, "--output", "json"],
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.durations.append(time.monotonic() - started)
        if check:
            assert completed.returncode == 0, completed.stderr
            return json.loads(completed.stdout) if completed.stdout.strip() else {}
        return completed

    @property
    def average(self):
        return sum(self.durations) / len(self.durations)

    def wait(self, kind, name, timeout=60):
        """describe-<kind> until the resource is VALID (CREATING is what it says first)."""
        key = "computeEnvironments" if kind == "compute-environments" else "jobQueues"
        deadline = time.monotonic() + timeout
        while True:
            found = self("batch", f"describe-{kind}", f"--{kind}", name)[key][0]
            if found["status"] == "VALID":
                return found
            assert found["status"] == "CREATING" and time.monotonic() < deadline, found


def test_done_when_with_the_aws_cli(aws):
    """CE without service role, queue without state, echo job through every state, logs, refused delete, stats."""
    aws.configure(transition_delay=0.05)
    try:
        world = BatchWorld(aws)
        aws.reset_stats()
        cli = Cli(aws)
        resources = json.dumps(world.fargate_resources())
        created = cli(
            "batch",
            "create-compute-environment",
            "--compute-environment-name",
            "demo-ce",
            "--type",
            "MANAGED",
            "--compute-resources",
            resources,
        )
        assert created["computeEnvironmentName"] == "demo-ce"
        ce = cli.wait("compute-environments", "demo-ce")
        cli(
            "batch",
            "create-job-queue",
            "--job-queue-name",
            "demo-q",
            "--priority",
            "1",
            "--compute-environment-order",
            "order=1,computeEnvironment=demo-ce",
        )
        queue = cli.wait("job-queues", "demo-q")
        container = {
            "image": "public.ecr.aws/docker/library/busybox:latest",
            "command": ["echo", "hello", "world"],
            "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}],
        }
        cli(
            "batch",
            "register-job-definition",
            "--job-definition-name",
            "demo-jd",
            "--type",
            "container",
            "--platform-capabilities",
            "FARGATE",
            "--container-properties",
            json.dumps(container),
        )
        # Each state lasts longer than a CLI call, so polling with the CLI sees (nearly) every one of them.
        aws.configure(transition_delay=round(max(0.8, 1.5 * cli.average), 2))
        job_id = cli(
            "batch", "submit-job", "--job-name", "demo", "--job-queue", "demo-q", "--job-definition", "demo-jd"
        )["jobId"]
        seen = []
        deadline = time.monotonic() + 60
        while not seen or seen[-1] not in ("SUCCEEDED", "FAILED"):
            assert time.monotonic() < deadline, seen
            job = cli("batch", "describe-jobs", "--jobs", job_id)["jobs"][0]
            if not seen or seen[-1] != job["status"]:
                seen.append(job["status"])
        assert seen[-1] == "SUCCEEDED", job
        assert seen == [status for status in ORDER if status in seen], seen  # AWS's order, nothing skipped back
        assert len(seen) >= 4, (seen, cli.average)

        assert ce["serviceRole"].endswith(":role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch")
        assert queue["state"] == "ENABLED"

        stream = job["container"]["logStreamName"]
        events = cli("logs", "get-log-events", "--log-group-name", "/aws/batch/job", "--log-stream-name", stream)
        assert [event["message"] for event in events["events"]] == ["hello world"]

        refused = cli("batch", "delete-compute-environment", "--compute-environment", "demo-ce", check=False)
        assert refused.returncode != 0
        assert "ClientException" in refused.stderr

        stats = aws.stats()
        assert stats["calls"] == dict(cli.calls)
        assert stats["writes"] == 5  # create CE, create queue, register, submit, the refused delete
        assert stats["reads"] == sum(cli.calls.values()) - 5
        assert stats["by_service"]["logs"] == {"reads": 1, "writes": 0}
    finally:
        aws.configure(transition_delay=0.5)


# --- --daemon -----------------------------------------------------------------------------------------
def run_emulator(*args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} still alive"
        time.sleep(0.05)


def test_daemon_mode(tmp_path):
    port = free_port()
    pidfile = tmp_path / "run" / f"emulator-{port}.pid"
    log = tmp_path / "emulator.log"
    args = ["--host", "127.0.0.1", "--port", str(port), "--daemon", "--pidfile", str(pidfile), "--log-file", str(log)]
    controls = ["--latency-ms", "5", "--throttle-rate", "0.1", "--error-rate", "0.05", "--seed", "3"]
    batch = ["--transition-delay", "0.05", "--executor", "none", "--capacity", "unlimited"]
    batch += ["--time-limit-scale", "0.01", "--insufficient-capacity", "m5,c4.large", "--iam-propagation-delay", "2.5"]
    started = run_emulator(*args, *controls, *batch)
    assert started.returncode == 0, started.stderr
    url = f"http://127.0.0.1:{port}"
    assert url in started.stdout
    pid = int(pidfile.read_text())
    try:
        assert alive(pid)
        with urllib.request.urlopen(url + "/_emulator/config", timeout=5) as response:
            assert json.loads(response.read()) == {
                "latency_ms": 5,
                "throttle_rate": 0.1,
                "error_rate": 0.05,
                "seed": 3,
                "transition_delay": 0.05,
                "executor": "none",
                "capacity": "unlimited",
                "time_limit_scale": 0.01,
                "insufficient_capacity": ["c4.large", "m5"],
                "iam_propagation_delay": 2.5,
            }
        reset = urllib.request.Request(
            url + "/_emulator/config",
            data=json.dumps({"latency_ms": 0, "throttle_rate": 0, "error_rate": 0, "executor": "local"}).encode(),
            method="POST",
        )
        urllib.request.urlopen(reset, timeout=5).close()

        again = run_emulator(*args)
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stdout
        assert int(pidfile.read_text()) == pid

        # A job process of the emulator must not outlive it.
        client = BatchWorld(_Endpoint(url))
        client.fargate_queue("queue")
        marker = tmp_path / "job.pid"
        definition = client.job_definition("sleeper", ["sh", "-c", f"echo $$ > {marker}; exec sleep 60"])
        client.wait_job(client.submit("sleeper", definition), "RUNNING")
        deadline = time.monotonic() + 10
        while not marker.exists() or not marker.read_text().strip():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        job_pid = int(marker.read_text())
        assert alive(job_pid)

        os.kill(pid, signal.SIGTERM)
        wait_gone(pid)
        wait_gone(job_pid)
        assert not pidfile.exists()
        assert "stopped" in log.read_text()
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_taken_port_is_a_clear_error(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        daemon = run_emulator(
            "--port", str(port), "--daemon", "--pidfile", str(tmp_path / "e.pid"), "--log-file", str(tmp_path / "e.log")
        )
        assert daemon.returncode != 0
        assert f"port {port}" in daemon.stderr and "in use" in daemon.stderr
        assert not (tmp_path / "e.pid").exists()
        foreground = run_emulator("--port", str(port))
        assert foreground.returncode != 0
        assert f"port {port}" in foreground.stderr and "in use" in foreground.stderr


def test_invalid_options_are_refused():
    for args in (["--throttle-rate", "2"], ["--executor", "docker"], ["--daemon"]):
        completed = run_emulator("--port", "1", *args)
        assert completed.returncode != 0, args
        assert completed.stderr.strip(), args


class _Endpoint:
    """The ``client(service)`` part of the aws fixture, for an emulator started outside of it."""

    def __init__(self, url):
        self.url = url

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
