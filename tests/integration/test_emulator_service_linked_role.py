"""The Batch service-linked role in every partition, and which compute environment updates it allows in place."""

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.testing import BatchWorld

ACCOUNT = "123456789012"


class Region:
    def __init__(self, emulator, region):
        self.emulator, self.region = emulator, region

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.emulator.url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture
def fast(aws):
    before = aws._request("GET", "/_emulator/config")
    aws.configure(transition_delay=0.02, executor="none")
    yield aws
    aws.configure(**before)


@pytest.fixture
def world(fast):
    return BatchWorld(fast)


def refused(world, name, **request):
    with pytest.raises(ClientError) as excinfo:
        world.batch.update_compute_environment(computeEnvironment=name, **request)
    assert excinfo.value.response["Error"]["Code"] == "ClientException", request
    return excinfo.value.response["Error"]["Message"]


def applied(world, name, **request):
    world.batch.update_compute_environment(computeEnvironment=name, **request)
    return world.wait_compute_environment(name)


@pytest.mark.parametrize(
    ("region", "partition"), [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
)
def test_the_service_linked_role_exists_in_every_partition(fast, region, partition):
    world = BatchWorld(Region(fast, region))
    slr = f"arn:{partition}:iam::{ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
    world.compute_environment("first")
    world.compute_environment("second", serviceRole=slr)  # the existing role, named by its ARN
    assert {world.describe_compute_environment(name)["serviceRole"] for name in ("first", "second")} == {slr}
    role = world.iam.get_role(RoleName="AWSServiceRoleForBatch")["Role"]
    assert role["Arn"] == slr and role["Path"] == "/aws-service-role/batch.amazonaws.com/"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "batch.amazonaws.com"}
    attached = world.iam.list_attached_role_policies(RoleName="AWSServiceRoleForBatch")["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [
        f"arn:{partition}:iam::aws:policy/aws-service-role/BatchServiceRolePolicy"
    ]
    assert len(world.iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]) == 1


def test_infrastructure_updates_need_the_service_linked_role(world):
    profile = world.instance_profile("instances")
    other = world.instance_profile("other-instances")
    template = world.ec2.create_launch_template(LaunchTemplateName="lt", LaunchTemplateData={})["LaunchTemplate"]
    custom = world.role("custom-batch-service")
    progressive = world.ec2_resources(profile, allocationStrategy="BEST_FIT_PROGRESSIVE")
    world.compute_environment("linked", progressive)
    world.compute_environment("custom", progressive, serviceRole=custom)
    # The settings whose change is an infrastructure update (User Guide, "Updating compute environments").
    infrastructure = {
        "subnets": world.subnets[1:2],
        "securityGroupIds": [world.security_group],
        "instanceTypes": ["m5", "c5.large"],
        "instanceRole": other,
        "ec2KeyPair": "key",
        "imageId": "ami-12345678",
        "placementGroup": "group",
        "tags": {"team": "data"},
        "launchTemplate": {"launchTemplateName": "lt", "version": "$Latest"},
        "ec2Configuration": [{"imageType": "ECS_AL2023"}],
        "updateToLatestImageVersion": True,
        "allocationStrategy": "BEST_FIT_PROGRESSIVE",
    }
    for key, value in infrastructure.items():
        message = refused(world, "custom", computeResources={key: value})
        assert "AWSServiceRoleForBatch" in message, key
        resources = applied(world, "linked", computeResources={key: value})["computeResources"]
        if key == "updateToLatestImageVersion":
            assert key not in resources  # ComputeResource (DescribeComputeEnvironments) has no such member
        else:
            assert resources[key] == value, key
    assert applied(
        world, "linked", computeResources={"launchTemplate": {"launchTemplateId": template["LaunchTemplateId"]}}
    )["computeResources"]["launchTemplate"] == {"launchTemplateId": template["LaunchTemplateId"]}

    # Scaling updates (and state) need neither.
    detail = applied(world, "custom", state="DISABLED", computeResources={"minvCpus": 2, "maxvCpus": 32})
    assert (detail["state"], detail["computeResources"]["minvCpus"], detail["computeResources"]["maxvCpus"]) == (
        "DISABLED",
        2,
        32,
    )
    assert detail["computeResources"]["subnets"] == world.subnets[:1]

    # A custom role cannot become the service-linked role in place, nor the reverse.
    slr = world.describe_compute_environment("linked")["serviceRole"]
    refused(world, "custom", serviceRole=slr)
    refused(world, "linked", serviceRole=custom)


def test_allocation_strategy_restrictions(world):
    profile = world.instance_profile("instances")
    world.compute_environment("best-fit", world.ec2_resources(profile, allocationStrategy="BEST_FIT"))
    # BEST_FIT environments have no infrastructure updates, even with the service-linked role.
    assert "BEST_FIT" in refused(world, "best-fit", computeResources={"allocationStrategy": "BEST_FIT_PROGRESSIVE"})
    refused(world, "best-fit", computeResources={"subnets": world.subnets[1:2]})
    assert applied(world, "best-fit", computeResources={"maxvCpus": 4})["computeResources"]["maxvCpus"] == 4

    world.compute_environment("progressive", world.ec2_resources(profile, allocationStrategy="BEST_FIT_PROGRESSIVE"))
    refused(world, "progressive", computeResources={"allocationStrategy": "BEST_FIT"})  # not an update value
    refused(world, "progressive", computeResources={"allocationStrategy": "SPOT_CAPACITY_OPTIMIZED"})  # EC2, not SPOT
    spot = applied(
        world, "progressive", computeResources={"type": "SPOT", "allocationStrategy": "SPOT_PRICE_CAPACITY_OPTIMIZED"}
    )["computeResources"]
    assert (spot["type"], spot["allocationStrategy"]) == ("SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED")
    refused(world, "progressive", computeResources={"type": "FARGATE"})


def test_fargate_updates_subnets_and_security_groups_with_any_service_role(world):
    custom = world.role("custom-batch-service")
    world.compute_environment("fargate", serviceRole=custom)
    detail = applied(
        world,
        "fargate",
        computeResources={"subnets": world.subnets[1:3], "securityGroupIds": [world.security_group], "maxvCpus": 8},
    )
    resources = detail["computeResources"]
    assert (resources["subnets"], resources["maxvCpus"], detail["serviceRole"]) == (world.subnets[1:3], 8, custom)
