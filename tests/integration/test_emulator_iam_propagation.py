"""IAM eventual consistency: roles and instance profiles are not usable until iam_propagation_delay has passed.

The delay is compared when a role is used, so each test refuses under a long delay (deterministic on a loaded
machine) and then shortens it and waits it out: what was refused then works, as a bounded retry would find.
"""

import re
import time

import pytest
from botocore.exceptions import ClientError

from emulator.testing import BatchWorld

LONG = 600
SHORT = 0.3


@pytest.fixture
def world(aws):
    before = aws._request("GET", "/_emulator/config")
    assert before["iam_propagation_delay"] == 0  # off by default
    aws.configure(transition_delay=0.05, executor="none", iam_propagation_delay=LONG)
    yield BatchWorld(aws)
    aws.configure(**before)


def propagated(world):
    """Shorten the delay and wait it out: everything created so far is now usable."""
    world.emulator.configure(iam_propagation_delay=SHORT)
    time.sleep(SHORT + 0.05)


def revalidated(world, name):
    world.batch.update_compute_environment(computeEnvironment=name, state="ENABLED")
    return world.wait_compute_environment(name, "SETTLED")


def test_batch_service_role_just_created(world):
    role = world.role("batch-service")
    world.compute_environment("ce", serviceRole=role, wait=None)
    invalid = world.wait_compute_environment("ce", "INVALID")
    assert re.fullmatch(
        r"CLIENT_ERROR - User: batch\.amazonaws\.com is not authorized to perform: sts:AssumeRole on resource: "
        + re.escape(role)
        + r" \(Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; "
        r"Request ID: [0-9a-f-]{36}; Proxy: null\)",
        invalid["statusReason"],
    ), invalid["statusReason"]
    assert world.iam.get_role(RoleName="batch-service")["Role"]["Arn"] == role  # IAM itself shows it at once
    with pytest.raises(ClientError):  # an INVALID environment cannot be given to a queue
        world.queue("queue", ["ce"], wait=None)
    propagated(world)
    assert revalidated(world, "ce")["status"] == "VALID"
    world.compute_environment("later", serviceRole=role)  # created once propagated: VALID at once


def test_instance_profile_just_created_or_just_given_its_role(world):
    profile = world.instance_profile("instances")  # role, profile and the role added: all new
    profile_made = time.monotonic()
    world.compute_environment("ec2", world.ec2_resources("instances"), wait=None)
    assert world.wait_compute_environment("ec2", "INVALID")["statusReason"] == (
        "CLIENT_ERROR - Invalid IamInstanceProfile: instances"
    )
    propagated(world)
    assert revalidated(world, "ec2")["status"] == "VALID"

    # A profile older than the delay that was only now given its role.
    time.sleep(max(0.0, profile_made + 1.1 - time.monotonic()))
    world.emulator.configure(iam_propagation_delay=1)
    world.role("other-instances", "ec2.amazonaws.com")
    world.iam.remove_role_from_instance_profile(InstanceProfileName="instances", RoleName="instances")
    world.iam.add_role_to_instance_profile(InstanceProfileName="instances", RoleName="other-instances")
    world.compute_environment("ec2-again", world.ec2_resources(profile), wait=None)
    assert world.wait_compute_environment("ec2-again", "INVALID")["statusReason"] == (
        f'CLIENT_ERROR - IAM Instance Profile "{profile}" has no associated IAM Roles'
    )
    propagated(world)
    assert revalidated(world, "ec2-again")["status"] == "VALID"


def test_spot_fleet_role_just_created_or_missing(world):
    world.instance_profile("instances")
    fleet = world.role("fleet", "spotfleet.amazonaws.com")
    spot = {"type": "SPOT", "allocationStrategy": "BEST_FIT", "spotIamFleetRole": fleet}
    world.compute_environment("spot", world.ec2_resources("instances", **spot), wait=None)
    message = "CLIENT_ERROR - Parameter: SpotFleetRequestConfig.IamFleetRole is invalid."
    assert world.wait_compute_environment("spot", "INVALID")["statusReason"] == message
    propagated(world)
    assert revalidated(world, "spot")["status"] == "VALID"
    missing = {**spot, "spotIamFleetRole": fleet.replace("role/fleet", "role/missing")}
    world.compute_environment("spot-missing", world.ec2_resources("instances", **missing), wait=None)
    assert world.wait_compute_environment("spot-missing", "INVALID")["statusReason"] == message


def test_scheduler_refuses_an_execution_role_it_cannot_assume_yet(world):
    scheduler = world.emulator.client("scheduler")
    role = world.role("scheduler", "scheduler.amazonaws.com")
    target = {"Arn": "arn:aws:scheduler:::aws-sdk:batch:submitJob", "RoleArn": role, "Input": "{}"}
    schedule = {"ScheduleExpression": "rate(1 day)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": target}
    with pytest.raises(ClientError) as excinfo:
        scheduler.create_schedule(Name="nightly", **schedule)
    error = excinfo.value.response
    assert error["Error"]["Code"] == "ValidationException" and error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"] == (
        "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."
    )
    assert scheduler.list_schedules()["Schedules"] == []

    world.emulator.configure(iam_propagation_delay=SHORT)
    attempts = 0  # a bounded retry on that message, as terraform-provider-aws does, succeeds
    while True:
        attempts += 1
        try:
            scheduler.create_schedule(Name="nightly", **schedule)
            break
        except ClientError as exc:
            assert "assume the role" in exc.response["Error"]["Message"] and attempts < 50
            time.sleep(0.05)
    assert scheduler.get_schedule(Name="nightly")["Target"]["RoleArn"] == role

    world.emulator.configure(iam_propagation_delay=LONG)  # every role is new again
    fresh = world.role("scheduler-2", "scheduler.amazonaws.com")
    with pytest.raises(ClientError) as excinfo:
        scheduler.update_schedule(Name="nightly", **{**schedule, "Target": {**target, "RoleArn": fresh}})
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_batch_job_with_a_task_role_just_created(world):
    world.fargate_queue("queue")
    role = world.role("job-role", "ecs-tasks.amazonaws.com")
    definition = world.job_definition("with-role", ["true"], container={"jobRoleArn": role})
    detail = world.wait_job(world.submit("early", definition))[0]
    reason = (
        f"ECS was unable to assume the role '{role}' that was provided for this task. Please verify that the role "
        "being passed has the proper trust relationship and permissions and that your IAM user has permissions to "
        "pass this role."
    )
    assert detail["status"] == "FAILED" and detail["statusReason"] == reason
    assert detail["attempts"][0]["container"]["reason"] == reason
    propagated(world)
    assert world.wait_job(world.submit("later", definition))[0]["status"] == "SUCCEEDED"
