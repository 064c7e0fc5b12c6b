"""ensure_present / ensure_absent of ondemand.batch.compute_environment against an in-memory Batch."""

import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import compute_environment_ensure as ensure
from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import (
    ALL_OPTIONS,
    REPLACEMENT_TAG,
    replacement_name,
)
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context
from ansible_collections.ondemand.batch.plugins.modules import compute_environment_info
from tests.unit.plugins.modules.test_compute_environment_fakes import (
    ACCOUNT,
    SLR,
    FakeBatch,
    FakeIAM,
    FakeSTS,
)

NAME = "dev-carbon-ce"
TEMP = replacement_name(NAME)
ARN = f"arn:aws:batch:eu-west-1:{ACCOUNT}:compute-environment/{NAME}"
PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile/ecsInstanceRole"


def wanted(**values):
    desired = dict.fromkeys(ALL_OPTIONS)
    desired.update(
        {
            "compute_environment_state": "ENABLED",
            "compute_resource_type": "EC2",
            "max_vcpus": 8,
            "instance_types": ["optimal"],
            "subnets": ["subnet-1"],
            "security_group_ids": ["sg-1"],
            "instance_role": "ecsInstanceRole",
        }
    )
    desired.update(values)
    return desired


@pytest.fixture
def batch():
    return FakeBatch()


@pytest.fixture
def iam():
    return FakeIAM(profiles=["ecsInstanceRole"], roles=["dev-carbon-batch-service"])


@pytest.fixture
def sts():
    return FakeSTS()


@pytest.fixture
def context(batch, iam, sts, fake_clock):
    def make(check_mode=False, wait=True):
        return Context(
            {"batch": batch, "iam": lambda: iam, "sts": lambda: sts},
            "eu-west-1",
            check_mode=check_mode,
            wait=wait,
            wait_options={"timeout": 60, "sleep": fake_clock.sleep, "clock": fake_clock},
        )

    return make


def present(ctx, name, desired, **settings):
    """ensure_present with the entry's other settings (tags, replace, ...) given as keywords."""
    return ensure.ensure_present(ctx, name, {**desired, **settings})


def absent(ctx, name, **settings):
    return ensure.ensure_absent(ctx, name, settings)


def order(batch, queue_name):
    detail = batch._queue(queue_name)
    return [e["computeEnvironment"] for e in sorted(detail["computeEnvironmentOrder"], key=lambda e: e["order"])]


# --- creation ----------------------------------------------------------------------------------------
def test_check_mode_create_predicts_without_writing(batch, context, sts):
    changed, before, after = present(context(check_mode=True), NAME, wanted(), tags={"a": "b"})
    assert changed is True and before is None
    assert after["computeEnvironmentArn"] == ARN
    assert after["serviceRole"] == SLR
    assert after["computeResources"]["instanceRole"] == PROFILE
    assert after["tags"] == {"a": "b"}
    assert batch.writes == []
    assert sts.calls == []  # the instance profile ARN told the account


def test_check_mode_create_asks_sts_only_when_no_arn_tells_the_account(batch, context, sts):
    fargate = wanted(
        compute_resource_type="FARGATE", instance_types=None, instance_role=None, max_vcpus=4, subnets=["subnet-1"]
    )
    _changed, _before, after = present(context(check_mode=True), NAME, fargate)
    assert after["computeEnvironmentArn"] == ARN
    assert after["serviceRole"] == SLR
    assert [operation for operation, _kwargs in sts.calls] == ["get_caller_identity"]
    assert batch.writes == []


def test_check_mode_assumes_missing_iam_names_are_created_earlier(batch, context, sts):
    ctx = context(check_mode=True)
    _changed, _before, after = present(ctx, NAME, wanted(instance_role="new-profile"))
    assert after["computeResources"]["instanceRole"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/new-profile"
    assert ctx.warnings == [
        "instance_role: no IAM instance profile named 'new-profile' exists; "
        "check mode assumes an earlier task creates it"
    ]
    assert [operation for operation, _kwargs in sts.calls] == ["get_caller_identity"]
    assert batch.writes == []


def test_create_then_rerun_is_idempotent_with_one_read(batch, context, iam):
    changed, _before, after = present(context(), NAME, wanted(), tags={"a": "b"})
    assert changed is True
    assert after["status"] == "VALID" and after["tags"] == {"a": "b"}
    assert batch.operations() == ["create_compute_environment"]
    request = batch.writes[0][1]
    assert request["state"] == "ENABLED" and "serviceRole" not in request
    assert request["computeResources"]["instanceRole"] == PROFILE  # name resolved before the write

    batch.calls.clear()
    iam.calls.clear()
    changed, before, after = present(context(), NAME, wanted(), tags={"a": "b"})
    assert changed is False and before == after
    assert batch.calls == [("describe_compute_environments", {"computeEnvironments": [NAME, TEMP]})]
    assert iam.calls == []  # the profile name matches the ARN AWS reports: no look-up


def test_create_disabled_with_update_policy_finishes_with_one_update(batch, context):
    desired = wanted(compute_environment_state="DISABLED", update_policy={"job_execution_timeout_minutes": 60})
    _changed, _before, after = present(context(), NAME, desired)
    assert batch.operations() == ["create_compute_environment", "update_compute_environment"]
    assert batch.writes[1][1] == {
        "computeEnvironment": ARN,
        "state": "DISABLED",
        "updatePolicy": {"terminateJobsOnUpdate": False, "jobExecutionTimeoutMinutes": 60},
    }
    assert after["state"] == "DISABLED"
    assert present(context(), NAME, desired)[0] is False


def test_create_invalid_fails_with_the_reason(context):
    batch = FakeBatch(statuses={"create": "INVALID"})
    ctx = Context({"batch": batch, "iam": FakeIAM(profiles=["ecsInstanceRole"])}, "eu-west-1")
    with pytest.raises(BatchError, match="dev-carbon-ce is INVALID: CLIENT_ERROR - boom"):
        present(ctx, NAME, wanted())


def test_rerun_on_an_invalid_environment_fails_with_the_reason(batch, context):
    batch.add_environment(NAME, status="INVALID", statusReason="CLIENT_ERROR - subnet gone")
    with pytest.raises(BatchError, match="dev-carbon-ce is INVALID: CLIENT_ERROR - subnet gone"):
        present(context(), NAME, wanted())
    assert batch.writes == []


def test_create_without_wait_reads_once(batch, context, fake_clock):
    present(context(wait=False), NAME, wanted())
    assert fake_clock.sleeps == []
    assert [op for op, _kwargs in batch.calls] == [
        "describe_compute_environments",
        "create_compute_environment",
        "describe_compute_environments",
    ]


def test_bad_name_fails_before_any_call(batch, context):
    for call in (
        lambda: present(context(), "dev carbon", wanted()),
        lambda: absent(context(), "dev carbon"),
    ):
        with pytest.raises(BatchValidationError, match="name: must be 1-128 characters"):
            call()
    assert batch.calls == []


def test_unknown_names_fail_before_any_write(batch, context):
    with pytest.raises(BatchValidationError, match="instance_role: no IAM instance profile named 'nope' exists"):
        present(context(), NAME, wanted(instance_role="nope"))
    with pytest.raises(BatchValidationError, match="service_role: no IAM role named 'nope' exists"):
        present(context(), NAME, wanted(service_role="nope"))
    assert batch.writes == []


# --- updates -----------------------------------------------------------------------------------------
def test_in_place_update_and_tags(batch, context):
    batch.add_environment(NAME, {"allocationStrategy": "BEST_FIT"}, tags={"old": "x", "keep": "y"})
    desired = wanted(max_vcpus=16, min_vcpus=2)
    changed, before, after = present(context(check_mode=True), NAME, desired, tags={"keep": "y", "new": "z"})
    assert changed is True and batch.writes == []
    assert after["computeResources"]["maxvCpus"] == 16 and after["tags"] == {"keep": "y", "new": "z"}

    changed, before, after = present(context(), NAME, desired, tags={"keep": "y", "new": "z"})
    assert changed is True
    assert before["computeResources"]["maxvCpus"] == 8
    assert batch.writes == [
        (
            "update_compute_environment",
            {"computeEnvironment": ARN, "computeResources": {"minvCpus": 2, "maxvCpus": 16}},
        ),
        ("untag_resource", {"resourceArn": ARN, "tagKeys": ["old"]}),
        ("tag_resource", {"resourceArn": ARN, "tags": {"new": "z"}}),
    ]
    assert after["computeResources"]["maxvCpus"] == 16


def test_desired_vcpus_drift_is_left_alone_unless_enforced(batch, context):
    batch.add_environment(NAME, {"desiredvCpus": 6})
    assert present(context(), NAME, wanted(desired_vcpus=0))[0] is False
    with pytest.raises(BatchValidationError, match="desired_vcpus: an update can only raise"):
        present(context(), NAME, wanted(desired_vcpus=0), enforce_desired_vcpus=True)
    present(context(), NAME, wanted(desired_vcpus=8), enforce_desired_vcpus=True)
    assert batch.writes[-1][1]["computeResources"] == {"desiredvCpus": 8}


def test_non_updatable_change_fails_listing_the_fields(batch, context):
    batch.add_environment(NAME, {"allocationStrategy": "BEST_FIT"})
    desired = wanted(instance_types=["m5"], subnets=["subnet-2"], max_vcpus=16)
    for check_mode in (True, False):
        with pytest.raises(BatchValidationError) as info:
            present(context(check_mode=check_mode), NAME, desired)
        message = str(info.value)
        assert message.startswith("replace: AWS cannot change compute environment dev-carbon-ce in place: ")
        assert "instance_types (" in message and "subnets (" in message and "max_vcpus" not in message
    assert batch.writes == []


# --- replacement ---------------------------------------------------------------------------------------
def replacement_setup(batch):
    a = batch.add_environment("dev-carbon-a-ce")["computeEnvironmentArn"]
    base = batch.add_environment(NAME, {"allocationStrategy": "BEST_FIT"}, tags={"team": "carbon"})
    b = batch.add_environment("dev-carbon-b-ce")["computeEnvironmentArn"]
    batch.add_queue("dev-carbon-jq", [a, base["computeEnvironmentArn"], b])
    batch.add_queue("dev-carbon-lone-jq", [base["computeEnvironmentArn"]])
    return a, b


def test_replace_keeps_name_arn_tags_and_queue_order(batch, context):
    a, b = replacement_setup(batch)
    desired = wanted(instance_types=["m5"])
    changed, _before, predicted = present(context(check_mode=True), NAME, desired, replace=True)
    assert changed is True and batch.writes == []

    changed, before, after = present(context(), NAME, desired, replace=True)
    assert changed is True
    assert before["computeResources"]["instanceTypes"] == ["optimal"]
    assert after["computeEnvironmentArn"] == ARN and after["computeResources"]["instanceTypes"] == ["m5"]
    assert after["tags"] == {"team": "carbon"}  # tags not given: carried over
    assert predicted["computeResources"]["instanceTypes"] == ["m5"]
    temp_arn = ARN.replace(NAME, TEMP)
    assert batch.operations() == [
        "create_compute_environment",  # the temporary environment
        "update_job_queue",
        "update_job_queue",
        "update_compute_environment",  # disable the old one
        "delete_compute_environment",
        "create_compute_environment",  # the new one, under the name
        "update_job_queue",
        "update_job_queue",
        "update_compute_environment",  # disable the temporary one
        "delete_compute_environment",
    ]
    temp_request = batch.writes[0][1]
    assert temp_request["computeEnvironmentName"] == TEMP
    assert temp_request["tags"] == {"team": "carbon", REPLACEMENT_TAG: NAME}
    assert temp_request["computeResources"]["instanceTypes"] == ["m5"]
    assert batch.writes[1][1]["computeEnvironmentOrder"] == [
        {"order": 1, "computeEnvironment": a},
        {"order": 2, "computeEnvironment": temp_arn},
        {"order": 3, "computeEnvironment": b},
    ]
    assert order(batch, "dev-carbon-jq") == [a, ARN, b]
    assert order(batch, "dev-carbon-lone-jq") == [ARN]
    assert sorted(d["computeEnvironmentName"] for d in batch.environments.values()) == [
        "dev-carbon-a-ce",
        "dev-carbon-b-ce",
        NAME,
    ]
    batch.calls.clear()
    assert present(context(), NAME, desired, replace=True)[0] is False
    assert batch.writes == []


def test_replacement_stopped_after_deleting_the_original_is_finished(batch, context):
    """The run died after the old environment was deleted: the next run (even without replace) completes it."""
    a, _b = replacement_setup(batch)
    del batch.environments[ARN]
    temp = batch.add_environment(TEMP, {"instanceTypes": ["m5"]}, tags={REPLACEMENT_TAG: NAME})
    for detail in batch.queues.values():
        for entry in detail["computeEnvironmentOrder"]:
            if entry["computeEnvironment"] == ARN:
                entry["computeEnvironment"] = temp["computeEnvironmentArn"]
    changed, before, after = present(context(), NAME, wanted(instance_types=["m5"]))
    assert changed is True and before is None
    assert after["computeEnvironmentArn"] == ARN
    assert REPLACEMENT_TAG not in after["tags"]
    assert order(batch, "dev-carbon-jq")[:2] == [a, ARN]
    assert TEMP not in [d["computeEnvironmentName"] for d in batch.environments.values()]


def test_leftover_temporary_environment_is_unwound(batch, context):
    """The run died after queues moved to the temporary environment; the original now matches again."""
    a, _b = replacement_setup(batch)
    temp = batch.add_environment(TEMP, {"instanceTypes": ["m5"]}, tags={REPLACEMENT_TAG: NAME})
    batch._queue("dev-carbon-lone-jq")["computeEnvironmentOrder"][0]["computeEnvironment"] = temp[
        "computeEnvironmentArn"
    ]
    changed, _before, _after = present(context(), NAME, wanted())
    assert changed is True
    assert order(batch, "dev-carbon-lone-jq") == [ARN]
    assert TEMP not in [d["computeEnvironmentName"] for d in batch.environments.values()]


def test_foreign_environment_under_the_temporary_name_is_never_touched(batch, context):
    replacement_setup(batch)
    batch.add_environment(TEMP)  # no marker tag: not ours
    with pytest.raises(BatchValidationError, match="taken by a compute environment this module did not make"):
        present(context(), NAME, wanted(instance_types=["m5"]), replace=True)
    assert batch.writes == []
    assert absent(context(check_mode=True), NAME, force=True)[2] is None
    assert present(context(), NAME, wanted())[0] is False  # and it is not mistaken for a leftover


def test_replacement_must_be_complete(batch, context):
    batch.add_environment(NAME, {"type": "FARGATE", "instanceTypes": None, "instanceRole": None, "minvCpus": None})
    ec2 = wanted(instance_types=None, instance_role=None)
    with pytest.raises(BatchValidationError, match="instance_role: required to create a EC2 compute environment"):
        present(context(), NAME, ec2, replace=True)
    assert batch.writes == []


def test_replacement_refused_when_a_queue_would_mix_platforms(batch, context):
    fargate = batch.add_environment(NAME, {"type": "FARGATE"})
    other = batch.add_environment("dev-carbon-f2-ce", {"type": "FARGATE_SPOT"})
    batch.add_queue("dev-carbon-jq", [fargate["computeEnvironmentArn"], other["computeEnvironmentArn"]])
    with pytest.raises(BatchValidationError, match="job queue\\(s\\) dev-carbon-jq also use environments"):
        present(context(), NAME, wanted(), replace=True)
    assert batch.writes == []


# --- deletion ------------------------------------------------------------------------------------------
def test_absent_on_missing_writes_nothing(batch, context):
    assert absent(context(), NAME) == (False, None, None)
    assert batch.writes == []


def test_absent_disables_then_deletes(batch, context):
    batch.add_environment(NAME)
    changed, before, after = absent(context(check_mode=True), NAME)
    assert (changed, before["computeEnvironmentArn"], after) == (True, ARN, None)
    assert batch.writes == []
    absent(context(), NAME)
    assert batch.writes == [
        ("update_compute_environment", {"computeEnvironment": ARN, "state": "DISABLED"}),
        ("delete_compute_environment", {"computeEnvironment": ARN}),
    ]
    assert batch.environments == {}


def test_absent_in_use_needs_force(batch, context):
    a, b = replacement_setup(batch)
    with pytest.raises(BatchValidationError) as info:
        absent(context(), NAME)
    assert (
        "force: compute environment dev-carbon-ce is still used by job queue(s) dev-carbon-jq, dev-carbon-lone-jq"
        in (str(info.value))
    )
    assert batch.writes == []

    absent(context(), NAME, force=True)
    assert order(batch, "dev-carbon-jq") == [a, b]
    assert batch._queue("dev-carbon-lone-jq") is None  # no environment left: disabled and deleted
    assert batch.operations() == [
        "update_job_queue",  # dev-carbon-jq without the environment
        "update_job_queue",  # dev-carbon-lone-jq disabled
        "delete_job_queue",
        "update_compute_environment",
        "delete_compute_environment",
    ]


# --- compute_environment_info ----------------------------------------------------------------------------
def test_info_by_names_and_all(batch):
    batch.add_environment(NAME, tags={"Environment": "dev"})
    batch.add_environment("dev-carbon-b-ce")
    found = compute_environment_info.list_compute_environments(batch, [ARN, "missing-ce"])
    assert [e["compute_environment_name"] for e in found] == [NAME]
    assert found[0]["compute_resources"]["max_vcpus"] == 8 and found[0]["tags"] == {"Environment": "dev"}
    assert batch.calls == [("describe_compute_environments", {"computeEnvironments": [ARN, "missing-ce"]})]
    assert len(compute_environment_info.list_compute_environments(batch)) == 2  # every page
    assert batch.calls[-1][0] == "describe_compute_environments (paginated)"
    with pytest.raises(BatchValidationError, match="names: must be 1-128 characters"):
        compute_environment_info.list_compute_environments(batch, ["bad name"])


# --- check mode is the run (issue 15) --------------------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {"max_vcpus": 32},  # scaling
        {"min_vcpus": 2, "max_vcpus": 4},  # desired vCPUs follow into the new range
        {"instance_types": ["m5", "c5"], "subnets": ["subnet-2"]},  # infrastructure update
        {"update_policy": {"job_execution_timeout_minutes": 60}},
        {"compute_environment_state": "DISABLED"},
    ],
)
def test_check_mode_predicts_the_update_field_for_field(batch, context, change):
    """After changing only max_vcpus, the preview showed an added update_policy the real run never set: the
    prediction is now built from the request the run sends, merged over the environment as AWS merges it."""
    batch.add_environment(NAME, {"allocationStrategy": "BEST_FIT_PROGRESSIVE", "desiredvCpus": 6}, tags={"a": "b"})
    desired = wanted(**change)
    checked = present(context(check_mode=True), NAME, desired, tags={"a": "c"})
    assert batch.writes == []
    real = present(context(), NAME, desired, tags={"a": "c"})
    assert checked == real
    assert ensure.view(checked[2]) == ensure.view(real[2])
    if "update_policy" not in change:
        assert "updatePolicy" not in real[2]


def test_check_mode_predicts_a_creation_with_or_without_an_update_policy(batch, context):
    for name, policy in (
        ("a-ce", None),
        ("b-ce", {"job_execution_timeout_minutes": 30}),
        ("c-ce", {"terminate_jobs_on_update": True}),
    ):
        desired = wanted(update_policy=policy)
        _changed, _before, predicted = present(context(check_mode=True), name, desired)
        _changed, _before, created = present(context(), name, desired)
        assert predicted.get("updatePolicy") == created.get("updatePolicy"), name
    assert "updatePolicy" not in batch._environment("b-ce")  # the defaults: no follow-up update, nothing reported


# --- update_to_latest_image_version (issue 16) -------------------------------------------------------------
def image_status(status):
    return {
        "allocationStrategy": "BEST_FIT_PROGRESSIVE",
        "ec2Configuration": [{"imageType": "ECS_AL2023", "batchImageStatus": status}],
    }


def test_latest_image_on_creation_needs_no_request(batch, context):
    present(context(), NAME, wanted(update_to_latest_image_version=True))
    assert batch.operations() == ["create_compute_environment"]
    assert "updateToLatestImageVersion" not in batch.writes[0][1]["computeResources"]


def test_latest_image_is_a_change_only_when_batch_has_a_newer_one(batch, context):
    batch.add_environment(NAME, image_status("LATEST"))
    assert present(context(), NAME, wanted(update_to_latest_image_version=True))[0] is False
    batch._environment(NAME)["computeResources"]["ec2Configuration"][0]["batchImageStatus"] = "UPDATE_AVAILABLE"
    assert present(context(), NAME, wanted())[0] is False  # not asked for: left alone
    ctx = context(check_mode=True)
    checked = present(ctx, NAME, wanted(update_to_latest_image_version=True))
    assert ctx.report == {"action": "update", "changed_fields": ["update_to_latest_image_version"]}
    real = present(context(), NAME, wanted(update_to_latest_image_version=True))
    assert checked == real and real[0] is True
    assert batch.writes == [
        (
            "update_compute_environment",
            {"computeEnvironment": ARN, "computeResources": {"updateToLatestImageVersion": True}},
        )
    ]
    assert present(context(), NAME, wanted(update_to_latest_image_version=True))[0] is False


def test_latest_image_rides_along_infrastructure_updates_only(batch, context):
    batch.add_environment(NAME, image_status("LATEST"))
    present(context(), NAME, wanted(update_to_latest_image_version=True, max_vcpus=16))
    assert batch.writes[-1][1]["computeResources"] == {"maxvCpus": 16}  # scaling only: no AMI request
    present(context(), NAME, wanted(update_to_latest_image_version=True, max_vcpus=16, instance_types=["m5"]))
    assert batch.writes[-1][1]["computeResources"] == {"instanceTypes": ["m5"], "updateToLatestImageVersion": True}


def test_latest_image_of_a_best_fit_environment_needs_replace(batch, context):
    batch.add_environment(NAME, {**image_status("UPDATE_AVAILABLE"), "allocationStrategy": "BEST_FIT"})
    with pytest.raises(BatchValidationError, match="update_to_latest_image_version \\(not updatable in place"):
        present(context(), NAME, wanted(update_to_latest_image_version=True))
    assert batch.writes == []
    fargate = wanted(compute_resource_type="FARGATE", instance_types=None, instance_role=None)
    with pytest.raises(BatchValidationError, match="update_to_latest_image_version: only for EC2 and SPOT"):
        present(context(), "f-ce", {**fargate, "update_to_latest_image_version": True})


# --- an INVALID environment is repaired (issue 17) ---------------------------------------------------------
def test_an_invalid_environment_is_replaced_without_replace(batch, context):
    a, _b = replacement_setup(batch)
    batch._environment(NAME).update(status="INVALID", statusReason="CLIENT_ERROR - subnet-1 does not exist")
    ctx = context(check_mode=True)
    checked = present(ctx, NAME, wanted(subnets=["subnet-2"]))
    assert batch.writes == []
    assert ctx.report == {
        "action": "replace",
        "changed_fields": ["subnets"],
        "reason": "INVALID: CLIENT_ERROR - subnet-1 does not exist",
    }
    assert ctx.warnings == [
        "compute environment dev-carbon-ce is INVALID: CLIENT_ERROR - subnet-1 does not exist; it is replaced (its "
        "queues keep their order), without replace=true, since subnets cannot change in place"
    ]
    changed, _before, after = present(context(), NAME, wanted(subnets=["subnet-2"]))
    assert changed is True and after["status"] == "VALID" and after["computeResources"]["subnets"] == ["subnet-2"]
    assert checked[2]["computeResources"]["subnets"] == ["subnet-2"]
    assert order(batch, "dev-carbon-jq") == [a, ARN, _b]
    assert present(context(), NAME, wanted(subnets=["subnet-2"]))[0] is False


def test_an_invalid_environment_is_updated_in_place_when_aws_allows_it(batch, context):
    batch.add_environment(
        NAME, {"allocationStrategy": "BEST_FIT_PROGRESSIVE"}, status="INVALID", statusReason="CLIENT_ERROR - sg-1"
    )
    ctx = context()
    changed, _before, after = present(ctx, NAME, wanted(security_group_ids=["sg-2"]))
    assert changed is True and batch.operations() == ["update_compute_environment"]
    assert ctx.report["reason"] == "INVALID: CLIENT_ERROR - sg-1" and "updated in place" in ctx.warnings[0]


def test_a_healthy_environment_still_needs_replace(batch, context):
    batch.add_environment(NAME, {"allocationStrategy": "BEST_FIT"})
    with pytest.raises(BatchValidationError, match="Set replace=true"):
        present(context(), NAME, wanted(subnets=["subnet-2"]))
    assert batch.writes == []


# --- IAM propagation (issue 14): an environment Batch cannot use a new role for yet is validated again ---------
NOT_YET_PROFILE = "CLIENT_ERROR - Invalid IamInstanceProfile: ecsInstanceRole"
SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev-carbon-batch-service"
NOT_YET_ROLE = (
    f"CLIENT_ERROR - User: batch.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: {SERVICE_ROLE}"
)


def propagating(iam, fake_clock, **invalid):
    """A Batch whose environments are INVALID for their next validations (``invalid``), and a context for it."""
    batch = FakeBatch(invalid=invalid)
    options = {"timeout": 60, "sleep": fake_clock.sleep, "clock": fake_clock}
    return batch, Context({"batch": batch, "iam": iam}, "eu-west-1", wait_options=options, warn=None)


def test_a_new_environment_is_validated_again_until_iam_has_propagated(iam, fake_clock):
    batch, ctx = propagating(iam, fake_clock, **{NAME: [NOT_YET_PROFILE, NOT_YET_PROFILE]})
    changed, _before, after = present(ctx, NAME, wanted(allocation_strategy="BEST_FIT_PROGRESSIVE"))
    assert changed is True and after["status"] == "VALID"
    assert batch.operations() == ["create_compute_environment"] + ["update_compute_environment"] * 2
    # The service-linked role and BEST_FIT_PROGRESSIVE: the instance profile can be re-sent (an infrastructure update).
    revalidation = {"computeEnvironment": ARN, "state": "ENABLED", "computeResources": {"instanceRole": PROFILE}}
    assert [kwargs for _op, kwargs in batch.writes[1:]] == [revalidation, revalidation]
    # Poll 0.2 s after each write; back off 1 s, then 2 s, before validating it again.
    assert fake_clock.sleeps == [0.2, 1, 0.2, 2, 0.2]
    assert ctx.warnings == [
        f"compute environment {NAME} is INVALID: {NOT_YET_PROFILE}; IAM changes take a while to reach Batch: "
        "validating it again in 1s (attempt 2, 0s of 120s)",
        f"compute environment {NAME} is INVALID: {NOT_YET_PROFILE}; IAM changes take a while to reach Batch: "
        "validating it again in 2s (attempt 3, 1s of 120s)",
    ]
    assert present(ctx, NAME, wanted(allocation_strategy="BEST_FIT_PROGRESSIVE"))[0] is False
    assert len(batch.writes) == 3  # a re-run writes nothing


@pytest.mark.parametrize(
    ("settings", "reason", "resent"),
    [
        # BEST_FIT (AWS's default): no infrastructure update, the state alone is a scaling update.
        ({}, NOT_YET_PROFILE, {}),
        # A regular service role is re-sent (a scaling update every environment accepts).
        ({"service_role": "dev-carbon-batch-service"}, NOT_YET_ROLE, {"serviceRole": SERVICE_ROLE}),
        # A regular service role rules out infrastructure updates: the instance profile is not re-sent.
        (
            {"service_role": "dev-carbon-batch-service", "allocation_strategy": "BEST_FIT_PROGRESSIVE"},
            NOT_YET_PROFILE,
            {},
        ),
        # The Spot Fleet role is not part of UpdateComputeEnvironment.
        (
            {"compute_resource_type": "SPOT", "spot_iam_fleet_role": "dev-carbon-batch-service"},
            "CLIENT_ERROR - Parameter: SpotFleetRequestConfig.IamFleetRole is invalid.",
            {},
        ),
    ],
)
def test_the_revalidation_resends_what_aws_accepts(iam, fake_clock, settings, reason, resent):
    batch, ctx = propagating(iam, fake_clock, **{NAME: [reason]})
    assert present(ctx, NAME, wanted(**settings))[2]["status"] == "VALID"
    assert batch.operations() == ["create_compute_environment", "update_compute_environment"]
    assert batch.writes[1][1] == {"computeEnvironment": ARN, "state": "ENABLED", **resent}


def test_an_update_that_gives_a_new_role_is_validated_again(iam, fake_clock):
    batch, ctx = propagating(iam, fake_clock, **{NAME: [NOT_YET_ROLE]})
    batch.add_environment(NAME, serviceRole=f"arn:aws:iam::{ACCOUNT}:role/old-batch-service")
    changed, _before, after = present(ctx, NAME, wanted(service_role="dev-carbon-batch-service"))
    assert changed is True and after["status"] == "VALID" and after["serviceRole"] == SERVICE_ROLE
    assert [kwargs for _op, kwargs in batch.writes] == [
        {"computeEnvironment": ARN, "serviceRole": SERVICE_ROLE},
        {"computeEnvironment": ARN, "state": "ENABLED", "serviceRole": SERVICE_ROLE},
    ]


def test_the_retry_is_bounded_by_iam_propagation_timeout(iam, fake_clock):
    batch, ctx = propagating(iam, fake_clock, **{NAME: [NOT_YET_PROFILE] * 50})
    ctx.wait_options["iam_propagation_timeout"] = 10
    with pytest.raises(BatchError) as failure:
        present(ctx, NAME, wanted())
    assert failure.value.message == (
        f"Compute environment {NAME} is INVALID: {NOT_YET_PROFILE} (still after 5 attempts over 10s: IAM changes "
        "usually reach Batch within seconds; check that the role or instance profile exists and trusts the service, "
        "or raise iam_propagation_timeout)"
    )
    # INVALID first seen at 0.2 s; validated again at 1.2, 3.4, 7.6 and (the last backoff cut) 10.2 s.
    assert batch.operations() == ["create_compute_environment"] + ["update_compute_environment"] * 4
    assert fake_clock.sleeps == pytest.approx([0.2, 1, 0.2, 2, 0.2, 4, 0.2, 2.4, 0.2])
    assert len(ctx.warnings) == 4


def test_no_retry_with_a_zero_timeout_nor_for_other_reasons(iam, fake_clock):
    batch, ctx = propagating(iam, fake_clock, **{NAME: [NOT_YET_PROFILE]})
    ctx.wait_options["iam_propagation_timeout"] = 0
    with pytest.raises(BatchError) as failure:
        present(ctx, NAME, wanted())
    assert failure.value.message == f"Compute environment {NAME} is INVALID: {NOT_YET_PROFILE}"
    subnet = "CLIENT_ERROR - The subnet ID 'subnet-1' does not exist"
    batch, ctx = propagating(iam, fake_clock, **{"other-ce": [subnet]})
    with pytest.raises(BatchError) as failure:
        present(ctx, "other-ce", wanted())
    assert failure.value.message == f"Compute environment other-ce is INVALID: {subnet}"
    assert batch.operations() == ["create_compute_environment"] and ctx.warnings == []


def test_an_environment_left_invalid_by_iam_propagation_is_validated_again_later(iam, fake_clock):
    batch, _ctx = propagating(iam, fake_clock)
    batch.add_environment(NAME, status="INVALID", statusReason=NOT_YET_PROFILE)
    checked = context_with(batch, iam, fake_clock, check_mode=True)
    changed, _before, predicted = present(checked, NAME, wanted())
    assert changed is True and batch.writes == [] and predicted["status"] == "VALID"
    assert checked.report == {"action": "update", "changed_fields": [], "reason": f"INVALID: {NOT_YET_PROFILE}"}
    ctx = context_with(batch, iam, fake_clock)
    changed, _before, after = present(ctx, NAME, wanted())
    assert changed is True and after["status"] == "VALID"
    assert batch.writes == [("update_compute_environment", {"computeEnvironment": ARN, "state": "ENABLED"})]
    assert ctx.warnings == [
        f"compute environment {NAME} is INVALID: {NOT_YET_PROFILE}; IAM changes take a while to reach Batch: "
        "it is validated again"
    ]
    assert present(context_with(batch, iam, fake_clock), NAME, wanted())[0] is False


def context_with(batch, iam, fake_clock, check_mode=False):
    options = {"timeout": 60, "sleep": fake_clock.sleep, "clock": fake_clock}
    return Context({"batch": batch, "iam": iam}, "eu-west-1", check_mode=check_mode, wait_options=options)
