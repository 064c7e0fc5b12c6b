"""Module-level tests of scheduling_policy and scheduling_policy_info: main() wiring (docs: test_module_docs.py)."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule
from ansible_collections.ondemand.batch.plugins.modules import scheduling_policy, scheduling_policy_info

ACCOUNT = "123456789012"


class FakeBatch:
    def __init__(self):
        self.calls = []

    def list_scheduling_policies(self, aws_retry, **kwargs):
        self.calls.append("ListSchedulingPolicies")
        return {"schedulingPolicies": []}

    def create_scheduling_policy(self, aws_retry, **kwargs):
        self.calls.append("CreateSchedulingPolicy")
        return {"arn": "arn", "name": kwargs["name"]}


class FakeSts:
    def get_caller_identity(self, aws_retry):
        return {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/ci"}


def run(module, args, monkeypatch, capsys):
    client = FakeBatch()
    clients = {"batch": client, "sts": FakeSts()}
    monkeypatch.setattr(BatchModule, "retrying_client", lambda self, service: clients[service])
    with patch_module_args({"region": "eu-west-1", **args}), pytest.raises(SystemExit) as info:
        module.main()
    output = capsys.readouterr().out
    return info.value.code, json.loads(output[output.index("{") :]), client


def test_bad_input_fails_before_any_call(monkeypatch, capsys):
    code, output, client = run(
        scheduling_policy, {"name": "dev-carbon-sp", "compute_reservation": 100}, monkeypatch, capsys
    )
    assert code == 1 and output["msg"] == "compute_reservation: must be at most 99 (got 100)"
    assert client.calls == []


def test_check_mode_create(monkeypatch, capsys):
    args = {
        "name": "dev-carbon-sp",
        "share_distribution": [{"share_identifier": "carbon"}],
        "_ansible_check_mode": True,
    }
    code, output, client = run(scheduling_policy, args, monkeypatch, capsys)
    assert code == 0 and output["changed"] is True
    assert output["scheduling_policy"] == {
        "name": "dev-carbon-sp",
        "arn": f"arn:aws:batch:eu-west-1:{ACCOUNT}:scheduling-policy/dev-carbon-sp",
        "fairshare_policy": {
            "share_decay_seconds": 0,
            "compute_reservation": 0,
            "share_distribution": [{"share_identifier": "carbon", "weight_factor": 1.0}],
        },
        "tags": {},
    }
    assert "diff" not in output  # only in diff mode
    assert client.calls == ["ListSchedulingPolicies"]


def test_info_without_policies(monkeypatch, capsys):
    code, output, _client = run(scheduling_policy_info, {}, monkeypatch, capsys)
    assert code == 0 and output == {**output, "changed": False, "scheduling_policies": []}
