"""Can a job run on a compute environment? The checks AWS Batch makes before it places a RUNNABLE job.

Pure functions (no moto, no state): what a job asks for (``Demand``), what an environment's instance types
can give, the Fargate vCPU/memory pairs, and the blocked-queue reasons AWS documents in "Jobs stuck in a
RUNNABLE status" (AWS Batch User Guide, job_stuck_in_runnable.html).
"""

import functools
from dataclasses import dataclass

# --- the reasons AWS Batch gives for a blocked job queue (statusReason of the job at its head) ------------
MAX_RESOURCE = "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"
JOB_RESOURCE = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"
INSUFFICIENT_CAPACITY = "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY"
MESSAGES = {
    MAX_RESOURCE: f"{MAX_RESOURCE} - CE(s) associated with the job queue cannot meet the CPU requirement of the job.",
    JOB_RESOURCE: (
        f"{JOB_RESOURCE} - The job resource requirement (vCPU/memory/GPU) is higher than that can be met by the "
        "CE(s) attached to the job queue."
    ),
    INSUFFICIENT_CAPACITY: f"{INSUFFICIENT_CAPACITY} - Service cannot fulfill the capacity requested for instance type "
    "[{instance_type}]",
}
INVALID_ENVIRONMENTS = "ACTION_REQUIRED - CE(s) associated with the job queue are invalid."
# The only reasons jobStateTimeLimitActions act on (AWS: "The following statusReason values support ...").
TIME_LIMIT_REASONS = (INSUFFICIENT_CAPACITY, MAX_RESOURCE, JOB_RESOURCE)
CANCELED_BY_TIME_LIMIT = "Canceled by JobStateTimeLimit action due to reason: {reason}"

# The Batch AMI reserves 32 MiB for the ECS agent (User Guide, "Compute resource memory management").
ECS_RESERVED_MIB = 32

# --- instance types: (vCPUs, MiB, GPUs), from EC2 DescribeInstanceTypes ------------------------------------
# A small table of common types; a family (``c5``) means any size of it listed here. Types and families not
# listed fall back to moto's copy of the EC2 instance type data.
INSTANCE_TYPES = {
    # compute optimised
    "c4.large": (2, 3840, 0), "c4.xlarge": (4, 7680, 0), "c4.2xlarge": (8, 15360, 0),
    "c4.4xlarge": (16, 30720, 0), "c4.8xlarge": (36, 61440, 0),
    "c5.large": (2, 4096, 0), "c5.xlarge": (4, 8192, 0), "c5.2xlarge": (8, 16384, 0),
    "c5.4xlarge": (16, 32768, 0), "c5.9xlarge": (36, 73728, 0), "c5.24xlarge": (96, 196608, 0),
    "c6i.large": (2, 4096, 0), "c6i.xlarge": (4, 8192, 0), "c6i.2xlarge": (8, 16384, 0),
    "c6i.4xlarge": (16, 32768, 0), "c6i.32xlarge": (128, 262144, 0),
    "c7i.large": (2, 4096, 0), "c7i.xlarge": (4, 8192, 0), "c7i.48xlarge": (192, 393216, 0),
    "c6g.medium": (1, 2048, 0), "c6g.large": (2, 4096, 0), "c6g.16xlarge": (64, 131072, 0),
    "c7g.medium": (1, 2048, 0), "c7g.large": (2, 4096, 0), "c7g.16xlarge": (64, 131072, 0),
    # general purpose
    "m4.large": (2, 8192, 0), "m4.xlarge": (4, 16384, 0), "m4.2xlarge": (8, 32768, 0),
    "m4.4xlarge": (16, 65536, 0), "m4.16xlarge": (64, 262144, 0),
    "m5.large": (2, 8192, 0), "m5.xlarge": (4, 16384, 0), "m5.2xlarge": (8, 32768, 0),
    "m5.4xlarge": (16, 65536, 0), "m5.24xlarge": (96, 393216, 0),
    "m6i.large": (2, 8192, 0), "m6i.xlarge": (4, 16384, 0), "m6i.32xlarge": (128, 524288, 0),
    "m6g.medium": (1, 4096, 0), "m6g.large": (2, 8192, 0), "m6g.16xlarge": (64, 262144, 0),
    "t3.micro": (2, 1024, 0), "t3.small": (2, 2048, 0), "t3.medium": (2, 4096, 0),
    "t3.large": (2, 8192, 0), "t3.2xlarge": (8, 32768, 0),
    # memory optimised
    "r4.large": (2, 15616, 0), "r4.xlarge": (4, 31232, 0), "r4.16xlarge": (64, 499712, 0),
    "r5.large": (2, 16384, 0), "r5.xlarge": (4, 32768, 0), "r5.24xlarge": (96, 786432, 0),
    "r6i.large": (2, 16384, 0), "r6i.xlarge": (4, 32768, 0), "r6i.32xlarge": (128, 1048576, 0),
    "r6g.medium": (1, 8192, 0), "r6g.large": (2, 16384, 0), "r6g.16xlarge": (64, 524288, 0),
    # accelerated
    "g4dn.xlarge": (4, 16384, 1), "g4dn.2xlarge": (8, 32768, 1), "g4dn.12xlarge": (48, 196608, 4),
    "g4dn.16xlarge": (64, 262144, 1),
    "p3.2xlarge": (8, 62464, 1), "p3.8xlarge": (32, 249856, 4), "p3.16xlarge": (64, 499712, 8),
}  # fmt: skip
# What Batch picks from for its instance type bundles (ComputeResource.instanceTypes).
BUNDLES = {
    "optimal": ("c4", "m4", "r4", "c5", "m5", "r5"),
    "default_x86_64": ("m6i", "c6i", "r6i", "c7i"),
    "default_arm64": ("m6g", "c6g", "r6g", "c7g"),
}

# Fargate: the vCPU values and, for each, the memory values (MiB) AWS Batch accepts (ResourceRequirement).
FARGATE_MEMORY = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4097, 1024)),
    1.0: tuple(range(2048, 8193, 1024)),
    2.0: tuple(range(4096, 16385, 1024)),
    4.0: tuple(range(8192, 30721, 1024)),
    8.0: tuple(range(16384, 61441, 4096)),
    16.0: tuple(range(32768, 122881, 8192)),
    32.0: (61440, 122880, 249856),
}


@dataclass(frozen=True)
class Demand:
    """What a job asks for: vCPUs, memory in MiB (None: not given), GPUs, and the platform it needs."""

    vcpus: float
    memory: int | None
    gpus: int
    fargate: bool


def fargate_pair_valid(vcpus, memory):
    return memory in FARGATE_MEMORY.get(float(vcpus), ())


def _known(name):
    """(vCPUs, MiB, GPUs) of an exact instance type, from the table or moto's EC2 data; None if unknown."""
    if name in INSTANCE_TYPES:
        return INSTANCE_TYPES[name]
    from moto.ec2.models.instance_types import INSTANCE_TYPES as EC2_TYPES

    info = EC2_TYPES.get(name)
    if info is None:
        return None
    gpus = sum(gpu.get("Count", 0) for gpu in (info.get("GpuInfo") or {}).get("Gpus", []))
    return (info["VCpuInfo"]["DefaultVCpus"], info["MemoryInfo"]["SizeInMiB"], gpus)


@functools.cache
def _family(family):
    sizes = [name for name in INSTANCE_TYPES if name.split(".")[0] == family]
    if not sizes:
        from moto.ec2.models.instance_types import INSTANCE_TYPES as EC2_TYPES

        sizes = [name for name in EC2_TYPES if name.split(".")[0] == family and not name.endswith(".metal")]
    return tuple(sizes)


@functools.cache
def candidates(instance_types):
    """[(name, vCPUs, MiB, GPUs)] an environment with these ``instanceTypes`` can launch, smallest first."""
    names = []
    for item in instance_types:
        if item in BUNDLES:
            for family in BUNDLES[item]:
                names.extend(_family(family))
        elif "." in item:
            names.append(item)
        else:
            names.extend(_family(item))
    found = {}
    for name in names:
        spec = _known(name)
        if spec is not None:
            found[name] = spec
    return tuple(sorted(((name, *spec) for name, spec in found.items()), key=lambda item: (item[1], item[2], item[0])))


def _unavailable(name, unavailable):
    return name in unavailable or name.split(".")[0] in unavailable


def verdict(demand, environment_fargate, resources, unavailable=frozenset()):
    """None when the job can run on an environment (ignoring capacity in use), else (reason, message).

    ``resources`` is the environment's computeResources (None for UNMANAGED: anything fits);
    ``unavailable`` the instance types or families EC2 has no capacity for (the insufficient_capacity control).
    """
    if demand.fargate != environment_fargate:
        return JOB_RESOURCE, MESSAGES[JOB_RESOURCE]
    if resources is None:
        return None
    if demand.vcpus > (resources.get("maxvCpus") or 0):
        return MAX_RESOURCE, MESSAGES[MAX_RESOURCE]
    if environment_fargate:
        if demand.gpus or (demand.memory is not None and not fargate_pair_valid(demand.vcpus, demand.memory)):
            return JOB_RESOURCE, MESSAGES[JOB_RESOURCE]
        return None
    memory = demand.memory or 0
    fitting = [
        name
        for name, vcpus, mib, gpus in candidates(tuple(resources.get("instanceTypes") or ()))
        if demand.vcpus <= vcpus and memory <= mib - ECS_RESERVED_MIB and demand.gpus <= gpus
    ]
    if not fitting:
        return JOB_RESOURCE, MESSAGES[JOB_RESOURCE]
    if all(_unavailable(name, unavailable) for name in fitting):
        return INSUFFICIENT_CAPACITY, MESSAGES[INSUFFICIENT_CAPACITY].format(instance_type=fitting[0])
    return None


def reason_code(status_reason):
    """``MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT`` of a statusReason ``<code> - <message>``."""
    return (status_reason or "").split(" - ", 1)[0]
