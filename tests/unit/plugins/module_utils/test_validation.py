import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import validation
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.validation import (
    Problems,
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


# ------------------------------------------------------------------------------------------------ Problems
def test_problems_collects_every_rule_and_raises_them_together():
    problems = Problems()
    with problems.rule():
        validation.validate_range("min_vcpus", -2, minimum=0)
    problems.add("bid_percentage", "must be at most 100 (got 150)")
    with problems.rule():
        validation.validate_name("name", "fine-name")
    assert problems.items == [
        ("min_vcpus", "must be at least 0 (got -2)"),
        ("bid_percentage", "must be at most 100 (got 150)"),
    ]
    with pytest.raises(BatchValidationError) as info:
        problems.raise_if_any()
    assert info.value.problems == problems.items
    assert str(info.value) == "min_vcpus: must be at least 0 (got -2); bid_percentage: must be at most 100 (got 150)"
    assert (info.value.field, info.value.rule) == problems.items[0]


def test_collects_problems_adds_to_the_callers_collector_or_raises_alone():
    @validation.collects_problems
    def check(value, problems=None):
        if value < 0:
            problems.add("value", f"must be at least 0 (got {value})")
        problems.add("other", "always")
        return "checked"

    collector = Problems()
    assert check(-1, problems=collector) == "checked"
    assert [field for field, _rule in collector.items] == ["value", "other"]
    with pytest.raises(BatchValidationError, match="value: must be at least 0 .got -1.; other: always"):
        check(-1)
