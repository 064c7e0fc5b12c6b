import pytest
from botocore.exceptions import ClientError, WaiterError

from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchError,
    BatchErrorHandler,
    BatchValidationError,
    fail_on_error,
)


def client_error(code):
    return ClientError({"Error": {"Code": code, "Message": "boom"}}, "DescribeThings")


def test_validation_error_names_field_and_rule():
    error = BatchValidationError("min_vcpus", "must not exceed max_vcpus (8)")
    assert str(error) == "min_vcpus: must not exceed max_vcpus (8)"
    assert error.field == "min_vcpus"
    assert isinstance(error, BatchError)


def test_common_handler_wraps_client_errors():
    @BatchErrorHandler.common_error_handler("describe things")
    def describe():
        raise client_error("ClientException")

    with pytest.raises(BatchError) as info:
        describe()
    assert info.value.message == "Failed to describe things"
    assert info.value.exception.response["Error"]["Code"] == "ClientException"


def test_common_handler_reports_waiter_timeouts():
    @BatchErrorHandler.common_error_handler("wait for things")
    def wait():
        raise WaiterError("thing", "timed out", {})

    with pytest.raises(BatchError, match="Timeout trying to wait for things"):
        wait()


def test_list_handler_returns_default_when_missing():
    @BatchErrorHandler.list_error_handler("list tags", default_value={})
    def list_tags():
        raise client_error("ResourceNotFoundException")

    assert list_tags() == {}


def test_deletion_handler_treats_missing_as_already_gone():
    @BatchErrorHandler.deletion_error_handler("delete policy")
    def delete():
        raise client_error("ResourceNotFoundException")

    assert delete() is False


def test_fail_on_error_uses_fail_json_aws_error():
    calls = []

    class Module:
        def fail_json_aws_error(self, error):
            calls.append(error)

    error = BatchValidationError("name", "bad")
    fail_on_error(Module(), error)
    assert calls == [error]
