"""Out-of-band changes are reported and repaired by the next deploy, and nothing else is touched.

After a deploy, six changes are made behind Ansible's back with boto3 (as a colleague in the console would):
the compute environment's max vCPUs, the queue disabled, the latest job definition revision deregistered,
the schedule disabled, the alerts rule's target removed, and the job execution role's secret policy widened to
every secret. The next deploy's plan summary must show exactly those resources changed, make only the write calls
that repair them, and leave the account as it was before the drift (the job definition gets a new revision
with the same content).
"""

import json
import re

import pytest

from tests.integration.test_faults import (
    assert_same_state,
    failures,
    snapshot,
    stack_playbook,
    writes,
)

pytestmark = pytest.mark.slow

# The kind of resource the plan summary must show changed for each drift, and the write calls allowed to repair it.
REPAIRS = {
    "max vCPUs": ("compute_environment", {"batch:UpdateComputeEnvironment"}),
    "queue disabled": ("job_queue", {"batch:UpdateJobQueue"}),
    "revision deregistered": ("job_definition", {"batch:RegisterJobDefinition", "batch:TagResource"}),
    "schedule disabled": ("schedule", {"events:PutRule", "events:EnableRule"}),
    "target removed": ("alert_rule", {"events:PutTargets"}),
    "policy widened": ("iam_policy", {"iam:PutRolePolicy"}),
}
SUMMARY = "Summarise the deploy and write the outputs"


def without_revisions(state):
    """The job definitions keyed by name, revision numbers dropped (a repaired one is a new revision)."""
    state = dict(state)
    definitions = {}
    for jd in state["job_definitions"].values():
        jd = {k: v for k, v in jd.items() if k != "revision"}
        jd["jobDefinitionArn"] = re.sub(r":\d+$", ":<revision>", jd["jobDefinitionArn"])
        definitions[jd["jobDefinitionName"]] = jd
    state["job_definitions"] = definitions
    return state


def drift(aws, state):
    batch, events, iam = aws.client("batch"), aws.client("events"), aws.client("iam")
    ce = sorted(state["compute_environments"])[0]
    max_vcpus = state["compute_environments"][ce]["computeResources"]["maxvCpus"]
    batch.update_compute_environment(computeEnvironment=ce, computeResources={"maxvCpus": max_vcpus * 2})
    jq = sorted(state["job_queues"])[0]
    batch.update_job_queue(jobQueue=jq, state="DISABLED")
    first = sorted({jd["jobDefinitionName"] for jd in state["job_definitions"].values()})[0]
    latest = max(
        (jd for jd in state["job_definitions"].values() if jd["jobDefinitionName"] == first),
        key=lambda jd: jd["revision"],
    )
    batch.deregister_job_definition(jobDefinition=f"{latest['jobDefinitionName']}:{latest['revision']}")
    schedule = sorted(name for name, rule in state["rules"].items() if rule.get("ScheduleExpression"))[0]
    events.disable_rule(Name=schedule)
    alerts = sorted(name for name, rule in state["rules"].items() if rule.get("EventPattern"))[0]
    events.remove_targets(Rule=alerts, Ids=[t["Id"] for t in state["rules"][alerts]["Targets"]])
    (role, policy_name, document) = next(
        (name, policy_name, document)
        for name, role in state["iam_roles"].items()
        for policy_name, document in role["InlinePolicies"].items()
        if "secretsmanager:GetSecretValue" in str(document)
    )
    widened = {
        "Version": "2012-10-17",
        "Statement": [{**statement, "Resource": "*"} for statement in document["Statement"]],
    }
    iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(widened))


def test_deploy_reports_and_repairs_exactly_the_drift(aws, tmp_path):
    deployed = stack_playbook(aws, "deploy", tmp_path)
    assert deployed.rc == 0, failures(deployed)
    before = snapshot(aws)

    drift(aws, before)
    drifted = snapshot(aws)
    assert drifted != before
    aws.reset_stats()

    repaired = stack_playbook(aws, "deploy", tmp_path, diff=True)
    assert repaired.rc == 0, failures(repaired)
    stats = aws.stats()

    rows = repaired.task(SUMMARY)["summary"]["rows"]
    changed = {row["kind"] for row in rows if row["action"] != "none"}
    for what, (kind, _calls) in REPAIRS.items():
        assert kind in changed, f"the drift '{what}' was not reported: {rows}"
    unexpected = changed - {kind for kind, _calls in REPAIRS.values()}
    assert not unexpected, f"resources changed that no drift explains: {unexpected}"

    allowed = set().union(*(calls for _kind, calls in REPAIRS.values()))
    assert set(writes(stats)) <= allowed, f"write calls beyond the repairs: {writes(stats)}"

    assert_same_state(without_revisions(before), without_revisions(snapshot(aws)), "the stack after the repair")
    after = snapshot(aws)
    assert len(after["job_definitions"]) == len(before["job_definitions"]), "one ACTIVE revision replaced by one"
