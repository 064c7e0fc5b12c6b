"""The emulator's controls: call statistics, reset, runtime config, latency and injected faults (issue 3)."""

import json
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

NO_RETRIES = Config(retries={"total_max_attempts": 1})

# One cheap read per service the collection uses, with the error each service answers when it throttles.
SERVICES = {
    "batch": ("describe_job_queues", "TooManyRequestsException", 429),
    "iam": ("list_roles", "Throttling", 400),
    "sts": ("get_caller_identity", "Throttling", 400),
    "ec2": ("describe_vpcs", "Throttling", 400),
    "ecs": ("list_clusters", "ThrottlingException", 400),
    "ecr": ("describe_repositories", "ThrottlingException", 400),
    "events": ("list_rules", "ThrottlingException", 400),
    "scheduler": ("list_schedules", "ThrottlingException", 429),
    "secretsmanager": ("list_secrets", "ThrottlingException", 400),
    "logs": ("describe_log_groups", "ThrottlingException", 400),
    "sns": ("list_topics", "Throttling", 400),
    "sqs": ("list_queues", "RequestThrottled", 400),
}
OPERATION_NAMES = {
    "batch": "DescribeJobQueues",
    "iam": "ListRoles",
    "sts": "GetCallerIdentity",
    "ec2": "DescribeVpcs",
    "ecs": "ListClusters",
    "ecr": "DescribeRepositories",
    "events": "ListRules",
    "scheduler": "ListSchedules",
    "secretsmanager": "ListSecrets",
    "logs": "DescribeLogGroups",
    "sns": "ListTopics",
    "sqs": "ListQueues",
}


def raw_client(aws, service, config=NO_RETRIES):
    return boto3.client(
        service,
        endpoint_url=aws.url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def call(aws, service, config=NO_RETRIES):
    operation = SERVICES[service][0]
    return getattr(raw_client(aws, service, config), operation)()


def error_of(excinfo):
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def control(aws, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(aws.url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# --- statistics ---------------------------------------------------------------------------------------
def test_stats_count_every_call_by_service_and_operation(aws):
    assert aws.stats() == {"reads": 0, "writes": 0, "throttled": 0, "errors": 0, "calls": {}, "by_service": {}}
    iam = aws.client("iam")
    iam.create_role(RoleName="counted", AssumeRolePolicyDocument="{}")
    iam.get_role(RoleName="counted")
    iam.get_role(RoleName="counted")
    aws.client("batch").describe_compute_environments()
    aws.client("sts").get_caller_identity()
    aws.stats()  # control requests are never counted

    stats = aws.stats()
    assert stats["calls"] == {
        "batch:DescribeComputeEnvironments": 1,
        "iam:CreateRole": 1,
        "iam:GetRole": 2,
        "sts:GetCallerIdentity": 1,
    }
    assert (stats["reads"], stats["writes"], stats["throttled"], stats["errors"]) == (4, 1, 0, 0)
    assert stats["by_service"] == {
        "batch": {"reads": 1, "writes": 0},
        "iam": {"reads": 2, "writes": 1},
        "sts": {"reads": 1, "writes": 0},
    }

    aws.reset_stats()
    assert aws.stats()["calls"] == {}
    assert aws.client("iam").get_role(RoleName="counted")["Role"]["RoleName"] == "counted"  # state kept


@pytest.mark.parametrize(
    ("operation", "read"),
    [
        ("DescribeJobs", True),
        ("ListJobs", True),
        ("GetRole", True),
        ("BatchGetSecretValue", True),
        ("HeadObject", True),
        ("LookupEvents", True),
        ("SubmitJob", False),
        ("PutRule", False),
        ("TagResource", False),
    ],
)
def test_read_and_write_classification(operation, read):
    from emulator.controls import is_read

    assert is_read(operation) is read


def test_rest_and_query_operations_are_named_from_the_request(aws):
    aws.client("scheduler").create_schedule(
        Name="nightly",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:sqs:eu-west-1:123456789012:q", "RoleArn": "arn:aws:iam::123456789012:role/r"},
    )
    aws.client("scheduler").get_schedule(Name="nightly")
    aws.client("sqs").create_queue(QueueName="alerts")
    aws.client("sns").create_topic(Name="alerts")
    aws.client("events").put_rule(Name="r", ScheduleExpression="rate(1 day)")
    aws.client("batch").list_tags_for_resource(resourceArn="arn:aws:batch:eu-west-1:123456789012:job-queue/nothing")
    calls = aws.stats()["calls"]
    for name in (
        "scheduler:CreateSchedule",
        "scheduler:GetSchedule",
        "sqs:CreateQueue",
        "sns:CreateTopic",
        "events:PutRule",
        "batch:ListTagsForResource",
    ):
        assert calls.get(name) == 1, calls


def test_reset_returns_an_empty_account_and_zeroes_stats(aws):
    aws.client("iam").create_role(RoleName="gone", AssumeRolePolicyDocument="{}")
    aws.client("logs").create_log_group(logGroupName="/gone")
    aws.reset()
    assert aws.stats()["calls"] == {}
    with pytest.raises(ClientError) as excinfo:
        aws.client("iam").get_role(RoleName="gone")
    assert excinfo.value.response["Error"]["Code"] == "NoSuchEntity"
    assert aws.client("logs").describe_log_groups()["logGroups"] == []


def test_aws_managed_policies_are_loaded(aws):
    iam = aws.client("iam")
    for name in (
        "service-role/AWSBatchServiceRole",
        "service-role/AmazonEC2ContainerServiceforEC2Role",
        "service-role/AmazonECSTaskExecutionRolePolicy",
    ):
        assert iam.get_policy(PolicyArn=f"arn:aws:iam::aws:policy/{name}")["Policy"]["PolicyName"] == name.split("/")[1]
    iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument="{}")
    iam.attach_role_policy(
        RoleName="batch-service", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole"
    )


# --- config -------------------------------------------------------------------------------------------
def test_config_is_readable_and_changeable_at_runtime(aws):
    status, config = control(aws, "GET", "/_emulator/config")
    assert status == 200
    assert set(config) == {
        "latency_ms",
        "throttle_rate",
        "error_rate",
        "seed",
        "transition_delay",
        "executor",
        "capacity",
        "time_limit_scale",
        "insufficient_capacity",
        "iam_propagation_delay",
    }
    try:
        status, changed = control(aws, "POST", "/_emulator/config", {"transition_delay": 0.2, "executor": "none"})
        assert status == 200
        assert changed["transition_delay"] == 0.2 and changed["executor"] == "none"
        assert control(aws, "GET", "/_emulator/config")[1] == changed
        for bad in ({"throttle_rate": 2}, {"executor": "docker"}, {"nope": 1}, {"latency_ms": -1}):
            status, answer = control(aws, "POST", "/_emulator/config", bad)
            assert status == 400 and answer["error"], bad
        assert control(aws, "GET", "/_emulator/config")[1] == changed
        assert control(aws, "GET", "/_emulator/nothing")[0] == 404
    finally:
        aws.configure(transition_delay=0.5, executor="local")


def test_latency_is_added_to_every_api_call(aws):
    batch = aws.client("batch")
    batch.describe_job_queues()
    aws.configure(latency_ms=300)
    started = time.monotonic()
    batch.describe_job_queues()
    assert time.monotonic() - started >= 0.3
    aws.configure(latency_ms=0)
    started = time.monotonic()
    aws.stats()
    assert time.monotonic() - started < 0.3  # controls are never delayed


# --- injected faults ----------------------------------------------------------------------------------
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_throttling_is_each_services_own_error(aws, service):
    aws.configure(throttle_rate=1.0)
    with pytest.raises(ClientError) as excinfo:
        call(aws, service)
    code, status = SERVICES[service][1:]
    assert error_of(excinfo) == (code, status)
    stats = aws.stats()
    assert stats["throttled"] == 1 and stats["errors"] == 0
    assert stats["calls"] == {f"{service}:{OPERATION_NAMES[service]}": 1}


@pytest.mark.parametrize("service", ["batch", "iam", "ec2", "events", "scheduler", "sqs"])
def test_server_errors_in_each_protocols_shape(aws, service):
    aws.configure(error_rate=1.0, seed=7)
    seen = set()
    for _attempt in range(12):
        with pytest.raises(ClientError) as excinfo:
            call(aws, service)
        seen.add(error_of(excinfo))
    assert seen == {("InternalFailure", 500), ("ServiceUnavailable", 503)}
    assert aws.stats()["errors"] == 12


def test_injected_faults_are_repeatable_with_a_seed(aws):
    def outcomes():
        result = []
        for _attempt in range(30):
            try:
                call(aws, "batch")
                result.append("ok")
            except ClientError as exc:
                result.append(exc.response["Error"]["Code"])
        return result

    aws.configure(throttle_rate=0.3, error_rate=0.2, seed=42)
    first = outcomes()
    aws.configure(seed=42)
    assert outcomes() == first
    assert {"ok", "TooManyRequestsException"} <= set(first)
    assert {"InternalFailure", "ServiceUnavailable"} & set(first)


def test_boto3_retries_through_throttling(aws, monkeypatch):
    # The point is that botocore classifies the answers as retryable throttling, not its backoff timing.
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0)
    aws.configure(throttle_rate=0.5, seed=1)
    config = Config(retries={"mode": "standard", "max_attempts": 10})
    for _attempt in range(10):
        call(aws, "iam", config)
    stats = aws.stats()
    assert stats["throttled"] > 0
    assert stats["calls"]["iam:ListRoles"] == 10 + stats["throttled"]
