"""playbooks/submit-job.yml against the emulator, with a small inventory made for the test."""

import pytest
import yaml

from tests.integration.test_job import ROOT, first, make_stack, run_streaming, short_transitions

pytestmark = pytest.mark.slow


@pytest.fixture
def fast(aws):
    yield from short_transitions(aws)


PLAYBOOK = ROOT / "playbooks" / "submit-job.yml"


def inventory(tmp_path, stack):
    """An environment inventory as the stack inventories define it: group_vars/all plus localhost."""
    root = tmp_path / "inventory"
    (root / "group_vars").mkdir(parents=True)
    (root / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}))
    (root / "group_vars" / "all.yml").write_text(
        yaml.safe_dump(
            {
                "batch_default_job_definition": stack["jd"],
                "batch_default_job_queue": stack["queue"],
                "stack_region": "eu-west-1",
            }
        )
    )
    return root


def test_submits_the_default_job_follows_it_and_shows_its_logs(fast, tmp_path):
    stack = make_stack(fast, revisions=2, command=["sh", "-c", "echo default job says hi; sleep 2; echo done"])
    rc, lines = run_streaming(fast, None, tmp_path, playbook=PLAYBOOK, inventory=inventory(tmp_path, stack))
    output = "\n".join(line for _seconds, line in lines)
    assert rc == 0, output
    assert first(lines, "submitted to t-jq with t-jd:2") < first(lines, "| default job says hi")
    assert first(lines, "| default job says hi") + 1 < first(lines, "): SUCCEEDED")  # shown while it ran
    assert "Job triggered-via-ansible" in output and ": SUCCEEDED" in output
    assert "'  | done'" in output  # the outcome repeats the last log lines
    assert "failed=0" in output


def test_a_failing_job_fails_the_playbook_with_overrides(fast, tmp_path):
    stack = make_stack(fast)
    rc, lines = run_streaming(
        fast,
        None,
        tmp_path,
        playbook=PLAYBOOK,
        inventory=inventory(tmp_path, stack),
        extra_args=[
            "-e",
            '{"job_name": "override", "job_command": ["sh", "-c", "echo $GREETING; exit 3"],'
            ' "job_environment": {"GREETING": "hello override"}}',
        ],
    )
    output = "\n".join(line for _seconds, line in lines)
    assert rc != 0, output
    assert "| hello override" in output
    assert "Job override (" in output and "FAILED" in output
    assert "exit code 3" in output
    assert "failed=1" in output


# ansible-core resolves playbooks by FQCN only when the name matches ^\w+(\.\w+){2,}$: "submit-job" (hyphen)
# cannot be named that way. Run from the installed collection's path, the playbook runs as a collection
# playbook (no playbook-adjacent plugins or files), which is what an FQCN run does.
COLLECTION_PLAYBOOK = (
    ROOT / ".collections" / "ansible_collections" / "ondemand" / "batch" / "playbooks" / "submit-job.yml"
)
FQCN_ALIAS = ROOT / "playbooks" / "submit_job.yml"


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param(str(COLLECTION_PLAYBOOK), id="collection-path"),
        pytest.param(
            "ondemand.batch.submit_job",
            id="fqcn",
            marks=pytest.mark.skipif(
                not FQCN_ALIAS.exists(), reason="playbooks/submit_job.yml (FQCN alias) not added yet"
            ),
        ),
    ],
)
def test_runs_as_a_collection_playbook_without_waiting(fast, playbook, tmp_path, reference):
    stack = make_stack(fast)
    result = playbook(
        reference,
        inventory=inventory(tmp_path, stack),
        extra_vars={"job_wait": False, "job_array_size": 3, "job_name": "by-collection"},
    )
    assert result.rc == 0, result.stdout + result.stderr
    job = result.task("Submit the job and follow it")["job"]
    assert job["status"] == "SUBMITTED"
    assert job["job_name"] == "by-collection"
    assert job["job_definition"] == stack["jd_arn"]
    submitted = fast.client("batch").describe_jobs(jobs=[job["job_id"]])["jobs"][0]
    assert submitted["arrayProperties"]["size"] == 3


def test_missing_inventory_variables_are_explained(fast, playbook, tmp_path):
    empty = tmp_path / "empty.yml"
    empty.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}))
    result = playbook(str(PLAYBOOK), inventory=empty)
    assert result.rc != 0
    assert "Set batch_default_job_definition and batch_default_job_queue" in result.stdout
    assert fast.stats()["calls"] == {}
