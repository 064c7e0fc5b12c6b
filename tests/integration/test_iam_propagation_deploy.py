"""Issue 14, point 6: a first deploy survives IAM eventual consistency, and a re-run does not wait for it.

The emulator's ``iam_propagation_delay`` makes every role and instance profile unusable until it has passed. Each test
sets it long, so that the first use is refused whatever the machine's load, and shortens it once the emulator has
counted the module's first retry (the call that can only come after a refusal): the rest of the run then finds IAM
propagated, as a bounded retry on AWS does.
"""

import threading
import time

import pytest

from tests.integration.test_job import make_stack, play, writes
from tests.integration.test_stack_lifecycle import Stack, assert_ok

pytestmark = pytest.mark.slow

LONG = 600


@pytest.fixture
def propagating(aws):
    """The emulator with IAM propagation on (long), restored afterwards (the emulator is shared by the session)."""
    before = aws._request("GET", "/_emulator/config")
    assert before["iam_propagation_delay"] == 0
    aws.configure(iam_propagation_delay=LONG)
    yield aws
    aws.configure(iam_propagation_delay=before["iam_propagation_delay"])


def propagated_after_first(emulator, call, run):
    """``run()`` (a playbook) in a thread; once the emulator has counted ``call``, IAM propagation is over."""
    outcome = {}

    def work():
        try:
            outcome["result"] = run()
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            outcome["error"] = error

    worker = threading.Thread(target=work)
    worker.start()
    while worker.is_alive() and not emulator.stats()["calls"].get(call):
        time.sleep(0.1)
    emulator.configure(iam_propagation_delay=0)
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def task_warnings(result, name):
    return [
        warning
        for task in result.tasks()
        if task["task"]["name"].endswith(name)
        for warning in task["hosts"].get("localhost", {}).get("warnings", [])
    ]


def test_a_cold_deploy_of_the_local_stack_outlasts_iam_propagation_and_a_rerun_waits_for_nothing(propagating, tmp_path):
    stack = Stack(propagating, tmp_path / "outputs")
    propagating.reset_stats()
    deploy = propagated_after_first(propagating, "batch:UpdateComputeEnvironment", stack.deploy)
    assert_ok(deploy)
    calls = propagating.stats()["calls"]
    revalidations = calls["batch:UpdateComputeEnvironment"]
    assert calls["batch:CreateComputeEnvironment"] == 1 and revalidations >= 1  # created once, validated again
    warnings = task_warnings(deploy, "Ensure the compute environments")
    assert len(warnings) == revalidations  # one warning per round
    assert all(
        "compute environment local-carbon-ce is INVALID: CLIENT_ERROR - Invalid IamInstanceProfile: " in warning
        and "IAM changes take a while to reach Batch: validating it again in" in warning
        for warning in warnings
    ), warnings
    (environment,) = propagating.client("batch").describe_compute_environments(computeEnvironments=["local-carbon-ce"])[
        "computeEnvironments"
    ]
    assert environment["status"] == "VALID"
    (queue,) = propagating.client("batch").describe_job_queues(jobQueues=["local-carbon-jq"])["jobQueues"]
    assert queue["status"] == "VALID"

    # A re-run, even with every role "new" again: everything is VALID, so nothing is validated, written or waited for.
    propagating.configure(iam_propagation_delay=LONG)
    propagating.reset_stats()
    again = stack.deploy()
    assert_ok(again)
    stats = propagating.stats()
    assert stats["writes"] == 0 and "batch:UpdateComputeEnvironment" not in stats["calls"]
    assert task_warnings(again, "Ensure the compute environments") == []


def test_a_scheduler_schedule_is_written_once_its_new_role_can_be_assumed(propagating, playbook):
    created = make_stack(propagating)
    role = propagating.client("iam").create_role(
        RoleName="t-scheduler",
        AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}]}',
    )["Role"]["Arn"]
    task = {
        "name": "Schedule",
        "ondemand.batch.job_schedule": {
            "name": "t-nightly",
            "backend": "scheduler",
            "schedule_expression": "cron(0 4 * * ? *)",
            "timezone": "Europe/Berlin",
            "job_queue": created["queue"],
            "job_definition": created["jd"],
            "role_arn": role,
        },
    }
    propagating.reset_stats()
    result = propagated_after_first(propagating, "scheduler:CreateSchedule", lambda: playbook(play(task)))
    assert result.rc == 0, result.stdout
    attempts = propagating.stats()["calls"]["scheduler:CreateSchedule"]
    assert attempts >= 2  # refused while the role was new, then created
    outcome = result.task("Schedule")
    assert outcome["changed"] is True and outcome["schedule"]["target"]["role_arn"] == role
    assert len(outcome["warnings"]) == attempts - 1
    assert outcome["warnings"][0].startswith(
        f"schedule t-nightly: EventBridge Scheduler cannot assume {role} yet; IAM changes take a while to reach it: "
        "trying again in 1s (attempt 2, "
    )
    found = propagating.client("scheduler").get_schedule(Name="t-nightly")
    assert found["Target"]["RoleArn"] == role and found["ScheduleExpressionTimezone"] == "Europe/Berlin"

    propagating.configure(iam_propagation_delay=LONG)
    propagating.reset_stats()
    again = playbook(play(task))
    assert again.rc == 0 and again.task("Schedule")["changed"] is False
    assert writes(propagating.stats()) == {}
