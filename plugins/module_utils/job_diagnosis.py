# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a job stays RUNNABLE: a few batched read-only look-ups, then pure rules over their answers.

``explain_runnable(batch, job)`` makes the calls (``DescribeJobQueues`` once, ``DescribeComputeEnvironments`` once
for the queue's environments and, only when nothing in the set-up explains the wait, ``ListJobs`` for the RUNNING and
STARTING jobs of the queues that share those environments plus ``DescribeJobs`` for their vCPUs, 100 per call).
``diagnose(job, queue, environments, running)`` is the pure part: it takes DescribeJobs, DescribeJobQueues and
DescribeComputeEnvironments entries and returns findings, each ``{"reason": CODE, "message": text}``:

``STATUS_REASON``
  the ``statusReason`` AWS Batch put on the RUNNABLE job (it names blocked queues, for example
  ``MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - ...`` or ``CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - ...``).
``QUEUE_MISSING``, ``QUEUE_DISABLED``, ``QUEUE_INVALID``
  the job's queue is gone, DISABLED, or INVALID.
``NO_USABLE_ENVIRONMENT``
  no compute environment of the queue is ENABLED and VALID.
``PLATFORM_MISMATCH``
  the job's platform (EC2 or FARGATE) is not the platform of any usable environment.
``TOO_MANY_VCPUS``, ``TOO_MUCH_MEMORY``, ``FARGATE_SIZE``
  the job asks for more than any usable environment can give: its ``maxvCpus``, the largest of its instance types
  (sizes from the instance type's name: ``large`` 2 vCPUs, ``xlarge`` 4, ``<N>xlarge`` 4N; memory per vCPU at most
  2 GiB for ``c`` families, 4 for ``m``, 8 for ``r``; other names are not judged), or a vCPU/memory pair Fargate offers.
``CAPACITY_IN_USE``
  every environment that could run the job has its ``maxvCpus`` taken by RUNNING and STARTING jobs.

No finding means nothing in the queue and its environments prevents the job from running.
"""

import re

from ansible_collections.ondemand.batch.plugins.module_utils.common import paginate_items
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchErrorHandler
from ansible_collections.ondemand.batch.plugins.module_utils.job_definition import (
    FARGATE_MEMORY_BY_VCPU as _FARGATE_MEMORY,
)

DESCRIBE_BATCH = 100
# Running jobs whose vCPUs are looked up; beyond this the sum is a lower bound (said in the message).
MAX_RUNNING_DESCRIBED = 1000
FARGATE_TYPES = ("FARGATE", "FARGATE_SPOT")
# Fargate's vCPU/memory pairs: the job definition rules' table (MiB by vCPU), keyed by number here.
FARGATE_MEMORY_BY_VCPU = {float(vcpus): memories for vcpus, memories in _FARGATE_MEMORY.items()}
# Upper bounds of the memory per vCPU (MiB) of instance families, by their leading letter; c5n has more than other c.
MEMORY_PER_VCPU_BOUND = {"c": 2048, "m": 4096, "r": 8192}
MEMORY_PER_VCPU_FAMILY = {"c5n": 2688}
SIZE_VCPUS = {"medium": 1, "large": 2, "xlarge": 4}
FAMILY_RE = re.compile(r"^([a-z]+)[0-9]")
NXLARGE_RE = re.compile(r"^([0-9]+)xlarge$")
NO_CAUSE = (
    "nothing in the queue or its compute environments prevents it: it waits for capacity (EC2 instances take "
    "minutes to launch, Spot capacity may be short) or for jobs ahead of it"
)


def finding(reason, message):
    return {"reason": reason, "message": message}


# ---------------------------------------------------------------------------------------------- facts
def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def job_resources(job):
    """``(vcpus, memory MiB)`` a DescribeJobs entry asks for (resourceRequirements, else the legacy fields)."""
    container = job.get("container") or {}
    vcpus = memory = None
    for requirement in container.get("resourceRequirements") or []:
        if requirement.get("type") == "VCPU":
            vcpus = _number(requirement.get("value"))
        elif requirement.get("type") == "MEMORY":
            memory = _number(requirement.get("value"))
    if vcpus is None:
        vcpus = _number(container.get("vcpus"))
    if memory is None:
        memory = _number(container.get("memory"))
    return vcpus, memory


def job_platform(job):
    return "FARGATE" if "FARGATE" in (job.get("platformCapabilities") or []) else "EC2"


def environment_platform(environment):
    resource_type = (environment.get("computeResources") or {}).get("type")
    return "FARGATE" if resource_type in FARGATE_TYPES else "EC2"


def instance_size(instance_type):
    """``(vcpus, memory MiB upper bound or None)`` of an instance type, or None when the name does not say."""
    family, _dot, size = (instance_type or "").partition(".")
    if not size or family.startswith("t"):  # a family ("c5") or "optimal": any size; burstable sizes are irregular
        return None
    match = NXLARGE_RE.match(size)
    vcpus = int(match.group(1)) * 4 if match else SIZE_VCPUS.get(size)
    if vcpus is None:  # metal, small, micro, nano: not judged
        return None
    letters = FAMILY_RE.match(family)
    per_vcpu = MEMORY_PER_VCPU_FAMILY.get(family)
    if per_vcpu is None and letters:
        per_vcpu = MEMORY_PER_VCPU_BOUND.get(letters.group(1))
    return vcpus, vcpus * per_vcpu if per_vcpu else None


def _name(environment):
    return environment.get("computeEnvironmentName") or environment.get("computeEnvironmentArn")


def _fmt(number):
    return f"{number:g}"


def _cluster_name(arn):
    """``arn:aws:ecs:...:cluster/NAME`` or ``...:task/NAME/ID`` -> NAME."""
    if not arn or ":" not in arn:
        return None
    resource = arn.split(":", 5)[-1]
    parts = resource.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] in ("cluster", "task", "container-instance") else None


# ---------------------------------------------------------------------------------------------- rules
def _usable(environment):
    return environment.get("state") == "ENABLED" and environment.get("status") == "VALID"


def _fargate_pair_ok(vcpus, memory):
    allowed = FARGATE_MEMORY_BY_VCPU.get(vcpus)
    return allowed is not None and (memory is None or int(memory) in allowed)


def _fargate_text(vcpus, memory):
    pairs = FARGATE_MEMORY_BY_VCPU.get(vcpus)
    offered = (
        f"with {_fmt(vcpus)} vCPUs Fargate offers {pairs[0]}-{pairs[-1]} MiB"
        if pairs
        else f"Fargate offers {', '.join(_fmt(v) for v in sorted(FARGATE_MEMORY_BY_VCPU))} vCPUs"
    )
    asked = f"{_fmt(vcpus)} vCPUs" + (f" and {_fmt(memory)} MiB" if memory is not None else "")
    return f"the job asks for {asked}, a size Fargate does not run ({offered})"


def _fit_problems(environment, vcpus, memory, platform):
    """Why ``environment`` can never run a job of this size: [(reason, text)] (empty when it can)."""
    problems = []
    max_vcpus = _number((environment.get("computeResources") or {}).get("maxvCpus"))
    if environment.get("type") == "UNMANAGED" or not environment.get("computeResources"):
        return problems  # its instances are the owner's: sizes unknown
    if vcpus is not None and max_vcpus is not None and vcpus > max_vcpus:
        problems.append(("TOO_MANY_VCPUS", f"{_name(environment)} has maxvCpus {_fmt(max_vcpus)}"))
    if platform == "FARGATE":
        if vcpus is not None and not _fargate_pair_ok(vcpus, memory):
            problems.append(("FARGATE_SIZE", _fargate_text(vcpus, memory)))
        return problems
    sizes = [instance_size(t) for t in (environment.get("computeResources") or {}).get("instanceTypes") or []]
    if not sizes or any(size is None for size in sizes):
        return problems  # a family or "optimal" may hold any size
    largest_vcpus = max(size[0] for size in sizes)
    if vcpus is not None and vcpus > largest_vcpus:
        problems.append(
            ("TOO_MANY_VCPUS", f"the largest instance type of {_name(environment)} has {largest_vcpus} vCPUs")
        )
    memories = [size[1] for size in sizes]
    if memory is not None and None not in memories and memory > max(memories):
        problems.append(
            (
                "TOO_MUCH_MEMORY",
                f"the largest instance type of {_name(environment)} has at most {_fmt(max(memories))} MiB",
            )
        )
    return problems


def _queue_findings(job, queue):
    if queue is None:
        return [finding("QUEUE_MISSING", f"the job queue {job.get('jobQueue')} no longer exists")]
    name = queue.get("jobQueueName")
    found = []
    if queue.get("state") == "DISABLED":
        found.append(
            finding(
                "QUEUE_DISABLED",
                f"the job queue {name} is DISABLED: AWS Batch does not schedule its jobs until it is ENABLED again",
            )
        )
    if queue.get("status") == "INVALID":
        reason = f": {queue['statusReason']}" if queue.get("statusReason") else ""
        found.append(finding("QUEUE_INVALID", f"the job queue {name} is INVALID{reason}"))
    return found


def _environment_findings(job, queue, environments):
    """Set-up problems of the queue's environments, or ``(findings, environments that could run the job)``."""
    name = queue.get("jobQueueName")
    if not environments:
        return [finding("NO_USABLE_ENVIRONMENT", f"the job queue {name} has no compute environment")], []
    usable = [e for e in environments if _usable(e)]
    if not usable:
        states = "; ".join(
            f"{_name(e)} is {e.get('state')} and {e.get('status')}"
            + (f" ({e['statusReason']})" if e.get("status") != "VALID" and e.get("statusReason") else "")
            for e in environments
        )
        return [
            finding(
                "NO_USABLE_ENVIRONMENT",
                f"no compute environment of the job queue {name} is ENABLED and VALID: {states}",
            )
        ], []
    platform = job_platform(job)
    matching = [e for e in usable if environment_platform(e) == platform]
    if not matching:
        others = ", ".join(f"{_name(e)} ({environment_platform(e)})" for e in usable)
        return [
            finding(
                "PLATFORM_MISMATCH",
                f"the job's definition is for {platform} but the usable compute environments of {name} are {others}",
            )
        ], []
    vcpus, memory = job_resources(job)
    problems = {_name(e): _fit_problems(e, vcpus, memory, platform) for e in matching}
    fitting = [e for e in matching if not problems[_name(e)]]
    if fitting:
        return [], fitting
    found = []
    asked = {"TOO_MANY_VCPUS": f"{_fmt(vcpus or 0)} vCPUs", "TOO_MUCH_MEMORY": f"{_fmt(memory or 0)} MiB of memory"}
    for reason in ("TOO_MANY_VCPUS", "TOO_MUCH_MEMORY", "FARGATE_SIZE"):
        why = list(dict.fromkeys(text for entries in problems.values() for code, text in entries if code == reason))
        if why and reason == "FARGATE_SIZE":
            found.append(finding(reason, why[0]))
        elif why:
            found.append(
                finding(
                    reason,
                    f"the job needs {asked[reason]}, more than any compute environment of "
                    f"{name} can give: {'; '.join(why)}",
                )
            )
    return found, []


def _capacity_findings(job, queue, fitting, running):
    """Every environment that could run the job is full: the sum of vCPUs of RUNNING/STARTING jobs on it."""
    vcpus = job_resources(job)[0] or 1.0
    used = {_name(e): 0.0 for e in fitting}
    counts = dict.fromkeys(used, 0)
    clusters = {_cluster_name(e.get("ecsClusterArn")): _name(e) for e in fitting}
    first = _name(fitting[0])
    for other in running or []:
        where = clusters.get(_cluster_name((other.get("container") or {}).get("taskArn")))
        if where is None and (other.get("container") or {}).get("taskArn"):
            continue  # runs on an environment this job cannot use
        where = where or first
        used[where] += (job_resources(other)[0] or 1.0) * other.get("_count", 1)
        counts[where] += other.get("_count", 1)
    full = []
    for environment in fitting:
        name = _name(environment)
        max_vcpus = _number((environment.get("computeResources") or {}).get("maxvCpus"))
        if max_vcpus is None or used[name] + vcpus <= max_vcpus:
            return []
        full.append(f"{name} has {_fmt(used[name])} of its {_fmt(max_vcpus)} vCPUs taken by {counts[name]} jobs")
    return [
        finding(
            "CAPACITY_IN_USE",
            f"the job needs {_fmt(vcpus)} vCPUs and every compute environment that can run it is full: "
            f"{'; '.join(full)}. It starts when they finish (or raise maxvCpus)",
        )
    ]


def diagnose(job, queue, environments, running=None):
    """Findings for a RUNNABLE job from DescribeJobs/DescribeJobQueues/DescribeComputeEnvironments answers.

    ``environments`` are the queue's, in its order. ``running`` lists the RUNNING and STARTING jobs (DescribeJobs
    entries; ``_count`` for an array parent's running children) of every queue sharing them; None skips that rule.
    """
    found = []
    if job.get("statusReason"):
        found.append(finding("STATUS_REASON", f"AWS Batch says: {job['statusReason']}"))
    blocking = _queue_findings(job, queue)
    if queue is not None and not blocking:
        blocking, fitting = _environment_findings(job, queue, environments)
        if not blocking and running is not None:
            blocking = _capacity_findings(job, queue, fitting, running)
    return found + blocking


def summary(findings):
    """One sentence for messages: the findings' texts, or that nothing was found."""
    if not findings:
        return NO_CAUSE
    return "; ".join(f["message"].rstrip(". ") for f in findings)


# ---------------------------------------------------------------------------------------------- look-ups
@BatchErrorHandler.common_error_handler("describe job queues")
def describe_all_job_queues(client):
    return paginate_items(client.describe_job_queues, "jobQueues")


@BatchErrorHandler.common_error_handler("describe compute environments")
def describe_environments(client, arns):
    found = []
    for start in range(0, len(arns), DESCRIBE_BATCH):
        chunk = arns[start : start + DESCRIBE_BATCH]
        found += client.describe_compute_environments(computeEnvironments=chunk, aws_retry=True).get(
            "computeEnvironments", []
        )
    return found


@BatchErrorHandler.common_error_handler("list running jobs")
def _list_active(client, queue_arn):
    jobs = []
    for status in ("RUNNING", "STARTING"):
        jobs += paginate_items(client.list_jobs, "jobSummaryList", jobQueue=queue_arn, jobStatus=status)
    return jobs


@BatchErrorHandler.common_error_handler("describe running jobs")
def _describe(client, ids):
    found = []
    for start in range(0, len(ids), DESCRIBE_BATCH):
        found += client.describe_jobs(jobs=ids[start : start + DESCRIBE_BATCH], aws_retry=True).get("jobs", [])
    return found


def running_jobs(client, queue_arns, exclude=None):
    """The RUNNING and STARTING jobs of these queues, described (an array parent counts its running children)."""
    summaries = {}
    for arn in queue_arns:
        for summary in _list_active(client, arn):
            if summary["jobId"] != exclude:
                summaries.setdefault(summary["jobId"], summary)
    ids = list(summaries)[:MAX_RUNNING_DESCRIBED]
    described = []
    for job in _describe(client, ids):
        summary = (job.get("arrayProperties") or {}).get("statusSummary")
        if summary:
            job = dict(job, _count=(summary.get("RUNNING") or 0) + (summary.get("STARTING") or 0))
        described.append(job)
    return described


def explain_runnable(client, job):
    """Findings for the RUNNABLE ``job`` (a DescribeJobs entry), from read-only calls. Raises BatchError."""
    queues = describe_all_job_queues(client)
    queue = next((q for q in queues if job.get("jobQueue") in (q.get("jobQueueArn"), q.get("jobQueueName"))), None)
    if queue is None:
        return diagnose(job, None, [])
    order = sorted(queue.get("computeEnvironmentOrder") or [], key=lambda item: item.get("order", 0))
    arns = [item["computeEnvironment"] for item in order]
    by_arn = {e.get("computeEnvironmentArn"): e for e in describe_environments(client, arns)} if arns else {}
    environments = [by_arn[arn] for arn in arns if arn in by_arn]
    findings = diagnose(job, queue, environments)
    if any(f["reason"] != "STATUS_REASON" for f in findings):
        return findings
    sharing = [
        q["jobQueueArn"]
        for q in queues
        if {item.get("computeEnvironment") for item in q.get("computeEnvironmentOrder") or []} & set(arns)
    ]
    return diagnose(job, queue, environments, running_jobs(client, sharing, exclude=job.get("jobId")))


def safe_explain(client, job, warn=None):
    """``explain_runnable`` that never raises: a failed look-up becomes a finding (and a warning)."""
    try:
        return explain_runnable(client, job)
    except BatchError as e:
        problem = e.message + (f": {e.exception}" if getattr(e, "exception", None) is not None else "")
    except Exception as e:  # pylint: disable=broad-except  # a diagnosis never ends the follow
        problem = f"{type(e).__name__}: {e}"
    if warn is not None:
        warn(f"Could not find out why job {job.get('jobId')} stays RUNNABLE ({problem})")
    return [finding("DIAGNOSIS_FAILED", f"the look-ups that would explain it failed ({problem})")]
