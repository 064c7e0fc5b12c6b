"""Module-level tests of image_repository: docs in lockstep with the argument spec, main() wiring."""

import json

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule
from ansible_collections.ondemand.batch.plugins.modules import image_repository

TAG_OPTIONS = {"tags": {"type": "dict", "aliases": ["resource_tags"]}, "purge_tags": {"type": "bool", "default": True}}


def test_documentation_in_lockstep_with_argument_spec():
    documentation = yaml.safe_load(image_repository.DOCUMENTATION)
    options = {**documentation["options"], **TAG_OPTIONS}
    spec = image_repository.argument_spec()
    assert sorted(options) == sorted(spec)
    for name, option in spec.items():
        doc = options[name]
        for key, default in (("type", "str"), ("choices", None), ("default", None)):
            assert doc.get(key, default) == option.get(key, default), (name, key)
        assert bool(doc.get("required")) == bool(option.get("required")), name
        assert sorted(doc.get("aliases") or []) == sorted(option.get("aliases") or []), name
    assert documentation["version_added"] == "0.1.0"
    for example in yaml.safe_load(image_repository.EXAMPLES):
        task = next(key for key in example if key not in ("name", "register"))
        assert task.count(".") == 2, task
    assert yaml.safe_load(image_repository.RETURN)


def test_bad_input_fails_before_any_call(monkeypatch, capsys):
    def no_client(self, service):
        raise AssertionError(f"no {service} client before the input is checked")

    monkeypatch.setattr(BatchModule, "retrying_client", no_client)
    with patch_module_args({"region": "eu-west-1", "name": "Dev_App"}), pytest.raises(SystemExit) as info:
        image_repository.main()
    output = capsys.readouterr().out
    result = json.loads(output[output.index("{") :])
    assert info.value.code == 1
    assert result["msg"].startswith("name: must be 2-256 lowercase letters")
