"""What the plan builds for image repositories, readable alerts and the job definition options (issue 16).

The rules these features add (one mistake, one problem) are cases of test_stack_plan_rules.py; here is what a valid
model compiles to: the exact module parameters, ARNs and URIs, and the alert's text for a documented Batch event.
"""

import copy
import json
import re

from stack_model import ACCOUNT, compile_model, inventory

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


def render(template, paths, event):
    """An input transformer as EventBridge applies it to a text template: each placeholder replaced by the value its
    JSON path selects (strings without quotes, numbers as digits, nothing for a path the event lacks), the text
    sent as written."""

    def value(path):
        node = event
        for key in path.removeprefix("$.").split("."):
            if not isinstance(node, dict) or key not in node:
                return ""
            node = node[key]
        return node if isinstance(node, str) else json.dumps(node)

    return re.sub(r"<([A-Za-z0-9_.-]+)>", lambda m: value(paths[m.group(1)]), template)


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
    assert render(rule["input_template"], rule["input_paths"], FAILED_EVENT).splitlines() == [
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
    text = render(rule["input_template"], rule["input_paths"], event).splitlines()
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
