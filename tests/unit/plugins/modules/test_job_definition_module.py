"""Module-level tests of job_definition and job_definition_info: main() wiring (docs: test_module_docs.py)."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule
from ansible_collections.ondemand.batch.plugins.modules import job_definition, job_definition_info

ACCOUNT = "123456789012"
SECRET_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:dev-carbon-my-secret-AbCdEf"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev-carbon-execution-role"


class FakeBatch:
    def __init__(self, definitions=()):
        self.definitions = list(definitions)
        self.calls = []

    def describe_job_definitions(self, aws_retry, **kwargs):
        self.calls.append("DescribeJobDefinitions")
        wanted = kwargs.get("jobDefinitionName")
        status = kwargs.get("status")
        return {
            "jobDefinitions": [
                d
                for d in self.definitions
                if (wanted is None or d["jobDefinitionName"] == wanted) and (status is None or d["status"] == status)
            ]
        }

    def register_job_definition(self, aws_retry, **kwargs):
        self.calls.append("RegisterJobDefinition")
        return {"revision": 1, "jobDefinitionArn": "arn"}


class FakeSts:
    def get_caller_identity(self, aws_retry):
        return {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/ci"}


def run(module, args, monkeypatch, capsys, client=None):
    """Run ``module.main()`` with ``args``; return (exit code, JSON output, client)."""
    client = client or FakeBatch()
    clients = {"batch": client, "sts": FakeSts()}
    monkeypatch.setattr(BatchModule, "retrying_client", lambda self, service: clients[service])
    with patch_module_args({"region": "eu-west-1", **args}), pytest.raises(SystemExit) as info:
        module.main()
    output = capsys.readouterr().out
    return info.value.code, json.loads(output[output.index("{") :]), client


SEED = {
    "name": "dev-carbon-jd",
    "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
    "command": ["echo", "hello world"],
    "vcpus": 1,
    "memory": 128,
    "environment": {"LOG_LEVEL": "INFO"},
    "secrets": {"MY_SECRET": SECRET_ARN},
    "execution_role_arn": ROLE,
    "log_configuration": {"log_driver": "awslogs", "options": {"awslogs-group": "/aws/batch/dev-carbon"}},
    "timeout": 60,
    "retry_strategy": {"attempts": 3, "evaluate_on_exit": [{"on_reason": "*", "action": "RETRY"}]},
}


def test_bad_input_fails_before_any_call(monkeypatch, capsys):
    code, output, client = run(job_definition, {**SEED, "timeout": 59}, monkeypatch, capsys)
    assert code == 1
    assert output["msg"] == "timeout: must be at least 60 (got 59)"
    assert client.calls == []


def test_pasted_secret_is_masked_in_every_output(monkeypatch, capsys):
    code, output, client = run(job_definition, {**SEED, "secrets": {"MY_SECRET": "s3cr3t-value"}}, monkeypatch, capsys)
    assert code == 1
    assert output["msg"].startswith("secrets.MY_SECRET: must reference the secret")
    assert "s3cr3t-value" not in json.dumps(output)
    assert output["invocation"]["module_args"]["secrets"]["MY_SECRET"] != "s3cr3t-value"
    assert client.calls == []


def test_check_mode_create_predicts_without_writing(monkeypatch, capsys):
    code, output, client = run(
        job_definition, {**SEED, "_ansible_check_mode": True, "_ansible_diff": True}, monkeypatch, capsys
    )
    assert code == 0
    assert output["changed"] is True
    assert (
        output["job_definition"]["job_definition_arn"]
        == f"arn:aws:batch:eu-west-1:{ACCOUNT}:job-definition/dev-carbon-jd:1"
    )
    assert output["diff"]["before"] == {}
    assert output["deregistered"] == []
    assert "RegisterJobDefinition" not in client.calls


def described(name, revision, status="ACTIVE"):
    return {
        "jobDefinitionName": name,
        "revision": revision,
        "status": status,
        "type": "container",
        "jobDefinitionArn": f"arn:aws:batch:eu-west-1:{ACCOUNT}:job-definition/{name}:{revision}",
        "containerProperties": {"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}},
        "parameters": {"inputFile": "x"},
        "tags": {"CostCenter": "1"},
    }


def test_info_sorts_filters_latest_and_keeps_user_data(monkeypatch, capsys):
    client = FakeBatch(
        [described("b-jd", 1), described("a-jd", 1), described("a-jd", 3), described("a-jd", 2, "INACTIVE")]
    )
    code, output, _client = run(job_definition_info, {}, monkeypatch, capsys, client)
    assert code == 0 and output["changed"] is False
    assert [(d["job_definition_name"], d["revision"]) for d in output["job_definitions"]] == [
        ("a-jd", 3),
        ("a-jd", 1),
        ("b-jd", 1),
    ]
    first = output["job_definitions"][0]
    assert first["parameters"] == {"inputFile": "x"} and first["tags"] == {"CostCenter": "1"}
    assert first["container_properties"]["log_configuration"]["options"] == {"awslogs-group": "g"}

    code, output, _client = run(job_definition_info, {"latest_only": True}, monkeypatch, capsys, client)
    assert [(d["job_definition_name"], d["revision"]) for d in output["job_definitions"]] == [("a-jd", 3), ("b-jd", 1)]
    code, output, _client = run(job_definition_info, {"names": ["a-jd"], "status": "ANY"}, monkeypatch, capsys, client)
    assert [d["revision"] for d in output["job_definitions"]] == [3, 2, 1]


def test_select_latest_only():
    definitions = [described("x", 1), described("x", 5), described("y", 2)]
    assert [(d["jobDefinitionName"], d["revision"]) for d in job_definition_info.select(definitions, True)] == [
        ("x", 5),
        ("y", 2),
    ]
