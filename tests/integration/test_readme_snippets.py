"""The README's shell snippets run as written in a fresh shell after `make setup`: no activated venv, no AWS
configuration, only PATH, HOME and the emulator's port (EMULATOR_PORT, which every make target reads; a literal
127.0.0.1:5000 becomes the scratch port). Blocks marked `<!-- not run: why -->` are skipped, nothing else."""

import os
import re
import subprocess

import pytest

from tests.integration.support.emulator import Emulator, free_port
from tests.integration.test_job import make_stack
from tests.unit.test_readme import ROOT, shell_blocks

pytestmark = pytest.mark.slow

RUNNABLE = [block for block in shell_blocks() if block.reason is None]
SKIPPED = [block for block in shell_blocks() if block.reason is not None]


def fresh_shell_env(port, emulator_dir):
    return {
        "HOME": os.environ.get("HOME", "/tmp"),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "EMULATOR_PORT": str(port),
        "EMULATOR_DIR": str(emulator_dir),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "False",
    }


def make(target, env):
    return subprocess.run(
        ["make", "--no-print-directory", target], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: f"{b.section}-{b.index}")
def test_readme_snippet_runs_as_written(block, tmp_path):
    port = free_port()
    env = fresh_shell_env(port, tmp_path)
    script = block.text.replace("127.0.0.1:5000", f"127.0.0.1:{port}")
    needs_stack = "make submit" in script or "make job" in script
    try:
        if needs_stack:  # what `make demo` deploys, reduced to the names the job needs (a full deploy takes minutes)
            started = make("emulator", env)
            assert started.returncode == 0, started.stdout + started.stderr
            make_stack(Emulator(f"http://127.0.0.1:{port}"), prefix="local-carbon")
        completed = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert completed.returncode == 0, f"{script}\n--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}"
        assert "command not found" not in completed.stderr
        if "job_wait=false" in script:  # the command it prints to follow the job works as printed, too
            hint = re.search(r"(make job [^\n']*JOB=[\w:-]+)", completed.stdout)
            assert hint, completed.stdout
            assert f"EMULATOR_PORT={port}" in hint.group(1)
            followed = subprocess.run(
                ["bash", "-c", hint.group(1)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
            assert followed.returncode == 0, followed.stdout + followed.stderr
            assert "SUCCEEDED" in followed.stdout
    finally:
        make("emulator-stop", env)


def test_only_marked_blocks_are_skipped_and_each_says_why():
    assert all(block.reason.strip() for block in SKIPPED)
    assert len(RUNNABLE) + len(SKIPPED) == len(shell_blocks())
