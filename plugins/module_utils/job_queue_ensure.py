# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Job queues: ``ensure_present`` / ``ensure_absent``, shared by ``job_queue`` and ``job_queues``.

Each is a step generator (see ``reconcile``) wrapped by a function that runs it alone. ``current`` is the
queue's DescribeJobQueues entry read beforehand (None when it does not exist), or ``MISSING`` to read it here.
"""

from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import (
    describe_compute_environments,
    environment_poll,
    find_environment,
    resource_name,
)
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue import (
    create_job_queue,
    create_queue_request,
    current_queue_options,
    delete_job_queue,
    describe_job_queues,
    find_queue,
    list_scheduling_policy_arns,
    normalize_job_queue,
    ordered_environment_arns,
    predicted_queue_detail,
    queue_differences,
    queue_poll,
    queue_replacement_reasons,
    resolve_compute_environments,
    resolve_scheduling_policy,
    update_job_queue,
    update_queue_request,
    validate_queue_options,
)
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import MISSING, PLANNED, Kind, run_one
from ansible_collections.ondemand.batch.plugins.module_utils.tagging import ensure_tags, resulting_tags
from ansible_collections.ondemand.batch.plugins.module_utils.validation import is_arn, validate_name
from ansible_collections.ondemand.batch.plugins.module_utils.waiters import SETTLING_STATUSES

CHECK_MODE_ASSUMES = "check mode assumes an earlier task creates it"
OPTIONS = ("priority", "compute_environments", "scheduling_policy", "job_state_time_limit_actions", "job_queue_state")
ENVIRONMENT_CACHE = "job_queue:compute_environments"
POLICY_CACHE = "job_queue:scheduling_policy_arns"


# --- reads -------------------------------------------------------------------------------------------------
def read_queues(ctx, names):
    """``{name: DescribeJobQueues entry or None}``: one call per 100 names."""
    found = describe_job_queues(ctx.batch, names)
    return {name: find_queue(found, name) for name in names}


def environment_details(ctx, identifiers):
    """DescribeComputeEnvironments entries (or None) of names/ARNs, each looked up once per module run."""
    known = ctx.cached(ENVIRONMENT_CACHE, dict)
    unknown = [identifier for identifier in dict.fromkeys(identifiers) if identifier not in known]
    if unknown:
        found = describe_compute_environments(ctx.batch, unknown)
        known.update({identifier: find_environment(found, identifier) for identifier in unknown})
    return [known[identifier] for identifier in identifiers if known[identifier] is not None]


def environments_to_look_up(current, desired):
    """The environment names/ARNs a queue's reconciliation must look up (none when they are the queue's own)."""
    environments = desired.get("compute_environments")
    if environments is None:
        return []
    if current is not None and same_environments(ordered_environment_arns(current), environments):
        return []
    return list(environments)


def _batch_prefix(ctx, known_arns=()):
    """``arn:<partition>:batch:<region>:<account>``: from a Batch ARN already known, else STS."""
    for arn in known_arns:
        if arn:
            return arn.rsplit(":", 1)[0]
    return ctx.arn_prefix("batch")


def resolve_environments(ctx, identifiers):
    """(ARNs of the environments in order, the entries of those still CREATING/UPDATING); refuses INVALID ones.

    Reads only, and no waiting: ``settle_environments`` waits, and only before a write that needs it.
    In check mode an unknown environment (an earlier task that check mode skipped may create it) is a
    warning and its ARN is predicted (an ARN given is kept; a name gets the account of the other
    environments, or of STS when none exists); a real run fails.
    """
    details = resolve_compute_environments(
        ctx.batch, identifiers, allow_missing=ctx.check_mode, details=environment_details(ctx, identifiers)
    )
    known = [detail["computeEnvironmentArn"] for detail in details if detail is not None]
    arns, settling = [], []
    for index, detail in enumerate(details):
        identifier = identifiers[index]
        if detail is None:
            ctx.warn(f"compute_environments: no compute environment named {identifier}; {CHECK_MODE_ASSUMES}")
            arns.append(
                identifier if is_arn(identifier) else f"{_batch_prefix(ctx, known)}:compute-environment/{identifier}"
            )
            continue
        if detail.get("status") == "INVALID":
            raise BatchValidationError(
                "compute_environments",
                f"compute environment {detail['computeEnvironmentName']} is INVALID: {detail.get('statusReason')}",
            )
        if detail.get("status") in SETTLING_STATUSES:
            settling.append(detail)
        arns.append(detail["computeEnvironmentArn"])
    return arns, settling


def settle_environments(ctx, settling):
    """Before a write that associates environments with the queue: wait until those still CREATING/UPDATING
    are VALID (AWS associates only VALID ones), all together. One that turns INVALID fails with AWS's reason."""
    if settling:
        yield [
            environment_poll(ctx, detail["computeEnvironmentArn"], detail["computeEnvironmentName"], "valid")
            for detail in settling
        ]


def same_environments(current_arns, identifiers):
    """Whether names/ARNs ``identifiers`` are the queue's environments ``current_arns``, in the same order.

    Names are unique per account and Region, and a queue can only use environments of its own, so a
    name equal to the last part of the ARN is that environment.
    """
    if len(current_arns) != len(identifiers):
        return False
    return all(
        identifier == (current_arns[index] if is_arn(identifier) else resource_name(current_arns[index]))
        for index, identifier in enumerate(identifiers)
    )


def resolve_desired(ctx, current, desired):
    """(wanted options with environments and the scheduling policy as ARNs, environments still settling).

    The environments are looked up only when they differ from the queue's: otherwise "still settling" is
    None (not known), and a replacement, which associates them again, looks them up itself.

    Reads only.
    """
    resolved, settling = dict(desired), None
    environments = desired.get("compute_environments")
    if environments is not None and not environments_to_look_up(current, desired):
        # The queue already has exactly these environments: no look-up (a no-change re-run is one read).
        resolved["compute_environments"] = ordered_environment_arns(current)
    elif environments is not None:
        resolved["compute_environments"], settling = resolve_environments(ctx, environments)
    policy = desired.get("scheduling_policy")
    current_policy = (current or {}).get("schedulingPolicyArn")
    if policy and not is_arn(policy) and current_policy and resource_name(current_policy) == policy:
        # The name of the current policy needs no look-up.
        resolved["scheduling_policy"] = current_policy
    else:
        arns = ctx.cached(POLICY_CACHE, lambda: list_scheduling_policy_arns(ctx.batch)) if policy else None
        resolved["scheduling_policy"] = resolve_scheduling_policy(
            ctx.batch, policy, allow_missing=ctx.check_mode, arns=arns
        )
        if policy and resolved["scheduling_policy"] is None:
            ctx.warn(f"scheduling_policy: no scheduling policy named {policy!r} exists; {CHECK_MODE_ASSUMES}")
            known = list(resolved.get("compute_environments") or []) + [(current or {}).get("jobQueueArn")]
            resolved["scheduling_policy"] = f"{_batch_prefix(ctx, known)}:scheduling-policy/{policy}"
    return resolved, settling


# --- building blocks -----------------------------------------------------------------------------------------
def settle_queue(ctx, detail):
    """Wait out CREATING/UPDATING (AWS refuses changes meanwhile); returns the fresh entry (None when gone)."""
    if detail.get("status") not in SETTLING_STATUSES:
        return detail
    return (yield queue_poll(ctx, detail["jobQueueArn"], detail["jobQueueName"], "settled", detail["status"]))


def delete_queue(ctx, detail, wait_gone=True):
    """Disable (and wait), delete, and optionally wait until the queue is gone."""
    arn, name = detail["jobQueueArn"], detail["jobQueueName"]
    detail = yield from settle_queue(ctx, detail)
    if detail is None:
        return
    if detail.get("status") == "DELETING":
        if wait_gone:
            yield queue_poll(ctx, arn, name, "deleted")
        return
    if detail.get("state") != "DISABLED":
        update_job_queue(ctx.batch, {"jobQueue": arn, "state": "DISABLED"})
        yield queue_poll(ctx, arn, name, "settled", "UPDATING")
    delete_job_queue(ctx.batch, arn)
    if wait_gone:
        yield queue_poll(ctx, arn, name, "deleted")


def _settled_lookup(ctx, detail, name):
    """The queue, after waiting out a deletion in progress (None then)."""
    if detail is not None and detail.get("status") == "DELETING":
        if not ctx.check_mode:
            yield queue_poll(ctx, detail["jobQueueArn"], name, "deleted")
        return None
    return detail


def _given(options, tags):
    return [option for option in OPTIONS if options.get(option) is not None] + (["tags"] if tags else [])


def _fields_of(detail):
    options = current_queue_options(detail)
    return [option for option in OPTIONS if options.get(option) not in (None, "", [])] + (
        ["tags"] if detail.get("tags") else []
    )


# --- present -------------------------------------------------------------------------------------------------
def present_steps(ctx, name, desired, current=MISSING):
    """Steps of ``ensure_present``; returns (changed, before, after) with DescribeJobQueues entries (or None)."""
    validate_name("name", name)
    options = {option: desired.get(option) for option in OPTIONS}
    tags, purge_tags = desired.get("tags"), desired.get("purge_tags", True)
    if current is MISSING:
        current = read_queues(ctx, [name])[name]
    current = yield from _settled_lookup(ctx, current, name)
    validate_queue_options(name, options, creating=current is None)
    wanted, settling = resolve_desired(ctx, current, options)

    if current is None:
        ctx.plan("create", _given(options, tags))
        return (yield from _create(ctx, name, wanted, tags or {}, settling=settling))

    now = current_queue_options(current)
    diffs = queue_differences(now, wanted)
    reasons = queue_replacement_reasons(diffs)
    if reasons and not desired.get("replace"):
        fields = ", ".join(f"{option} ({reason})" for option, reason in reasons.items())
        raise BatchValidationError(
            "replace",
            f"AWS cannot change job queue {name} in place: {fields}. "
            "Set replace=true to delete and recreate the queue (jobs in it are cancelled)",
        )
    new_tags = resulting_tags(current.get("tags"), tags, purge_tags)
    tags_change = new_tags != (current.get("tags") or {})
    changed_fields = list(diffs) + (["tags"] if tags_change else [])

    if reasons:
        merged = {**now, **{k: v for k, v in wanted.items() if v is not None}}
        ctx.plan("replace", changed_fields)
        if ctx.check_mode:
            return True, current, predicted_queue_detail(name, current["jobQueueArn"], merged, new_tags)
        if settling is None:
            _arns, settling = resolve_environments(ctx, merged["compute_environments"])
        yield PLANNED
        yield from settle_environments(ctx, settling)  # before the deletion: one turning INVALID stops here
        yield from delete_queue(ctx, current, wait_gone=True)
        return (yield from _create(ctx, name, merged, new_tags, before=current))

    if not changed_fields:
        ctx.plan("none")
        if current.get("status") == "INVALID" and ctx.wait:
            raise BatchError(message=f"Job queue {name} is INVALID: {current.get('statusReason')}")
        return False, current, current
    ctx.plan("update", changed_fields)
    if ctx.check_mode:
        merged = {**now, **{option: after for option, (_before, after) in diffs.items()}}
        predicted = predicted_queue_detail(name, current["jobQueueArn"], merged, new_tags, previous=current)
        return True, current, predicted
    yield PLANNED
    arn = current["jobQueueArn"]
    if diffs:
        if ctx.wait:
            yield from settle_queue(ctx, current)
        if "compute_environments" in diffs:
            yield from settle_environments(ctx, settling)
        update_job_queue(ctx.batch, update_queue_request(arn, diffs))
    ensure_tags(ctx.batch, arn, current.get("tags"), tags, purge_tags)
    if diffs and ctx.wait:
        return True, current, (yield queue_poll(ctx, arn, name, "valid"))
    return True, current, (yield queue_poll(ctx, arn, name))


def _create(ctx, name, options, tags, before=None, settling=None):
    if ctx.check_mode:
        arn = f"{_batch_prefix(ctx, options['compute_environments'])}:job-queue/{name}"
        return (
            True,
            before,
            predicted_queue_detail(name, arn, options, tags, status="VALID" if ctx.wait else "CREATING"),
        )
    if before is None:
        yield PLANNED
    yield from settle_environments(ctx, settling)
    arn = create_job_queue(ctx.batch, create_queue_request(name, options, tags))["jobQueueArn"]
    if ctx.wait or before is not None:
        return True, before, (yield queue_poll(ctx, arn, name, "valid"))
    return True, before, (yield queue_poll(ctx, arn, name))


# --- absent --------------------------------------------------------------------------------------------------
def absent_steps(ctx, name, desired=None, current=MISSING):
    """Steps of ``ensure_absent``; returns (changed, before, None)."""
    validate_name("name", name)
    if current is MISSING:
        current = read_queues(ctx, [name])[name]
    if current is None:
        ctx.plan("none")
        return False, None, None
    if current.get("status") == "DELETING":
        ctx.plan("none")
        if ctx.wait and not ctx.check_mode:
            yield queue_poll(ctx, current["jobQueueArn"], name, "deleted")
        return False, None, None
    ctx.plan("delete", _fields_of(current))
    if not ctx.check_mode:
        yield PLANNED
        yield from delete_queue(ctx, current, wait_gone=ctx.wait)
    return True, current, None


def ensure_present(ctx, name, desired, current=MISSING):
    """Create or update the queue (replace it with ``desired['replace']``). Returns (changed, before, after)."""
    return run_one(ctx, present_steps(ctx, name, desired, current))


def ensure_absent(ctx, name, desired=None, current=MISSING):
    """Disable and delete the queue. Returns (changed, before, None)."""
    return run_one(ctx, absent_steps(ctx, name, desired, current))


def view(detail):
    """The module's form of a queue (result and diff)."""
    return normalize_job_queue(detail)


def static_problems(entry, problems):
    """What a list entry's options break that needs no AWS call (required options are checked after the read)."""
    with problems.rule():
        validate_name("name", entry["name"])
    if entry.get("state", "present") == "present":
        options = {option: entry.get(option) for option in OPTIONS}
        validate_queue_options(entry["name"], options, creating=False, problems=problems)


def read_entries(ctx, entries):
    return read_queues(ctx, [entry["name"] for entry in entries])


def prefetch(ctx, entries, currents):
    """One DescribeComputeEnvironments for the environments of every queue that needs them looked up, and one
    ListSchedulingPolicies when any queue names a policy that is not its own."""
    identifiers = []
    for entry in entries:
        if entry.get("state", "present") == "present":
            identifiers += environments_to_look_up(currents.get(entry["name"]), entry)
    if identifiers:
        environment_details(ctx, identifiers)


KIND = Kind(
    result_key="job_queue",
    list_key="job_queues",
    present=present_steps,
    absent=absent_steps,
    read=read_entries,
    view=view,
    validate=static_problems,
    prefetch=prefetch,
)
