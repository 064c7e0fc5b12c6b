"""Deploy, submit-job and destroy succeed against an emulator that throttles and fails requests.

The emulator answers 30 % of the API requests with a throttling error and 5 % with a 500/503, drawn from a
seeded generator. The stack deployed under those faults must equal, field by field, the stack a fault-free
deploy makes (ARNs' random parts, IDs and timestamps aside); the job must succeed; the destroy must leave the
account as empty as it found it.

This module also holds the helpers the other proof suites (test_interruptions, test_drift, test_security_audit,
test_bad_input_catalog) import: the stack's playbooks run against the emulator, and a normalised snapshot of
everything in the emulated account.
"""

import difflib
import json
import os
import re
from pathlib import Path

import pytest

from tests.integration.support.playbook import run_playbook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "inventories" / "local"
PLAYBOOKS = ROOT / "playbooks"
STACK = "local-carbon"
# A value for the inventory's secret, as an ansible-vault encrypted variable would give it. Unique to the run so
# that finding it anywhere cannot be a coincidence.
SECRET_VALUE = "pr00f-" + os.urandom(12).hex()
SECRETS_WITH_VALUE = [
    {"name": "MY_SECRET", "description": "Example secret read by the job as $MY_SECRET", "value": SECRET_VALUE}
]


def mitogen_env():
    """The opt-in Mitogen strategy (halves the wall time of these runs); None when mitogen is not installed.

    The proofs here are about what the modules and roles do to the account, which the strategy does not change;
    runs whose output or process handling is under test (security at -vvv, interruptions) use the default.
    """
    try:
        import ansible_mitogen
    except ImportError:
        return None
    return {
        "ANSIBLE_STRATEGY_PLUGINS": str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"),
        "ANSIBLE_STRATEGY": "mitogen_linear",
    }


FAST = mitogen_env()


def stack_playbook(emulator, name, tmp_path, extra_vars=None, fast=True, **options):
    """Run playbooks/<name>.yml on inventories/local against ``emulator``."""
    extra = {
        "stack_aws_endpoint_url": emulator.url,
        "stack_outputs_dir": str(Path(tmp_path) / "outputs"),
        "secrets_secrets": SECRETS_WITH_VALUE,
        **(extra_vars or {}),
    }
    if name == "destroy":
        extra.setdefault("confirm", True)
    env = {**(FAST or {}), **options.pop("env", {})} if fast else options.pop("env", None)
    return run_playbook(emulator, PLAYBOOKS / f"{name}.yml", extra_vars=extra, inventory=INVENTORY, env=env, **options)


def failures(result):
    """Names and messages of the failed tasks of a run, for assertion messages."""
    out = []
    for task in result.tasks():
        for host in task["hosts"].values():
            if host.get("failed") and not task["task"].get("ignore_errors"):
                out.append(f"{task['task']['name']}: {host.get('msg') or host.get('results', '')}"[:800])
    return out or [result.stderr[-2000:]]


def changed_tasks(result):
    return sorted({t["task"]["name"] for t in result.tasks() for h in t["hosts"].values() if h.get("changed")})


def writes(stats):
    return {call: n for call, n in stats["calls"].items() if not is_read(call)}


def is_read(call):
    return call.split(":", 1)[1].startswith(("Describe", "List", "Get", "BatchGet", "Head", "Lookup"))


# ----------------------------------------------------------------------------------------------- account snapshot
def _pages(client, operation, key, **kwargs):
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def account_state(emulator):
    """Everything the stack can create, as AWS describes it (unnormalised); AWS-managed IAM policies aside."""
    iam, sm, batch = emulator.client("iam"), emulator.client("secretsmanager"), emulator.client("batch")
    logs, events, sns = emulator.client("logs"), emulator.client("events"), emulator.client("sns")
    scheduler = emulator.client("scheduler")
    state = {"iam_roles": {}, "iam_policies": {}, "instance_profiles": {}, "secrets": {}, "log_groups": {}}
    for role in _pages(iam, "list_roles", "Roles"):
        if role["Path"].startswith("/aws-service-role/"):
            continue  # service-linked roles are AWS's, made on first use (Batch's), never a stack's
        name = role["RoleName"]
        detail = iam.get_role(RoleName=name)["Role"]
        detail["InlinePolicies"] = {
            p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
            for p in _pages(iam, "list_role_policies", "PolicyNames", RoleName=name)
        }
        detail["AttachedPolicies"] = sorted(
            p["PolicyArn"] for p in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        )
        state["iam_roles"][name] = detail
    for policy in _pages(iam, "list_policies", "Policies", Scope="Local"):
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        state["iam_policies"][policy["PolicyName"]] = {**policy, "Document": version["PolicyVersion"]["Document"]}
    for profile in _pages(iam, "list_instance_profiles", "InstanceProfiles"):
        profile["Roles"] = sorted(r["RoleName"] for r in profile.get("Roles", []))
        state["instance_profiles"][profile["InstanceProfileName"]] = profile
    for secret in _pages(sm, "list_secrets", "SecretList"):
        detail = sm.describe_secret(SecretId=secret["ARN"])
        detail.pop("ResponseMetadata", None)
        state["secrets"][secret["Name"]] = detail
    state["compute_environments"] = {
        ce["computeEnvironmentName"]: ce for ce in _pages(batch, "describe_compute_environments", "computeEnvironments")
    }
    state["job_queues"] = {jq["jobQueueName"]: jq for jq in _pages(batch, "describe_job_queues", "jobQueues")}
    arns = [p["arn"] for p in _pages(batch, "list_scheduling_policies", "schedulingPolicies")]
    state["scheduling_policies"] = {
        p["name"]: p for p in (batch.describe_scheduling_policies(arns=arns)["schedulingPolicies"] if arns else [])
    }
    state["job_definitions"] = {
        f"{jd['jobDefinitionName']}:{jd['revision']}": jd
        for jd in _pages(batch, "describe_job_definitions", "jobDefinitions", status="ACTIVE")
    }
    for group in _pages(logs, "describe_log_groups", "logGroups"):
        group["tags"] = logs.list_tags_log_group(logGroupName=group["logGroupName"]).get("tags", {})
        state["log_groups"][group["logGroupName"]] = group
    state["rules"] = {}
    for rule in _pages(events, "list_rules", "Rules"):
        rule["Targets"] = list(_pages(events, "list_targets_by_rule", "Targets", Rule=rule["Name"]))
        rule["Tags"] = events.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])
        state["rules"][rule["Name"]] = rule
    state["schedules"] = {}
    for schedule in _pages(scheduler, "list_schedules", "Schedules"):
        detail = scheduler.get_schedule(Name=schedule["Name"], GroupName=schedule.get("GroupName", "default"))
        detail.pop("ResponseMetadata", None)
        state["schedules"][schedule["Name"]] = detail
    state["topics"] = {}
    for topic in _pages(sns, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        attributes["Subscriptions"] = [
            {k: s[k] for k in ("Protocol", "Endpoint")}
            for s in _pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
        ]
        attributes["Tags"] = sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
        state["topics"][arn.rsplit(":", 1)[-1]] = attributes
    return state


# Keys whose values are timestamps, generated IDs or counters that differ between two equal deploys.
VOLATILE_KEYS = {
    "createdate",
    "createddate",
    "creationdate",
    "creationtime",
    "lastaccesseddate",
    "lastchangeddate",
    "lastmodifieddate",
    "lastmodificationdate",
    "updatedate",
    "roleid",
    "policyid",
    "instanceprofileid",
    "defaultversionid",
    "versionid",
    "versionidstostages",
    "uuid",
    "ecsclusterarn",
    "rolelastused",
    "storedbytes",
    "createdat",
    "updatedat",
    "lastmodifiedat",
    "containerorchestrationtype",
    "subscriptionsconfirmed",
    "subscriptionspending",
    "subscriptionsdeleted",
    "responsemetadata",
    "metricfiltercount",
}
RANDOM_PARTS = [
    (re.compile(r"(:secret:[^\"',\s]+?)-[A-Za-z0-9]{6}(?=$|[\"',\s:])"), r"\1-<random>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b(subnet|sg|vpc|igw|rtb|acl|eni)-[0-9a-f]{8,17}\b"), r"\1-<id>"),
]


def normalise(value):
    """Drop volatile fields, replace random parts, parse JSON documents, and order what AWS does not order."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in sorted(value.items()) if k.lower() not in VOLATILE_KEYS}
    if isinstance(value, list):
        items = [normalise(v) for v in value]
        if items and all(isinstance(i, dict) for i in items):
            items.sort(key=lambda i: json.dumps(i, sort_keys=True))
        return items
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith(("{", "[")):
            try:
                return normalise(json.loads(stripped))
            except ValueError:
                pass
        for pattern, replacement in RANDOM_PARTS:
            value = pattern.sub(replacement, value)
        return value
    return value


def snapshot(emulator):
    """The normalised account, with fault injection paused while it is read."""
    config = emulator.configure()
    emulator.configure(throttle_rate=0.0, error_rate=0.0)
    try:
        return normalise(account_state(emulator))
    finally:
        emulator.configure(throttle_rate=config["throttle_rate"], error_rate=config["error_rate"])


def diff(expected, actual):
    a = json.dumps(expected, indent=1, sort_keys=True, default=str).splitlines()
    b = json.dumps(actual, indent=1, sort_keys=True, default=str).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "expected", "actual", lineterm="", n=2))


def assert_same_state(expected, actual, what):
    assert expected == actual, f"{what} differs from the expected state:\n{diff(expected, actual)[:6000]}"


def resource_names(state):
    """What is left in the account, by kind, for 'nothing leaks' messages."""
    return {kind: sorted(items) for kind, items in state.items() if items}


def reference(emulator, tmp_path):
    """The normalised account of an empty account and after a fault-free deploy, and that deploy's outputs JSON.

    Computed once per emulator (the session fixture, shared by every proof suite) on a freshly reset account,
    which is reset again afterwards. Call it first in a test, while faults are off.
    """
    cached = getattr(emulator, "_ondemand_reference", None)
    if cached is None:
        emulator.reset()
        empty = snapshot(emulator)
        run = stack_playbook(emulator, "deploy", Path(tmp_path) / "reference")
        assert run.rc == 0, failures(run)
        deployed = snapshot(emulator)
        assert deployed["compute_environments"] and deployed["rules"], "the reference deploy created nothing"
        outputs = json.loads(next((Path(tmp_path) / "reference" / "outputs").glob("*.json")).read_text())
        cached = {"empty": empty, "deployed": deployed, "outputs": normalise(outputs)}
        emulator._ondemand_reference = cached
        emulator.reset()
    return cached


# ----------------------------------------------------------------------------------------------- the proof
THROTTLE_RATE = 0.3
ERROR_RATE = 0.05


def test_deploy_submit_destroy_under_throttling_and_server_errors(aws, tmp_path):
    expected = reference(aws, tmp_path)

    aws.configure(throttle_rate=THROTTLE_RATE, error_rate=ERROR_RATE, seed=20261123)
    aws.reset_stats()
    deployed = stack_playbook(aws, "deploy", tmp_path / "faults")
    stats = aws.stats()
    assert deployed.rc == 0, failures(deployed)
    # The faults were really there, in about the proportions asked for.
    calls = stats["reads"] + stats["writes"]
    assert stats["throttled"] >= 0.15 * calls, stats
    assert stats["errors"] >= 1, stats
    assert_same_state(expected["deployed"], snapshot(aws), "the stack deployed under faults")

    # The outputs JSON names the same resources.
    outputs = json.loads(next((tmp_path / "faults" / "outputs").glob("*.json")).read_text())
    assert_same_state(expected["outputs"], normalise(outputs), "the outputs JSON of the deploy under faults")

    submitted = stack_playbook(aws, "submit-job", tmp_path / "faults")
    assert submitted.rc == 0, failures(submitted)
    job = submitted.task("Submit the job and follow it")["job"]
    assert job["status"] == "SUCCEEDED", job

    destroyed = stack_playbook(aws, "destroy", tmp_path / "faults")
    stats = aws.stats()
    assert destroyed.rc == 0, failures(destroyed)
    assert stats["throttled"] > 0 and stats["errors"] > 0, stats
    assert_same_state(expected["empty"], snapshot(aws), "the account after destroy (nothing may leak)")
