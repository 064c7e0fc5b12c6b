"""Issue 16 against the emulator, on one stack: an image repository and a job definition that names it, an EFS volume
and other container options through the inventory, the readable alert, and a destroy that keeps images unless told.

Five playbook runs in all (check mode on the empty account, deploy, re-run, a refused destroy, the destroy): the
rules of each feature are the plan compiler's unit tests (tests/unit/plugins/plugin_utils).
"""

import json

import pytest

from tests.integration.test_stack_lifecycle import STACK, assert_ok, stack_on_a_clean_emulator

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
REPO = f"{STACK}-app"
REPO_URI = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/{REPO}"
EFS_ID, ACCESS_POINT = "fs-0123456789abcdef0", "fsap-0123456789abcdef0"
# The local inventory, with an image repository, and a job definition that runs from it with an EFS volume (no secret:
# the stack is about images and options).
MODEL = {
    "secrets_secrets": [],
    "iam_job_roles": [{"name": "app"}],
    "batch_image_repositories": [{"name": "app", "keep_images": 5, "immutable_tags": True}],
    "batch_job_definitions": [
        {
            "name": "jd",
            "image": {"repository": "app", "tag": "v3"},
            "command": ["echo", "hello", "world"],
            "vcpus": 1,
            "memory": 128,
            "job_role": "app",
            "volumes": [
                {
                    "name": "data",
                    "efs": {
                        "file_system_id": EFS_ID,
                        "access_point_id": ACCESS_POINT,
                        "transit_encryption": True,
                        "iam": True,
                    },
                },
                {"name": "scratch", "host_path": "/mnt/scratch"},
            ],
            "mount_points": [
                {"source_volume": "data", "container_path": "/data", "read_only": True},
                {"source_volume": "scratch", "container_path": "/scratch"},
            ],
            "linux_parameters": {"init_process_enabled": True, "shared_memory_size": 256},
            "ulimits": [{"name": "nofile", "soft_limit": 1024, "hard_limit": 4096}],
            "readonly_root_filesystem": True,
            "log_options": {"awslogs-stream-prefix": "jd"},
        }
    ],
}
FAILED_EVENT = {
    "jobName": "nightly-report",
    "jobId": "4c7599ae-0a82-49aa-ba5a-4727fcce14a8",
    "jobQueue": f"arn:aws:batch:eu-west-1:{ACCOUNT}:job-queue/{STACK}-jq",
    "status": "FAILED",
    "statusReason": "Essential container in task exited",
    "attempts": [{"container": {"exitCode": 3, "logStreamName": f"{STACK}-jd/default/2222"}}],
    "retryStrategy": {"attempts": 2, "evaluateOnExit": []},
    "container": {"exitCode": 3, "logStreamName": f"{STACK}-jd/default/2222"},
}


def manifest():
    """A Docker image manifest PutImage takes (no layers are uploaded)."""
    config = {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": 7023,
        "digest": "sha256:" + "a" * 64,
    }
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": config,
            "layers": [],
        }
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from stack_on_a_clean_emulator(tmp_path_factory, "features")


@pytest.fixture(scope="module")
def deployed(stack):
    stack.emulator.reset_stats()
    check = stack.deploy(check=True, extra_vars=MODEL)
    check_writes = stack.write_calls()
    stack.emulator.reset_stats()
    deploy = stack.deploy(extra_vars=MODEL)
    assert_ok(check)
    assert_ok(deploy)
    return {"check": check, "check_writes": check_writes, "deploy": deploy}


def latest_definition(batch):
    revisions = batch.describe_job_definitions(jobDefinitionName=f"{STACK}-jd", status="ACTIVE")["jobDefinitions"]
    return max(revisions, key=lambda d: d["revision"])


def test_check_mode_predicts_the_repository_without_a_write(deployed):
    assert deployed["check_writes"] == {}
    assert "Ensure the image repositories" in deployed["check"].changed_task_names()


def test_deploy_makes_the_repository_and_the_job_definition_runs_from_it(stack, deployed):
    ecr, batch, iam = stack.emulator.client("ecr"), stack.emulator.client("batch"), stack.emulator.client("iam")
    [repository] = ecr.describe_repositories(repositoryNames=[REPO])["repositories"]
    assert (repository["imageTagMutability"], repository["imageScanningConfiguration"]) == (
        "IMMUTABLE",
        {"scanOnPush": True},
    )
    tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]}
    assert tags["ondemand:stack"] == STACK
    rules = json.loads(ecr.get_lifecycle_policy(repositoryName=REPO)["lifecyclePolicyText"])["rules"]
    assert [(r["selection"]["tagStatus"], r["selection"]["countNumber"]) for r in rules] == [
        ("untagged", 1),
        ("any", 5),
    ]

    container = latest_definition(batch)["containerProperties"]
    assert container["image"] == f"{REPO_URI}:v3"
    # The EFS volume and the other options as the inventory gave them.
    [efs] = [v["efsVolumeConfiguration"] for v in container["volumes"] if v["name"] == "data"]
    assert efs["fileSystemId"] == EFS_ID and efs["transitEncryption"] == "ENABLED"
    assert efs["authorizationConfig"] == {"accessPointId": ACCESS_POINT, "iam": "ENABLED"}
    assert {"sourceVolume": "data", "containerPath": "/data", "readOnly": True} in container["mountPoints"]
    assert container["linuxParameters"]["sharedMemorySize"] == 256 and container["readonlyRootFilesystem"] is True
    assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == "jd"

    policy = iam.get_role_policy(RoleName=f"{STACK}-job-execution", PolicyName="task-execution")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    pull = next(s for s in policy["Statement"] if s["Sid"] == "PullStackImages")
    assert pull["Resource"] == [repository["repositoryArn"]]
    attached = iam.list_attached_role_policies(RoleName=f"{STACK}-job-execution")["AttachedPolicies"]
    assert attached == []


def test_a_rerun_changes_nothing_and_reads_each_repository_five_times(stack, deployed):
    stack.emulator.reset_stats()
    result = stack.deploy(extra_vars=MODEL)
    assert_ok(result)
    assert result.changed == 0, result.changed_task_names()
    assert stack.writes() == 0, stack.write_calls()
    calls = stack.emulator.stats()["calls"]
    # The plan's refresh (Describe, ListTags) and the module (Describe, GetLifecyclePolicy, ListTags).
    assert {k: v for k, v in calls.items() if k.startswith("ecr:")} == {
        "ecr:DescribeRepositories": 2,
        "ecr:GetLifecyclePolicy": 1,
        "ecr:ListTagsForResource": 2,
    }


def test_the_alert_rule_sends_the_readable_text(stack, deployed):
    events = stack.emulator.client("events")
    [target] = events.list_targets_by_rule(Rule=f"{STACK}-job-failed")["Targets"]
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"]["exit"] == "$.detail.container.exitCode"
    lines = transformer["InputTemplate"].splitlines()
    assert lines[0] == f'"AWS Batch job <job> is <status> in stack {STACK}: <reason>"'
    assert f'"Log stream: <log> (log group /aws/batch/{STACK})"' in lines


def test_a_failed_job_event_arrives_on_the_topic_as_the_readable_text(stack, deployed):
    sns, sqs, events = (stack.emulator.client(s) for s in ("sns", "sqs", "events"))
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{STACK}-alerts"))
    queue = sqs.create_queue(QueueName="alerts-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    entry = {"Source": "aws.batch", "DetailType": "Batch Job State Change", "Detail": json.dumps(FAILED_EVENT)}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=2).get("Messages", [])
    assert [m["Body"].splitlines() for m in messages] == [
        [
            f'"AWS Batch job nightly-report is FAILED in stack {STACK}: Essential container in task exited"',
            '"Job ID: 4c7599ae-0a82-49aa-ba5a-4727fcce14a8"',
            f'"Queue: arn:aws:batch:eu-west-1:{ACCOUNT}:job-queue/{STACK}-jq"',
            '"Exit code: 3"',
            '"Attempts allowed: 2"',
            f'"Log stream: {STACK}-jd/default/2222 (log group /aws/batch/{STACK})"',
        ]
    ]


def test_destroy_keeps_a_repository_with_images_unless_force_delete(stack, deployed):
    ecr = stack.emulator.client("ecr")
    ecr.put_image(repositoryName=REPO, imageManifest=manifest(), imageTag="v3")
    stack.emulator.reset_stats()
    refused = stack.destroy(extra_vars=MODEL)
    assert refused.rc != 0
    assert f"ECR repository {REPO} still holds 1 image(s)" in refused.stdout
    assert stack.writes() == 0, stack.write_calls()  # refused before the first write: nothing else went either
    assert ecr.describe_repositories(repositoryNames=[REPO])["repositories"]

    destroyed = stack.destroy(extra_vars={**MODEL, "batch_image_repositories_force_delete": True})
    assert_ok(destroyed)
    assert ecr.describe_repositories()["repositories"] == []
    assert stack.emulator.client("batch").describe_job_queues()["jobQueues"] == []
