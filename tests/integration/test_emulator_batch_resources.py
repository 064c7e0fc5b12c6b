"""Batch compute environments, job queues and job definitions on the emulator follow AWS, not moto (issue 3)."""

import time

import pytest
from botocore.exceptions import ClientError

from emulator.testing import BatchWorld

SLR = "arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"


@pytest.fixture
def world(aws):
    aws.configure(transition_delay=0.05, executor="local")
    yield BatchWorld(aws)
    aws.configure(transition_delay=0.5, executor="local")


def client_error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


# --- transitions --------------------------------------------------------------------------------------
def test_status_transitions_are_observable_with_the_default_delay(aws):
    """CREATING -> VALID, UPDATING -> VALID, DELETING -> gone take transition_delay (0.5 s by default)."""
    aws.configure(transition_delay=0.5)
    world = BatchWorld(aws)
    batch = world.batch

    started = time.monotonic()
    batch.create_compute_environment(
        computeEnvironmentName="slow-ce", type="MANAGED", computeResources=world.fargate_resources()
    )
    assert world.describe_compute_environment("slow-ce")["status"] == "CREATING"
    assert world.wait_compute_environment("slow-ce")["statusReason"] == "ComputeEnvironment Healthy"
    assert time.monotonic() - started >= 0.5

    batch.create_job_queue(
        jobQueueName="slow-q", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "slow-ce"}]
    )
    assert world.describe_queue("slow-q")["status"] == "CREATING"
    world.wait_queue("slow-q")

    aws.configure(transition_delay=0.2)  # the delay in force when a change starts applies to it
    batch.update_job_queue(jobQueue="slow-q", state="DISABLED")
    queue = world.describe_queue("slow-q")
    assert (queue["status"], queue["state"]) == ("UPDATING", "DISABLED")
    world.wait_queue("slow-q")
    batch.delete_job_queue(jobQueue="slow-q")
    assert world.describe_queue("slow-q")["status"] == "DELETING"
    assert world.wait_queue("slow-q", "GONE") is None
    aws.configure(transition_delay=0.5)

    batch.update_compute_environment(computeEnvironment="slow-ce", state="DISABLED")
    assert world.describe_compute_environment("slow-ce")["status"] == "UPDATING"
    world.wait_compute_environment("slow-ce")
    batch.delete_compute_environment(computeEnvironment="slow-ce")
    assert world.describe_compute_environment("slow-ce")["status"] == "DELETING"
    started = time.monotonic()
    assert world.wait_compute_environment("slow-ce", "GONE") is None
    assert 0.2 < time.monotonic() - started < 2


def test_no_change_while_a_transition_is_in_progress(world):
    world.compute_environment("busy", wait=None)
    with pytest.raises(ClientError) as excinfo:
        world.batch.update_compute_environment(computeEnvironment="busy", state="DISABLED")
    assert "CREATING" in client_error(excinfo)[1]


# --- compute environments -----------------------------------------------------------------------------
def test_create_without_service_role_uses_the_service_linked_role(world):
    world.compute_environment("no-role")
    assert world.describe_compute_environment("no-role")["serviceRole"] == SLR
    role = world.iam.get_role(RoleName="AWSServiceRoleForBatch")["Role"]
    assert role["Arn"] == SLR and role["Path"] == "/aws-service-role/batch.amazonaws.com/"


def test_create_with_a_service_role_name_reports_its_arn(world):
    arn = world.role("my-batch-service")
    world.compute_environment("named-role", serviceRole="my-batch-service")
    assert world.describe_compute_environment("named-role")["serviceRole"] == arn


def test_duplicate_and_invalid_requests_are_refused(world):
    world.compute_environment("dup", wait=None)
    without_role = {key: value for key, value in world.ec2_resources("p").items() if key != "instanceRole"}
    cases = {
        "duplicate name": ("dup", world.fargate_resources()),
        "invalid name": ("bad name!", world.fargate_resources()),
        "minvCpus on Fargate": ("f1", world.fargate_resources(minvCpus=0)),
        "Fargate without security groups": ("f2", world.fargate_resources(securityGroupIds=[])),
        "minvCpus above maxvCpus": ("e1", world.ec2_resources("p", minvCpus=9, maxvCpus=4)),
        "unknown instance type": ("e2", world.ec2_resources("p", instanceTypes=["x9.huge"])),
        "EC2 without instance role": ("e3", without_role),
        "MANAGED without computeResources": ("m1", None),
    }
    for case, (name, resources) in cases.items():
        request = {"computeEnvironmentName": name, "type": "MANAGED"}
        if resources is not None:
            request["computeResources"] = resources
        with pytest.raises(ClientError) as excinfo:
            world.batch.create_compute_environment(**request)
        assert client_error(excinfo)[0] == "ClientException", case


def test_invalid_when_instance_profile_service_role_or_subnet_does_not_exist(world):
    world.compute_environment(
        "no-profile", world.ec2_resources("arn:aws:iam::123456789012:instance-profile/missing"), wait="INVALID"
    )
    assert "instance-profile/missing" in world.describe_compute_environment("no-profile")["statusReason"]

    profile = world.instance_profile("ecs-instance")
    world.compute_environment(
        "no-service-role",
        world.ec2_resources(profile),
        serviceRole="arn:aws:iam::123456789012:role/missing",
        wait="INVALID",
    )
    assert "role/missing" in world.describe_compute_environment("no-service-role")["statusReason"]

    world.compute_environment("no-subnet", world.fargate_resources(subnets=["subnet-00000000"]), wait="INVALID")
    detail = world.describe_compute_environment("no-subnet")
    assert "subnet-00000000" in detail["statusReason"] and "InvalidSubnetID.NotFound" in detail["statusReason"]

    world.compute_environment("no-group", world.fargate_resources(securityGroupIds=["sg-00000000"]), wait="INVALID")

    # Fixing the cause and updating makes it VALID again.
    world.instance_profile("missing")
    world.batch.update_compute_environment(computeEnvironment="no-profile", computeResources={"maxvCpus": 8})
    assert world.wait_compute_environment("no-profile", "SETTLED")["status"] == "VALID"


def test_update_applies_compute_resources(world):
    profile = world.instance_profile("ecs-instance")
    other = world.instance_profile("ecs-instance-2")
    template = world.ec2.create_launch_template(LaunchTemplateName="lt", LaunchTemplateData={})["LaunchTemplate"]
    world.compute_environment(
        "ec2-ce", world.ec2_resources(profile, allocationStrategy="BEST_FIT_PROGRESSIVE", desiredvCpus=2)
    )
    update = {
        "minvCpus": 2,
        "maxvCpus": 64,
        "desiredvCpus": 4,
        "subnets": world.subnets[1:3],
        "securityGroupIds": [world.security_group],
        "allocationStrategy": "SPOT_CAPACITY_OPTIMIZED",
        "instanceTypes": ["m5.large", "c5"],
        "ec2KeyPair": "my-key",
        "instanceRole": other,
        "tags": {"team": "data"},
        "placementGroup": "pg",
        "bidPercentage": 60,
        "launchTemplate": {"launchTemplateId": template["LaunchTemplateId"], "version": "$Latest"},
        "ec2Configuration": [{"imageType": "ECS_AL2023"}],
        "updateToLatestImageVersion": True,
        "type": "SPOT",
        "imageId": "ami-12345678",
    }
    world.batch.update_compute_environment(
        computeEnvironment="ec2-ce", computeResources=update, updatePolicy={"terminateJobsOnUpdate": True}
    )
    detail = world.wait_compute_environment("ec2-ce")
    resources = detail["computeResources"]
    expected = {key: value for key, value in update.items() if key != "updateToLatestImageVersion"}
    assert {key: resources.get(key) for key in expected} == expected
    assert detail["updatePolicy"]["terminateJobsOnUpdate"] is True

    # Empty lists change nothing; empty strings remove optional settings.
    world.batch.update_compute_environment(
        computeEnvironment="ec2-ce", computeResources={"subnets": [], "ec2KeyPair": "", "imageId": ""}
    )
    resources = world.wait_compute_environment("ec2-ce")["computeResources"]
    assert resources["subnets"] == world.subnets[1:3]
    assert "ec2KeyPair" not in resources and "imageId" not in resources


def test_scaling_updates_and_their_limits(world):
    profile = world.instance_profile("ecs-instance")
    world.compute_environment("best-fit", world.ec2_resources(profile, minvCpus=0, maxvCpus=8, desiredvCpus=2))
    world.batch.update_compute_environment(
        computeEnvironment="best-fit", computeResources={"minvCpus": 4, "maxvCpus": 32}
    )
    resources = world.wait_compute_environment("best-fit")["computeResources"]
    assert (resources["minvCpus"], resources["maxvCpus"], resources["desiredvCpus"]) == (4, 32, 4)

    refused = [
        {"desiredvCpus": 2},  # scaling down by hand
        {"desiredvCpus": 40},  # above maxvCpus
        {"minvCpus": 64},  # above maxvCpus
        {"instanceTypes": ["m5.large"]},  # infrastructure update needs BEST_FIT_PROGRESSIVE + the SLR
    ]
    for resources in refused:
        with pytest.raises(ClientError) as excinfo:
            world.batch.update_compute_environment(computeEnvironment="best-fit", computeResources=resources)
        assert client_error(excinfo)[0] == "ClientException", resources
    assert world.describe_compute_environment("best-fit")["computeResources"]["maxvCpus"] == 32


def test_fargate_updates_only_max_vcpus_subnets_and_security_groups(world):
    world.compute_environment("fargate")
    world.batch.update_compute_environment(
        computeEnvironment="fargate", computeResources={"maxvCpus": 16, "subnets": world.subnets[:2]}
    )
    resources = world.wait_compute_environment("fargate")["computeResources"]
    assert resources["maxvCpus"] == 16 and resources["subnets"] == world.subnets[:2]
    for resources in ({"minvCpus": 1}, {"desiredvCpus": 1}, {"instanceTypes": ["optimal"]}, {"type": "FARGATE_SPOT"}):
        with pytest.raises(ClientError) as excinfo:
            world.batch.update_compute_environment(computeEnvironment="fargate", computeResources=resources)
        assert client_error(excinfo)[0] == "ClientException", resources


def test_state_and_service_role_updates(world):
    first, second = world.role("svc-1"), world.role("svc-2")
    world.compute_environment("roles", serviceRole=first)
    world.batch.update_compute_environment(computeEnvironment="roles", state="DISABLED", serviceRole=second)
    detail = world.wait_compute_environment("roles")
    assert (detail["state"], detail["serviceRole"]) == ("DISABLED", second)
    with pytest.raises(ClientError):
        world.batch.update_compute_environment(computeEnvironment="roles", serviceRole=SLR)


def test_delete_needs_a_disabled_environment_without_queues(world):
    world.compute_environment("ce")
    world.queue("q", ["ce"])
    with pytest.raises(ClientError) as excinfo:
        world.batch.delete_compute_environment(computeEnvironment="ce")
    assert client_error(excinfo)[0] == "ClientException"
    assert "DISABLED" in client_error(excinfo)[1]

    world.batch.update_compute_environment(computeEnvironment="ce", state="DISABLED")
    world.wait_compute_environment("ce")
    with pytest.raises(ClientError) as excinfo:
        world.batch.delete_compute_environment(computeEnvironment="ce")
    assert client_error(excinfo) == ("ClientException", "Cannot delete, found existing JobQueue relationship")

    with pytest.raises(ClientError) as excinfo:
        world.batch.delete_job_queue(jobQueue="q")
    assert client_error(excinfo)[0] == "ClientException"
    world.batch.update_job_queue(jobQueue="q", state="DISABLED")
    world.wait_queue("q")
    world.batch.delete_job_queue(jobQueue="q")
    with pytest.raises(ClientError):  # the queue relationship lasts until the queue is gone
        world.batch.delete_compute_environment(computeEnvironment="ce")
    world.wait_queue("q", "GONE")
    world.batch.delete_compute_environment(computeEnvironment="ce")
    world.wait_compute_environment("ce", "GONE")
    assert world.batch.describe_compute_environments()["computeEnvironments"] == []
    ecs = world.emulator.client("ecs")
    clusters = ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"])["clusters"]
    assert [cluster["status"] for cluster in clusters] == ["INACTIVE"]  # as AWS keeps deleted clusters a while


def test_describe_pagination(world):
    for index in range(5):
        world.compute_environment(f"page-{index}", wait=None)
    names, token = [], None
    while True:
        page = world.batch.describe_compute_environments(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(page["computeEnvironments"]) <= 2
        names += [ce["computeEnvironmentName"] for ce in page["computeEnvironments"]]
        token = page.get("nextToken")
        if not token:
            break
    assert names == [f"page-{index}" for index in range(5)]


# --- job queues ---------------------------------------------------------------------------------------
def test_queue_state_defaults_to_enabled_and_describe_reports_arns(world):
    ce = world.compute_environment("ce")
    world.batch.create_job_queue(
        jobQueueName="default-state", priority=5, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "ce"}]
    )
    queue = world.wait_queue("default-state")
    assert queue["state"] == "ENABLED" and queue["statusReason"] == "JobQueue Healthy"
    assert queue["computeEnvironmentOrder"] == [{"order": 1, "computeEnvironment": ce}]


def test_queue_requests_aws_refuses(world):
    profile = world.instance_profile("ecs-instance")
    for name in ("f1", "f2", "f3", "f4"):
        world.compute_environment(name)
    world.compute_environment("ec2", world.ec2_resources(profile))
    world.compute_environment("no-subnet", world.fargate_resources(subnets=["subnet-00000000"]), wait="INVALID")
    world.emulator.configure(transition_delay=30)  # stays CREATING for this test
    world.compute_environment("creating", wait=None)
    world.emulator.configure(transition_delay=0.05)
    world.queue("taken", ["f1"], wait=None)
    cases = {
        "missing environment": ["does-not-exist"],
        "EC2 mixed with FARGATE": ["f1", "ec2"],
        "more than 3 environments": ["f1", "f2", "f3", "f4"],
        "an environment still CREATING": ["f1", "creating"],
        "an INVALID environment": ["no-subnet"],
    }
    for case, environments in cases.items():
        with pytest.raises(ClientError) as excinfo:
            world.queue(f"q-{len(environments)}", environments, wait=None)
        assert client_error(excinfo)[0] == "ClientException", case
        assert world.describe_queue(f"q-{len(environments)}") is None, case
    with pytest.raises(ClientError) as excinfo:
        world.queue("still", ["creating"], wait=None)
    assert "is CREATING; only a VALID compute environment can be associated" in client_error(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        world.queue("taken", ["f2"], wait=None)
    assert client_error(excinfo) == ("ClientException", "Object already exists")


def test_queue_updates_associate_only_valid_environments(world):
    """A new association needs a VALID environment; one the queue already has may be in transition."""
    world.compute_environment("a")
    world.queue("q", ["a"])
    world.compute_environment("b", wait=None)  # CREATING
    order = [{"order": 1, "computeEnvironment": "a"}, {"order": 2, "computeEnvironment": "b"}]
    with pytest.raises(ClientError) as excinfo:
        world.batch.update_job_queue(jobQueue="q", computeEnvironmentOrder=order)
    assert "is CREATING" in client_error(excinfo)[1]
    world.batch.update_compute_environment(computeEnvironment="a", state="DISABLED")  # a: UPDATING
    world.batch.update_job_queue(jobQueue="q", priority=5, computeEnvironmentOrder=order[:1])
    assert world.wait_queue("q")["priority"] == 5
    world.wait_compute_environment("b")
    world.batch.update_job_queue(jobQueue="q", computeEnvironmentOrder=order)
    assert len(world.wait_queue("q")["computeEnvironmentOrder"]) == 2


def test_queue_updates_apply(world):
    world.compute_environment("a")
    b = world.compute_environment("b")
    world.queue("q", ["a"])
    world.batch.update_job_queue(
        jobQueue="q", priority=9, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "b"}]
    )
    queue = world.wait_queue("q")
    assert queue["priority"] == 9 and queue["computeEnvironmentOrder"] == [{"order": 1, "computeEnvironment": b}]


# --- job definitions ----------------------------------------------------------------------------------
def test_job_definition_revisions_are_independent(world):
    first = world.job_definition(
        "jd",
        ["echo", "Ref::x"],
        parameters={"x": "1"},
        retryStrategy={"attempts": 2, "evaluateOnExit": [{"onExitCode": "1", "action": "RETRY"}]},
        timeout={"attemptDurationSeconds": 60},
    )
    second = world.job_definition("jd", ["echo", "two"])
    assert first.endswith(":1") and second.endswith(":2")
    by_revision = {
        jd["revision"]: jd for jd in world.batch.describe_job_definitions(jobDefinitionName="jd")["jobDefinitions"]
    }
    assert by_revision[1]["retryStrategy"]["evaluateOnExit"] == [{"onExitCode": "1", "action": "RETRY"}]
    assert by_revision[1]["parameters"] == {"x": "1"} and by_revision[1]["timeout"] == {"attemptDurationSeconds": 60}
    assert "retryStrategy" not in by_revision[2] and "timeout" not in by_revision[2]
    assert by_revision[2]["parameters"] == {}

    world.batch.deregister_job_definition(jobDefinition="jd:2")
    assert world.batch.describe_job_definitions(jobDefinitions=["jd:2"])["jobDefinitions"][0]["status"] == "INACTIVE"
    active = world.batch.describe_job_definitions(jobDefinitionName="jd", status="ACTIVE")["jobDefinitions"]
    assert [jd["revision"] for jd in active] == [1]
    assert world.job_definition("jd", ["true"]).endswith(":3")  # revisions keep counting


def test_job_definitions_are_paged_by_100_as_aws_pages_them(world):
    batch = world.batch
    for index in range(101):
        world.job_definition(f"page-{index:03}", ["true"])
    first = batch.describe_job_definitions(status="ACTIVE")
    assert len(first["jobDefinitions"]) == 100 and first["nextToken"]
    rest = batch.describe_job_definitions(status="ACTIVE", nextToken=first["nextToken"])
    assert [jd["jobDefinitionName"] for jd in rest["jobDefinitions"]] == ["page-100"] and "nextToken" not in rest
    assert len(batch.describe_job_definitions(maxResults=100)["jobDefinitions"]) == 100
    for too_many in (0, 101):
        with pytest.raises(ClientError) as excinfo:
            batch.describe_job_definitions(maxResults=too_many)
        assert client_error(excinfo) == ("ClientException", "maxResults must be between 1 and 100")


def test_job_definitions_list_takes_no_other_filter(world):
    world.job_definition("jd", ["true"])
    assert [
        jd["revision"] for jd in world.batch.describe_job_definitions(jobDefinitions=["jd:1"])["jobDefinitions"]
    ] == [1]
    for other in ({"status": "ACTIVE"}, {"jobDefinitionName": "jd"}):
        with pytest.raises(ClientError) as excinfo:
            world.batch.describe_job_definitions(jobDefinitions=["jd:1"], **other)
        code, message = client_error(excinfo)
        assert code == "ClientException" and message.startswith("jobDefinitions can't be used with other parameters")
