"""``--check --diff`` is the run: the same resources, actions, fields and before/after as the real deploy.

A deployed stack gets one set of changes - a compute environment's vCPUs, a queue's priority, environment order and
tags, a job definition's memory and environment, a schedule's expression, a secret's value (a rotation) - first in
``--check --diff``, then for real. The plan summaries' rows and the list modules' diffs must be equal, field by field;
the rotation changes the secret only (no policy change, no new revision of the job definition that reads it); a
re-run then changes nothing.
"""

import copy

import pytest

from tests.integration.support.playbook import run_playbook
from tests.integration.test_bad_input_catalog import MODEL
from tests.integration.test_faults import FAST, INVENTORY, PLAYBOOKS, writes

pytestmark = pytest.mark.slow

SUMMARY = "Summarise the deploy and write the outputs"
LIST_TASKS = {
    "ondemand.batch.batch : Ensure the compute environments": "compute_environments",
    "ondemand.batch.batch : Ensure the job queues": "job_queues",
    "ondemand.batch.batch : Ensure the job definitions (a new revision only when something changed)": "job_definitions",
    "ondemand.batch.eventbridge : Ensure the schedules (and delete those the model removes)": "job_schedules",
}


def base_model():
    """The local inventory with a second environment (to reorder) and a second job definition reading the secret."""
    ce, jq, jd = (
        copy.deepcopy(MODEL[k][0]) for k in ("batch_compute_environments", "batch_job_queues", "batch_job_definitions")
    )
    return {
        "batch_compute_environments": [ce, {**ce, "name": "ce2", "max_vcpus": 4}],
        "batch_job_queues": [{**jq, "compute_environments": ["ce", "ce2"]}],
        "batch_job_definitions": [jd, {**jd, "name": "reader", "environment": {}}],
        "secrets_secrets": [
            {"name": "MY_SECRET", "description": "Example secret read by the job as $MY_SECRET", "value": "first-value"}
        ],
    }


def changed_model():
    model = base_model()
    model["batch_compute_environments"][0]["max_vcpus"] = 16
    model["batch_job_queues"][0].update(priority=5, compute_environments=["ce2", "ce"], tags={"team": "data"})
    model["batch_job_definitions"][0].update(memory=256, environment={"LOG_LEVEL": "DEBUG"})
    model["eventbridge_schedules"] = [{**MODEL["eventbridge_schedules"][0], "schedule_expression": "cron(0 5 * * ? *)"}]
    model["secrets_secrets"][0]["value"] = "rotated-value"
    return model


def deploy(aws, tmp_path, model, **options):
    variables = {"stack_aws_endpoint_url": aws.url, "stack_outputs_dir": str(tmp_path / "outputs"), **model}
    return run_playbook(aws, PLAYBOOKS / "deploy.yml", extra_vars=variables, inventory=INVENTORY, env=FAST, **options)


def assert_ok(result):
    assert result.rc == 0 and result.failed == 0, f"{result}\n{result.stdout[-5000:]}\n{result.stderr[-2000:]}"


def summary_rows(result):
    rows = result.task(SUMMARY)["summary"]["rows"]
    return sorted((r["kind"], r["name"], r["action"], tuple(sorted(r["changed_fields"]))) for r in rows)


def list_diffs(result):
    """Per list-module task: {resource: (before, after)} of the entries that change."""
    out = {}
    for task in result.tasks():
        key = LIST_TASKS.get(task["task"]["name"])
        host = task["hosts"].get("localhost", {})
        if key is None or host.get("skipped"):
            continue
        for entry, diff in zip(host.get(key, []), host.get("diff", []), strict=True):
            if entry["changed"]:
                out[(key, entry["name"])] = (diff["before"], diff["after"])
    return out


def test_check_mode_predicts_exactly_what_the_real_run_does(aws, tmp_path):
    assert_ok(deploy(aws, tmp_path, base_model()))

    aws.reset_stats()
    check = deploy(aws, tmp_path, changed_model(), check=True, diff=True)
    assert_ok(check)
    assert writes(aws.stats()) == {}
    real = deploy(aws, tmp_path, changed_model(), diff=True)
    assert_ok(real)

    assert summary_rows(check) == summary_rows(real)
    changes = {(kind, name): fields for kind, name, action, fields in summary_rows(real) if action != "none"}
    assert changes == {
        ("compute_environment", "local-carbon-ce"): ("max_vcpus",),
        ("job_queue", "local-carbon-jq"): ("compute_environments", "priority", "tags"),
        ("job_definition", "local-carbon-jd"): ("environment", "memory"),
        ("schedule", "local-carbon-daily"): ("schedule_expression",),
        ("secret", "/local-carbon/MY_SECRET"): ("value",),
    }, changes
    assert list_diffs(check) == list_diffs(real)
    assert set(list_diffs(real)) == {
        ("compute_environments", "local-carbon-ce"),
        ("job_queues", "local-carbon-jq"),
        ("job_definitions", "local-carbon-jd"),
        ("job_schedules", "local-carbon-daily"),
    }

    aws.reset_stats()
    again = deploy(aws, tmp_path, changed_model())
    assert_ok(again)
    assert writes(aws.stats()) == {}
