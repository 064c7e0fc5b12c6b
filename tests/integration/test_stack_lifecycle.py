"""The local stack's life cycle against a private emulator: check mode, deploy, idempotence, drift, prune, destroy.

One emulator and one deployed stack for the module (a full deploy is the expensive part); each test leaves the
stack as the inventory describes it, except the last, which destroys it.
"""

import importlib.util
import json
import os
import uuid

import pytest
import yaml

from tests.integration.support.emulator import ROOT, Emulator, endpoint_from_environment
from tests.integration.support.playbook import run_playbook

pytestmark = pytest.mark.slow

DEPLOY = ROOT / "playbooks" / "deploy.yml"
DESTROY = ROOT / "playbooks" / "destroy.yml"
INVENTORY = ROOT / "inventories" / "local"

_spec = importlib.util.spec_from_file_location(
    "check_stack", ROOT / "extensions" / "molecule" / "default" / "files" / "check_stack.py"
)
check_stack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_stack)
STACK, TAG = check_stack.STACK, check_stack.TAG_KEY


def fast_env():
    """The mitogen strategy (requirements-dev.txt) halves ansible-playbook's CPU time on the shared CI runner."""
    try:
        import ansible_mitogen
    except ImportError:
        return {}
    strategies = os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy")
    return {"ANSIBLE_STRATEGY_PLUGINS": strategies, "ANSIBLE_STRATEGY": "mitogen_linear"}


class Stack:
    """Runs the stack's playbooks against one emulator, with the emulator's endpoint and a private outputs dir."""

    def __init__(self, emulator, outputs_dir):
        self.emulator = emulator
        self.outputs_dir = outputs_dir

    def run(self, playbook, extra_vars=None, fast=True, **options):
        variables = {"stack_aws_endpoint_url": self.emulator.url, "stack_outputs_dir": str(self.outputs_dir)}
        variables.update(extra_vars or {})
        env = {**(fast_env() if fast else {}), **options.pop("env", {})}
        result = run_playbook(self.emulator, playbook, inventory=INVENTORY, extra_vars=variables, env=env, **options)
        return result

    def deploy(self, **options):
        return self.run(DEPLOY, **options)

    def destroy(self, **options):
        extra_vars = {"confirm": True, **options.pop("extra_vars", {})}
        return self.run(DESTROY, extra_vars=extra_vars, **options)

    def writes(self):
        return self.emulator.stats()["writes"]

    def write_calls(self):
        calls = self.emulator.stats()["calls"]
        return {name: count for name, count in calls.items() if not check_stack_is_read(name)}

    def check(self, mode, **options):
        checker = check_stack.Checker(self.emulator.url)
        if mode == "present":
            check_stack.check_present(checker, **options)
        else:
            check_stack.check_absent(checker)
        assert not checker.failures, checker.failures
        return checker


def check_stack_is_read(call):
    return call.split(":", 1)[1].startswith(("Describe", "List", "Get", "BatchGet", "Head", "Lookup"))


def assert_ok(result):
    assert result.rc == 0 and result.failed == 0, f"{result}\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"


def stack_on_a_clean_emulator(tmp_path_factory, name):
    """A Stack on an emulator of its own (or ONDEMAND_TEST_ENDPOINT's), reset, without faults; a fixture body."""
    external = endpoint_from_environment()
    emulator = external or Emulator.start(tmp_path_factory.mktemp(f"{name}-emulator"))
    try:
        emulator.reset()
        emulator.configure(latency_ms=0, throttle_rate=0.0, error_rate=0.0)
        yield Stack(emulator, tmp_path_factory.mktemp("outputs"))
    finally:
        if external is None:
            emulator.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from stack_on_a_clean_emulator(tmp_path_factory, "stack")


@pytest.fixture(scope="module")
def deployed(stack):
    """Check mode on the empty account, then the real deploy: both results, with their write counts."""
    stack.emulator.reset_stats()
    check = stack.deploy(check=True, diff=True)
    check_writes = stack.writes()
    stack.emulator.reset_stats()
    deploy = stack.deploy()
    assert_ok(check)
    assert_ok(deploy)
    return {"check": check, "check_writes": check_writes, "deploy": deploy}


SUMMARY = "Summarise the deploy and write the outputs"
PLAN = "Compile the stack plan (every rule checked, what exists read; nothing written)"


def rows(result, task=SUMMARY):
    """The plan summary of a run: (kind, name, action, changed fields), sorted."""
    return sorted(
        (r["kind"], r["name"], r["action"], tuple(sorted(r["changed_fields"])))
        for r in result.task(task)["summary"]["rows"]
    )


def ran_tasks(result, host="localhost"):
    """Names of the tasks that ran on ``host`` (not skipped), role argument checks left out."""
    names = []
    for task in result.tasks():
        outcome = task["hosts"].get(host, {})
        name = task["task"]["name"].split(" : ", 1)[-1]
        if outcome and not outcome.get("skipped") and not name.startswith("Validating arguments"):
            names.append(name)
    return names


def changes(result, task=SUMMARY):
    return {(kind, name): (action, fields) for kind, name, action, fields in rows(result, task) if action != "none"}


def test_check_mode_on_an_empty_account_writes_nothing_and_predicts_the_deploy(deployed):
    check, deploy = deployed["check"], deployed["deploy"]
    assert deployed["check_writes"] == 0
    # Every resource the real deploy made was predicted, one for one, with its action.
    assert [r[:3] for r in rows(check)] == [r[:3] for r in rows(deploy)]
    assert {action for _kind, _name, action, _fields in rows(deploy)} == {"create"}
    # 3 roles, profile, 3 inline policies, secret, log group, CE, JQ, JD, 2 rules, topic
    assert len(rows(deploy)) == 15


def test_deploy_builds_the_stack_the_inventory_describes(stack, deployed):
    outputs = stack.outputs_dir / "local.json"
    assert json.loads(outputs.read_text())["stack"]["name"] == STACK
    stack.check("present", outputs=str(outputs), job=True)


def test_a_second_deploy_changes_nothing_and_keeps_a_secret_value_set_out_of_band(stack, deployed):
    secrets = stack.emulator.client("secretsmanager")
    value = f"set-out-of-band-{uuid.uuid4().hex}"
    secrets.put_secret_value(SecretId=check_stack.SECRET_NAME, SecretString=value)
    stack.emulator.reset_stats()
    result = stack.deploy()
    assert_ok(result)
    assert result.changed == 0, result.changed_task_names()
    assert stack.writes() == 0, stack.write_calls()
    assert changes(result) == {}
    # The plan found every resource as it wants it (the list modules' own check, run in the plan): no module ran.
    assert ran_tasks(result) == [PLAN, SUMMARY]
    assert secrets.get_secret_value(SecretId=check_stack.SECRET_NAME)["SecretString"] == value
    assert value not in result.stdout + result.stderr


def test_drift_is_predicted_in_check_mode_and_repaired_exactly(stack, deployed):
    batch, logs, iam = stack.emulator.client("batch"), stack.emulator.client("logs"), stack.emulator.client("iam")
    # Out of band: a shorter log retention, another queue priority, and an EventBridge role allowed everything.
    logs.put_retention_policy(logGroupName=check_stack.LOG_GROUP, retentionInDays=1)
    batch.update_job_queue(jobQueue=check_stack.JQ, priority=50)
    iam.put_role_policy(
        RoleName=f"{STACK}-events",
        PolicyName="submit-stack-jobs",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Sid": "SubmitStackJobs", "Effect": "Allow", "Action": "batch:*", "Resource": "*"}],
            }
        ),
    )
    expected = {
        ("log_group", check_stack.LOG_GROUP): ("update", ("retention",)),
        ("job_queue", check_stack.JQ): ("update", ("priority",)),
        ("iam_policy", f"{STACK}-events/submit-stack-jobs"): ("update", ("policy",)),
    }

    stack.emulator.reset_stats()
    check = stack.deploy(check=True, diff=True)
    assert_ok(check)
    assert stack.writes() == 0, stack.write_calls()
    assert changes(check) == expected

    stack.emulator.reset_stats()
    repair = stack.deploy()
    assert_ok(repair)
    assert changes(repair) == expected
    assert stack.write_calls() == {"logs:PutRetentionPolicy": 1, "batch:UpdateJobQueue": 1, "iam:PutRolePolicy": 1}
    stack.check("present", job=False)


def inventory_vars(name):
    return yaml.safe_load((INVENTORY / "group_vars" / "all" / f"{name}.yml").read_text())


def plan_of(result):
    return result.task(PLAN)["stack_plan"]


def test_prune_lists_then_removes_only_this_stacks_tagged_leftovers(stack, deployed):
    batch, iam = stack.emulator.client("batch"), stack.emulator.client("iam")
    secrets, events = stack.emulator.client("secretsmanager"), stack.emulator.client("events")
    sns, logs = stack.emulator.client("sns"), stack.emulator.client("logs")
    suffix = uuid.uuid4().hex[:6]
    old_secret = f"/{STACK}/OLD_{suffix}"
    old_schedule = f"{STACK}-old-daily-{suffix}"
    old_rule, old_topic = f"{STACK}-old-failed-{suffix}", f"{STACK}-old-alerts-{suffix}"
    old_log_group = f"{check_stack.LOG_GROUP}-old-{suffix}"

    # An older model, deployed by the roles: one more secret and schedule, the alerts under other names.
    schedules = inventory_vars("eventbridge")["eventbridge_schedules"]
    older = {
        "secrets_secrets": inventory_vars("secrets")["secrets_secrets"] + [{"name": f"OLD_{suffix}"}],
        "eventbridge_schedules": schedules + [{**schedules[0], "name": f"old-daily-{suffix}"}],
        "eventbridge_alerts_topic_name": old_topic,
        "eventbridge_alerts_rule_name": old_rule,
    }
    assert_ok(stack.deploy(extra_vars=older))

    container = {
        "image": "busybox",
        "command": ["true"],
        "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "128"}],
    }
    # Left over from an older model: tagged as members of this stack, no longer in the inventory.
    batch.register_job_definition(
        jobDefinitionName=f"{STACK}-old-{suffix}", type="container", containerProperties=container, tags={TAG: STACK}
    )
    batch.create_scheduling_policy(name=f"{STACK}-old-{suffix}", tags={TAG: STACK})
    iam.create_role(
        RoleName=f"{STACK}-job-old-{suffix}",
        Path=check_stack.IAM_PATH,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        Tags=[{"Key": TAG, "Value": STACK}],
    )
    logs.create_log_group(logGroupName=old_log_group, tags={TAG: STACK})
    # Not this stack's: untagged, or another stack's (same tag key, another value). Prune must never touch them.
    batch.register_job_definition(
        jobDefinitionName=f"{STACK}-manual-{suffix}", type="container", containerProperties=container
    )
    batch.register_job_definition(
        jobDefinitionName=f"other-{suffix}", type="container", containerProperties=container, tags={TAG: "other"}
    )
    other_tags = [{"Key": TAG, "Value": "other"}]
    other_secret = secrets.create_secret(Name=f"/other/OLD_{suffix}", SecretString="x", Tags=other_tags)["ARN"]
    events.put_rule(
        Name=f"other-{suffix}",
        ScheduleExpression="rate(1 day)",
        Tags=[*other_tags, {"Key": "ondemand:component", "Value": "schedule"}],
    )
    events.put_rule(Name=f"other-failed-{suffix}", EventPattern='{"source": ["aws.batch"]}', Tags=other_tags)
    other_topic = sns.create_topic(Name=f"other-{suffix}", Tags=other_tags)["TopicArn"]
    logs.create_log_group(logGroupName=f"/aws/batch/other-{suffix}", tags={TAG: "other"})

    def present():
        return {
            old_secret: bool(secrets.list_secrets(Filters=[{"Key": "name", "Values": [old_secret]}])["SecretList"]),
            old_schedule: bool(events.list_rules(NamePrefix=old_schedule)["Rules"]),
            old_rule: bool(events.list_rules(NamePrefix=old_rule)["Rules"]),
            old_topic: any(t["TopicArn"].endswith(f":{old_topic}") for t in sns.list_topics()["Topics"]),
            old_log_group: bool(logs.describe_log_groups(logGroupNamePrefix=old_log_group)["logGroups"]),
        }

    assert present() == dict.fromkeys(present(), True)

    # The inventory's model again, without prune: everything above is listed, nothing is deleted. The only write
    # is the execution role's secret policy, which no longer names the dropped secret.
    stack.emulator.reset_stats()
    listed = stack.deploy()
    assert_ok(listed)
    assert stack.write_calls() == {"iam:PutRolePolicy": 1}, stack.write_calls()
    assert changes(listed) == {("iam_policy", f"{STACK}-job-execution/read-stack-secrets"): ("update", ("policy",))}
    orphans = plan_of(listed)["orphans"]
    expected_orphans = {
        "secret": [old_secret],
        "schedule": [old_schedule],
        "alert_rule": [old_rule],
        "alert_topic": [old_topic],
        "log_group": [old_log_group],
        "job_definition": [f"{STACK}-old-{suffix}"],
        "scheduling_policy": [f"{STACK}-old-{suffix}"],
        "iam_role": [f"{STACK}-job-old-{suffix}"],
        "compute_environment": [],
        "job_queue": [],
        "image_repository": [],
    }
    assert orphans == expected_orphans, orphans
    warning = " ".join(plan_of(listed)["warnings"])
    assert "deploy with -e prune=true to remove" in warning
    for name in (f"other-{suffix}", f"other-failed-{suffix}", f"/other/OLD_{suffix}", f"{STACK}-manual-{suffix}"):
        assert name not in warning, (name, warning)
    assert present() == dict.fromkeys(present(), True)
    removals = {(kind, name): ("delete", ()) for kind, names in expected_orphans.items() for name in names}

    # Check mode with prune: predicts every removal, writes nothing.
    stack.emulator.reset_stats()
    check = stack.deploy(check=True, extra_vars={"prune": True})
    assert_ok(check)
    assert stack.writes() == 0, stack.write_calls()
    assert changes(check) == removals
    assert present() == dict.fromkeys(present(), True)

    stack.emulator.reset_stats()
    pruned = stack.deploy(extra_vars={"prune": True})
    assert_ok(pruned)
    assert changes(pruned) == removals
    assert stack.write_calls() == {
        "batch:DeregisterJobDefinition": 1,
        "batch:DeleteSchedulingPolicy": 1,
        "iam:DeleteRole": 1,
        "secretsmanager:DeleteSecret": 1,
        # The old schedule and the old alert rule: their one target, then the rule.
        "events:RemoveTargets": 2,
        "events:DeleteRule": 2,
        "sns:DeleteTopic": 1,
        "logs:DeleteLogGroup": 1,
    }, stack.write_calls()
    assert present() == dict.fromkeys(present(), False)
    active = {d["jobDefinitionName"] for d in batch.describe_job_definitions(status="ACTIVE")["jobDefinitions"]}
    assert f"{STACK}-old-{suffix}" not in active
    assert {f"{STACK}-manual-{suffix}", f"other-{suffix}", check_stack.JD} <= active
    assert secrets.describe_secret(SecretId=other_secret)["Name"] == f"/other/OLD_{suffix}"
    assert {r["Name"] for r in events.list_rules(NamePrefix="other-")["Rules"]} == {
        f"other-{suffix}",
        f"other-failed-{suffix}",
    }
    assert sns.get_topic_attributes(TopicArn=other_topic)["Attributes"]["TopicArn"] == other_topic
    assert logs.describe_log_groups(logGroupNamePrefix=f"/aws/batch/other-{suffix}")["logGroups"]
    stack.check("present", job=False)

    # Nothing is left to prune.
    stack.emulator.reset_stats()
    again = stack.deploy(extra_vars={"prune": True})
    assert_ok(again)
    assert again.changed == 0, again.changed_task_names()
    assert stack.writes() == 0, stack.write_calls()

    for name in (f"{STACK}-manual-{suffix}", f"other-{suffix}"):
        batch.deregister_job_definition(jobDefinition=f"{name}:1")
    secrets.delete_secret(SecretId=other_secret, ForceDeleteWithoutRecovery=True)
    events.delete_rule(Name=f"other-{suffix}")
    events.delete_rule(Name=f"other-failed-{suffix}")
    sns.delete_topic(TopicArn=other_topic)
    logs.delete_log_group(logGroupName=f"/aws/batch/other-{suffix}")


def test_destroy_removes_everything_and_a_second_destroy_changes_nothing(stack, deployed):
    stack.emulator.reset_stats()
    first = stack.destroy()
    assert_ok(first)
    assert first.changed > 0
    removed = changes(first, "Summarise the destroy")
    assert {action for action, _fields in removed.values()} == {"delete"}
    assert ("compute_environment", check_stack.CE) in removed and ("secret", check_stack.SECRET_NAME) in removed
    stack.check("absent")

    stack.emulator.reset_stats()
    second = stack.destroy()
    assert_ok(second)
    assert second.changed == 0, second.changed_task_names()
    assert stack.writes() == 0, stack.write_calls()
