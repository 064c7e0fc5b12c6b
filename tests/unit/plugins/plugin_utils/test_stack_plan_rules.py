"""Every rule of the stack model, on the plan compiler (no playbook, no AWS): one inventory mistake per case.

Each case changes the local inventory in one way and names the problem the plan must report: its inventory path
exactly, and the rule (a regular expression, case-insensitive) with the value it got. The model is otherwise valid,
so a case that reports nothing, or something else as well, fails.
"""

import copy
import re

import pytest
from stack_model import ACCOUNT, compile_model, inventory

BASE = inventory()
CE = BASE["batch_compute_environments"][0]
JQ = BASE["batch_job_queues"][0]
JD = BASE["batch_job_definitions"][0]
SCHEDULE = BASE["eventbridge_schedules"][0]
FARGATE_CE = {"name": "fargate", "compute_type": "FARGATE", "max_vcpus": 4}
OTHER_ACCOUNT = "210987654321"


def model(**changes):
    variables = copy.deepcopy(BASE)
    variables.update(copy.deepcopy(changes))
    return variables


def ce(**changes):
    return {"batch_compute_environments": [{**CE, **changes}]}


def jq(**changes):
    return {"batch_job_queues": [{**JQ, **changes}]}


def jd(**changes):
    return {"batch_job_definitions": [{**JD, **changes}]}


def schedule(**changes):
    return {"eventbridge_schedules": [{**SCHEDULE, **changes}]}


def without(entry, *keys):
    return {k: v for k, v in entry.items() if k not in keys}


SCHEDULER = {"eventbridge_backend": "scheduler"}
# A queue on Fargate capacity, for the Fargate job definition cases.
FARGATE_STACK = {"batch_compute_environments": [FARGATE_CE], **jq(compute_environments=["fargate"])}
FAIR = {"batch_scheduling_policies": [{"name": "fair"}]}
FARGATE_JD = {"platform": "FARGATE", "vcpus": 1, "memory": 2048}
EFS_ID = "fs-0123456789abcdef0"
ACCESS_POINT = "fsap-0123456789abcdef0"
REPOSITORY = {"batch_image_repositories": [{"name": "app"}]}
DIGEST = "sha256:" + "0" * 64

# (id, variables changed, [(exact path, rule regex)])
CASES = [
    # ------------------------------------------------------------------ compute environments (module validators)
    (
        "min-vcpus-negative",
        ce(min_vcpus=-2),
        [("batch_compute_environments[ce].min_vcpus", r"must be at least 0 \(got -2\)")],
    ),
    (
        "bid-percentage-150",
        ce(compute_type="SPOT", bid_percentage=150),
        [("batch_compute_environments[ce].bid_percentage", r"at most 100 \(got 150\)")],
    ),
    (
        "min-gt-max",
        ce(min_vcpus=8, max_vcpus=4, desired_vcpus=4),
        [
            ("batch_compute_environments[ce].min_vcpus", r"must not exceed max_vcpus \(8 > 4\)"),
            ("batch_compute_environments[ce].desired_vcpus", r"at least min_vcpus \(4 < 8\)"),
        ],
    ),
    (
        "desired-gt-max",
        ce(desired_vcpus=16),
        [("batch_compute_environments[ce].desired_vcpus", r"must not exceed max_vcpus \(16 > 8\)")],
    ),
    (
        "desired-below-min",
        ce(min_vcpus=4, desired_vcpus=2),
        [("batch_compute_environments[ce].desired_vcpus", r"at least min_vcpus \(2 < 4\)")],
    ),
    (
        "ec2-without-instance-types",
        ce(instance_types=[]),
        [("batch_compute_environments[ce].instance_types", "must not be empty")],
    ),
    (
        "managed-without-max-vcpus",
        {"batch_compute_environments": [without(CE, "max_vcpus")]},
        [("batch_compute_environments[ce].max_vcpus", "required to create a EC2 compute environment")],
    ),
    (
        "managed-without-compute-type",
        {"batch_compute_environments": [without(CE, "compute_type")]},
        [("batch_compute_environments[ce].compute_type", "required to create a MANAGED compute environment")],
    ),
    (
        "unknown-compute-type",
        ce(compute_type="GPU"),
        [
            (
                "batch_compute_environments[ce].compute_type",
                r"must be one of EC2, SPOT, FARGATE, FARGATE_SPOT \(got 'GPU'\)",
            )
        ],
    ),
    (
        "unknown-allocation-strategy",
        ce(allocation_strategy="CHEAPEST"),
        [
            (
                "batch_compute_environments[ce].allocation_strategy",
                r"must be one of: .*BEST_FIT_PROGRESSIVE.*got: CHEAPEST",
            )
        ],
    ),
    (
        "spot-strategy-on-ec2",
        ce(allocation_strategy="SPOT_CAPACITY_OPTIMIZED"),
        [("batch_compute_environments[ce].allocation_strategy", "only available for SPOT")],
    ),
    (
        "fargate-with-instance-types",
        {"batch_compute_environments": [CE, {**FARGATE_CE, "instance_types": ["c5.large"]}]},
        [
            (
                "batch_compute_environments[fargate].instance_types",
                "not supported for FARGATE compute environments",
            )
        ],
    ),
    (
        "misspelt-environment-field",
        ce(max_vcpu=8),
        [("batch_compute_environments[ce].max_vcpu", r"is not an option here \(known: .*max_vcpus")],
    ),
    (
        "invalid-environment-name",
        {**ce(name="bad name!"), **jq(compute_environments=["bad name!"])},
        [
            ("batch_compute_environments[0].name", "must be 1-128 characters"),
            ("batch_job_queues[jq].compute_environments", "must be 1-128 characters"),
        ],
    ),
    (
        "name-ending-in-newline",
        {**ce(name="ce\n"), **jq(compute_environments=["ce\n"])},
        [
            ("batch_compute_environments[0].name", r"must be 1-128 characters.*'local-carbon-ce\\n'"),
            ("batch_job_queues[jq].compute_environments", "must be 1-128 characters"),
        ],
    ),
    (
        "name-too-long",
        {**ce(name="c" * 120), **jq(compute_environments=["c" * 120])},
        [
            (f"batch_compute_environments[{'c' * 120}].name", "must be 1-128 characters"),
            ("batch_job_queues[jq].compute_environments", "must be 1-128 characters"),
        ],
    ),
    (
        "duplicate-environment-names",
        {"batch_compute_environments": [CE, CE]},
        [("batch_compute_environments[ce]", r"'ce' is used twice .*names must be unique")],
    ),
    (
        "environment-max-vcpus-not-a-number",
        ce(max_vcpus="eight"),
        [("batch_compute_environments[ce].max_vcpus", r"must be a whole number \(got 'eight'\)")],
    ),
    (
        "environment-enabled-not-a-bool",
        ce(enabled="sometimes"),
        [("batch_compute_environments[ce].enabled", r"must be true or false \(got 'sometimes'\)")],
    ),
    (
        "update-policy-timeout-0",
        ce(update_policy={"job_execution_timeout_minutes": 0}),
        [("batch_compute_environments[ce].update_policy.job_execution_timeout_minutes", r"at least 1 \(got 0\)")],
    ),
    (
        "assign-public-ip-on-an-environment",
        ce(assign_public_ip=True),
        [("batch_compute_environments[ce].assign_public_ip", "is not an option here")],
    ),
    (
        "instance-tag-overrides-membership",
        ce(instance_tags={"ondemand:stack": "other"}),
        [("batch_compute_environments[ce].instance_tags.ondemand:stack", "reserved")],
    ),
    (
        "tag-overrides-membership-on-environment",
        ce(tags={"ondemand:stack": "other"}),
        [("batch_compute_environments[ce].tags.ondemand:stack", r"reserved .*always 'local-carbon'")],
    ),
    ("aws-prefixed-tag", ce(tags={"aws:cost": "x"}), [("batch_compute_environments[ce].tags.aws:cost", "reserved")]),
    (
        "tag-value-too-long",
        ce(tags={"team": "t" * 257}),
        [("batch_compute_environments[ce].tags.team", "at most 256 characters")],
    ),
    # ------------------------------------------------------------------ scheduling policies and queues
    (
        "compute-reservation-150",
        {"batch_scheduling_policies": [{"name": "fair", "compute_reservation": 150}]},
        [("batch_scheduling_policies[fair].compute_reservation", r"at most 99 \(got 150\)")],
    ),
    (
        "share-decay-negative",
        {"batch_scheduling_policies": [{"name": "fair", "share_decay_seconds": -1}]},
        [("batch_scheduling_policies[fair].share_decay_seconds", r"at least 0 \(got -1\)")],
    ),
    (
        "share-identifier-with-space",
        {"batch_scheduling_policies": [{"name": "fair", "share_distribution": [{"share_identifier": "a b"}]}]},
        [("batch_scheduling_policies[fair].share_distribution[0].share_identifier", r"letters and digits.*'a b'")],
    ),
    (
        "ec2-and-fargate-in-one-queue",
        {"batch_compute_environments": [CE, FARGATE_CE], **jq(compute_environments=["ce", "fargate"])},
        [("batch_job_queues[jq].compute_environments", "mixes EC2/SPOT and FARGATE/FARGATE_SPOT")],
    ),
    (
        "four-environments-in-a-queue",
        {
            "batch_compute_environments": [{**CE, "name": f"ce{i}"} for i in range(4)],
            **jq(compute_environments=[f"ce{i}" for i in range(4)]),
        },
        [("batch_job_queues[jq].compute_environments", r"at most 3 items \(got 4\)")],
    ),
    (
        "queue-environment-not-in-model",
        jq(compute_environments=["nope"]),
        [("batch_job_queues[jq].compute_environments", r"nope not in batch_compute_environments \(known: ce\)")],
    ),
    (
        "queue-environment-twice",
        jq(compute_environments=["ce", "ce"]),
        [("batch_job_queues[jq].compute_environments", "lists local-carbon-ce more than once")],
    ),
    (
        "queue-priority-out-of-range",
        jq(priority=5000),
        [("batch_job_queues[jq].priority", r"at most 1000 \(got 5000\)")],
    ),
    (
        "queue-unknown-scheduling-policy",
        jq(scheduling_policy="fair"),
        [("batch_job_queues[jq].scheduling_policy", r"'fair' is not in batch_scheduling_policies")],
    ),
    (
        "queue-time-limit-10-seconds",
        jq(
            job_state_time_limit_actions=[
                {
                    "reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
                    "state": "RUNNABLE",
                    "max_time_seconds": 10,
                    "action": "CANCEL",
                }
            ]
        ),
        [("batch_job_queues[jq].job_state_time_limit_actions[0].max_time_seconds", r"at least 600 \(got 10\)")],
    ),
    ("duplicate-queue-names", {"batch_job_queues": [JQ, JQ]}, [("batch_job_queues[jq]", "used twice")]),
    (
        "queue-without-environments",
        {"batch_job_queues": [without(JQ, "compute_environments")]},
        [("batch_job_queues[jq].compute_environments", "is required")],
    ),
    # ------------------------------------------------------------------ job definitions
    ("keep-revisions-0", jd(keep_revisions=0), [("batch_job_definitions[jd].keep_revisions", r"at least 1 \(got 0\)")]),
    ("gpus-0", jd(gpus=0), [("batch_job_definitions[jd].gpus", r"at least 1 when set \(got 0\)")]),
    (
        "scheduling-priority-10000",
        jd(scheduling_priority=10000),
        [("batch_job_definitions[jd].scheduling_priority", r"at most 9999 \(got 10000\)")],
    ),
    ("timeout-below-60", jd(timeout=30), [("batch_job_definitions[jd].timeout", r"at least 60 \(got 30\)")]),
    (
        "attempts-0",
        jd(retry_strategy={"attempts": 0}),
        [("batch_job_definitions[jd].retry_strategy.attempts", r"at least 1 \(got 0\)")],
    ),
    (
        "attempts-11",
        jd(retry_strategy={"attempts": 11}),
        [("batch_job_definitions[jd].retry_strategy.attempts", r"at most 10 \(got 11\)")],
    ),
    (
        "six-evaluate-on-exit-rules",
        jd(
            retry_strategy={
                "attempts": 2,
                "evaluate_on_exit": [{"on_exit_code": str(i), "action": "RETRY"} for i in range(6)],
            }
        ),
        [("batch_job_definitions[jd].retry_strategy.evaluate_on_exit", r"at most 5 items \(got 6\)")],
    ),
    (
        "exit-code-pattern-with-letters",
        jd(retry_strategy={"attempts": 2, "evaluate_on_exit": [{"on_exit_code": "1a", "action": "EXIT"}]}),
        [("batch_job_definitions[jd].retry_strategy.evaluate_on_exit[0].on_exit_code", r"must be digits.*'1a'")],
    ),
    (
        "evaluate-on-exit-bad-action",
        jd(retry_strategy={"attempts": 2, "evaluate_on_exit": [{"on_reason": "*", "action": "MAYBE"}]}),
        [
            (
                "batch_job_definitions[jd].retry_strategy.evaluate_on_exit[0].action",
                r"must be one of RETRY, EXIT \(got 'MAYBE'\)",
            )
        ],
    ),
    (
        "environment-collides-with-secret",
        jd(environment={"MY_SECRET": "plain"}),
        [("batch_job_definitions[jd].secrets.MY_SECRET", "is also set in environment")],
    ),
    (
        "environment-starts-with-aws-batch",
        jd(environment={"AWS_BATCH_JOB": "x"}),
        [("batch_job_definitions[jd].environment.AWS_BATCH_JOB", "reserved by AWS Batch")],
    ),
    (
        "secret-variable-starts-with-aws-batch",
        jd(secrets={"AWS_BATCH_TOKEN": "MY_SECRET"}),
        [("batch_job_definitions[jd].secrets.AWS_BATCH_TOKEN", "reserved by AWS Batch")],
    ),
    (
        "assign-public-ip-on-ec2",
        jd(assign_public_ip=True),
        [("batch_job_definitions[jd].assign_public_ip", r"only supported with platform=FARGATE \(got platform EC2\)")],
    ),
    (
        "ephemeral-storage-on-ec2",
        jd(ephemeral_storage=30),
        [("batch_job_definitions[jd].ephemeral_storage", "only supported with platform=FARGATE")],
    ),
    (
        "fargate-unsupported-vcpu-memory",
        {**FARGATE_STACK, **jd(platform="FARGATE", vcpus=1, memory=512)},
        [("batch_job_definitions[jd].memory", r"must be one of 2048, .* MiB with 1 vCPU on FARGATE \(got 512\)")],
    ),
    (
        "fargate-unsupported-vcpus",
        {**FARGATE_STACK, **jd(platform="FARGATE", vcpus=3, memory=8192)},
        [("batch_job_definitions[jd].vcpus", r"must be one of 0.25, .* on FARGATE \(got 3\)")],
    ),
    ("ec2-half-vcpu", jd(vcpus=0.5), [("batch_job_definitions[jd].vcpus", r"at least 1 on EC2 \(got 0.5\)")]),
    ("memory-too-small", jd(memory=2), [("batch_job_definitions[jd].memory", r"at least 4 MiB on EC2 \(got 2\)")]),
    (
        "secret-not-in-inventory",
        jd(secrets={"MY_SECRET": "NOT_DEFINED"}),
        [
            (
                "batch_job_definitions[jd].secrets.MY_SECRET",
                r"'NOT_DEFINED' is not a secret of secrets_secrets \(known: MY_SECRET\)",
            )
        ],
    ),
    (
        "secret-marked-absent",
        {"secrets_secrets": [{"name": "MY_SECRET", "state": "absent"}]},
        [("batch_job_definitions[jd].secrets.MY_SECRET", r"marked state: absent")],
    ),
    (
        "job-role-not-in-model",
        jd(job_role="ghost"),
        [("batch_job_definitions[jd].job_role", r"'ghost' is not a role of iam_job_roles \(known: none\)")],
    ),
    (
        "job-definition-without-image",
        {"batch_job_definitions": [without(JD, "image")]},
        [("batch_job_definitions[jd].image", "is required")],
    ),
    (
        "job-definition-unknown-platform",
        jd(platform="LAMBDA"),
        [("batch_job_definitions[jd].platform", r"must be one of EC2, FARGATE \(got 'LAMBDA'\)")],
    ),
    (
        "duplicate-job-definition-names",
        {"batch_job_definitions": [JD, JD]},
        [("batch_job_definitions[jd]", "used twice")],
    ),
    (
        "log-retention-not-allowed",
        {"batch_log_retention_days": 8},
        [("batch_log_retention_days", r"must be one of 1, 3, 5, 7, 14, .* \(got 8\)")],
    ),
    (
        "log-group-bad-name",
        {"batch_log_group_name": "/aws/batch/bad name"},
        [("batch_log_group_name", r"letters, digits and ._-/# \(got '/aws/batch/bad name'\)")],
    ),
    (
        "log-kms-key-in-another-region",
        {"batch_log_kms_key_id": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"},
        [("batch_log_kms_key_id", "is in region us-east-1, the stack is in eu-west-1")],
    ),
    (
        "unknown-default-job-queue",
        {"batch_default_job_queue": "local-carbon-nope"},
        [("batch_default_job_queue", r"one of local-carbon-jq \(got 'local-carbon-nope'\)")],
    ),
    (
        "unknown-default-job-definition",
        {"batch_default_job_definition": "nope"},
        [("batch_default_job_definition", r"one of local-carbon-jd \(got 'nope'\)")],
    ),
    # ------------------------------------------------------------------ job definition options (issue 16)
    (
        "volume-host-path-and-efs",
        jd(volumes=[{"name": "v", "host_path": "/mnt/v", "efs": {"file_system_id": EFS_ID}}]),
        [("batch_job_definitions[jd].volumes[v]", "takes host_path or efs, not both")],
    ),
    (
        "host-volume-on-fargate",
        {**FARGATE_STACK, **jd(**FARGATE_JD, volumes=[{"name": "v", "host_path": "/mnt/v"}])},
        [("batch_job_definitions[jd].volumes[v].host_path", "not supported on FARGATE")],
    ),
    (
        "host-path-relative",
        jd(volumes=[{"name": "v", "host_path": "mnt/v"}]),
        [("batch_job_definitions[jd].volumes[v].host_path", r"absolute path on the instance.*'mnt/v'")],
    ),
    (
        "volume-name-with-space",
        jd(volumes=[{"name": "my data"}]),
        [("batch_job_definitions[jd].volumes[0].name", r"letters, digits, '-' and '_' \(got 'my data'\)")],
    ),
    (
        "efs-file-system-id-not-an-id",
        jd(volumes=[{"name": "v", "efs": {"file_system_id": "my-efs"}}]),
        [
            (
                "batch_job_definitions[jd].volumes[v].efs.file_system_id",
                r"EFS file system ID, fs-\.\.\. \(got 'my-efs'\)",
            )
        ],
    ),
    (
        "efs-access-point-without-transit-encryption",
        jd(volumes=[{"name": "v", "efs": {"file_system_id": EFS_ID, "access_point_id": ACCESS_POINT}}]),
        [("batch_job_definitions[jd].volumes[v].efs.access_point_id", "needs transit_encryption: true")],
    ),
    (
        "efs-access-point-with-root-directory",
        jd(
            volumes=[
                {
                    "name": "v",
                    "efs": {
                        "file_system_id": EFS_ID,
                        "access_point_id": ACCESS_POINT,
                        "transit_encryption": True,
                        "root_directory": "/data",
                    },
                }
            ]
        ),
        [("batch_job_definitions[jd].volumes[v].efs.root_directory", r"must be / or unset with an access point")],
    ),
    (
        "efs-iam-without-job-role",
        jd(volumes=[{"name": "v", "efs": {"file_system_id": EFS_ID, "transit_encryption": True, "iam": True}}]),
        [("batch_job_definitions[jd].volumes[v].efs.iam", "give the job definition a job_role")],
    ),
    (
        "efs-iam-without-transit-encryption",
        {
            "iam_job_roles": [{"name": "app"}],
            **jd(job_role="app", volumes=[{"name": "v", "efs": {"file_system_id": EFS_ID, "iam": True}}]),
        },
        [("batch_job_definitions[jd].volumes[v].efs.iam", "needs transit_encryption: true")],
    ),
    (
        "efs-port-without-transit-encryption",
        jd(volumes=[{"name": "v", "efs": {"file_system_id": EFS_ID, "transit_encryption_port": 2049}}]),
        [("batch_job_definitions[jd].volumes[v].efs.transit_encryption_port", "only used with transit_encryption")],
    ),
    (
        "efs-misspelt-option",
        jd(volumes=[{"name": "v", "efs": {"filesystem_id": EFS_ID}}]),
        [
            ("batch_job_definitions[jd].volumes[v].efs.filesystem_id", r"not an option here \(known: .*file_system_id"),
            ("batch_job_definitions[jd].volumes[v].efs.file_system_id", "is required"),
        ],
    ),
    (
        "mount-point-of-an-unknown-volume",
        jd(volumes=[{"name": "v"}], mount_points=[{"source_volume": "w", "container_path": "/w"}]),
        [("batch_job_definitions[jd].mount_points", "source_volume 'w' is not one of the volumes")],
    ),
    (
        "mount-point-relative-path",
        jd(volumes=[{"name": "v"}], mount_points=[{"source_volume": "v", "container_path": "data"}]),
        [("batch_job_definitions[jd].mount_points[0].container_path", r"absolute path in the container.*'data'")],
    ),
    (
        "shared-memory-on-fargate",
        {**FARGATE_STACK, **jd(**FARGATE_JD, linux_parameters={"shared_memory_size": 64})},
        [("batch_job_definitions[jd].linux_parameters.shared_memory_size", "not supported on FARGATE")],
    ),
    (
        "tmpfs-on-fargate",
        {**FARGATE_STACK, **jd(**FARGATE_JD, linux_parameters={"tmpfs": [{"container_path": "/t", "size": 8}]})},
        [("batch_job_definitions[jd].linux_parameters.tmpfs", "not supported on FARGATE")],
    ),
    (
        "swappiness-150",
        jd(linux_parameters={"max_swap": 512, "swappiness": 150}),
        [("batch_job_definitions[jd].linux_parameters.swappiness", r"must be 0 to 100 \(got 150\)")],
    ),
    (
        "swappiness-without-max-swap",
        jd(linux_parameters={"swappiness": 10}),
        [("batch_job_definitions[jd].linux_parameters.swappiness", "no effect without max_swap")],
    ),
    (
        "tmpfs-size-0",
        jd(linux_parameters={"tmpfs": [{"container_path": "/t", "size": 0}]}),
        [("batch_job_definitions[jd].linux_parameters.tmpfs[0].size", r"at least 1 MiB \(got 0\)")],
    ),
    (
        "device-permission-unknown",
        jd(linux_parameters={"devices": [{"host_path": "/dev/fuse", "permissions": ["EXECUTE"]}]}),
        [
            (
                "batch_job_definitions[jd].linux_parameters.devices[0].permissions[0]",
                r"must be one of READ, WRITE, MKNOD \(got 'EXECUTE'\)",
            )
        ],
    ),
    (
        "ulimit-unknown-name",
        jd(ulimits=[{"name": "files", "soft_limit": 1, "hard_limit": 2}]),
        [("batch_job_definitions[jd].ulimits[0].name", r"must be one of core, .*nofile.* \(got 'files'\)")],
    ),
    (
        "ulimit-soft-above-hard",
        jd(ulimits=[{"name": "nofile", "soft_limit": 8192, "hard_limit": 1024}]),
        [("batch_job_definitions[jd].ulimits[0].soft_limit", r"must not exceed hard_limit \(8192 > 1024\)")],
    ),
    (
        "ulimit-twice",
        jd(
            ulimits=[
                {"name": "nofile", "soft_limit": 1, "hard_limit": 2},
                {"name": "nofile", "soft_limit": 1, "hard_limit": 4},
            ]
        ),
        [("batch_job_definitions[jd].ulimits[1].name", "nofile is set twice")],
    ),
    (
        "privileged-on-fargate",
        {**FARGATE_STACK, **jd(**FARGATE_JD, privileged=True)},
        [("batch_job_definitions[jd].privileged", "not supported on FARGATE")],
    ),
    (
        "log-option-moves-the-log-group",
        jd(log_options={"awslogs-group": "/elsewhere", "awslogs-stream-prefix": "jd"}),
        [("batch_job_definitions[jd].log_options.awslogs-group", "is set by the plan")],
    ),
    (
        "raw-container-properties-set-the-execution-role",
        jd(container_properties={"executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/admin"}),
        [("batch_job_definitions[jd].container_properties.executionRoleArn", "set by an option of the model")],
    ),
    (
        "raw-container-properties-set-an-option",
        jd(container_properties={"mountPoints": []}),
        [("batch_job_definitions[jd].container_properties.mountPoints", "use mount_points")],
    ),
    (
        "raw-container-properties-in-snake-case",
        jd(container_properties={"enable_execute_command": True}),
        [
            (
                "batch_job_definitions[jd].container_properties.enable_execute_command",
                r"not a containerProperties field .*enableExecuteCommand",
            )
        ],
    ),
    (
        "update-to-latest-image-on-fargate",
        {"batch_compute_environments": [CE, {**FARGATE_CE, "update_to_latest_image_version": True}]},
        [("batch_compute_environments[fargate].update_to_latest_image_version", "only for EC2 and SPOT")],
    ),
    # ------------------------------------------------------------------ image repositories (issue 16)
    (
        "repository-name-with-uppercase",
        {"batch_image_repositories": [{"name": "App"}]},
        [("batch_image_repositories[App].name", r"'local-carbon-App' .*ECR names are lowercase")],
    ),
    (
        "keep-images-0",
        {"batch_image_repositories": [{"name": "app", "keep_images": 0}]},
        [("batch_image_repositories[app].keep_images", r"at least 1 \(got 0\)")],
    ),
    (
        "repository-misspelt-option",
        {"batch_image_repositories": [{"name": "app", "keep_image": 3}]},
        [("batch_image_repositories[app].keep_image", r"not an option here \(known: .*keep_images")],
    ),
    (
        "duplicate-repository-names",
        {"batch_image_repositories": [{"name": "app"}, {"name": "app"}]},
        [("batch_image_repositories[app]", "used twice")],
    ),
    (
        "repository-tag-overrides-membership",
        {"batch_image_repositories": [{"name": "app", "tags": {"ondemand:stack": "other"}}]},
        [("batch_image_repositories[app].tags.ondemand:stack", "reserved")],
    ),
    (
        "image-of-an-unknown-repository",
        jd(image={"repository": "app", "tag": "v3"}),
        [("batch_job_definitions[jd].image.repository", r"'app' is not in batch_image_repositories \(known: none\)")],
    ),
    (
        "image-without-tag-or-digest",
        {**REPOSITORY, **jd(image={"repository": "app"})},
        [("batch_job_definitions[jd].image", "give exactly one of tag and digest")],
    ),
    (
        "image-with-tag-and-digest",
        {**REPOSITORY, **jd(image={"repository": "app", "tag": "v3", "digest": DIGEST})},
        [("batch_job_definitions[jd].image", "give exactly one of tag and digest")],
    ),
    (
        "image-tag-starting-with-a-dot",
        {**REPOSITORY, **jd(image={"repository": "app", "tag": ".v3"})},
        [("batch_job_definitions[jd].image.tag", r"not starting with '\.' or '-' \(got '\.v3'\)")],
    ),
    (
        "image-digest-not-sha256",
        {**REPOSITORY, **jd(image={"repository": "app", "digest": "md5:abc"})},
        [("batch_job_definitions[jd].image.digest", r"sha256: and 64 hex digits \(got 'md5:abc'\)")],
    ),
    (
        "image-with-an-unknown-key",
        {**REPOSITORY, **jd(image={"repository": "app", "tag": "v3", "registry": "x"})},
        [("batch_job_definitions[jd].image.registry", r"not an option here \(known: repository, tag, digest\)")],
    ),
    (
        "image-is-a-list",
        jd(image=["busybox"]),
        [("batch_job_definitions[jd].image", r"must be an image reference or a repository .*\(got list\)")],
    ),
    (
        "fargate-image-from-a-repository-outside-the-stack",
        {**FARGATE_STACK, **jd(**FARGATE_JD, image=f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/other:v1")},
        [("batch_job_definitions[jd].image", "private ECR image outside batch_image_repositories")],
    ),
    # ------------------------------------------------------------------ schedules
    (
        "cron-minute-61",
        schedule(schedule_expression="cron(61 4 * * ? *)"),
        [("eventbridge_schedules[daily].schedule_expression", r"minutes field: 61 is outside 0-59")],
    ),
    (
        "malformed-cron",
        schedule(schedule_expression="cron(0 4 * *)"),
        [("eventbridge_schedules[daily].schedule_expression", r"cron\(\) has 4 fields, not 6")],
    ),
    (
        "cron-two-question-marks",
        schedule(schedule_expression="cron(0 4 ? * ? *)"),
        [("eventbridge_schedules[daily].schedule_expression", r"exactly one of day-of-month .* must be '\?'")],
    ),
    (
        "malformed-rate",
        schedule(schedule_expression="rate(5 minute)"),
        [("eventbridge_schedules[daily].schedule_expression", r"write rate\(5 minutes\), not rate\(5 minute\)")],
    ),
    (
        "timezone-on-mars",
        {**SCHEDULER, **schedule(timezone="Mars/Olympus_Mons")},
        [("eventbridge_schedules[daily].timezone", r"IANA time zone .*'Mars/Olympus_Mons'")],
    ),
    (
        "timezone-with-events-backend",
        schedule(timezone="Europe/Berlin"),
        [("eventbridge_schedules[daily].timezone", "needs backend: scheduler")],
    ),
    (
        "array-size-1",
        schedule(array_size=1),
        [("eventbridge_schedules[daily].array_size", r"must be 2-10000 \(got 1\)")],
    ),
    (
        "retry-attempts-11",
        schedule(retry_attempts=11),
        [("eventbridge_schedules[daily].retry_attempts", r"must be 1-10 \(got 11\)")],
    ),
    (
        "dead-letter-is-an-sns-topic",
        schedule(dead_letter_arn=f"arn:aws:sns:eu-west-1:{ACCOUNT}:topic"),
        [("eventbridge_schedules[daily].dead_letter_arn", "must be an SQS queue ARN")],
    ),
    (
        "dead-letter-in-another-region",
        schedule(dead_letter_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"),
        [("eventbridge_schedules[daily].dead_letter_arn", "is in region us-east-1, the stack is in eu-west-1")],
    ),
    (
        "dead-letter-in-another-account",
        schedule(dead_letter_arn=f"arn:aws:sqs:eu-west-1:{OTHER_ACCOUNT}:dlq"),
        [
            (
                "eventbridge_schedules[daily].dead_letter_arn",
                f"belongs to account {OTHER_ACCOUNT}, the stack's account is {ACCOUNT}",
            )
        ],
    ),
    (
        "schedule-description-over-512",
        schedule(description="d" * 513),
        [("eventbridge_schedules[daily].description", r"at most 512 characters \(got 513\)")],
    ),
    (
        "schedule-environment-aws-batch",
        schedule(environment={"AWS_BATCH_X": "1"}),
        [("eventbridge_schedules[daily].environment", "reserved by AWS Batch")],
    ),
    (
        "schedule-unknown-queue",
        schedule(job_queue="nope"),
        [("eventbridge_schedules[daily].job_queue", r"'nope' is not in batch_job_queues \(known: jq\)")],
    ),
    (
        "schedule-unknown-job-definition",
        schedule(job_definition="nope"),
        [("eventbridge_schedules[daily].job_definition", r"'nope' is not in batch_job_definitions \(known: jd\)")],
    ),
    (
        "schedule-without-expression",
        {"eventbridge_schedules": [without(SCHEDULE, "schedule_expression")]},
        [("eventbridge_schedules[daily].schedule_expression", "is required unless state is absent")],
    ),
    (
        "duplicate-schedule-names",
        {"eventbridge_schedules": [SCHEDULE, SCHEDULE]},
        [("eventbridge_schedules[daily]", "used twice")],
    ),
    ("schedule-name-too-long", schedule(name="s" * 64), [(f"eventbridge_schedules[{'s' * 64}].name", r"1-64 letters")]),
    (
        "schedule-share-identifier-on-fifo-queue",
        {**SCHEDULER, **schedule(share_identifier="blue")},
        [
            (
                "eventbridge_schedules[daily].share_identifier",
                r"queue jq has no scheduling policy, so it takes no share_identifier \(got 'blue'\)",
            )
        ],
    ),
    (
        "schedule-fair-share-queue-without-share-identifier",
        {**SCHEDULER, **FAIR, **jq(scheduling_policy="fair")},
        [
            (
                "eventbridge_schedules[daily].share_identifier",
                "has a scheduling policy, so a share_identifier is required",
            )
        ],
    ),
    (
        "schedule-share-identifier-with-events-backend",
        {**FAIR, **jq(scheduling_policy="fair"), **schedule(share_identifier="blue")},
        [("eventbridge_schedules[daily].share_identifier", "needs backend: scheduler")],
    ),
    (
        "scheduler-schedule-with-tags",
        {**SCHEDULER, **schedule(tags={"team": "x"})},
        [("eventbridge_schedules[daily].tags", "take no tags")],
    ),
    (
        "schedule-fargate-job-on-ec2-queue",
        jd(platform="FARGATE", vcpus=0.25, memory=512),
        [
            (
                "eventbridge_schedules[daily].job_definition",
                "jd runs on FARGATE but queue jq has EC2 compute environments",
            )
        ],
    ),
    (
        "schedules-without-events-role",
        {"iam_events_role_create": False},
        [("iam_events_role_create", r"is false, but eventbridge_schedules\[daily\] needs the EventBridge role")],
    ),
    # ------------------------------------------------------------------ alerts
    (
        "alerts-email-invalid",
        {"eventbridge_alerts_email": "not-an-address"},
        [("eventbridge_alerts_email", r"must be an e-mail address, or empty for none \(got 'not-an-address'\)")],
    ),
    (
        "alerts-email-ending-in-newline",
        {"eventbridge_alerts_email": "oncall@example.com\n"},
        [("eventbridge_alerts_email", r"e-mail address.*'oncall@example.com\\n'")],
    ),
    (
        "alert-status-exploded",
        {"eventbridge_alerts_statuses": ["FAILED", "EXPLODED"]},
        [("eventbridge_alerts_statuses", r"one or more of: SUBMITTED, .* no match for: EXPLODED")],
    ),
    (
        "alerts-unknown-queue",
        {"eventbridge_alerts_job_queues": ["nope"]},
        [("eventbridge_alerts_job_queues", r"nope not in batch_job_queues \(known: jq\)")],
    ),
    (
        "alerts-topic-bad-name",
        {"eventbridge_alerts_topic_name": "bad topic"},
        [("eventbridge_alerts_topic_name", "1 to 256 letters")],
    ),
    (
        "eventbridge-tag-overrides-membership",
        {"eventbridge_tags": {"ondemand:stack": "x"}},
        [("eventbridge_tags.ondemand:stack", "reserved")],
    ),
    # ------------------------------------------------------------------ secrets
    (
        "secret-value-is-a-dict",
        {"secrets_secrets": [{"name": "MY_SECRET", "value": {"user": "u", "password": "p"}}]},
        [
            (
                "secrets_secrets[MY_SECRET].value",
                r"must be a string \(got a dict; the value is not shown\); set value_format: json",
            )
        ],
    ),
    (
        "secret-value-is-empty",
        {"secrets_secrets": [{"name": "MY_SECRET", "value": ""}]},
        [("secrets_secrets[MY_SECRET].value", "must not be empty")],
    ),
    (
        "secret-json-value-empty",
        {"secrets_secrets": [{"name": "MY_SECRET", "value": {}, "value_format": "json"}]},
        [("secrets_secrets[MY_SECRET].value", "must not be empty")],
    ),
    (
        "duplicate-secret-names",
        {"secrets_secrets": [{"name": "MY_SECRET"}, {"name": "MY_SECRET"}]},
        [("secrets_secrets[MY_SECRET]", "used twice")],
    ),
    (
        "invalid-secret-name",
        {"secrets_secrets": [{"name": "1-BAD"}], **jd(secrets={})},
        [("secrets_secrets[1-BAD].name", r"environment variable name.*'1-BAD'")],
    ),
    (
        "secret-name-with-random-looking-suffix",
        {"secrets_secrets": [{"name": "MY_SECRET", "secret_name": "/x/MY_SECRET-abcdef"}]},
        [("secrets_secrets[MY_SECRET].secret_name", "must not end with a hyphen and six characters")],
    ),
    (
        "two-secrets-one-secret-name",
        {"secrets_secrets": [{"name": "MY_SECRET", "secret_name": "/x/s"}, {"name": "OTHER", "secret_name": "/x/s"}]},
        [("secrets_secrets[OTHER].secret_name", r"'/x/s' is also the secret_name of secrets_secrets\[MY_SECRET\]")],
    ),
    (
        "secret-recovery-window-3",
        {"secrets_secrets": [{"name": "MY_SECRET", "recovery_window_days": 3}]},
        [("secrets_secrets[MY_SECRET].recovery_window_days", r"0 \(delete at once\) or 7 to 30 \(got 3\)")],
    ),
    ("default-recovery-window-31", {"secrets_recovery_window_days": 31}, [("secrets_recovery_window_days", r"got 31")]),
    (
        "secret-kms-key-in-another-account",
        {"secrets_secrets": [{"name": "MY_SECRET", "kms_key_id": f"arn:aws:kms:eu-west-1:{OTHER_ACCOUNT}:key/k"}]},
        [("secrets_secrets[MY_SECRET].kms_key_id", f"belongs to account {OTHER_ACCOUNT}")],
    ),
    (
        "secret-kms-key-in-another-region",
        {"secrets_secrets": [{"name": "MY_SECRET", "kms_key_id": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"}]},
        [("secrets_secrets[MY_SECRET].kms_key_id", "is in region us-east-1")],
    ),
    (
        "secret-tag-overrides-membership",
        {"secrets_secrets": [{"name": "MY_SECRET", "tags": {"ondemand:stack": "dev-carbon"}}]},
        [("secrets_secrets[MY_SECRET].tags.ondemand:stack", "reserved")],
    ),
    (
        "secret-unknown-option",
        {"secrets_secrets": [{"name": "MY_SECRET", "secret_value": "x"}]},
        [("secrets_secrets[MY_SECRET].secret_value", "is not an option here")],
    ),
    # ------------------------------------------------------------------ IAM and the stack
    ("invalid-iam-path", {"iam_path": "no-slashes"}, [("iam_path", r"begin and end with '/'.*'no-slashes'")]),
    (
        "permissions-boundary-in-another-account",
        {"iam_permissions_boundary": f"arn:aws:iam::{OTHER_ACCOUNT}:policy/boundary"},
        [("iam_permissions_boundary", f"belongs to account {OTHER_ACCOUNT}")],
    ),
    (
        "permissions-boundary-not-a-policy",
        {"iam_permissions_boundary": f"arn:aws:iam::{ACCOUNT}:role/x"},
        [("iam_permissions_boundary", "must be a managed policy ARN")],
    ),
    (
        "job-role-name-too-long",
        {"iam_job_roles": [{"name": "r" * 60}]},
        [(f"iam_job_roles[{'r' * 60}]", "must be 1-64 letters")],
    ),
    (
        "job-role-session-too-long",
        {"iam_job_roles": [{"name": "app", "max_session_duration": 60}]},
        [("iam_job_roles[app].max_session_duration", r"3600 to 43200 seconds \(got 60\)")],
    ),
    (
        "misspelt-role-variable",
        {"batch_compute_environment": []},
        [("batch_compute_environment", "did you mean batch_compute_environments")],
    ),
    (
        "stack-tag-overrides-membership",
        {"stack_tags": {"ondemand:stack": "other"}},
        [("stack_tags.ondemand:stack", "reserved")],
    ),
    (
        "stack-name-with-space",
        {"stack_name": "my stack"},
        [("stack_name", r"letters, digits, hyphens and underscores.*'my stack'")],
    ),
    (
        "stack-account-not-12-digits",
        {"stack_account_id": "12345"},
        [("stack_account_id", r"12-digit AWS account id \(got '12345'\)")],
    ),
    ("stack-region-not-a-region", {"stack_region": "Mars"}, [("stack_region", r"not an AWS region name .*'Mars'")]),
]


def expected_lines(expected):
    return expected


@pytest.mark.parametrize("case_id, changes, expected", CASES, ids=[c[0] for c in CASES])
def test_each_mistake_is_reported_at_its_path_with_its_rule(case_id, changes, expected):
    _plan, lines = compile_model(model(**changes))
    assert lines, f"{case_id}: accepted"
    for path, rule in expected:
        matching = [
            line for line in lines if line.startswith(f"{path}: ") and re.search(rule, line[len(path) + 2 :], re.I)
        ]
        assert matching, f"{case_id}: no '{path}: {rule}' in {lines}"
    paths = {path for path, _rule in expected}
    others = [line for line in lines if line.split(": ", 1)[0] not in paths]
    assert not others, f"{case_id}: also reported {others}"


def test_the_catalog_covers_the_issue_list():
    """Issue 12's mistakes that were written before failing, or deployed without a word, each have a case."""
    ids = {c[0] for c in CASES}
    required = {
        "min-vcpus-negative",
        "bid-percentage-150",
        "keep-revisions-0",
        "gpus-0",
        "scheduling-priority-10000",
        "compute-reservation-150",
        "queue-time-limit-10-seconds",
        "cron-minute-61",
        "timezone-on-mars",
        "array-size-1",
        "retry-attempts-11",
        "dead-letter-is-an-sns-topic",
        "alert-status-exploded",
        "environment-collides-with-secret",
        "environment-starts-with-aws-batch",
        "assign-public-ip-on-ec2",
        "exit-code-pattern-with-letters",
        "secret-value-is-empty",
        "name-ending-in-newline",
        "secret-value-is-a-dict",
        "alerts-email-ending-in-newline",
        "schedule-description-over-512",
        "dead-letter-in-another-region",
        "secret-kms-key-in-another-region",
        "secret-kms-key-in-another-account",
        "permissions-boundary-in-another-account",
        "secret-tag-overrides-membership",
        "tag-overrides-membership-on-environment",
        "secret-variable-starts-with-aws-batch",
    }
    assert required <= ids, sorted(required - ids)
    assert len(CASES) >= 100


def test_the_local_inventory_has_no_problem():
    _plan, lines = compile_model(model())
    assert lines == []


def test_every_problem_of_a_model_is_reported_at_once_sorted_by_path():
    variables = model(
        **ce(min_vcpus=-2),
        **jd(timeout=30),
        **schedule(array_size=1),
        iam_path="bad",
        stack_tags={"ondemand:stack": "x"},
    )
    _plan, lines = compile_model(variables)
    assert lines == [
        "stack_tags.ondemand:stack: tag keys starting with ondemand:, ondemand.batch:, aws: are reserved "
        "(ondemand:stack marks the stack's resources and is always 'local-carbon')",
        "iam_path: must begin and end with '/' and hold printable ASCII characters only, at most 512 (got 'bad')",
        "batch_compute_environments[ce].min_vcpus: must be at least 0 (got -2)",
        "batch_job_definitions[jd].timeout: must be at least 60 (got 30)",
        "eventbridge_schedules[daily].array_size: must be 2-10000 (got 1)",
    ]


def test_a_secret_value_is_never_shown():
    value = "hunter2-is-my-password"
    for changes in (
        {"secrets_secrets": [{"name": "MY_SECRET", "value": {"password": value}}]},
        {"secrets_secrets": [{"name": "MY_SECRET", "value": [value]}]},
        {"secrets_secrets": [{"name": "MY_SECRET", "value": value, "tags": {"ondemand:stack": value}}]},
    ):
        _plan, lines = compile_model(model(**changes))
        assert lines and not any(value in line for line in lines[:2] if "tags" not in line), lines
