# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch job queues: normalisation, comparison, update rules and API helpers.

Also used by the compute_environment module, which re-points queues when it replaces an environment
and takes an environment out of its queues when it deletes one with ``force``.
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import (
    describe_compute_environments,
    detail_platform,
    find_environment,
    paginate,
    resource_name,
)
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchErrorHandler,
    BatchValidationError,
)
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Poll
from ansible_collections.ondemand.batch.plugins.module_utils.validation import (
    collects_problems,
    is_arn,
    validate_max_items,
    validate_name,
    validate_range,
)

MAX_COMPUTE_ENVIRONMENTS = 3
MAX_PRIORITY = 1000  # CreateJobQueue: priority 0-1000, higher first
TIME_LIMIT_MIN_SECONDS = 600
TIME_LIMIT_MAX_SECONDS = 86400
TIME_LIMIT_ACTION_KEYS = {
    "reason": "reason",
    "state": "state",
    "max_time_seconds": "maxTimeSeconds",
    "action": "action",
}
# What UpdateJobQueue can change: priority, state, computeEnvironmentOrder, jobStateTimeLimitActions and
# the scheduling policy *when the queue already has one*. Per the API model (CreateJobQueue,
# UpdateJobQueue schedulingPolicyArn): a FIFO queue (no policy) can't have a fair-share policy added,
# and a fair-share policy can be replaced but not removed. Those two changes need a new queue.
QUEUE_UPDATABLE = frozenset(
    {"priority", "job_queue_state", "compute_environments", "scheduling_policy", "job_state_time_limit_actions"}
)


# --- names, ARNs and normalisation -------------------------------------------------------------------
def arn_parts(arn):
    """(partition, region, account) of a Batch ARN."""
    parts = arn.split(":")
    return parts[1], parts[3], parts[4]


def job_queue_arn(partition, region, account, name):
    return f"arn:{partition}:batch:{region}:{account}:job-queue/{name}"


def ordered_environment_arns(detail):
    """The queue's compute environment ARNs, in order of use."""
    order = sorted(detail.get("computeEnvironmentOrder") or [], key=lambda item: item["order"])
    return [item["computeEnvironment"] for item in order]


def order_request(arns):
    return [{"order": index, "computeEnvironment": arn} for index, arn in enumerate(arns, start=1)]


def time_limit_actions_request(actions):
    return [{TIME_LIMIT_ACTION_KEYS[k]: v for k, v in action.items() if v is not None} for action in actions or []]


def _time_limit_actions_key(actions):
    return sorted(
        (item.get("reason"), item.get("state"), item.get("max_time_seconds"), item.get("action"))
        for item in actions or []
    )


def normalize_job_queue(detail):
    """A DescribeJobQueues entry in snake_case, environments in order, tags a plain dict."""
    if not detail:
        return {}
    detail = dict(detail)
    tags = detail.pop("tags", None) or {}
    detail["computeEnvironmentOrder"] = sorted(
        detail.get("computeEnvironmentOrder") or [], key=lambda item: item["order"]
    )
    result = camel_dict_to_snake_dict(detail)
    result["tags"] = tags
    return result


def current_queue_options(detail):
    actions = [
        {k: item.get(v) for k, v in TIME_LIMIT_ACTION_KEYS.items()}
        for item in detail.get("jobStateTimeLimitActions") or []
    ]
    return {
        "priority": detail.get("priority"),
        "job_queue_state": detail.get("state"),
        "compute_environments": ordered_environment_arns(detail),
        "scheduling_policy": detail.get("schedulingPolicyArn") or "",
        "job_state_time_limit_actions": actions,
    }


def queue_differences(current, desired):
    """``{option: (current, wanted)}`` for set options that differ.

    ``desired['compute_environments']`` holds ARNs (resolved), compared in order; the scheduling
    policy is an ARN, or "" for none (FIFO).
    """
    diffs = {}
    for option in ("priority", "job_queue_state", "compute_environments", "scheduling_policy"):
        wanted = desired.get(option)
        if wanted is not None and current.get(option) != wanted:
            diffs[option] = (current.get(option), wanted)
    wanted = desired.get("job_state_time_limit_actions")
    if wanted is not None:
        before = current.get("job_state_time_limit_actions") or []
        if _time_limit_actions_key(before) != _time_limit_actions_key(wanted):
            diffs["job_state_time_limit_actions"] = (before, wanted)
    return diffs


def queue_replacement_reasons(diffs):
    """``{option: reason}`` for differences UpdateJobQueue cannot apply."""
    reasons = {}
    if "scheduling_policy" in diffs:
        before, after = diffs["scheduling_policy"]
        if not before:
            reasons["scheduling_policy"] = "a FIFO job queue (no scheduling policy) cannot get a fair-share policy"
        elif not after:
            reasons["scheduling_policy"] = "a fair-share scheduling policy can be replaced but not removed"
    return reasons


def update_queue_request(arn, diffs):
    request = {"jobQueue": arn}
    for option, (_before, after) in diffs.items():
        if option == "priority":
            request["priority"] = after
        elif option == "job_queue_state":
            request["state"] = after
        elif option == "compute_environments":
            request["computeEnvironmentOrder"] = order_request(after)
        elif option == "scheduling_policy":
            request["schedulingPolicyArn"] = after
        elif option == "job_state_time_limit_actions":
            request["jobStateTimeLimitActions"] = time_limit_actions_request(after)
    return request


def create_queue_request(name, options, tags=None):
    request = {
        "jobQueueName": name,
        "priority": options["priority"],
        "state": options.get("job_queue_state") or "ENABLED",
        "computeEnvironmentOrder": order_request(options["compute_environments"]),
    }
    if options.get("scheduling_policy"):
        request["schedulingPolicyArn"] = options["scheduling_policy"]
    if options.get("job_state_time_limit_actions"):
        request["jobStateTimeLimitActions"] = time_limit_actions_request(options["job_state_time_limit_actions"])
    if tags:
        request["tags"] = tags
    return request


def predicted_queue_detail(name, arn, options, tags, previous=None, status="VALID"):
    detail = dict(previous or {})
    detail.update(
        {
            "jobQueueName": name,
            "jobQueueArn": arn,
            "state": options.get("job_queue_state") or "ENABLED",
            "status": status,
            "priority": options.get("priority"),
            "computeEnvironmentOrder": order_request(options.get("compute_environments") or []),
            "tags": dict(tags or {}),
        }
    )
    if options.get("scheduling_policy"):
        detail["schedulingPolicyArn"] = options["scheduling_policy"]
    else:
        detail.pop("schedulingPolicyArn", None)
    if options.get("job_state_time_limit_actions"):
        detail["jobStateTimeLimitActions"] = time_limit_actions_request(options["job_state_time_limit_actions"])
    else:
        detail.pop("jobStateTimeLimitActions", None)
    return detail


# --- validation -------------------------------------------------------------------------------------
@collects_problems
def validate_queue_options(name, desired, creating, problems=None):
    with problems.rule():
        validate_name("name", name)
    environments = desired.get("compute_environments")
    if creating:
        if desired.get("priority") is None:
            problems.add("priority", "required to create a job queue")
        if not environments:
            problems.add("compute_environments", "required (1 to 3 items) to create a job queue")
    with problems.rule():
        validate_range("priority", desired.get("priority"), minimum=0, maximum=MAX_PRIORITY)
    if environments is not None:
        if not environments and not creating:
            problems.add("compute_environments", "must have at least one item")
        with problems.rule():
            validate_max_items("compute_environments", environments, MAX_COMPUTE_ENVIRONMENTS)
        for identifier in environments:
            if not is_arn(identifier):
                with problems.rule():
                    validate_name("compute_environments", identifier)
        names = [resource_name(identifier) for identifier in environments]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.add("compute_environments", f"lists {', '.join(duplicates)} more than once")
    policy = desired.get("scheduling_policy")
    if policy and not is_arn(policy):
        with problems.rule():
            validate_name("scheduling_policy", policy)
    for index, action in enumerate(desired.get("job_state_time_limit_actions") or []):
        with problems.rule():
            validate_range(
                f"job_state_time_limit_actions[{index}].max_time_seconds",
                action.get("max_time_seconds"),
                minimum=TIME_LIMIT_MIN_SECONDS,
                maximum=TIME_LIMIT_MAX_SECONDS,
            )


def validate_same_platform(details):
    """AWS refuses queues that mix EC2/SPOT with FARGATE/FARGATE_SPOT environments."""
    by_platform = {}
    for detail in details:
        by_platform.setdefault(detail_platform(detail), []).append(detail["computeEnvironmentName"])
    if len(by_platform) > 1:
        raise BatchValidationError(
            "compute_environments",
            "cannot mix EC2/SPOT environments ({}) with FARGATE/FARGATE_SPOT environments ({}) in one job queue".format(
                ", ".join(by_platform["EC2"]), ", ".join(by_platform["FARGATE"])
            ),
        )


def resolve_compute_environments(client, identifiers, allow_missing=False, details=None):
    """The environments' entries in the given order (one DescribeComputeEnvironments call, none when ``details``
    already holds the entries found for them).

    Fails before any write on unknown names, deleted environments and mixed platforms. With
    ``allow_missing`` (check mode) unknown ones are None in the result instead.
    """
    if details is None:
        details = describe_compute_environments(client, identifiers)
    resolved, missing = [], []
    for identifier in identifiers:
        detail = find_environment(details, identifier)
        if detail is None or detail.get("status") == "DELETING":
            missing.append(identifier)
            detail = None
        resolved.append(detail)
    if missing and not allow_missing:
        raise BatchValidationError("compute_environments", f"no compute environment named {', '.join(missing)}")
    validate_same_platform([detail for detail in resolved if detail is not None])
    return resolved


@BatchErrorHandler.common_error_handler("list scheduling policies")
def list_scheduling_policy_arns(client):
    return [item["arn"] for item in paginate(client, "list_scheduling_policies").get("schedulingPolicies", [])]


def resolve_scheduling_policy(client, value, allow_missing=False, arns=None):
    """An ARN for a scheduling policy name (ListSchedulingPolicies, unless ``arns`` holds its answer); ARNs and ""
    pass unchanged.

    With ``allow_missing`` (check mode) an unknown name gives None instead of failing.
    """
    if not value or is_arn(value):
        return value
    for arn in list_scheduling_policy_arns(client) if arns is None else arns:
        if resource_name(arn) == value:
            return arn
    if allow_missing:
        return None
    raise BatchValidationError("scheduling_policy", f"no scheduling policy named {value!r} exists")


# --- API helpers ------------------------------------------------------------------------------------
@BatchErrorHandler.common_error_handler("describe job queues")
def describe_job_queues(client, identifiers=None):
    """Entries for the given names/ARNs (those that exist), or for every queue when None."""
    found = []
    if identifiers is None:
        found = paginate(client, "describe_job_queues").get("jobQueues", [])
    else:
        identifiers = list(dict.fromkeys(identifiers))
        for start in range(0, len(identifiers), 100):
            chunk = identifiers[start : start + 100]
            found += client.describe_job_queues(jobQueues=chunk, aws_retry=True).get("jobQueues", [])
    return [detail for detail in found if detail.get("status") != "DELETED"]


def find_queue(details, identifier):
    for detail in details:
        if identifier in (detail.get("jobQueueName"), detail.get("jobQueueArn")):
            return detail
    return None


def describe_job_queue(client, identifier):
    return find_queue(describe_job_queues(client, [identifier]), identifier)


@BatchErrorHandler.common_error_handler("create job queue")
def create_job_queue(client, request):
    return client.create_job_queue(aws_retry=True, **request)


@BatchErrorHandler.common_error_handler("update job queue")
def update_job_queue(client, request):
    return client.update_job_queue(aws_retry=True, **request)


@BatchErrorHandler.common_error_handler("delete job queue")
def delete_job_queue(client, arn):
    return client.delete_job_queue(jobQueue=arn, aws_retry=True)


def queue_poll(ctx, arn, name, until=None, status=None):
    """A ``Poll`` of the reconcile driver for one queue: read it, or wait until ``until``."""
    return Poll(ctx, describe_job_queues, "jobQueueArn", arn, f"job queue {name}", until, status)


# --- queues seen from a compute environment ----------------------------------------------------------
def queues_using(queues, environment_arn):
    return [queue for queue in queues if environment_arn in ordered_environment_arns(queue)]


def repointed_order(queue, old_arn, new_arn):
    """The queue's order with ``old_arn`` swapped for ``new_arn`` in the same place (dropped if present)."""
    arns = ordered_environment_arns(queue)
    if new_arn in arns:
        return [arn for arn in arns if arn != old_arn]
    return [new_arn if arn == old_arn else arn for arn in arns]


def mixed_platform_queues(client, queues, old_arn, new_platform):
    """Names of queues using ``old_arn`` whose other environments are not on ``new_platform``."""
    users = queues_using(queues, old_arn)
    others = sorted({arn for queue in users for arn in ordered_environment_arns(queue) if arn != old_arn})
    if not others:
        return []
    platforms = {
        detail["computeEnvironmentArn"]: detail_platform(detail)
        for detail in describe_compute_environments(client, others)
    }
    return [
        queue["jobQueueName"]
        for queue in users
        if any(
            platforms.get(arn, new_platform) != new_platform
            for arn in ordered_environment_arns(queue)
            if arn != old_arn
        )
    ]
