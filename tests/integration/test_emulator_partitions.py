"""The aws-cn partition: every service the emulator serves works in cn-north-1 with arn:aws-cn: ARNs."""

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.testing import BatchWorld

ACCOUNT = "123456789012"
NO_RETRIES = Config(retries={"total_max_attempts": 1})


class Region:
    """The ``aws`` fixture's emulator, with clients in another region."""

    def __init__(self, emulator, region):
        self.emulator, self.region = emulator, region

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.emulator.url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
            config=NO_RETRIES,
        )


@pytest.fixture
def china(aws):
    before = aws._request("GET", "/_emulator/config")
    aws.configure(transition_delay=0.05, executor="local")
    yield Region(aws, "cn-north-1")
    aws.configure(**before)


def trust(service):
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_every_service_in_cn_north_1(china):
    prefix = "arn:aws-cn:"
    client = china.client
    assert client("sts").get_caller_identity()["Arn"].startswith(f"arn:aws-cn:sts::{ACCOUNT}:")

    iam = client("iam")
    role = iam.create_role(RoleName="events", AssumeRolePolicyDocument=trust("events.amazonaws.com"))["Role"]
    assert role["Arn"] == f"arn:aws-cn:iam::{ACCOUNT}:role/events"
    managed = "arn:aws-cn:iam::aws:policy/service-role/AWSBatchServiceRole"
    iam.attach_role_policy(RoleName="events", PolicyArn=managed)
    assert iam.list_attached_role_policies(RoleName="events")["AttachedPolicies"][0]["PolicyArn"] == managed
    assert iam.get_policy(PolicyArn=managed)["Policy"]["Arn"] == managed
    with pytest.raises(ClientError):  # the aws partition's ARN is not a policy of aws-cn
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole")

    world = BatchWorld(china)  # default VPC, subnets and security group of cn-north-1
    assert world.subnets
    profile = world.instance_profile("instances")
    assert profile == f"arn:aws-cn:iam::{ACCOUNT}:instance-profile/instances"
    ce = world.compute_environment("ce")
    detail = world.describe_compute_environment("ce")
    assert ce.startswith(f"arn:aws-cn:batch:cn-north-1:{ACCOUNT}:compute-environment/")
    slr = f"arn:aws-cn:iam::{ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
    assert detail["serviceRole"] == slr and detail["ecsClusterArn"].startswith("arn:aws-cn:ecs:cn-north-1:")
    assert iam.get_role(RoleName="AWSServiceRoleForBatch")["Role"]["Arn"] == slr
    attached = iam.list_attached_role_policies(RoleName="AWSServiceRoleForBatch")["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [
        "arn:aws-cn:iam::aws:policy/aws-service-role/BatchServiceRolePolicy"
    ]
    world.queue("queue", [ce])
    job_id = world.submit("hello", world.job_definition("hello", ["echo", "hello"]))
    job = world.wait_job(job_id)[0]
    assert job["status"] == "SUCCEEDED" and job["jobArn"].startswith(prefix)
    assert job["container"]["taskArn"].startswith(f"arn:aws-cn:ecs:cn-north-1:{ACCOUNT}:task/")
    assert world.log_messages(job) == ["hello"]
    group = client("logs").describe_log_groups(logGroupNamePrefix="/aws/batch/job")["logGroups"][0]
    assert group["logGroupArn"] == f"arn:aws-cn:logs:cn-north-1:{ACCOUNT}:log-group:/aws/batch/job"

    queue_url = client("sqs").create_queue(QueueName="dlq")["QueueUrl"]
    attributes = client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    assert attributes["QueueArn"] == f"arn:aws-cn:sqs:cn-north-1:{ACCOUNT}:dlq"
    topic = client("sns").create_topic(Name="alerts", Tags=[{"Key": "stack", "Value": "cn"}])["TopicArn"]
    assert topic == f"arn:aws-cn:sns:cn-north-1:{ACCOUNT}:alerts"
    rule = client("events").put_rule(Name="nightly", ScheduleExpression="rate(1 day)")["RuleArn"]
    assert rule == f"arn:aws-cn:events:cn-north-1:{ACCOUNT}:rule/nightly"
    schedule = client("scheduler").create_schedule(
        Name="nightly",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws-cn:scheduler:::aws-sdk:batch:submitJob", "RoleArn": role["Arn"], "Input": "{}"},
    )["ScheduleArn"]
    assert schedule == f"arn:aws-cn:scheduler:cn-north-1:{ACCOUNT}:schedule/default/nightly"
    tags = [{"Key": "stack", "Value": "cn"}]
    secret = client("secretsmanager").create_secret(Name="token", SecretString="x", Tags=tags)["ARN"]
    assert secret.startswith(f"arn:aws-cn:secretsmanager:cn-north-1:{ACCOUNT}:secret:token-")
    client("ssm").put_parameter(Name="/stack/p", Value="v", Type="String")
    assert client("ssm").get_parameter(Name="/stack/p")["Parameter"]["ARN"].startswith("arn:aws-cn:ssm:cn-north-1:")
    cluster = client("ecs").create_cluster(clusterName="plain")["cluster"]["clusterArn"]
    assert cluster == f"arn:aws-cn:ecs:cn-north-1:{ACCOUNT}:cluster/plain"

    tagged = client("resourcegroupstaggingapi").get_resources(TagFilters=[{"Key": "stack", "Values": ["cn"]}])
    arns = sorted(item["ResourceARN"] for item in tagged["ResourceTagMappingList"])
    assert arns == sorted([topic, secret])


def test_iam_is_global_within_a_partition(china):
    china.client("iam").create_role(RoleName="shared", AssumeRolePolicyDocument=trust("batch.amazonaws.com"))
    northwest = Region(china.emulator, "cn-northwest-1").client("iam")
    assert northwest.get_role(RoleName="shared")["Role"]["Arn"] == f"arn:aws-cn:iam::{ACCOUNT}:role/shared"
    with pytest.raises(ClientError) as excinfo:
        china.emulator.client("iam").get_role(RoleName="shared")  # eu-west-1: another partition
    assert excinfo.value.response["Error"]["Code"] == "NoSuchEntity"
    policy = china.emulator.client("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    assert policy["Policy"]["Arn"] == "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def test_describe_regions_lists_the_callers_partition(china):
    def names(client, **kwargs):
        return sorted(region["RegionName"] for region in client.describe_regions(**kwargs)["Regions"])

    ec2 = china.client("ec2")
    assert names(ec2) == names(ec2, AllRegions=True) == ["cn-north-1", "cn-northwest-1"]
    regions = {region["RegionName"]: region for region in ec2.describe_regions()["Regions"]}
    assert regions["cn-north-1"]["Endpoint"] == "ec2.cn-north-1.amazonaws.com.cn"
    assert regions["cn-north-1"]["OptInStatus"] == "opt-in-not-required"

    commercial = china.emulator.client("ec2")
    enabled, every = names(commercial), names(commercial, AllRegions=True)
    assert "eu-west-1" in enabled and "ap-east-1" not in enabled and "ap-east-1" in every  # an opt-in region
    assert not any(name.startswith(("cn-", "us-gov-")) for name in every)
    opted_out = names(commercial, AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["not-opted-in"]}])
    assert opted_out == sorted(set(every) - set(enabled))
    assert names(commercial, Filters=[{"Name": "region-name", "Values": ["eu-west-*"]}]) == [
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
    ]
    assert names(commercial, RegionNames=["ap-east-1"]) == ["ap-east-1"]


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("sts", "get_caller_identity", "SignatureDoesNotMatch"),
        ("iam", "list_roles", "SignatureDoesNotMatch"),
        ("ec2", "describe_vpcs", "SignatureDoesNotMatch"),
        ("batch", "describe_job_queues", "InvalidSignatureException"),
        ("logs", "describe_log_groups", "InvalidSignatureException"),
    ],
)
def test_a_region_that_does_not_exist_is_refused(aws, service, call, code):
    client = Region(aws, "mars-olympus-1").client(service)
    with pytest.raises(ClientError) as excinfo:
        getattr(client, call)()
    error = excinfo.value.response
    assert error["Error"]["Code"] == code and error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Message"] == "Credential should be scoped to a valid region, not 'mars-olympus-1'."
