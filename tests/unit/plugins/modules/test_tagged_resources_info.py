"""Module-level tests of tagged_resources_info: docs in lockstep, main() wiring, no write call."""

import json

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule
from ansible_collections.ondemand.batch.plugins.modules import tagged_resources_info

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/carbon/dev/MY_SECRET-AbC123"


def test_documentation_in_lockstep_with_argument_spec():
    documentation = yaml.safe_load(tagged_resources_info.DOCUMENTATION)
    spec = tagged_resources_info.argument_spec()
    assert sorted(documentation["options"]) == sorted(spec)
    for name, option in spec.items():
        documented = documentation["options"][name]
        for key, default in (("type", "str"), ("elements", None), ("default", None)):
            assert documented.get(key, default) == option.get(key, default), (name, key)
    assert documentation["version_added"] == "0.1.0"
    assert "amazon.aws.tags" not in documentation["extends_documentation_fragment"]
    returned = yaml.safe_load(tagged_resources_info.RETURN)["resources"]["contains"]
    assert sorted(returned) == ["arn", "name", "resource_type", "tags"]
    assert yaml.safe_load(tagged_resources_info.EXAMPLES)


class FakeTagging:
    def __init__(self):
        self.calls = []

    def get_resources(self, aws_retry, **request):
        self.calls.append(("GetResources", request))
        return {
            "ResourceTagMappingList": [
                {"ResourceARN": SECRET_ARN, "Tags": [{"Key": "ondemand:stack", "Value": "dev-carbon"}]},
            ],
            "PaginationToken": "",
        }


def run(args, monkeypatch, capsys):
    client = FakeTagging()
    services = []

    def retrying_client(self, service):
        services.append(service)
        return client

    monkeypatch.setattr(BatchModule, "retrying_client", retrying_client)
    with patch_module_args({"region": "eu-west-1", **args}), pytest.raises(SystemExit) as info:
        tagged_resources_info.main()
    output = capsys.readouterr().out
    return info.value.code, json.loads(output[output.index("{") :]), client, services


def test_lists_in_check_mode_with_one_read_call(monkeypatch, capsys):
    args = {
        "tags": {"ondemand:stack": "dev-carbon"},
        "resource_types": ["secretsmanager:secret"],
        "_ansible_check_mode": True,
    }
    code, output, client, services = run(args, monkeypatch, capsys)
    assert code == 0 and output["changed"] is False
    assert output["resources"] == [
        {
            "arn": SECRET_ARN,
            "resource_type": "secretsmanager:secret",
            "name": "/carbon/dev/MY_SECRET",
            "tags": {"ondemand:stack": "dev-carbon"},
        }
    ]
    assert services == ["resourcegroupstaggingapi"]
    assert client.calls == [
        (
            "GetResources",
            {
                "ResourcesPerPage": 100,
                "TagFilters": [{"Key": "ondemand:stack", "Values": ["dev-carbon"]}],
                "ResourceTypeFilters": ["secretsmanager:secret"],
            },
        )
    ]


def test_bad_input_fails_before_any_call(monkeypatch, capsys):
    code, output, client, _services = run({"resource_types": ["secrets manager"]}, monkeypatch, capsys)
    assert code == 1 and output["msg"].startswith("resource_types: each entry is 'service' or 'service:type'")
    assert client.calls == []
