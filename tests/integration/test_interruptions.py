"""A deploy stopped part-way (SIGTERM, as a CI cancel or a closed terminal sends it) is repaired by the next run.

ansible-playbook runs with the default strategy and output; when the header of the task named by a kill point
appears (plus a short delay, so that its module is likely mid-call), SIGTERM goes to the process group of
ansible-playbook: the controller, its workers and the module processes, all at once.

- Three deploys in a row are each killed at a later point (IAM, Batch, EventBridge), then a complete re-run
  converges to exactly the state a fault-free deploy makes.
- A deploy killed while it creates the compute environment, then destroyed, leaves nothing behind.
"""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.integration.test_faults import (
    INVENTORY,
    PLAYBOOKS,
    ROOT,
    SECRETS_WITH_VALUE,
    assert_same_state,
    failures,
    reference,
    snapshot,
    stack_playbook,
)

pytestmark = pytest.mark.slow

# (task header regex, seconds to wait after it appears before SIGTERM)
IAM_INSTANCE_PROFILE = (r"ondemand\.batch\.iam : Ensure the ECS instance profile", 0.5)
BATCH_COMPUTE_ENVIRONMENT = (r"ondemand\.batch\.batch : Ensure the compute environments", 1.5)
BATCH_JOB_QUEUE = (r"ondemand\.batch\.batch : Ensure the job queues", 1.5)
EVENTBRIDGE_SCHEDULE = (r"ondemand\.batch\.eventbridge : Ensure the schedules", 0.5)


def killed_deploy(emulator, tmp_path, kill_point, timeout=600):
    """Run playbooks/deploy.yml and SIGTERM it at ``kill_point``; return the task headers it printed."""
    pattern, delay = kill_point

    vars_file = tmp_path / "kill-vars.json"
    vars_file.write_text(
        json.dumps(
            {
                "stack_aws_endpoint_url": emulator.url,
                "stack_outputs_dir": str(tmp_path / "outputs"),
                "secrets_secrets": SECRETS_WITH_VALUE,
            }
        )
    )
    env = {
        **os.environ,
        **emulator.env(),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_FORCE_COLOR": "0",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            str(PLAYBOOKS / "deploy.yml"),
            "-i",
            str(INVENTORY),
            "-e",
            f"@{vars_file}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    headers, output = [], []
    killed = threading.Event()

    def kill_after(seconds):
        time.sleep(seconds)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            killed.set()

    # A run that hangs without printing is stopped too (the loop below only wakes up on output).
    watchdog = threading.Timer(timeout, lambda: process.poll() is None and os.killpg(process.pid, signal.SIGKILL))
    watchdog.start()
    try:
        for line in process.stdout:
            output.append(line)
            header = re.match(r"TASK \[(.*)\]", line)
            if header:
                headers.append(header.group(1))
                if not killed.is_set() and re.search(pattern, header.group(1)):
                    threading.Thread(target=kill_after, args=(delay,), daemon=True).start()
                    pattern = r"(?!)"  # only once
        process.wait(60)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        else:
            # Anything of that run still alive (a module process) would keep writing: make sure it is gone.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    assert killed.is_set(), (
        f"the kill point {kill_point[0]!r} was never reached (rc {process.returncode}); tasks: {headers}\n"
        + "".join(output[-40:])
    )
    assert process.returncode != 0, "the killed deploy reported success"
    return headers


def test_killed_deploys_then_rerun_converge(aws, tmp_path):
    expected = reference(aws, tmp_path)
    reached = []
    for i, point in enumerate((IAM_INSTANCE_PROFILE, BATCH_JOB_QUEUE, EVENTBRIDGE_SCHEDULE)):
        run_dir = tmp_path / f"killed-{i}"
        run_dir.mkdir()
        headers = killed_deploy(aws, run_dir, point)
        reached.append(len(headers))
    # Each run got further than the one before (a later kill point, after a re-run of what was done).
    assert reached == sorted(reached), reached

    rerun = stack_playbook(aws, "deploy", tmp_path / "rerun")
    assert rerun.rc == 0, failures(rerun)
    assert_same_state(expected["deployed"], snapshot(aws), "the stack after three interrupted deploys and a re-run")


def test_destroy_after_partial_deploy_leaves_nothing(aws, tmp_path):
    expected = reference(aws, tmp_path)
    killed_deploy(aws, tmp_path, BATCH_COMPUTE_ENVIRONMENT)
    partial = snapshot(aws)
    assert partial["iam_roles"] and partial["secrets"], "the killed deploy created nothing: the kill came too early"

    destroyed = stack_playbook(aws, "destroy", tmp_path)
    assert destroyed.rc == 0, failures(destroyed)
    assert_same_state(expected["empty"], snapshot(aws), "the account after destroying a partial deploy")
