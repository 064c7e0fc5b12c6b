"""A handle on one running emulator: its endpoint, boto3 clients and the /_emulator controls."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[3]
REGION = "eu-west-1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Emulator:
    """Talks to an emulator at ``url``; ``start()`` runs one as a child process."""

    def __init__(self, url, process=None, log_path=None):
        self.url = url.rstrip("/")
        self.process = process
        self.log_path = log_path

    @classmethod
    def start(cls, log_dir, extra_args=()):
        port = free_port()
        log_path = Path(log_dir) / f"emulator-{port}.log"
        log = open(log_path, "w")  # noqa: SIM115 - kept open for the child's lifetime
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port), *extra_args],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        emulator = cls(f"http://127.0.0.1:{port}", process, log_path)
        emulator.wait_ready()
        return emulator

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"emulator exited with {self.process.returncode}: {self.log_path.read_text()}")
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"emulator at {self.url} not ready after {timeout}s")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # --- controls -------------------------------------------------------------------------------
    def _request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else {}

    def stats(self):
        return self._request("GET", "/_emulator/stats")

    def reset_stats(self):
        return self._request("POST", "/_emulator/stats/reset")

    def reset(self):
        return self._request("POST", "/_emulator/reset")

    def configure(self, **controls):
        """Change latency_ms, throttle_rate, error_rate, seed, ... at runtime."""
        return self._request("POST", "/_emulator/config", controls)

    # --- clients and environment ----------------------------------------------------------------
    def env(self):
        """Environment for boto3, the AWS CLI and ansible-playbook to reach this emulator."""
        return {**DUMMY_CREDENTIALS, "AWS_ENDPOINT_URL": self.url, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
        )


def endpoint_from_environment():
    """ONDEMAND_TEST_ENDPOINT points the tests at an emulator that is already running (debugging)."""
    url = os.environ.get("ONDEMAND_TEST_ENDPOINT")
    return Emulator(url) if url else None
