"""The Makefile's knobs, read from `make -n` (nothing runs): EMULATOR_PORT/EMULATOR_HOST reach every playbook
that talks to inventories/local, the hints repeat them, and each step of `make demo` runs once."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL_TARGETS = ["deploy", "destroy", "submit", "demo"]


def make(*args, check=True):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "EMULATOR_PORT")}
    completed = subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if check:
        assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def playbook_lines(output):
    """The ansible-playbook command lines of a dry run (continuation lines joined)."""
    joined = output.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("ansible-playbook ")]


@pytest.mark.parametrize("target", [*LOCAL_TARGETS, "job"])
def test_the_local_endpoint_follows_emulator_port_and_host(target):
    extra = ["JOB=abc"] if target == "job" else []
    lines = playbook_lines(make("-n", target, "EMULATOR_PORT=5101", "EMULATOR_HOST=127.0.0.2", *extra).stdout)
    assert lines, target
    for line in lines:
        assert "-i inventories/local" in line
        assert "-e stack_aws_endpoint_url=http://127.0.0.2:5101" in line


def test_the_default_endpoint_is_passed_too():
    """Passing it always keeps the Makefile the one place that decides (the inventory default is not relied on)."""
    (line,) = playbook_lines(make("-n", "submit").stdout)
    assert "-e stack_aws_endpoint_url=http://127.0.0.1:5000" in line


def test_a_wildcard_bind_is_reached_on_the_loopback_address():
    (line,) = playbook_lines(make("-n", "deploy", "EMULATOR_HOST=0.0.0.0").stdout)
    assert "-e stack_aws_endpoint_url=http://127.0.0.1:5000" in line


def test_user_arguments_come_after_the_endpoint_and_win():
    (line,) = playbook_lines(make("-n", "deploy", "DEPLOY_ARGS=-e stack_aws_endpoint_url=http://elsewhere:1").stdout)
    assert line.index("http://127.0.0.1:5000") < line.index("http://elsewhere:1")


@pytest.mark.parametrize("target", ["deploy", "destroy", "submit"])
def test_other_inventories_get_no_endpoint_and_no_emulator(target):
    output = make("-n", target, "ENV=dev", "EMULATOR_PORT=5101").stdout
    assert "stack_aws_endpoint_url" not in output
    assert "-m emulator" not in output
    assert all("-i inventories/dev" in line for line in playbook_lines(output))


def test_the_demo_runs_each_step_once_with_one_banner_each():
    output = make("-n", "demo", "EMULATOR_PORT=5101").stdout
    assert output.count("Toolchain ready") == 1
    banners = re.findall(r'"(Local AWS emulator on [^"]+|Deploying inventories[^"]+|Submitting [^"]+)"', output)
    assert banners == [
        "Local AWS emulator on http://127.0.0.1:5101",
        "Deploying inventories/local",
        "Submitting the default job of inventories/local",
    ]
    assert "$(MAKE)" not in output and "make --no-print-directory" not in output  # no recursive make
    assert [line.split()[1] for line in playbook_lines(output)] == ["playbooks/deploy.yml", "playbooks/submit-job.yml"]


def test_the_demo_hints_repeat_the_port():
    output = make("-n", "demo", "EMULATOR_PORT=5101").stdout
    for hint in (
        "make submit EMULATOR_PORT=5101",
        "make destroy EMULATOR_PORT=5101",
        "make emulator-stop EMULATOR_PORT=5101",
    ):
        assert hint in output
    assert "EMULATOR_PORT=" not in make("-n", "demo").stdout.split("What now", 1)[1]


def test_submit_tells_the_playbook_how_to_follow_a_job_later():
    (line,) = playbook_lines(make("-n", "submit", "EMULATOR_PORT=5101").stdout)
    assert """-e '{"job_status_command": "make job EMULATOR_PORT=5101"}'""" in line
    (line,) = playbook_lines(make("-n", "submit", "ENV=dev").stdout)
    assert """-e '{"job_status_command": "make job ENV=dev"}'""" in line


def test_job_needs_a_job_id():
    completed = make("job", check=False)
    assert completed.returncode != 0
    assert "make job JOB=<job id>" in completed.stderr


def test_the_demo_is_the_local_inventory_only():
    completed = make("-n", "demo", "ENV=dev", check=False)
    assert completed.returncode != 0
    assert "make demo deploys inventories/local only" in completed.stderr


def test_clean_stops_every_emulator_of_the_checkout_before_removing_its_pidfiles():
    output = make("-n", "clean").stdout
    assert output.index("emulator-*.pid") < output.index("rm -rf")


@pytest.mark.parametrize(
    ("args", "confirmed"),
    [
        (["ENV=dev"], False),  # asks for the stack name
        (["ENV=staging"], False),
        ([], True),  # the local emulator's stack: no prompt
        (["ENV=dev", "CONFIRM=true"], True),  # automation
        (["CONFIRM=false"], False),
    ],
)
def test_destroy_asks_for_the_stack_name_except_for_local_or_with_confirm(args, confirmed):
    (line,) = playbook_lines(make("-n", "destroy", *args).stdout)
    assert ("-e confirm=true" in line) is confirmed, line
