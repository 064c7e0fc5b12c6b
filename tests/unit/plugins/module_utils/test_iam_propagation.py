"""IAM eventual consistency: which AWS answers mean "not propagated yet", and how long the retry goes on."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError
from ansible_collections.ondemand.batch.plugins.module_utils.iam_propagation import (
    DEFAULT_TIMEOUT,
    Retry,
    compute_environment_propagation,
    is_scheduler_propagation_error,
)
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context

ROLE = "arn:aws:iam::123456789012:role/dev-carbon-batch-service"
PROFILE = "arn:aws:iam::123456789012:instance-profile/dev-carbon-ecs-instance"


@pytest.mark.parametrize(
    ("reason", "option"),
    [
        # What AWS reports (the emulator's table in emulator/README.md, "IAM eventual consistency").
        (
            "CLIENT_ERROR - User: batch.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: "
            f"{ROLE} (Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; Request ID: "
            "0f8b2f6e-0000-4000-8000-000000000000; Proxy: null)",
            "service_role",
        ),
        ("CLIENT_ERROR - Invalid IamInstanceProfile: dev-carbon-ecs-instance", "instance_role"),
        (f'CLIENT_ERROR - IAM Instance Profile "{PROFILE}" has no associated IAM Roles', "instance_role"),
        ("CLIENT_ERROR - Parameter: SpotFleetRequestConfig.IamFleetRole is invalid.", "spot_iam_fleet_role"),
        # Anything else is not IAM propagation: the environment fails as before.
        ("CLIENT_ERROR - The subnet ID 'subnet-1' does not exist (Service: AmazonEC2; Status Code: 400)", None),
        (f"CLIENT_ERROR - The service role {ROLE} does not exist in IAM", None),
        ("CLIENT_ERROR - Instance profile dev-carbon-ecs-instance does not exist", None),
        ("ComputeEnvironment Healthy", None),
        ("", None),
        (None, None),
    ],
)
def test_compute_environment_reasons_are_classified(reason, option):
    assert compute_environment_propagation(reason) == option


def scheduler_error(code, message):
    return ClientError({"Error": {"Code": code, "Message": message}}, "CreateSchedule")


def test_the_scheduler_refusal_is_recognised_wrapped_or_not():
    refusal = scheduler_error(
        "ValidationException", "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."
    )
    assert is_scheduler_propagation_error(refusal)
    assert is_scheduler_propagation_error(BatchError(message="Failed to write schedule", exception=refusal))
    other = scheduler_error("ValidationException", "Invalid Schedule Expression cron(0 4 * *).")
    assert not is_scheduler_propagation_error(BatchError(message="Failed to write schedule", exception=other))
    denied = scheduler_error("AccessDeniedException", "The execution role you provide must allow ...")
    assert not is_scheduler_propagation_error(denied)
    assert not is_scheduler_propagation_error(BatchError(message="no exception"))


def test_the_retry_backs_off_and_ends_at_its_timeout(fake_clock):
    fake_clock.now = 50.0  # measured from the first refusal, not from zero
    retry = Retry(60, fake_clock)
    delays = []
    while (delay := retry.next_delay()) is not None:
        delays.append(delay)
        fake_clock.sleep(delay)
        fake_clock.now += 0.5  # the attempt itself (an update that settles, a refused call)
    assert delays == [1, 2, 4, 8, 16, 26.5]  # the last one cut so that the last attempt comes at the timeout
    assert retry.rounds == 6 and fake_clock.now == 50.0 + 60 + 0.5
    assert retry.summary() == "still after 7 attempts over 60s"


def test_the_retry_goes_on_every_30_seconds_up_to_the_default_timeout(fake_clock):
    retry = Retry(DEFAULT_TIMEOUT, fake_clock)
    delays = []
    while (delay := retry.next_delay()) is not None:
        delays.append(delay)
        fake_clock.sleep(delay)
    assert DEFAULT_TIMEOUT == 120 and delays == [1, 2, 4, 8, 16, 30, 30, 29]


def test_a_zero_timeout_retries_nothing(fake_clock):
    assert Retry(0, fake_clock).next_delay() is None


def test_the_retry_of_a_module_run_takes_its_timeout_and_clock(fake_clock):
    ctx = Context({}, wait_options={"clock": fake_clock})
    assert Retry.of(ctx).timeout == DEFAULT_TIMEOUT
    entry = ctx.for_entry("compute_environments[ce]", iam_propagation_timeout=5)
    fake_clock.now = 3.0
    retry = Retry.of(entry)
    assert (retry.timeout, retry.started) == (5, 3.0)
    assert retry.next_delay() == 1 and retry.progress(1) == "again in 1s (attempt 2, 0s of 5s)"
