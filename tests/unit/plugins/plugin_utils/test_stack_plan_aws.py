"""The rules that need AWS, on the pure half of the plan's read-only step: what the reads found -> problems and plan.

The reads themselves (refresh.AwsReader) are exercised against the emulator by the integration tests.
"""

import copy

from stack_model import ACCOUNT, FACTS, ROOT, compile_model, empty_account, inventory

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import refresh
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import ModelProblems

BASE = inventory()
STACK = BASE["stack_name"]
SECRET = f"/{STACK}/MY_SECRET"
SECRET_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:{SECRET}-AbCdEf"


def account(**found):
    """What the refresh found: {kind: {name: info}} plus listings."""
    refreshed = empty_account()
    for kind, resources in found.items():
        if kind in (
            "tagged",
            "roles_under_path",
            "compute_environment",
            "job_queue",
            "scheduling_policy",
            "job_definition",
        ):
            refreshed["listed"][kind] = resources
        else:
            refreshed["found"][kind] = resources
    return refreshed


def tagged(stack=STACK, **extra):
    return {"ondemand:stack": stack, **extra}


# ------------------------------------------------------------------------------------------------ region, network
def test_a_region_no_partition_knows_and_ec2_does_not_list_is_refused():
    assert refresh.region_problems("eu-west-9", ("eu-west-1",), ["eu-west-1", "us-east-1"]) == [
        ("stack_region", "is not a region of the account's partition (got 'eu-west-9'); for example eu-west-1")
    ]
    assert refresh.region_problems("eu-west-1", ("eu-west-1",)) == []
    assert refresh.region_problems("ap-new-1", ("eu-west-1",), ["ap-new-1"]) == []  # newer than botocore


def network(model, subnets=(), groups=(), default=None):
    problems = ModelProblems()
    answers = {
        "subnets": {s["SubnetId"]: s for s in subnets},
        "security_groups": {g["GroupId"]: g for g in groups},
        "default": default,
        "needs_default": refresh.needs_default_network(model),
    }
    return refresh.network_facts(model, answers, problems), problems.lines()


def test_a_subnet_or_security_group_that_does_not_exist_is_named():
    model = dict(BASE, batch_subnets=["subnet-1", "subnet-2"], batch_security_group_ids=["sg-1"])
    facts, lines = network(model, subnets=[{"SubnetId": "subnet-1", "VpcId": "vpc-1"}])
    assert lines == [
        "batch_security_group_ids: security group sg-1 does not exist in eu-west-1",
        "batch_subnets: subnet subnet-2 does not exist in eu-west-1",
    ]
    assert facts["subnets"] == ["subnet-1", "subnet-2"]


def test_subnets_and_security_groups_must_share_one_vpc():
    model = dict(BASE, batch_subnets=["subnet-1"], batch_security_group_ids=["sg-1"])
    _facts, lines = network(
        model, subnets=[{"SubnetId": "subnet-1", "VpcId": "vpc-1"}], groups=[{"GroupId": "sg-1", "VpcId": "vpc-2"}]
    )
    assert lines == [
        "batch_subnets: subnets and security groups must share one VPC, found 2: vpc-1 (batch_subnets: subnet-1); "
        "vpc-2 (batch_security_group_ids: sg-1)"
    ]


def test_no_default_vpc_and_no_subnets_is_refused():
    _facts, lines = network(BASE, default=None)
    assert lines == [
        "batch_subnets: the region eu-west-1 has no default VPC, and a managed compute environment sets no subnets: "
        "set batch_subnets and batch_security_group_ids (or subnets and security_group_ids on each environment)"
    ]


def test_the_default_vpc_gives_subnets_and_its_default_group():
    facts, lines = network(BASE, default={"vpc_id": "vpc-d", "subnets": ["subnet-a"], "security_group_ids": ["sg-d"]})
    assert (facts, lines) == ({"subnets": ["subnet-a"], "security_group_ids": ["sg-d"]}, [])


def test_an_environment_without_subnets_in_a_region_without_default_vpc_is_reported_once():
    facts = dict(FACTS, network={"subnets": None, "security_group_ids": None})
    _plan, lines = compile_model(BASE, facts=facts)
    assert lines == []  # the refresh reports the missing default VPC once (test above), not each environment


# ------------------------------------------------------------------------------------------------ ownership
def test_a_resource_of_another_stack_is_refused_naming_the_owner():
    refreshed = account(
        secret={SECRET: {"arn": SECRET_ARN, "tags": tagged("dev-carbon"), "deleted": False}},
        compute_environment={f"{STACK}-ce": {"arn": "arn:ce", "tags": tagged("staging-carbon")}},
    )
    _plan, lines = compile_model(BASE, refreshed=refreshed)
    assert lines == [
        f"secrets_secrets[MY_SECRET]: secret {SECRET} belongs to stack 'dev-carbon' (tag ondemand:stack=dev-carbon): "
        "a stack never changes another stack's resources; give this one another name",
        f"batch_compute_environments[ce]: compute environment {STACK}-ce belongs to stack 'staging-carbon' (tag "
        "ondemand:stack=staging-carbon): a stack never changes another stack's resources; give this one another name",
    ]


def test_an_untagged_resource_is_refused_unless_adopted():
    found = {"iam_role": {f"{STACK}-job-execution": {"arn": "arn:role", "tags": {}}}}
    _plan, lines = compile_model(BASE, refreshed=account(**found))
    assert lines == [
        f"iam_path: IAM role {STACK}-job-execution exists and is not tagged as a member of any stack: deploy with "
        "-e adopt=true (or adopt: true on the entry) to take it over and tag it"
    ]
    plan, lines = compile_model(dict(BASE, adopt=True), refreshed=account(**copy.deepcopy(found)))
    assert lines == []
    row = next(r for r in plan["resources"] if r["name"] == f"{STACK}-job-execution")
    assert (row["exists"], row["action_hint"]) == (True, "adopt")


def test_an_entry_can_be_adopted_on_its_own():
    variables = copy.deepcopy(BASE)
    variables["batch_job_queues"][0]["adopt"] = True
    refreshed = account(
        job_queue={f"{STACK}-jq": {"arn": "arn:jq", "tags": {}}},
        compute_environment={f"{STACK}-ce": {"arn": "arn:ce", "tags": {}}},
    )
    _plan, lines = compile_model(variables, refreshed=refreshed)
    assert lines == [
        f"batch_compute_environments[ce]: compute environment {STACK}-ce exists and is not tagged as a member of any "
        "stack: deploy with -e adopt=true (or adopt: true on the entry) to take it over and tag it"
    ]


def test_the_stacks_own_resources_are_updates():
    plan, lines = compile_model(
        BASE, refreshed=account(log_group={f"/aws/batch/{STACK}": {"arn": "arn:lg", "tags": tagged(), "retention": 7}})
    )
    assert lines == []
    row = next(r for r in plan["resources"] if r["kind"] == "log_group")
    assert (row["exists"], row["action_hint"]) == (True, "update")


# ------------------------------------------------------------------------------------------------ ARNs that exist
def test_job_definitions_get_the_full_arn_of_a_secret_that_exists_and_the_partial_arn_of_a_new_one():
    plan, _lines = compile_model(BASE, refreshed=account())
    assert plan["batch"]["job_definitions"][0]["secrets"] == {
        "MY_SECRET": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:{SECRET}"
    }
    refreshed = account(secret={SECRET: {"arn": SECRET_ARN, "tags": tagged(), "deleted": False}})
    plan, _lines = compile_model(BASE, refreshed=refreshed)
    assert plan["batch"]["job_definitions"][0]["secrets"] == {"MY_SECRET": SECRET_ARN}


def test_the_execution_role_reads_the_secrets_by_name_pattern_whatever_their_suffix():
    for refreshed in (account(), account(secret={SECRET: {"arn": SECRET_ARN, "tags": tagged(), "deleted": False}})):
        plan, _lines = compile_model(BASE, refreshed=refreshed)
        policy = next(p for p in plan["iam"]["policies"] if p["policy_name"] == "read-stack-secrets")
        assert policy["policy_json"]["Statement"] == [
            {
                "Sid": "ReadStackSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": [f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:{SECRET}-??????"],
            }
        ]


# ------------------------------------------------------------------------------------------------ orphans, prune
ORPHANS = {
    "tagged": [
        {"arn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:/{STACK}/OLD-AbCdEf", "tags": tagged()},
        {"arn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/batch/old:*", "tags": tagged()},
        {
            "arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/{STACK}-old",
            "tags": tagged(**{"ondemand:component": "schedule"}),
        },
        {"arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/{STACK}-old-alerts", "tags": tagged()},
        {"arn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:{STACK}-old-topic", "tags": tagged()},
        {"arn": f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{STACK}-old-app", "tags": tagged()},
    ],
    "compute_environment": {
        f"{STACK}-old-ce": {"arn": "arn:ce", "tags": tagged()},
        "other-ce": {"arn": "arn:o", "tags": tagged("other")},
    },
    "job_queue": {f"{STACK}-old-jq": {"arn": "arn:jq", "tags": tagged()}},
    "job_definition": {
        f"{STACK}-old-jd": {"arn": "arn:jd", "tags": tagged()},
        "untagged-jd": {"arn": "arn:u", "tags": {}},
    },
    "roles_under_path": {f"{STACK}-spot-fleet": {"arn": "arn:r", "tags": tagged()}},
}
EXPECTED_ORPHANS = {
    "alert_rule": [f"{STACK}-old-alerts"],
    "alert_topic": [f"{STACK}-old-topic"],
    "compute_environment": [f"{STACK}-old-ce"],
    "iam_role": [f"{STACK}-spot-fleet"],
    "image_repository": [f"{STACK}-old-app"],
    "job_definition": [f"{STACK}-old-jd"],
    "job_queue": [f"{STACK}-old-jq"],
    "log_group": ["/aws/batch/old"],
    "schedule": [f"{STACK}-old"],
    "scheduling_policy": [],
    "secret": [f"/{STACK}/OLD"],
}


def test_resources_tagged_as_the_stacks_that_the_model_lacks_are_listed_and_kept_without_prune():
    plan, lines = compile_model(BASE, refreshed=account(**copy.deepcopy(ORPHANS)))
    assert lines == []
    assert plan["orphans"] == EXPECTED_ORPHANS
    assert plan["batch"]["delete"] == {k: [] for k in plan["batch"]["delete"]}
    assert plan["secrets"]["delete"] == [] and plan["iam"]["delete_roles"] == []
    assert plan["warnings"] and "deploy with -e prune=true to remove" in plan["warnings"][0]


def test_prune_removes_them_and_only_them():
    plan, _lines = compile_model(dict(BASE, prune=True), refreshed=account(**copy.deepcopy(ORPHANS)))
    assert plan["batch"]["delete"] == {
        "job_queues": [f"{STACK}-old-jq"],
        "scheduling_policies": [],
        "compute_environments": [f"{STACK}-old-ce"],
        "job_definitions": [f"{STACK}-old-jd"],
        "log_groups": ["/aws/batch/old"],
        "image_repositories": [{"name": f"{STACK}-old-app", "force_delete": False, "images": 0}],
    }
    assert plan["secrets"]["delete"] == [{"secret_name": f"/{STACK}/OLD", "recovery_window_days": 0}]
    assert plan["iam"]["delete_roles"] == [f"{STACK}-spot-fleet"]
    assert plan["eventbridge"]["delete"] == {
        "schedules": [{"name": f"{STACK}-old", "backend": "events", "state": "absent"}],
        "alert_rules": [f"{STACK}-old-alerts"],
        "topics": [f"{STACK}-old-topic"],
    }
    assert plan["warnings"] == []


def test_a_role_prune_variable_prunes_only_that_roles_kinds():
    plan, _lines = compile_model(dict(BASE, secrets_prune=True), refreshed=account(**copy.deepcopy(ORPHANS)))
    assert plan["secrets"]["delete"] == [{"secret_name": f"/{STACK}/OLD", "recovery_window_days": 0}]
    assert plan["batch"]["delete"]["job_queues"] == []


# ------------------------------------------------------------------------------------------------ destroy
def test_destroy_removes_the_stacks_resources_and_orphans_and_reports_what_it_keeps():
    found = copy.deepcopy(ORPHANS)
    refreshed = account(
        **found,
        secret={SECRET: {"arn": SECRET_ARN, "tags": tagged(), "deleted": False}},
        log_group={f"/aws/batch/{STACK}": {"arn": "arn:lg", "tags": {"ondemand:stack": "someone-else"}}},
        iam_role={f"{STACK}-job-execution": {"arn": "arn:x", "tags": tagged()}},
    )
    refreshed["listed"]["job_queue"][f"{STACK}-jq"] = {"arn": "arn:jq2", "tags": tagged()}
    plan, lines = compile_model(BASE, state="absent", refreshed=refreshed)
    assert lines == [
        f"batch_log_group_name: log group /aws/batch/{STACK} belongs to stack 'someone-else' (tag "
        "ondemand:stack=someone-else): a stack never changes another stack's resources; give this one another name"
    ]
    del refreshed["found"]["log_group"]
    plan, lines = compile_model(BASE, state="absent", refreshed=refreshed)
    assert lines == []
    assert plan["batch"]["delete"]["job_queues"] == [f"{STACK}-jq", f"{STACK}-old-jq"]
    assert plan["batch"]["delete"]["compute_environments"] == [f"{STACK}-old-ce"]
    assert plan["secrets"]["delete"][0] == {"secret_name": SECRET, "recovery_window_days": 0}
    assert plan["iam"]["delete_roles"] == [f"{STACK}-job-execution", f"{STACK}-spot-fleet"]


# ------------------------------------------------------------------------------------------------ check mode
def test_check_mode_predicts_what_a_module_cannot_on_an_empty_account():
    plan, lines = compile_model(BASE, check_mode=True, refreshed=account())
    assert lines == []
    assert plan["iam"]["policies"] == []  # their roles do not exist yet: predicted
    assert plan["eventbridge"]["alert_topics"] == []
    assert sorted((p["kind"], p["name"], p["action"]) for p in plan["predicted"]) == [
        ("alert_topic", f"{STACK}-alerts", "create"),
        ("iam_policy", f"{STACK}-events/submit-stack-jobs", "create"),
        ("iam_policy", f"{STACK}-job-execution/read-stack-secrets", "create"),
        ("iam_policy", f"{STACK}-job-execution/task-execution", "create"),
    ]


def test_check_mode_predicts_a_retention_change_instead_of_making_it():
    refreshed = account(log_group={f"/aws/batch/{STACK}": {"arn": "arn:lg", "tags": tagged(), "retention": 30}})
    plan, _lines = compile_model(BASE, check_mode=True, refreshed=refreshed)
    assert plan["batch"]["log_group"]["run_retention"] is None
    assert {
        "kind": "log_group",
        "name": f"/aws/batch/{STACK}",
        "action": "update",
        "changed_fields": ["retention"],
    } in plan["predicted"]
    plan, _lines = compile_model(
        BASE, check_mode=False, refreshed=account(**copy.deepcopy({"log_group": refreshed["found"]["log_group"]}))
    )
    assert plan["batch"]["log_group"]["run_retention"] == 7


# ------------------------------------------------------------------------------------------------ IAM across regions
def test_the_stacks_roles_in_another_region_are_refused_with_what_to_set():
    found = {
        "iam_role": {f"{STACK}-job-execution": {"arn": "arn:x", "tags": tagged(**{"ondemand:region": "eu-west-1"})}}
    }
    _plan, lines = compile_model(dict(BASE, stack_region="eu-central-1"), refreshed=account(**found))
    assert lines == [
        f"iam_path: IAM role {STACK}-job-execution belongs to stack '{STACK}' in eu-west-1 (tag "
        "ondemand:region=eu-west-1): IAM is global, so one stack_name in two regions would share its roles; give this "
        f"region its own iam_name_prefix (for example {STACK}-eu-central-1) or its own stack_name"
    ]


def test_a_second_region_with_its_own_prefix_has_its_own_roles_and_destroy_leaves_the_first_regions():
    variables = dict(
        BASE, stack_region="eu-central-1", iam_name_prefix=f"{STACK}-euc1", iam_batch_service_role_create=True
    )
    plan, lines = compile_model(variables, refreshed=account())
    assert lines == []
    assert sorted(r["name"] for r in plan["iam"]["roles"]) == [
        f"{STACK}-euc1-batch-service",
        f"{STACK}-euc1-ecs-instance",
        f"{STACK}-euc1-events",
        f"{STACK}-euc1-job-execution",
    ]
    assert all(r["tags"]["ondemand:region"] == "eu-central-1" for r in plan["iam"]["roles"])
    first_region = {f"{STACK}-job-execution": {"arn": "arn:x", "tags": tagged(**{"ondemand:region": "eu-west-1"})}}
    plan, lines = compile_model(variables, state="absent", refreshed=account(roles_under_path=first_region))
    assert lines == [] and plan["iam"]["delete_roles"] == []


def test_roles_can_take_the_names_of_existing_roles():
    variables = dict(BASE, iam_role_names={"execution": "helloworld-batch-execution-role"})
    plan, _lines = compile_model(variables)
    assert "helloworld-batch-execution-role" in [r["name"] for r in plan["iam"]["roles"]]
    assert plan["batch"]["job_definitions"][0]["execution_role_arn"].endswith(
        ":role/local-carbon/helloworld-batch-execution-role"
    )
    _plan, lines = compile_model(dict(BASE, iam_role_names={"runner": "x"}))
    assert lines == [
        "iam_role_names.runner: is not a role of the stack "
        "(known: batch_service, events, execution, instance, spot_fleet)"
    ]


# ------------------------------------------------------------------------------------------------ trust policies
def test_every_service_trust_policy_has_the_confused_deputy_conditions_the_service_documents():
    plan, _lines = compile_model(
        dict(BASE, iam_batch_service_role_create=True, iam_spot_fleet_role_create=True, iam_job_roles=[{"name": "app"}])
    )
    conditions = {
        r["name"]: r["assume_role_policy_document"]["Statement"][0].get("Condition") for r in plan["iam"]["roles"]
    }
    account_only = {"aws:SourceAccount": ACCOUNT}
    assert conditions == {
        f"{STACK}-batch-service": {
            "StringEquals": account_only,
            "ArnLike": {"aws:SourceArn": f"arn:aws:batch:eu-west-1:{ACCOUNT}:*"},
        },
        f"{STACK}-ecs-instance": None,  # EC2 sends neither key
        f"{STACK}-spot-fleet": None,
        f"{STACK}-job-execution": {
            "StringEquals": account_only,
            "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:*"},
        },
        f"{STACK}-events": {
            "StringEquals": account_only,
            "ArnLike": {"aws:SourceArn": f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/{STACK}-*"},
        },
        f"{STACK}-job-app": {
            "StringEquals": account_only,
            "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:*"},
        },
    }
    plan, _lines = compile_model(dict(BASE, eventbridge_backend="scheduler"))
    events = next(r for r in plan["iam"]["roles"] if r["name"] == f"{STACK}-events")
    assert events["assume_role_policy_document"]["Statement"][0] == {
        "Effect": "Allow",
        "Principal": {"Service": "scheduler.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": account_only,
            "ArnLike": {"aws:SourceArn": f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule/default/{STACK}-*"},
        },
    }


def test_inline_policies_the_model_lacks_are_removed_from_the_stacks_roles():
    found = {
        "iam_role": {
            f"{STACK}-job-execution": {
                "arn": "arn:x",
                "tags": {},
                "inline_policies": ["read-stack-secrets", "terraform-star"],
            }
        }
    }
    plan, lines = compile_model(dict(BASE, adopt=True), refreshed=account(**found))
    assert lines == []
    removed = [p for p in plan["iam"]["policies"] if p["state"] == "absent"]
    assert removed == [
        {"iam_name": f"{STACK}-job-execution", "policy_name": "terraform-star", "policy_json": None, "state": "absent"}
    ]


def test_iam_propagation_seconds_is_accepted_ignored_and_deprecated():
    """Issue 14: no pause after creating roles; the variable is still accepted for one release, with a warning."""
    plan, lines = compile_model(dict(BASE, iam_propagation_seconds=30), refreshed=account())
    assert lines == []
    assert "propagation_seconds" not in plan["iam"]
    assert plan["warnings"] == [
        "iam_propagation_seconds is deprecated and ignored, and will be removed in 0.2.0: the deploy no longer pauses "
        "after creating IAM roles. Compute environments that Batch cannot validate yet, and EventBridge Scheduler "
        "schedules whose role it cannot assume yet, are retried instead, bounded by the modules' "
        "iam_propagation_timeout (ondemand.batch.compute_environments and job_schedules, 120 seconds by default). "
        "Remove the variable from the inventory."
    ]
    without_aws, _lines = compile_model(dict(BASE, iam_propagation_seconds=30))  # read_aws: false prints it too
    assert without_aws["warnings"] == plan["warnings"]
    shipped = (ROOT / "inventories").rglob("*.yml")
    assert not [path for path in shipped if "iam_propagation_seconds" in path.read_text()]  # none sets it
    assert compile_model(BASE, refreshed=account())[0]["warnings"] == []
