"""destroy.yml: asks for confirmation, cleans up after a partial deploy, and is idempotent."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.support.emulator import ROOT
from tests.integration.support.playbook import run_playbook

pytestmark = pytest.mark.slow

INVENTORY = ROOT / "inventories" / "local"
DESTROY = ROOT / "playbooks" / "destroy.yml"

_spec = importlib.util.spec_from_file_location(
    "check_stack", ROOT / "extensions" / "molecule" / "default" / "files" / "check_stack.py"
)
check_stack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_stack)

AWS_DEFAULTS = {
    "region": "{{ stack_region }}",
    "endpoint_url": "{{ stack_aws_endpoint_url | default(omit) }}",
    "access_key": "{{ stack_aws_access_key | default(omit) }}",
    "secret_key": "{{ stack_aws_secret_key | default(omit) }}",
}


def fast_env():
    """The mitogen strategy (requirements-dev.txt), when installed: these runs are about the account, not the output."""
    try:
        import ansible_mitogen
    except ImportError:
        return {}
    strategies = os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy")
    return {"ANSIBLE_STRATEGY_PLUGINS": strategies, "ANSIBLE_STRATEGY": "mitogen_linear"}


def assert_ok(result):
    assert result.rc == 0 and result.failed == 0, f"{result}\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"


def test_destroy_without_confirmation_deletes_nothing(aws):
    # Not interactive (stdin is /dev/null): the prompt gets no answer and the play stops before any call.
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            str(DESTROY),
            "-i",
            str(INVENTORY),
            "-e",
            f"stack_aws_endpoint_url={aws.url}",
        ],
        cwd=ROOT,
        env={**os.environ, **aws.env(), "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
        stdin=subprocess.DEVNULL,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode != 0
    assert "Not confirmed, nothing was deleted" in completed.stdout + completed.stderr
    stats = aws.stats()
    assert stats["writes"] == 0 and stats["reads"] == 0, stats


def test_destroy_after_a_partial_deploy_leaves_nothing_and_is_idempotent(aws):
    variables = {"stack_aws_endpoint_url": aws.url}
    # A deploy that stopped after IAM and the secrets.
    partial = [
        {
            "name": "Partial deploy",
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {
                "group/amazon.aws.aws": AWS_DEFAULTS,
                "group/community.aws.aws": AWS_DEFAULTS,
                "group/ondemand.batch.batch": AWS_DEFAULTS,
            },
            "tasks": [
                {"name": "IAM", "ansible.builtin.import_role": {"name": "ondemand.batch.iam"}},
                {"name": "Secrets", "ansible.builtin.import_role": {"name": "ondemand.batch.secrets"}},
            ],
        }
    ]
    assert_ok(run_playbook(aws, partial, inventory=INVENTORY, extra_vars=variables, env=fast_env()))
    iam = aws.client("iam")
    assert iam.list_roles(PathPrefix=check_stack.IAM_PATH)["Roles"]

    first = run_playbook(aws, DESTROY, inventory=INVENTORY, extra_vars={**variables, "confirm": True}, env=fast_env())
    assert_ok(first)
    assert first.changed > 0
    checker = check_stack.Checker(aws.url)
    check_stack.check_absent(checker)
    assert not checker.failures, checker.failures

    aws.reset_stats()
    second = run_playbook(aws, DESTROY, inventory=INVENTORY, extra_vars={**variables, "confirm": True}, env=fast_env())
    assert_ok(second)
    assert second.changed == 0, json.dumps(second.stats)
    assert aws.stats()["writes"] == 0
