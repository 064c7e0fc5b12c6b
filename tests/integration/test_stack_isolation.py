"""Stacks that share an account never touch each other: copies of an inventory, and one stack_name in two regions.

One emulator account holds the local stack (eu-west-1), a copy of its inventory with another stack_name
(staging-carbon), and the local stack_name again in eu-central-1 (its own iam_name_prefix). Destroying the copy and
the second region leaves the local stack whole: its roles and policies, its secret (not scheduled for deletion), and
a job that still succeeds.
"""

import shutil

import pytest
import yaml

from tests.integration.support.playbook import run_playbook
from tests.integration.test_faults import FAST, INVENTORY, PLAYBOOKS, writes

pytestmark = pytest.mark.slow

STACK = "local-carbon"
COPY = "staging-carbon"
SECOND_REGION = "eu-central-1"


def copy_inventory(tmp_path, name, **stack_changes):
    """``cp -r inventories/local <name>`` and change stack.yml, as the README's "Add an environment" says."""
    target = tmp_path / name
    shutil.copytree(INVENTORY, target)
    stack_file = target / "group_vars" / "all" / "stack.yml"
    stack = yaml.safe_load(stack_file.read_text())
    stack.update(stack_changes)
    stack_file.write_text(yaml.safe_dump(stack, sort_keys=False))
    return target


def run(aws, playbook, inventory, tmp_path, **extra):
    extra_vars = {"stack_aws_endpoint_url": aws.url, "stack_outputs_dir": str(tmp_path / "outputs"), **extra}
    if playbook == "destroy":
        extra_vars["confirm"] = True
    return run_playbook(aws, PLAYBOOKS / f"{playbook}.yml", extra_vars=extra_vars, inventory=inventory, env=FAST)


def assert_ok(result):
    assert result.rc == 0 and result.failed == 0, f"{result}\n{result.stdout[-5000:]}\n{result.stderr[-2000:]}"


def local_stack_state(aws):
    """What the local stack is made of, as AWS says it: roles with policies, the secret, Batch resources."""
    iam, secrets, batch = aws.client("iam"), aws.client("secretsmanager"), aws.client("batch")
    roles = {}
    for role in iam.list_roles(PathPrefix=f"/{STACK}/")["Roles"]:
        if not role["RoleName"].startswith(f"{STACK}-") or role["RoleName"].startswith(f"{STACK}-euc1"):
            continue
        name = role["RoleName"]
        roles[name] = {
            "inline": {
                p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
            },
            "attached": sorted(
                p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
            ),
        }
    secret = secrets.describe_secret(SecretId=f"/{STACK}/MY_SECRET")
    return {
        "roles": roles,
        "secret": (secret["ARN"], "DeletedDate" in secret),
        "queues": sorted(
            q["jobQueueName"]
            for q in batch.describe_job_queues()["jobQueues"]
            if q["jobQueueName"].startswith(f"{STACK}-")
        ),
        "environments": sorted(
            c["computeEnvironmentName"]
            for c in batch.describe_compute_environments()["computeEnvironments"]
            if c["computeEnvironmentName"].startswith(f"{STACK}-")
        ),
    }


def test_stacks_that_share_an_account_never_touch_each_other(aws, tmp_path):
    assert_ok(run(aws, "deploy", INVENTORY, tmp_path))
    before = local_stack_state(aws)
    # The local inventory uses Batch's service-linked role: the stack's own roles are these three.
    assert sorted(before["roles"]) == [f"{STACK}-ecs-instance", f"{STACK}-events", f"{STACK}-job-execution"]
    assert before["secret"][1] is False

    staging = copy_inventory(tmp_path, "staging", stack_name=COPY)
    assert_ok(run(aws, "deploy", staging, tmp_path))
    staging_secret = aws.client("secretsmanager").describe_secret(SecretId=f"/{COPY}/MY_SECRET")
    assert staging_secret["ARN"] != before["secret"][0]
    assert {t["Key"]: t["Value"] for t in staging_secret["Tags"]}["ondemand:stack"] == COPY

    # The same stack_name in a second region without its own IAM names: refused before any write.
    second = copy_inventory(tmp_path, "second-region", stack_region=SECOND_REGION)
    aws.reset_stats()
    refused = run(aws, "deploy", second, tmp_path)
    assert refused.rc != 0
    assert writes(aws.stats()) == {}
    assert "IAM is global, so one stack_name in two regions would share its roles" in refused.stdout
    assert "iam_name_prefix" in refused.stdout
    # With its own prefix it gets its own roles.
    second = copy_inventory(
        tmp_path, "second-region-own-iam", stack_region=SECOND_REGION, iam_name_prefix=f"{STACK}-euc1"
    )
    assert_ok(run(aws, "deploy", second, tmp_path))
    assert aws.client("iam").get_role(RoleName=f"{STACK}-euc1-job-execution")["Role"]

    assert_ok(run(aws, "destroy", staging, tmp_path))
    assert_ok(run(aws, "destroy", second, tmp_path))
    assert local_stack_state(aws) == before
    remaining = [
        r["RoleName"]
        for r in aws.client("iam").list_roles()["Roles"]
        if r["RoleName"].startswith((COPY, f"{STACK}-euc1"))
    ]
    assert remaining == []

    # The local stack still runs its job, with its secret.
    submitted = run(aws, "submit-job", INVENTORY, tmp_path)
    assert_ok(submitted)
