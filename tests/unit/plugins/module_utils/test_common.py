import pathlib

import yaml
from ansible_collections.amazon.aws.plugins.module_utils.common import get_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from botocore.exceptions import ClientError

from ansible_collections.ondemand.batch.plugins.module_utils import common

ROOT = pathlib.Path(__file__).resolve().parents[4]


def client_error(code, status=400):
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


def test_collection_version_matches_galaxy_yml():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert common.COLLECTION_NAME == f"{galaxy['namespace']}.{galaxy['name']}"
    assert common.COLLECTION_VERSION == galaxy["version"]


def test_module_reports_collection_in_user_agent(monkeypatch):
    def fake_init(self, **kwargs):
        self.init_kwargs = kwargs

    monkeypatch.setattr(common.AnsibleAWSModule, "__init__", fake_init)
    module = common.BatchModule(argument_spec={})
    assert module.init_kwargs == {"argument_spec": {}}
    assert get_collection_info() == {"name": "ondemand.batch", "version": common.COLLECTION_VERSION}


def test_batch_client_uses_retry_decorator(monkeypatch):
    calls = []
    monkeypatch.setattr(common.AnsibleAWSModule, "__init__", lambda self, **kw: None)
    module = common.BatchModule()
    monkeypatch.setattr(
        module, "client", lambda service, retry_decorator=None: calls.append((service, retry_decorator))
    )
    module.batch_client()
    assert calls[0][0] == "batch"
    assert calls[0][1] is not None


def test_retry_decorator_retries_throttling_then_succeeds(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    attempts = []

    @common.retry_decorator()
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise client_error("ThrottlingException")
        return "ok"

    assert flaky() == "ok"
    assert len(attempts) == 3


def test_retry_decorator_does_not_retry_client_errors(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    attempts = []

    @common.retry_decorator()
    def refused():
        attempts.append(1)
        raise client_error("ClientException")

    try:
        refused()
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ClientException"
    else:
        raise AssertionError("ClientException must not be swallowed")
    assert len(attempts) == 1


def test_retried_codes_cover_every_service_we_call():
    for code in (
        "TooManyRequestsException",
        "Throttling",
        "ThrottlingException",
        "InternalFailure",
        "ServiceUnavailable",
    ):
        assert AWSRetry.found(code, common.EXTRA_RETRY_CODES), code


def test_paginate_items_follows_next_token_and_retries_each_page():
    pages = {None: {"things": [1, 2], "nextToken": "t1"}, "t1": {"things": [3]}}
    calls = []

    def describe(aws_retry, **kwargs):
        calls.append((aws_retry, kwargs))
        return pages[kwargs.get("nextToken")]

    assert common.paginate_items(describe, "things", status="ACTIVE") == [1, 2, 3]
    assert calls == [(True, {"status": "ACTIVE"}), (True, {"status": "ACTIVE", "nextToken": "t1"})]
