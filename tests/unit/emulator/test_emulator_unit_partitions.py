"""Regions and partitions, without a server."""

from types import SimpleNamespace

from emulator import partitions


def region(name, status="opt-in-not-required"):
    return SimpleNamespace(name=name, endpoint=f"ec2.{name}.amazonaws.com", opt_in_status=status)


REGIONS = [region("eu-west-1"), region("ap-east-1", "not-opted-in"), region("cn-north-1"), region("us-gov-west-1")]


def names(found):
    return [item.name for item in found]


def test_known_regions_and_partitions():
    assert partitions.is_known("cn-north-1") and partitions.is_known("cn-northwest-1")
    assert partitions.is_known("us-gov-west-1") and partitions.is_known("eu-west-1")
    assert not partitions.is_known("mars-olympus-1") and not partitions.is_known("aws-cn")
    assert partitions.partition_of("cn-northwest-1") == "aws-cn"
    assert partitions.partition_of("eu-west-1") == "aws"


def test_describe_regions_answer():
    assert names(partitions.regions_answer(REGIONS, "cn-north-1", all_regions=True)) == ["cn-north-1"]
    assert names(partitions.regions_answer(REGIONS, "eu-west-1")) == ["eu-west-1"]
    assert names(partitions.regions_answer(REGIONS, "eu-west-1", all_regions=True)) == ["eu-west-1", "ap-east-1"]
    assert names(partitions.regions_answer(REGIONS, "eu-west-1", names=["ap-east-1"])) == ["eu-west-1", "ap-east-1"]
    filters = {"opt-in-status": ["not-opted-in"]}
    assert names(partitions.regions_answer(REGIONS, "us-east-1", all_regions=True, filters=filters)) == ["ap-east-1"]
    filters = {"endpoint": ["*.eu-*"], "unknown-filter": ["x"]}
    assert names(partitions.regions_answer(REGIONS, "us-east-1", filters=filters)) == ["eu-west-1"]
