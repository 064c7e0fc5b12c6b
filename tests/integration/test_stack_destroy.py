"""destroy.yml: asks for confirmation, cleans up after a partial deploy (tagged leftovers included), is idempotent."""

import importlib.util
import json
import os
import subprocess
import sys
import uuid
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
STACK, TAG = check_stack.STACK, check_stack.TAG_KEY

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
    model_secrets = {s["Name"] for s in aws.client("secretsmanager").list_secrets()["SecretList"]}
    assert model_secrets

    # Left out of band (an older model, a deploy that failed half-way): tagged as members of this stack, not in the
    # inventory. And the same kinds of resources of another stack (same tag key, another value).
    leftovers = Leftovers(aws, STACK)
    others = Leftovers(aws, "other")
    assert leftovers.present() == dict.fromkeys(leftovers.names, True)
    assert others.present() == dict.fromkeys(others.names, True)

    # Check mode predicts the deletions and writes nothing.
    aws.reset_stats()
    check = run_playbook(
        aws, DESTROY, inventory=INVENTORY, extra_vars={**variables, "confirm": True}, check=True, env=fast_env()
    )
    assert_ok(check)
    assert check.changed > 0
    assert aws.stats()["writes"] == 0, write_calls(aws)
    assert leftovers.kinds() <= deleted(check), deleted(check)
    assert leftovers.present() == dict.fromkeys(leftovers.names, True)

    aws.reset_stats()
    first = run_playbook(aws, DESTROY, inventory=INVENTORY, extra_vars={**variables, "confirm": True}, env=fast_env())
    assert_ok(first)
    assert first.changed > 0
    assert deleted(first) == deleted(check)
    calls = write_calls(aws)
    # Exactly this stack's leftovers: the model's secrets and the leftover secret, the leftover schedule rule and
    # alert rule, topic and log group (the partial deploy created no log group, rule or topic of the model).
    assert {name: calls.get(name, 0) for name in LEFTOVER_DELETES} == {
        "secretsmanager:DeleteSecret": len(model_secrets) + 1,
        "events:DeleteRule": 2,
        "sns:DeleteTopic": 1,
        "logs:DeleteLogGroup": 1,
    }, calls
    assert leftovers.present() == dict.fromkeys(leftovers.names, False)
    assert others.present() == dict.fromkeys(others.names, True)
    checker = check_stack.Checker(aws.url)
    check_stack.check_absent(checker)
    assert not checker.failures, checker.failures

    aws.reset_stats()
    second = run_playbook(aws, DESTROY, inventory=INVENTORY, extra_vars={**variables, "confirm": True}, env=fast_env())
    assert_ok(second)
    assert second.changed == 0, json.dumps(second.stats)
    assert aws.stats()["writes"] == 0, write_calls(aws)
    assert others.present() == dict.fromkeys(others.names, True)


def deleted(result):
    """(kind, name) of every resource the destroy's plan summary shows deleted (or, in check mode, to delete)."""
    rows = result.task("Summarise the destroy")["summary"]["rows"]
    return {(row["kind"], row["name"]) for row in rows if row["action"] == "delete"}


LEFTOVER_DELETES = ("secretsmanager:DeleteSecret", "events:DeleteRule", "sns:DeleteTopic", "logs:DeleteLogGroup")


def write_calls(aws):
    calls = aws.stats()["calls"]
    reads = ("Describe", "List", "Get", "BatchGet", "Head", "Lookup")
    return {name: count for name, count in calls.items() if not name.split(":", 1)[1].startswith(reads)}


class Leftovers:
    """A secret, a schedule rule, an alert rule, an SNS topic and a log group tagged ondemand:stack=<stack>."""

    def __init__(self, aws, stack):
        suffix = uuid.uuid4().hex[:6]
        self.secrets, self.events = aws.client("secretsmanager"), aws.client("events")
        self.sns, self.logs = aws.client("sns"), aws.client("logs")
        self.secret = f"/{stack}/OLD_{suffix}"
        self.schedule, self.rule = f"{stack}-old-daily-{suffix}", f"{stack}-old-failed-{suffix}"
        self.topic, self.log_group = f"{stack}-old-alerts-{suffix}", f"/aws/batch/{stack}-old-{suffix}"
        self.names = (self.secret, self.schedule, self.rule, self.topic, self.log_group)
        tags = [{"Key": TAG, "Value": stack}]
        self.secrets.create_secret(Name=self.secret, SecretString="x", Tags=tags)
        self.events.put_rule(
            Name=self.schedule,
            ScheduleExpression="rate(1 day)",
            Tags=[*tags, {"Key": "ondemand:component", "Value": "schedule"}],
        )
        self.events.put_rule(Name=self.rule, EventPattern='{"source": ["aws.batch"]}', Tags=tags)
        self.sns.create_topic(Name=self.topic, Tags=tags)
        self.logs.create_log_group(logGroupName=self.log_group, tags={TAG: stack})

    def kinds(self):
        """The leftovers as the plan summary names them."""
        return {
            ("secret", self.secret),
            ("schedule", self.schedule),
            ("alert_rule", self.rule),
            ("alert_topic", self.topic),
            ("log_group", self.log_group),
        }

    def present(self):
        secret_filter = [{"Key": "name", "Values": [self.secret]}]
        return {
            self.secret: bool(self.secrets.list_secrets(Filters=secret_filter)["SecretList"]),
            self.schedule: bool(self.events.list_rules(NamePrefix=self.schedule)["Rules"]),
            self.rule: bool(self.events.list_rules(NamePrefix=self.rule)["Rules"]),
            self.topic: any(t["TopicArn"].endswith(f":{self.topic}") for t in self.sns.list_topics()["Topics"]),
            self.log_group: bool(self.logs.describe_log_groups(logGroupNamePrefix=self.log_group)["logGroups"]),
        }
