"""Issue 16: a job needing 64 vCPUs on an 8-vCPU compute environment stays RUNNABLE in the emulator (as on AWS);
submit-job.yml says why live, then exits non-zero with the reason when job_wait_timeout ends. One playbook run."""

import pytest

from emulator.testing import BatchWorld
from tests.integration.test_job import first, run_streaming
from tests.integration.test_submit_job_playbook import PLAYBOOK, inventory

pytestmark = pytest.mark.slow


@pytest.fixture
def world(aws):
    before = aws._request("GET", "/_emulator/config")
    aws.configure(transition_delay=0.05, executor="none")
    yield BatchWorld(aws)
    aws.configure(**before)


def test_a_64_vcpu_job_on_an_8_vcpu_environment_is_explained_and_fails_the_playbook_on_timeout(world, aws, tmp_path):
    profile = world.instance_profile("diag-profile")
    world.compute_environment("diag-ce", world.ec2_resources(profile, maxvCpus=8))
    world.queue("diag-jq", ["diag-ce"])
    world.job_definition("diag-jd", ["echo", "never runs"], fargate=False)
    aws.reset_stats()

    rc, lines = run_streaming(
        aws,
        None,
        tmp_path,
        playbook=PLAYBOOK,
        inventory=inventory(tmp_path, {"jd": "diag-jd", "queue": "diag-jq"}),
        extra_args=["-e", "job_vcpus=64", "-e", "job_wait_timeout=6", "-e", "job_diagnose_after=2"],
    )
    output = "\n".join(line for _seconds, line in lines)
    assert rc != 0, output
    reason = "the job needs 64 vCPUs, more than any compute environment of diag-jq can give: diag-ce has maxvCpus 8"
    live = first(lines, "still RUNNABLE after")
    assert live < first(lines, "Timed out after 6s")  # said while it waited, once
    assert sum("still RUNNABLE after" in line for _s, line in lines) == 1
    assert reason in [line for _s, line in lines if "still RUNNABLE after" in line][0]
    failure = next(line for _s, line in lines if "Timed out after 6s" in line)
    assert "last status: RUNNABLE. Why it does not start:" in failure
    assert "AWS Batch says: MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE" in failure
    assert reason in failure
    assert "failed=1" in output

    # Read calls only, once: DescribeJobQueues (the module's queue look-up, then the diagnosis) and one
    # DescribeComputeEnvironments; no ListJobs, since the set-up explains the wait.
    calls = aws.stats()["calls"]
    assert {call for call in calls if not call.split(":", 1)[1].startswith(("Describe", "List", "Get"))} == {
        "batch:SubmitJob"
    }
    assert calls["batch:DescribeJobQueues"] == 2
    assert calls["batch:DescribeComputeEnvironments"] == 1
    assert "batch:ListJobs" not in calls
