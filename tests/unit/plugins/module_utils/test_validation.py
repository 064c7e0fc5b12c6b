import pytest

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.validation import (
    is_arn,
    validate_max_items,
    validate_name,
    validate_range,
)


@pytest.mark.parametrize("name", ["dev-carbon-ce", "dev_carbon_ce", "a", "A1", "x" * 128, "-leading-hyphen"])
def test_valid_names(name):
    assert validate_name("compute_environment_name", name) == name


@pytest.mark.parametrize("name", ["", "x" * 129, "has space", "dot.name", "slash/name", "ok\n", None, 5])
def test_invalid_names_name_the_field_and_rule(name):
    with pytest.raises(BatchValidationError) as info:
        validate_name("job_queue_name", name)
    assert str(info.value).startswith("job_queue_name: must be 1-128 characters")


def test_range():
    assert validate_range("max_vcpus", None, 0) is None
    assert validate_range("max_vcpus", 8, 0, 10) == 8
    with pytest.raises(BatchValidationError, match="^timeout: must be at least 60 \\(got 59\\)$"):
        validate_range("timeout", 59, 60)
    with pytest.raises(BatchValidationError, match="^attempts: must be at most 10 \\(got 11\\)$"):
        validate_range("attempts", 11, 1, 10)


def test_max_items():
    assert validate_max_items("compute_environments", ["a", "b", "c"], 3) == ["a", "b", "c"]
    with pytest.raises(BatchValidationError, match="takes at most 3 items \\(got 4\\)"):
        validate_max_items("compute_environments", ["a", "b", "c", "d"], 3)


def test_is_arn():
    assert is_arn("arn:aws:batch:eu-west-1:123456789012:job-queue/q")
    assert not is_arn("q")
    assert not is_arn(None)
