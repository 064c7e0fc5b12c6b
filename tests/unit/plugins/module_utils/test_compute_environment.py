import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import compute_environment as ce
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchError,
    BatchValidationError,
    BatchWaitTimeout,
)
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context, run_one
from ansible_collections.ondemand.batch.plugins.module_utils.validation import Problems

ACCOUNT = "123456789012"
ARN = f"arn:aws:batch:eu-west-1:{ACCOUNT}:compute-environment/dev-carbon-ce"
SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev-carbon-batch-service"
PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile/ecsInstanceRole"


def detail(resources=None, **fields):
    """A DescribeComputeEnvironments entry as AWS returns it."""
    base = {
        "computeEnvironmentName": "dev-carbon-ce",
        "computeEnvironmentArn": ARN,
        "ecsClusterArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/AWSBatch-dev-carbon-ce",
        "type": "MANAGED",
        "state": "ENABLED",
        "status": "VALID",
        "statusReason": "ComputeEnvironment Healthy",
        "serviceRole": SLR,
        "tags": {"Environment": "dev"},
        "computeResources": {
            "type": "EC2",
            "allocationStrategy": "BEST_FIT_PROGRESSIVE",
            "minvCpus": 0,
            "maxvCpus": 8,
            "desiredvCpus": 2,
            "instanceTypes": ["optimal"],
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroupIds": ["sg-1"],
            "instanceRole": PROFILE,
            "tags": {"Name": "batch-instance"},
            "ec2Configuration": [{"imageType": "ECS_AL2023", "batchImageStatus": "LATEST"}],
            **(resources or {}),
        },
        "updatePolicy": {"terminateJobsOnUpdate": False, "jobExecutionTimeoutMinutes": 30},
    }
    base.update(fields)
    return base


def options(resources=None, **fields):
    return ce.current_options(detail(resources, **fields))


# --- normalisation ---------------------------------------------------------------------------------
def test_normalize_spells_vcpus_readably_and_keeps_tag_keys():
    result = ce.normalize_compute_environment(detail())
    resources = result["compute_resources"]
    assert (resources["min_vcpus"], resources["max_vcpus"], resources["desired_vcpus"]) == (0, 8, 2)
    assert resources["tags"] == {"Name": "batch-instance"}  # instance tag keys are not snake_cased
    assert resources["ec2_configuration"] == [{"image_type": "ECS_AL2023", "batch_image_status": "LATEST"}]
    assert result["tags"] == {"Environment": "dev"}
    assert result["compute_environment_arn"] == ARN
    assert result["update_policy"] == {"terminate_jobs_on_update": False, "job_execution_timeout_minutes": 30}
    assert ce.normalize_compute_environment(None) == {}


def test_normalize_unmanaged_has_no_compute_resources():
    unmanaged = detail(type="UNMANAGED", unmanagedvCpus=4)
    del unmanaged["computeResources"]
    result = ce.normalize_compute_environment(unmanaged)
    assert "compute_resources" not in result
    assert result["unmanaged_vcpus"] == 4


def test_current_options_in_module_terms():
    current = options()
    assert current["compute_resource_type"] == "EC2"
    assert current["min_vcpus"] == 0 and current["desired_vcpus"] == 2
    assert current["instance_tags"] == {"Name": "batch-instance"}
    assert current["ec2_configuration"] == [{"image_type": "ECS_AL2023"}]
    assert current["compute_environment_state"] == "ENABLED"
    # An environment created without an allocation strategy reports none: AWS's default is BEST_FIT.
    assert options({"allocationStrategy": None})["allocation_strategy"] == "BEST_FIT"


# --- comparison ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "wanted, expected",
    [
        ({"subnets": ["subnet-b", "subnet-a"]}, {}),  # order of subnets does not matter
        ({"subnets": ["subnet-a"]}, {"subnets"}),
        ({"instance_types": ["optimal"]}, {}),
        ({"instance_role": "ecsInstanceRole"}, {}),  # a name matches the ARN AWS reports
        ({"instance_role": PROFILE}, {}),
        ({"instance_role": "otherProfile"}, {"instance_role"}),
        ({"service_role": "AWSServiceRoleForBatch"}, {}),
        ({"service_role": SLR}, {}),
        ({"service_role": ROLE}, {"service_role"}),
        ({"max_vcpus": 8, "min_vcpus": 0}, {}),
        ({"max_vcpus": 16}, {"max_vcpus"}),
        ({"desired_vcpus": 4}, {}),  # not compared unless enforced
        ({"allocation_strategy": "BEST_FIT_PROGRESSIVE"}, {}),
        ({"instance_tags": {"Name": "batch-instance"}}, {}),
        ({"instance_tags": {}}, {"instance_tags"}),
        ({"ec2_configuration": [{"image_type": "ECS_AL2023"}]}, {}),
        ({"ec2_configuration": [{"image_type": "ECS_AL2023", "image_id_override": "ami-1"}]}, {"ec2_configuration"}),
        ({"update_policy": {"job_execution_timeout_minutes": 30, "terminate_jobs_on_update": None}}, {}),
        (
            {"update_policy": {"terminate_jobs_on_update": True, "job_execution_timeout_minutes": None}},
            {"update_policy"},
        ),
        ({"compute_environment_state": "DISABLED"}, {"compute_environment_state"}),
        ({"ec2_key_pair": "debug"}, {"ec2_key_pair"}),
        ({"type": "MANAGED", "compute_resource_type": "EC2"}, {}),
    ],
)
def test_differences(wanted, expected):
    assert set(ce.differences(options(), wanted)) == set(expected)


def test_desired_vcpus_compared_only_when_enforced():
    assert ce.differences(options(), {"desired_vcpus": 4}, enforce_desired_vcpus=True) == {"desired_vcpus": (2, 4)}
    assert ce.differences(options(), {"desired_vcpus": 2}, enforce_desired_vcpus=True) == {}


def test_instance_type_order_matters_only_for_ordered_strategies():
    current = options({"instanceTypes": ["m5", "c5"]})
    assert ce.differences(current, {"instance_types": ["c5", "m5"]}) == {}
    ordered = options({"instanceTypes": ["m5", "c5"], "allocationStrategy": "BEST_FIT_PROGRESSIVE_ORDERED"})
    assert set(ce.differences(ordered, {"instance_types": ["c5", "m5"]})) == {"instance_types"}
    assert ce.differences(ordered, {"instance_types": ["m5", "c5"]}) == {}


@pytest.mark.parametrize(
    "reported, wanted, equal",
    [
        ({"launch_template_name": "lt"}, {"launch_template_name": "lt"}, True),
        ({"launch_template_name": "lt", "version": "$Default"}, {"launch_template_name": "lt"}, True),
        ({"launch_template_name": "lt"}, {"launch_template_name": "lt", "version": "$Latest"}, False),
        ({"launch_template_id": "lt-1", "launch_template_name": "lt"}, {"launch_template_id": "lt-1"}, True),
        ({"launch_template_name": "lt"}, {"launch_template_id": "lt-1"}, False),
        (None, {"launch_template_name": "lt"}, False),
        ({"launch_template_name": "lt"}, {}, False),  # no template asked for: a change
    ],
)
def test_launch_template_comparison(reported, wanted, equal):
    assert ce.values_equal("launch_template", reported, wanted) is equal


# --- the in-place update table ---------------------------------------------------------------------
def test_update_class():
    assert ce.update_class(options()) == ce.EC2_INFRASTRUCTURE
    assert ce.update_class(options({"allocationStrategy": "BEST_FIT"})) == ce.EC2_SCALING
    assert ce.update_class(options({"allocationStrategy": None})) == ce.EC2_SCALING
    assert ce.update_class(options(serviceRole=ROLE)) == ce.EC2_SCALING  # no service-linked role
    assert ce.update_class(options({"type": "FARGATE"})) == ce.FARGATE
    unmanaged = detail(type="UNMANAGED")
    del unmanaged["computeResources"]
    assert ce.update_class(ce.current_options(unmanaged)) == ce.UNMANAGED


def test_table_rows():
    assert ce.IN_PLACE_UPDATABLE[ce.EC2_SCALING] == {"min_vcpus", "max_vcpus", "desired_vcpus"}
    assert ce.IN_PLACE_UPDATABLE[ce.FARGATE] == {"max_vcpus", "subnets", "security_group_ids"}
    assert "spot_iam_fleet_role" not in ce.IN_PLACE_UPDATABLE[ce.EC2_INFRASTRUCTURE]
    assert ce.IN_PLACE_UPDATABLE[ce.UNMANAGED] == frozenset()
    # Every compute resource option is either a scaling field, an infrastructure field or the fleet role; the
    # latest-AMI request is an infrastructure update of its own.
    assert set(ce.COMPUTE_RESOURCE_OPTIONS) | {ce.LATEST_IMAGE} == (
        ce.SCALING_FIELDS | ce.INFRASTRUCTURE_FIELDS | {"spot_iam_fleet_role"}
    )


BEST_FIT = {"allocationStrategy": "BEST_FIT"}
FARGATE = {"type": "FARGATE"}


@pytest.mark.parametrize(
    "resources, fields, wanted, needs_replacement",
    [
        # BEST_FIT: only the vCPU counts change in place.
        (BEST_FIT, {}, {"max_vcpus": 16, "min_vcpus": 2}, set()),
        (BEST_FIT, {}, {"instance_types": ["m5"], "subnets": ["subnet-c"]}, {"instance_types", "subnets"}),
        (BEST_FIT, {}, {"allocation_strategy": "BEST_FIT_PROGRESSIVE"}, {"allocation_strategy"}),
        # Progressive strategy with the service-linked role: infrastructure updates.
        ({}, {}, {"instance_types": ["m5"], "subnets": ["subnet-c"], "instance_role": "other"}, set()),
        ({}, {}, {"launch_template": {"launch_template_name": "lt"}, "instance_tags": {"a": "b"}}, set()),
        ({}, {}, {"allocation_strategy": "BEST_FIT"}, {"allocation_strategy"}),
        ({}, {}, {"compute_resource_type": "SPOT"}, set()),
        ({}, {}, {"compute_resource_type": "FARGATE"}, {"compute_resource_type"}),
        ({"type": "SPOT"}, {}, {"spot_iam_fleet_role": "arn:aws:iam::1:role/fleet"}, {"spot_iam_fleet_role"}),
        # ...but not with a regular service role.
        ({}, {"serviceRole": ROLE}, {"instance_types": ["m5"]}, {"instance_types"}),
        ({}, {"serviceRole": ROLE}, {"service_role": "arn:aws:iam::1:role/other"}, set()),
        ({}, {}, {"service_role": ROLE}, {"service_role"}),  # service-linked -> regular
        # Fargate: max vCPUs, subnets and security groups.
        (FARGATE, {}, {"max_vcpus": 16, "subnets": ["subnet-c"], "security_group_ids": ["sg-2"]}, set()),
        (FARGATE, {}, {"compute_resource_type": "FARGATE_SPOT"}, {"compute_resource_type"}),
        # Always updatable.
        (
            BEST_FIT,
            {},
            {"compute_environment_state": "DISABLED", "update_policy": {"terminate_jobs_on_update": True}},
            set(),
        ),
        ({}, {}, {"type": "UNMANAGED"}, {"type"}),
    ],
)
def test_replacement_reasons(resources, fields, wanted, needs_replacement):
    current = options(resources, **fields)
    diffs = ce.differences(current, wanted)
    assert set(ce.replacement_reasons(current, diffs)) == needs_replacement


def test_replacement_reason_text_names_the_rule():
    current = options(BEST_FIT)
    reasons = ce.replacement_reasons(current, ce.differences(current, {"instance_types": ["m5"]}))
    assert "allocation strategy BEST_FIT" in reasons["instance_types"]


# --- validation ------------------------------------------------------------------------------------
EC2 = {
    "type": None,
    "compute_resource_type": "EC2",
    "max_vcpus": 8,
    "instance_types": ["optimal"],
    "subnets": ["subnet-a"],
    "security_group_ids": ["sg-1"],
    "instance_role": "ecsInstanceRole",
}
FARGATE_WANTED = {
    "compute_resource_type": "FARGATE",
    "max_vcpus": 4,
    "subnets": ["subnet-a"],
    "security_group_ids": ["sg-1"],
}


@pytest.mark.parametrize(
    "wanted", [EC2, FARGATE_WANTED, {**EC2, "compute_resource_type": "SPOT", "spot_iam_fleet_role": "r"}]
)
def test_valid_creations(wanted):
    ce.validate_options("dev-carbon-ce", wanted)


@pytest.mark.parametrize(
    "name, wanted, current, message",
    [
        ("dev carbon", EC2, None, "name: must be 1-128 characters"),
        ("x" * 129, EC2, None, "name: must be 1-128 characters"),
        ("dev-carbon-ce", {**EC2, "min_vcpus": 9}, None, "min_vcpus: must not exceed max_vcpus (9 > 8)"),
        ("dev-carbon-ce", {"min_vcpus": 9}, options(), "min_vcpus: must not exceed max_vcpus (9 > 8)"),
        ("dev-carbon-ce", {"max_vcpus": 1}, options({"minvCpus": 2}), "min_vcpus: must not exceed max_vcpus (2 > 1)"),
        ("dev-carbon-ce", {**EC2, "desired_vcpus": 9}, None, "desired_vcpus: must not exceed max_vcpus (9 > 8)"),
        (
            "dev-carbon-ce",
            {**EC2, "min_vcpus": 2, "desired_vcpus": 1},
            None,
            "desired_vcpus: must be at least min_vcpus",
        ),
        ("dev-carbon-ce", {**EC2, "max_vcpus": -1}, None, "max_vcpus: must be at least 0"),
        ("dev-carbon-ce", {**EC2, "instance_role": None}, None, "instance_role: required to create a EC2"),
        ("dev-carbon-ce", {**EC2, "instance_types": None}, None, "instance_types: required to create a EC2"),
        ("dev-carbon-ce", {**EC2, "max_vcpus": None}, None, "max_vcpus: required to create a EC2"),
        ("dev-carbon-ce", {**EC2, "subnets": []}, None, "subnets: must not be empty"),
        (
            "dev-carbon-ce",
            {**EC2, "security_group_ids": None},
            None,
            "security_group_ids: required unless a launch_template",
        ),
        (
            "dev-carbon-ce",
            {**FARGATE_WANTED, "instance_types": ["m5"]},
            None,
            "instance_types: not supported for FARGATE",
        ),
        ("dev-carbon-ce", {**FARGATE_WANTED, "instance_role": "p"}, None, "instance_role: not supported for FARGATE"),
        ("dev-carbon-ce", {**FARGATE_WANTED, "min_vcpus": 0}, None, "min_vcpus: not supported for FARGATE"),
        (
            "dev-carbon-ce",
            {**FARGATE_WANTED, "security_group_ids": None},
            None,
            "security_group_ids: required to create a FARGATE",
        ),
        (
            "dev-carbon-ce",
            {**FARGATE_WANTED, "subnets": [f"s-{i}" for i in range(17)]},
            None,
            "subnets: takes at most 16",
        ),
        ("dev-carbon-ce", {"instance_types": ["m5"]}, options(FARGATE), "instance_types: not supported for FARGATE"),
        ("dev-carbon-ce", {**EC2, "bid_percentage": 50}, None, "bid_percentage: not supported for EC2"),
        (
            "dev-carbon-ce",
            {**EC2, "compute_resource_type": "SPOT"},
            None,
            "spot_iam_fleet_role: required to create a SPOT",
        ),
        (
            "dev-carbon-ce",
            {
                **EC2,
                "compute_resource_type": "SPOT",
                "allocation_strategy": "SPOT_CAPACITY_OPTIMIZED",
                "bid_percentage": 101,
            },
            None,
            "bid_percentage: must be at most 100",
        ),
        (
            "dev-carbon-ce",
            {**EC2, "allocation_strategy": "SPOT_PRICE_CAPACITY_OPTIMIZED"},
            None,
            "only available for SPOT",
        ),
        (
            "dev-carbon-ce",
            {
                **EC2,
                "compute_resource_type": "SPOT",
                "spot_iam_fleet_role": "r",
                "allocation_strategy": "BEST_FIT_PROGRESSIVE_ORDERED",
            },
            None,
            "only available for EC2",
        ),
        ("dev-carbon-ce", {"max_vcpus": 4}, None, "compute_resource_type: required to create a MANAGED"),
        (
            "dev-carbon-ce",
            {"type": "UNMANAGED", "max_vcpus": 4, "service_role": "r"},
            None,
            "max_vcpus: not supported for UNMANAGED",
        ),
        ("dev-carbon-ce", {"type": "UNMANAGED"}, None, "service_role: required for UNMANAGED"),
        ("dev-carbon-ce", {**EC2, "unmanaged_vcpus": 2}, None, "unmanaged_vcpus: only supported for UNMANAGED"),
        (
            "dev-carbon-ce",
            {**EC2, "ec2_configuration": [{"image_type": "a"}] * 3},
            None,
            "ec2_configuration: takes at most 2",
        ),
        (
            "dev-carbon-ce",
            {**EC2, "update_policy": {"job_execution_timeout_minutes": 0}},
            None,
            "update_policy.job_execution_timeout_minutes: must be at least 1",
        ),
    ],
)
def test_invalid_options(name, wanted, current, message):
    with pytest.raises(BatchValidationError) as info:
        ce.validate_options(name, wanted, current)
    assert message in str(info.value)


def test_update_needs_no_creation_fields():
    ce.validate_options("dev-carbon-ce", {"max_vcpus": 16}, options())
    ce.validate_options("dev-carbon-ce", {"compute_environment_state": "DISABLED"}, options(FARGATE))


def test_desired_vcpus_can_only_be_raised_in_place():
    current = options()
    ce.validate_desired_vcpus_update(current, {"desired_vcpus": (2, 4)})
    with pytest.raises(BatchValidationError, match="desired_vcpus: an update can only raise desired vCPUs"):
        ce.validate_desired_vcpus_update(current, {"desired_vcpus": (2, 1)})


# --- requests and predictions ----------------------------------------------------------------------
def test_create_request_is_enabled_and_leaves_out_the_service_linked_role():
    wanted = ce.effective_options(None, {**EC2, "type": "MANAGED", "service_role": SLR, "instance_tags": {"a": "b"}})
    request = ce.create_request("dev-carbon-ce", {**wanted, "compute_environment_state": "DISABLED"}, {"t": "v"})
    assert request == {
        "computeEnvironmentName": "dev-carbon-ce",
        "type": "MANAGED",
        "state": "ENABLED",
        "computeResources": {
            "type": "EC2",
            "minvCpus": 0,
            "maxvCpus": 8,
            "instanceTypes": ["optimal"],
            "subnets": ["subnet-a"],
            "securityGroupIds": ["sg-1"],
            "instanceRole": "ecsInstanceRole",
            "tags": {"a": "b"},
        },
        "tags": {"t": "v"},
    }
    assert ce.create_request("x", {**wanted, "service_role": ROLE})["serviceRole"] == ROLE


def test_post_create_request():
    assert ce.post_create_request(ARN, {"compute_environment_state": "ENABLED"}) is None
    assert ce.post_create_request(ARN, {"update_policy": {"terminate_jobs_on_update": False}}) is None
    assert ce.post_create_request(
        ARN, {"compute_environment_state": "DISABLED", "update_policy": {"job_execution_timeout_minutes": 45}}
    ) == {
        "computeEnvironment": ARN,
        "state": "DISABLED",
        "updatePolicy": {"terminateJobsOnUpdate": False, "jobExecutionTimeoutMinutes": 45},
    }


def test_update_request_sends_only_the_differences():
    current = options()
    diffs = ce.differences(
        current,
        {
            "max_vcpus": 16,
            "subnets": ["subnet-c"],
            "launch_template": {"launch_template_name": "lt", "launch_template_id": None, "version": None},
            "compute_environment_state": "DISABLED",
            "update_policy": {"terminate_jobs_on_update": True, "job_execution_timeout_minutes": None},
            "instance_types": ["optimal"],
        },
    )
    assert ce.update_request(ARN, current, diffs) == {
        "computeEnvironment": ARN,
        "state": "DISABLED",
        "updatePolicy": {"terminateJobsOnUpdate": True, "jobExecutionTimeoutMinutes": 30},
        "computeResources": {"maxvCpus": 16, "subnets": ["subnet-c"], "launchTemplate": {"launchTemplateName": "lt"}},
    }


def test_effective_options_for_a_replacement():
    current = options(BEST_FIT, serviceRole=ROLE)
    merged = ce.effective_options(current, {"instance_types": ["m5"], "max_vcpus": None})
    assert merged["instance_types"] == ["m5"]
    assert merged["max_vcpus"] == 8 and merged["service_role"] == ROLE  # kept from the environment
    assert merged["desired_vcpus"] is None  # Batch's current value is not carried over
    to_fargate = ce.effective_options(current, {"compute_resource_type": "FARGATE"})
    assert to_fargate["instance_role"] is None and to_fargate["min_vcpus"] is None
    both = ce.effective_options(
        options({"launchTemplate": {"launchTemplateId": "lt-1", "launchTemplateName": "lt"}}), {}
    )
    assert both["launch_template"] == {"launch_template_id": "lt-1"}


def test_predicted_detail_on_creation():
    wanted = ce.effective_options(
        None, {**EC2, "type": "MANAGED", "service_role": SLR, "compute_environment_state": "ENABLED"}
    )
    predicted = ce.normalize_compute_environment(ce.predicted_detail("dev-carbon-ce", ARN, wanted, {"t": "v"}))
    assert predicted["compute_environment_arn"] == ARN
    assert predicted["service_role"] == SLR
    assert predicted["status"] == "VALID"
    assert predicted["compute_resources"]["desired_vcpus"] == 0
    assert "allocation_strategy" not in predicted["compute_resources"]  # as AWS reports it when not set
    assert predicted["tags"] == {"t": "v"}


def test_apply_differences_predicts_an_update():
    current_detail = detail()
    current = ce.current_options(current_detail)
    diffs = ce.differences(current, {"max_vcpus": 16, "compute_environment_state": "DISABLED"})
    predicted = ce.apply_differences(current_detail, current, diffs, {"new": "tag"})
    assert predicted["computeResources"]["maxvCpus"] == 16
    assert predicted["computeResources"]["desiredvCpus"] == 2
    assert predicted["state"] == "DISABLED"
    assert predicted["ecsClusterArn"] == current_detail["ecsClusterArn"]
    assert predicted["tags"] == {"new": "tag"}


def test_names_and_arns():
    assert ce.replacement_name("dev-carbon-ce") == ce.replacement_name("dev-carbon-ce")
    assert (
        ce.replacement_name("dev-carbon-ce").startswith("dev-carbon-ce-")
        and len(ce.replacement_name("dev-carbon-ce")) == 22
    )
    assert len(ce.replacement_name("x" * 128)) == 128
    assert ce.replacement_name("a" * 128) != ce.replacement_name("a" * 127)
    assert ce.service_linked_role_arn("aws", ACCOUNT) == SLR
    assert ce.compute_environment_arn("aws", "eu-west-1", ACCOUNT, "dev-carbon-ce") == ARN
    assert ce.is_service_linked_role(SLR) and not ce.is_service_linked_role(ROLE)
    assert ce.same_iam_entity(PROFILE, "ecsInstanceRole")
    assert not ce.same_iam_entity(PROFILE, f"arn:aws:iam::{ACCOUNT}:instance-profile/other/ecsInstanceRole")


# --- API helpers -----------------------------------------------------------------------------------
class Describer:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def describe_compute_environments(self, **kwargs):
        self.calls.append(kwargs)
        return {"computeEnvironments": self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]}


def test_describe_chunks_by_100_and_drops_deleted():
    client = Describer([detail()], [detail(status="DELETED")])
    names = [f"ce-{i}" for i in range(150)]
    found = ce.describe_compute_environments(client, names + ["ce-0"])
    assert [len(call["computeEnvironments"]) for call in client.calls] == [100, 50]
    assert all(call["aws_retry"] is True for call in client.calls)
    assert len(found) == 1


def wait(client, until, fake_clock, timeout=600):
    """Run one poll of the reconcile driver for the environment."""
    options = {"timeout": timeout, "sleep": fake_clock.sleep, "clock": fake_clock}
    ctx = Context({"batch": client}, "eu-west-1", wait_options=options)

    def step():
        return (yield ce.environment_poll(ctx, ARN, "dev-carbon-ce", until))

    return run_one(ctx, step())


def test_wait_fails_with_the_status_reason(fake_clock):
    client = Describer([detail(status="CREATING")], [detail(status="INVALID", statusReason="CLIENT_ERROR - no subnet")])
    with pytest.raises(BatchError, match="dev-carbon-ce is INVALID: CLIENT_ERROR - no subnet"):
        wait(client, "valid", fake_clock)


def test_wait_timeout_names_the_environment_and_its_status(fake_clock):
    client = Describer([detail(status="UPDATING", statusReason="scaling")])
    with pytest.raises(BatchWaitTimeout) as info:
        wait(client, "valid", fake_clock, timeout=10)
    assert "compute environment dev-carbon-ce to become VALID" in str(info.value)
    assert "UPDATING (scaling)" in str(info.value)
    assert sum(fake_clock.sleeps) == pytest.approx(10)


def test_wait_for_deletion_ends_when_gone(fake_clock):
    client = Describer([detail(status="DELETING")], [])
    assert wait(client, "deleted", fake_clock) is None
    assert len(client.calls) == 2
    assert fake_clock.sleeps == [0.2, 0.3]


class FakeIAM:
    def __init__(self):
        self.calls = []

    def get_instance_profile(self, **kwargs):
        from botocore.exceptions import ClientError

        self.calls.append(kwargs)
        if kwargs["InstanceProfileName"] != "ecsInstanceRole":
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "nope"}}, "GetInstanceProfile")
        return {"InstanceProfile": {"Arn": PROFILE}}

    def get_role(self, **kwargs):
        from botocore.exceptions import ClientError

        self.calls.append(kwargs)
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole")


def test_iam_resolution():
    iam = FakeIAM()
    assert ce.resolve_instance_profile(iam, "instance_role", "ecsInstanceRole") == PROFILE
    assert ce.resolve_instance_profile(iam, "instance_role", PROFILE) == PROFILE  # ARNs need no call
    assert len(iam.calls) == 1 and iam.calls[0]["aws_retry"] is True
    with pytest.raises(BatchValidationError, match="instance_role: no IAM instance profile named 'missing' exists"):
        ce.resolve_instance_profile(iam, "instance_role", "missing")
    with pytest.raises(BatchError, match="Failed to look up the IAM role"):
        ce.resolve_role(iam, "service_role", "some-role")


def test_every_broken_rule_of_an_environment_is_collected():
    problems = Problems()
    desired = {
        "type": "MANAGED",
        "compute_resource_type": "SPOT",
        "min_vcpus": -2,
        "max_vcpus": 8,
        "bid_percentage": 150,
        "subnets": ["subnet-1"],
        "security_group_ids": ["sg-1"],
        "instance_role": "arn:aws:iam::123456789012:instance-profile/p",
        "instance_types": ["optimal"],
        "allocation_strategy": "SPOT_CAPACITY_OPTIMIZED",
    }
    ce.validate_options("ce", desired, problems=problems)
    assert problems.items == [
        ("min_vcpus", "must be at least 0 (got -2)"),
        ("bid_percentage", "must be at most 100 (got 150)"),
    ]
