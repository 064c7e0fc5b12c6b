"""Which compute environment can run a job, and the blocked-queue reasons AWS documents (no server)."""

import pytest

from emulator.batch import placement
from emulator.batch.placement import Demand, verdict

EC2 = {"type": "EC2", "maxvCpus": 16, "instanceTypes": ["c4.large"]}
FARGATE = {"type": "FARGATE", "maxvCpus": 4}


def ec2(**overrides):
    return {**EC2, **overrides}


def reason(demand, resources, fargate=False, unavailable=frozenset()):
    found = verdict(demand, fargate, resources, unavailable)
    return None if found is None else found[0]


def test_instance_types_bound_vcpus_memory_and_gpus():
    # c4.large: 2 vCPUs, 3840 MiB, of which the Batch AMI keeps 32 MiB for the ECS agent.
    assert reason(Demand(2, 3808, 0, False), EC2) is None
    assert reason(Demand(2, 3809, 0, False), EC2) == placement.JOB_RESOURCE
    assert reason(Demand(4, 1024, 0, False), EC2) == placement.JOB_RESOURCE
    assert reason(Demand(1, 1024, 1, False), EC2) == placement.JOB_RESOURCE
    # A family is any size of it; the largest c4 has 36 vCPUs.
    assert reason(Demand(16, 30000, 0, False), ec2(instanceTypes=["c4"])) is None
    assert reason(Demand(36, 1024, 0, False), ec2(instanceTypes=["c4"], maxvCpus=64)) is None
    assert reason(Demand(48, 1024, 0, False), ec2(instanceTypes=["c4"], maxvCpus=64)) == placement.JOB_RESOURCE
    # GPUs: g4dn.12xlarge has 4.
    assert reason(Demand(8, 16384, 4, False), ec2(instanceTypes=["g4dn"])) is None
    assert reason(Demand(8, 16384, 8, False), ec2(instanceTypes=["g4dn"])) == placement.JOB_RESOURCE
    # Types outside the table come from moto's EC2 data (c5n.18xlarge: 72 vCPUs, 192 GiB).
    assert reason(Demand(72, 190000, 0, False), ec2(instanceTypes=["c5n.18xlarge"], maxvCpus=72)) is None


@pytest.mark.parametrize(
    ("bundle", "largest"),
    [("optimal", (96, 786432)), ("default_x86_64", (192, 1048576)), ("default_arm64", (64, 524288))],
)
def test_instance_type_bundles(bundle, largest):
    vcpus, mib = largest
    resources = ec2(instanceTypes=[bundle], maxvCpus=256)
    assert reason(Demand(vcpus, 1024, 0, False), resources) is None
    assert reason(Demand(2, mib - 32, 0, False), resources) is None
    assert reason(Demand(vcpus + 1, 1024, 0, False), resources) == placement.JOB_RESOURCE
    assert reason(Demand(2, mib, 0, False), resources) == placement.JOB_RESOURCE


def test_max_vcpus_comes_before_instance_types():
    assert reason(Demand(17, 1024, 0, False), ec2(instanceTypes=["m5"])) == placement.MAX_RESOURCE
    assert reason(Demand(5, 1024, 0, True), FARGATE, fargate=True) == placement.MAX_RESOURCE


def test_fargate_pairs():
    assert placement.fargate_pair_valid(0.25, 512) and placement.fargate_pair_valid("1", 8192)
    assert placement.fargate_pair_valid(16, 122880) and placement.fargate_pair_valid(32, 249856)
    assert not placement.fargate_pair_valid(0.25, 4096) and not placement.fargate_pair_valid(1, 1024)
    assert not placement.fargate_pair_valid(8, 18432) and not placement.fargate_pair_valid(3, 6144)
    big = {**FARGATE, "maxvCpus": 64}
    assert reason(Demand(1, 2048, 0, True), big, fargate=True) is None
    assert reason(Demand(1, 1024, 0, True), big, fargate=True) == placement.JOB_RESOURCE
    assert reason(Demand(1, 2048, 1, True), big, fargate=True) == placement.JOB_RESOURCE  # no GPUs on Fargate
    assert reason(Demand(1, None, 0, True), big, fargate=True) is None  # memory not given: not checked


def test_platform_must_match_and_unmanaged_takes_anything():
    assert reason(Demand(1, 2048, 0, True), EC2) == placement.JOB_RESOURCE
    assert reason(Demand(1, 2048, 0, False), FARGATE, fargate=True) == placement.JOB_RESOURCE
    assert reason(Demand(512, 10**7, 8, False), None) is None


def test_insufficient_capacity_names_the_instance_type():
    resources = ec2(instanceTypes=["c4.large", "m5"])
    assert reason(Demand(2, 1024, 0, False), resources, unavailable={"c4.large"}) is None  # m5 remains
    found = verdict(Demand(2, 1024, 0, False), False, resources, frozenset({"c4", "m5"}))
    assert found == (
        placement.INSUFFICIENT_CAPACITY,
        "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested for instance type "
        "[c4.large]",
    )


def test_documented_messages_and_codes():
    assert placement.MESSAGES[placement.MAX_RESOURCE] == (
        "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the CPU "
        "requirement of the job."
    )
    assert placement.reason_code(placement.MESSAGES[placement.JOB_RESOURCE]) == placement.JOB_RESOURCE
    assert placement.reason_code(None) == ""
