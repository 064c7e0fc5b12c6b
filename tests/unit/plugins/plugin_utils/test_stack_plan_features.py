"""What the plan builds for image repositories, readable alerts and the job definition options (issue 16).

The rules these features add (one mistake, one problem) are cases of test_stack_plan_rules.py; here is what a valid
model compiles to: the exact module parameters, ARNs and URIs, and the alert's text for a documented Batch event.
"""

import copy
import json

from stack_model import ACCOUNT, compile_model, inventory

from emulator.eventbridge import render_template  # EventBridge's input transformer, as the emulator applies it

BASE = inventory()
STACK = BASE["stack_name"]
LOG_GROUP = f"/aws/batch/{STACK}"

# The "Batch Job State Change" event as the AWS Batch user guide documents it (its detail is DescribeJobs' JobDetail),
# for a job that failed on its second and last attempt.
FAILED_EVENT = {
    "version": "0",
    "id": "c8f9c4b5-76e5-d76a-f980-7011e206042b",
    "detail-type": "Batch Job State Change",
    "source": "aws.batch",
    "account": ACCOUNT,
    "time": "2022-01-11T23:36:40Z",
    "region": "eu-west-1",
    "resources": [f"arn:aws:batch:eu-west-1:{ACCOUNT}:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8"],
    "detail": {
        "jobArn": f"arn:aws:batch:eu-west-1:{ACCOUNT}:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8",
        "jobName": "nightly-report",
        "jobId": "4c7599ae-0a82-49aa-ba5a-4727fcce14a8",
        "jobQueue": f"arn:aws:batch:eu-west-1:{ACCOUNT}:job-queue/{STACK}-jq",
        "status": "FAILED",
        "statusReason": "Essential container in task exited",
        "attempts": [
            {"container": {"exitCode": 1, "logStreamName": f"{STACK}-jd/default/1111"}, "statusReason": "exited"},
            {"container": {"exitCode": 3, "logStreamName": f"{STACK}-jd/default/2222"}, "statusReason": "exited"},
        ],
        "retryStrategy": {"attempts": 2, "evaluateOnExit": []},
        "container": {"image": "busybox", "exitCode": 3, "logStreamName": f"{STACK}-jd/default/2222"},
    },
}


# ------------------------------------------------------------------------------------------------ readable alerts
def test_the_failure_alert_is_a_sentence_and_one_field_a_line():
    plan, lines = compile_model(BASE)
    assert lines == []
    rule = plan["eventbridge"]["alerts"]["rule"]
    assert rule["input_paths"] == {
        "job": "$.detail.jobName",
        "id": "$.detail.jobId",
        "queue": "$.detail.jobQueue",
        "status": "$.detail.status",
        "reason": "$.detail.statusReason",
        "exit": "$.detail.container.exitCode",
        "attempts": "$.detail.retryStrategy.attempts",
        "log": "$.detail.container.logStreamName",
    }
    # A text template is JSON strings, one a line: every line parses as one.
    assert all(isinstance(json.loads(line), str) for line in rule["input_template"].splitlines())
    assert render_template(rule["input_template"], rule["input_paths"], FAILED_EVENT).splitlines() == [
        f'"AWS Batch job nightly-report is FAILED in stack {STACK}: Essential container in task exited"',
        '"Job ID: 4c7599ae-0a82-49aa-ba5a-4727fcce14a8"',
        f'"Queue: arn:aws:batch:eu-west-1:{ACCOUNT}:job-queue/{STACK}-jq"',
        '"Exit code: 3"',
        '"Attempts allowed: 2"',
        f'"Log stream: {STACK}-jd/default/2222 (log group {LOG_GROUP})"',
    ]


def test_a_job_that_failed_before_its_container_started_leaves_those_fields_empty():
    plan, _lines = compile_model(BASE)
    rule = plan["eventbridge"]["alerts"]["rule"]
    event = copy.deepcopy(FAILED_EVENT)
    event["detail"].update(statusReason="CannotPullContainerError: pull access denied", attempts=[], container={})
    text = render_template(rule["input_template"], rule["input_paths"], event).splitlines()
    assert text[0].endswith(': CannotPullContainerError: pull access denied"')
    assert text[3:6:2] == ['"Exit code: "', f'"Log stream:  (log group {LOG_GROUP})"']


def test_the_alert_names_the_log_group_the_jobs_write_to():
    plan, _lines = compile_model(dict(BASE, batch_log_group_name="/teams/carbon/jobs"))
    assert "(log group /teams/carbon/jobs)" in plan["eventbridge"]["alerts"]["rule"]["input_template"]


# ---------------------------------------------------------------------------------------------- job definition options
EFS_JD = {
    **BASE["batch_job_definitions"][0],
    "job_role": "app",
    "volumes": [
        {
            "name": "data",
            "efs": {
                "file_system_id": "fs-0123456789abcdef0",
                "access_point_id": "fsap-0123456789abcdef0",
                "transit_encryption": True,
                "iam": True,
            },
        },
        {"name": "scratch", "host_path": "/mnt/scratch"},
        {"name": "empty"},
    ],
    "mount_points": [
        {"source_volume": "data", "container_path": "/data", "read_only": True},
        {"source_volume": "scratch", "container_path": "/scratch"},
    ],
    "linux_parameters": {
        "init_process_enabled": True,
        "shared_memory_size": 256,
        "tmpfs": [{"container_path": "/run", "size": 64, "mount_options": ["noexec"]}],
        "devices": [{"host_path": "/dev/fuse", "permissions": ["READ", "WRITE"]}],
    },
    "ulimits": [{"name": "nofile", "soft_limit": 1024, "hard_limit": 4096}],
    "user": "1000:1000",
    "privileged": False,
    "readonly_root_filesystem": True,
    "log_options": {"awslogs-stream-prefix": "jd", "mode": "non-blocking"},
    "container_properties": {"enableExecuteCommand": True},
}


def test_each_job_definition_option_becomes_the_module_parameter():
    variables = dict(BASE, iam_job_roles=[{"name": "app"}], batch_job_definitions=[EFS_JD])
    plan, lines = compile_model(variables)
    assert lines == []
    params = plan["batch"]["job_definitions"][0]
    assert params["volumes"] == [
        {
            "name": "data",
            "efs_volume_configuration": {
                "file_system_id": "fs-0123456789abcdef0",
                "transit_encryption": "ENABLED",
                "authorization_config": {"access_point_id": "fsap-0123456789abcdef0", "iam": "ENABLED"},
            },
        },
        {"name": "scratch", "host": {"source_path": "/mnt/scratch"}},
        {"name": "empty"},
    ]
    assert params["mount_points"] == [
        {"source_volume": "data", "container_path": "/data", "read_only": True},
        {"source_volume": "scratch", "container_path": "/scratch", "read_only": False},
    ]
    assert params["linux_parameters"] == EFS_JD["linux_parameters"]
    assert params["ulimits"] == EFS_JD["ulimits"]
    assert (params["user"], params["privileged"], params["readonly_root_filesystem"]) == ("1000:1000", False, True)
    assert params["container_properties"] == {"enableExecuteCommand": True}
    # The plan's awslogs group and region stay; the inventory adds options.
    assert params["log_configuration"] == {
        "log_driver": "awslogs",
        "options": {
            "awslogs-stream-prefix": "jd",
            "mode": "non-blocking",
            "awslogs-group": LOG_GROUP,
            "awslogs-region": "eu-west-1",
        },
    }
    assert params["job_role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/{STACK}/{STACK}-job-app"


def test_options_left_out_are_left_out_of_the_module_parameters():
    plan, _lines = compile_model(BASE)
    params = plan["batch"]["job_definitions"][0]
    for option in (
        "volumes",
        "mount_points",
        "linux_parameters",
        "ulimits",
        "user",
        "privileged",
        "readonly_root_filesystem",
        "container_properties",
    ):
        assert option not in params, option
    assert params["log_configuration"]["options"] == {"awslogs-group": LOG_GROUP, "awslogs-region": "eu-west-1"}


def test_update_to_latest_image_version_goes_to_the_compute_environment_module():
    from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import modules

    variables = copy.deepcopy(BASE)
    variables["batch_compute_environments"][0]["update_to_latest_image_version"] = True
    plan, lines = compile_model(variables)
    if "update_to_latest_image_version" in modules.argument_spec("compute_environment"):
        assert lines == []
        assert plan["batch"]["compute_environments"][0]["update_to_latest_image_version"] is True
    else:  # until the module has the option, the plan says so rather than dropping the setting
        assert lines == [
            "batch_compute_environments[ce].update_to_latest_image_version: needs the compute_environment module's "
            "update_to_latest_image_version option, which this version of the collection lacks"
        ]
    plan, _lines = compile_model(BASE)
    assert "update_to_latest_image_version" not in plan["batch"]["compute_environments"][0]


# ---------------------------------------------------------------------------------------------- image repositories
REPO = f"{STACK}-app"
REPO_ARN = f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{REPO}"
REPO_URI = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/{REPO}"
DIGEST = "sha256:" + "ab" * 32


def with_repository(entry=None, image=None, **variables):
    out = copy.deepcopy(BASE)
    out["batch_image_repositories"] = [{"name": "app", **(entry or {})}]
    if image is not None:
        out["batch_job_definitions"][0]["image"] = image
    out.update(variables)
    return out


def refreshed(found=None, tagged=(), counts=None):
    """What the refresh found: model resources by kind, the Tagging API's listing, image counts."""
    return {
        "found": copy.deepcopy(found or {}),
        "listed": {"tagged": list(tagged), "roles_under_path": {}, "image_counts": dict(counts or {})},
    }


def ours(stack=STACK):
    return {"ondemand:stack": stack}


def test_a_repository_is_the_stacks_name_lifecycle_policy_scanning_and_tags():
    plan, lines = compile_model(with_repository({"keep_images": 3, "immutable_tags": True}, batch_tags={"team": "x"}))
    assert lines == []
    assert plan["batch"]["image_repositories"] == [
        {
            "name": REPO,
            "image_tag_mutability": "IMMUTABLE",
            "scan_on_push": True,
            "lifecycle_policy": {
                "rules": [
                    {
                        "rulePriority": 1,
                        "description": "Untagged images expire 1 day after their push",
                        "selection": {
                            "tagStatus": "untagged",
                            "countType": "sinceImagePushed",
                            "countUnit": "days",
                            "countNumber": 1,
                        },
                        "action": {"type": "expire"},
                    },
                    {
                        "rulePriority": 2,
                        "description": "Keep the newest 3 images",
                        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3},
                        "action": {"type": "expire"},
                    },
                ]
            },
            "tags": {**BASE["stack_tags"], "team": "x", "ondemand:stack": STACK},
            "purge_tags": True,
            "state": "present",
        }
    ]
    defaults = compile_model(with_repository())[0]["batch"]["image_repositories"][0]
    assert (defaults["image_tag_mutability"], defaults["scan_on_push"]) == ("MUTABLE", True)
    assert defaults["lifecycle_policy"]["rules"][1]["selection"]["countNumber"] == 10


def test_a_job_definition_names_its_image_by_repository_and_tag_or_digest():
    plan, lines = compile_model(with_repository(image={"repository": "app", "tag": "v3"}))
    assert lines == []
    assert plan["batch"]["job_definitions"][0]["image"] == f"{REPO_URI}:v3"
    plan, _lines = compile_model(with_repository(image={"repository": "app", "digest": DIGEST}))
    assert plan["batch"]["job_definitions"][0]["image"] == f"{REPO_URI}@{DIGEST}"


def test_in_the_china_partition_the_registry_is_under_amazonaws_com_cn():
    facts = {"account_id": ACCOUNT, "partition": "aws-cn", "network": {"subnets": ["s"], "security_group_ids": ["g"]}}
    variables = with_repository(image={"repository": "app", "tag": "v3"}, stack_region="cn-north-1")
    plan, lines = compile_model(variables, facts=facts)
    assert lines == []
    assert plan["batch"]["job_definitions"][0]["image"] == (f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/{REPO}:v3")
    assert (
        plan["batch"]["image_repository_names"]["app"]["arn"]
        == f"arn:aws-cn:ecr:cn-north-1:{ACCOUNT}:repository/{REPO}"
    )


def test_a_fargate_job_may_give_its_own_repository_by_uri_and_an_ec2_job_any_image():
    fargate = {
        "batch_compute_environments": [{"name": "fargate", "compute_type": "FARGATE", "max_vcpus": 4}],
        "batch_job_queues": [{**BASE["batch_job_queues"][0], "compute_environments": ["fargate"]}],
    }
    variables = with_repository(image=f"{REPO_URI}:v3", **fargate)
    variables["batch_job_definitions"][0].update(platform="FARGATE", vcpus=1, memory=2048)
    assert compile_model(variables)[1] == []
    other = with_repository(image=f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/shared-tools:v1")
    assert compile_model(other)[1] == []  # on EC2 the instance role pulls


def test_the_execution_role_may_pull_from_exactly_the_stacks_repositories_and_write_its_log_group():
    plan, _lines = compile_model(with_repository())
    execution = next(r for r in plan["iam"]["roles"] if r["name"] == f"{STACK}-job-execution")
    assert execution["managed_policies"] == []  # not AmazonECSTaskExecutionRolePolicy: ECR and logs on *
    policy = next(p for p in plan["iam"]["policies"] if p["policy_name"] == "task-execution")
    assert (policy["iam_name"], policy["state"]) == (f"{STACK}-job-execution", "present")
    assert policy["policy_json"]["Statement"] == [
        {
            "Sid": "WriteStackLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:{LOG_GROUP}:*",
        },
        {
            "Sid": "PullStackImages",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": [REPO_ARN],
        },
        {"Sid": "GetRegistryToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    ]
    plan, _lines = compile_model(BASE)
    policy = next(p for p in plan["iam"]["policies"] if p["policy_name"] == "task-execution")
    assert [s["Sid"] for s in policy["policy_json"]["Statement"]] == ["WriteStackLogs"]  # no ECR right at all


def test_a_repository_of_another_stack_is_refused_and_an_untagged_one_unless_adopted():
    other = {"image_repository": {REPO: {"arn": REPO_ARN, "uri": REPO_URI, "tags": ours("dev-carbon")}}}
    assert compile_model(with_repository(), refreshed=refreshed(other))[1] == [
        f"batch_image_repositories[app]: ECR repository {REPO} belongs to stack 'dev-carbon' (tag "
        "ondemand:stack=dev-carbon): a stack never changes another stack's resources; give this one another name"
    ]
    untagged = {"image_repository": {REPO: {"arn": REPO_ARN, "uri": REPO_URI, "tags": {}}}}
    assert compile_model(with_repository(), refreshed=refreshed(untagged))[1] == [
        f"batch_image_repositories[app]: ECR repository {REPO} exists and is not tagged as a member of any stack: "
        "deploy with -e adopt=true (or adopt: true on the entry) to take it over and tag it"
    ]
    plan, lines = compile_model(with_repository({"adopt": True}), refreshed=refreshed(untagged))
    row = next(r for r in plan["resources"] if r["kind"] == "image_repository")
    assert (lines, row["action_hint"], row["arn"]) == ([], "adopt", REPO_ARN)


ORPHAN = f"{STACK}-old"
ORPHAN_ARN = f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{ORPHAN}"


def test_destroy_deletes_an_empty_repository_and_refuses_one_with_images_before_any_write():
    found = {"image_repository": {REPO: {"arn": REPO_ARN, "uri": REPO_URI, "tags": ours()}}}
    plan, lines = compile_model(with_repository(), state="absent", refreshed=refreshed(found))
    assert lines == []
    assert plan["batch"]["delete"]["image_repositories"] == [{"name": REPO, "force_delete": False, "images": 0}]
    _plan, lines = compile_model(with_repository(), state="absent", refreshed=refreshed(found, counts={REPO: 3}))
    assert lines == [
        f"batch_image_repositories[app]: ECR repository {REPO} still holds 3 image(s), which destroy would delete "
        "with it (images are data): remove them, or set force_delete: true on the entry "
        "(batch_image_repositories_force_delete: true for every repository, or -e "
        "batch_image_repositories_force_delete=true)"
    ]


def test_force_delete_of_the_entry_or_of_every_repository_deletes_it_with_its_images():
    found = {"image_repository": {REPO: {"arn": REPO_ARN, "uri": REPO_URI, "tags": ours()}}}
    for variables in (
        with_repository({"force_delete": True}),
        with_repository(batch_image_repositories_force_delete=True),
    ):
        plan, lines = compile_model(variables, state="absent", refreshed=refreshed(found, counts={REPO: 3}))
        assert lines == []
        assert plan["batch"]["delete"]["image_repositories"] == [{"name": REPO, "force_delete": True, "images": 3}]
    # The entry's setting wins over the stack-wide one.
    variables = with_repository({"force_delete": False}, batch_image_repositories_force_delete=True)
    assert compile_model(variables, state="absent", refreshed=refreshed(found, counts={REPO: 3}))[1]


def test_a_repository_tagged_as_the_stacks_that_left_the_model_is_listed_and_pruned_by_the_same_rule():
    tagged = [{"arn": ORPHAN_ARN, "tags": ours()}]
    plan, lines = compile_model(BASE, refreshed=refreshed(tagged=tagged))
    assert (lines, plan["orphans"]["image_repository"]) == ([], [ORPHAN])
    assert plan["batch"]["delete"]["image_repositories"] == []
    assert "image repository: " + ORPHAN in plan["warnings"][0]
    _plan, lines = compile_model(dict(BASE, prune=True), refreshed=refreshed(tagged=tagged, counts={ORPHAN: 2}))
    assert lines == [
        f"batch_image_repositories_force_delete: ECR repository {ORPHAN} still holds 2 image(s), which prune would "
        "delete with it (images are data): remove them, or set force_delete: true on the entry "
        "(batch_image_repositories_force_delete: true for every repository, or -e "
        "batch_image_repositories_force_delete=true)"
    ]
    plan, lines = compile_model(
        dict(BASE, prune=True, batch_image_repositories_force_delete=True),
        refreshed=refreshed(tagged=tagged, counts={ORPHAN: 2}),
    )
    assert lines == []
    assert plan["batch"]["delete"]["image_repositories"] == [{"name": ORPHAN, "force_delete": True, "images": 2}]


def test_the_refresh_counts_images_only_of_the_repositories_a_run_would_delete():
    from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import refresh

    plan, _lines = compile_model(with_repository())
    found = {REPO: {"arn": REPO_ARN, "tags": ours()}}
    tagged = [{"arn": ORPHAN_ARN, "tags": ours()}, {"arn": REPO_ARN, "tags": ours()}]
    assert refresh.image_repositories_to_delete(plan, found, tagged) == []  # a deploy deletes none
    plan["options"]["prune"]["batch"] = True
    assert refresh.image_repositories_to_delete(plan, found, tagged) == [ORPHAN]
    plan, _lines = compile_model(with_repository(), state="absent")
    assert refresh.image_repositories_to_delete(plan, found, tagged) == [REPO, ORPHAN]
    assert refresh.image_repositories_to_delete(plan, {REPO: None}, []) == []


def test_the_outputs_give_each_repositorys_uri_to_push_to():
    from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import summary

    plan, _lines = compile_model(with_repository(), refreshed=refreshed())
    assert summary.outputs(plan, [])["batch"]["image_repositories"] == {REPO: {"arn": REPO_ARN, "uri": REPO_URI}}
