# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compute environments: ``ensure_present`` / ``ensure_absent``, shared by ``compute_environment`` and
``compute_environments``.

Each is a step generator (see ``reconcile``) wrapped by a function that runs it alone. ``current`` is the pair
``(environment, temporary replacement)`` of DescribeComputeEnvironments entries (None where missing) that
``read_environments`` returns, or ``MISSING`` to read it here.
"""

from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import (
    ALL_OPTIONS,
    LATEST_IMAGE,
    REPLACEMENT_TAG,
    apply_differences,
    compute_environment_arn,
    create_compute_environment,
    create_request,
    current_options,
    delete_compute_environment,
    describe_compute_environments,
    detail_platform,
    differences,
    effective_options,
    environment_poll,
    find_environment,
    image_differences,
    normalize_compute_environment,
    platform_of,
    post_create_request,
    predicted_detail,
    replacement_name,
    replacement_reasons,
    resolve_instance_profile,
    resolve_role,
    revalidation_request,
    service_linked_role_arn,
    update_compute_environment,
    update_request,
    validate_desired_vcpus_update,
    validate_options,
)
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.iam_propagation import (
    Retry,
    compute_environment_propagation,
    timeout_of,
)
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue import (
    describe_job_queues,
    mixed_platform_queues,
    order_request,
    ordered_environment_arns,
    queue_poll,
    queues_using,
    repointed_order,
    update_job_queue,
)
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue_ensure import delete_queue, settle_queue
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import MISSING, PLANNED, Kind, Pause, run_one
from ansible_collections.ondemand.batch.plugins.module_utils.tagging import ensure_tags, resulting_tags
from ansible_collections.ondemand.batch.plugins.module_utils.validation import is_arn, validate_name
from ansible_collections.ondemand.batch.plugins.module_utils.waiters import SETTLING_STATUSES

IAM_OPTIONS = (
    ("instance_role", resolve_instance_profile),
    ("service_role", resolve_role),
    ("spot_iam_fleet_role", resolve_role),
)
IAM_ARN_KINDS = {"instance_role": "instance-profile", "service_role": "role", "spot_iam_fleet_role": "role"}
QUEUES_CACHE = "compute_environment:job_queues"


# --- reads -------------------------------------------------------------------------------------------------
def lookup_names(name):
    """The names one environment is read under: its own and its temporary replacement's."""
    return [name, replacement_name(name)]


def read_environments(ctx, names):
    """``{name: (environment, temporary replacement)}``, one DescribeComputeEnvironments call per 50 names."""
    found = describe_compute_environments(
        ctx.batch, [identifier for name in names for identifier in lookup_names(name)]
    )
    return {name: (find_environment(found, name), find_environment(found, replacement_name(name))) for name in names}


def _settled_lookup(ctx, current, name):
    """(environment, temporary replacement, whether the temporary name is taken by another), after waiting out
    deletions in progress (outside check mode)."""
    base, temp = current
    foreign = temp is not None and (temp.get("tags") or {}).get(REPLACEMENT_TAG) != name
    if foreign:
        temp = None
    for detail in (base, temp):
        if detail is not None and detail.get("status") == "DELETING" and not ctx.check_mode:
            yield environment_poll(ctx, detail["computeEnvironmentArn"], detail["computeEnvironmentName"], "deleted")
    base = None if base is None or base.get("status") == "DELETING" else base
    temp = None if temp is None or temp.get("status") == "DELETING" else temp
    return base, temp, foreign


def _all_queues(ctx):
    """Every job queue (one paginated DescribeJobQueues per module run while planning)."""
    return ctx.cached(QUEUES_CACHE, lambda: describe_job_queues(ctx.batch))


def resolve_iam_names(ctx, options, only=None):
    """Names of roles and instance profiles replaced by their ARNs (IAM reads, before any write; each name once
    per module run).

    In check mode a name that does not resolve (an earlier task that check mode skipped may create it)
    is a warning and its ARN is predicted; a real run fails.
    """
    resolved = dict(options)
    for option, resolver in IAM_OPTIONS:
        if only is not None and option not in only:
            continue
        value = resolved.get(option)
        if not value or is_arn(value):
            continue
        try:
            resolved[option] = ctx.cached(
                f"iam:{option}:{value}",
                lambda resolver=resolver, option=option, value=value: resolver(ctx.service("iam"), option, value),
            )
        except BatchValidationError as e:
            if not ctx.check_mode:
                raise
            ctx.warn(f"{e.message}; check mode assumes an earlier task creates it")
            partition, account = ctx.account()
            resolved[option] = f"arn:{partition}:iam::{account}:{IAM_ARN_KINDS[option]}/{value}"
    return resolved


def _iam_hints(options):
    return [options.get(option) for option, _resolver in IAM_OPTIONS if (options.get(option) or "").startswith("arn:")]


def strip_marker(tags):
    return {k: v for k, v in (tags or {}).items() if k != REPLACEMENT_TAG}


def _given(options, tags):
    return [option for option in ALL_OPTIONS if options.get(option) is not None] + (["tags"] if tags else [])


def _fields_of(detail):
    options = current_options(detail)
    return [option for option in ALL_OPTIONS if options.get(option) not in (None, [], {})] + (
        ["tags"] if strip_marker(detail.get("tags")) else []
    )


# --- building blocks (each waits as the step requires) -----------------------------------------------
def settle(ctx, detail):
    """Wait out CREATING/UPDATING (AWS refuses changes meanwhile); returns the fresh entry (None when gone)."""
    if detail.get("status") not in SETTLING_STATUSES:
        return detail
    return (
        yield environment_poll(
            ctx, detail["computeEnvironmentArn"], detail["computeEnvironmentName"], "settled", detail["status"]
        )
    )


def settle_valid(ctx, arn, name):
    """Wait until an environment this run just created or updated is VALID; returns its entry.

    INVALID because Batch could not use a role or instance profile yet (``iam_propagation``: IAM is eventually
    consistent) is not the end: after a backoff (a ``Pause``: the other environments of the run wait meanwhile) the
    environment is validated again (``revalidation_request``), until it is VALID or ``iam_propagation_timeout``
    seconds have passed since it first was INVALID; a warning tells each round. Any other INVALID fails at once with
    AWS's reason, as does this one with ``iam_propagation_timeout: 0``.
    """
    if timeout_of(ctx) <= 0:
        return (yield environment_poll(ctx, arn, name, "valid"))
    retry = None
    while True:
        detail = yield environment_poll(ctx, arn, name, "valid", accept_invalid=compute_environment_propagation)
        if detail.get("status") == "VALID":
            return detail
        reason = detail.get("statusReason")
        retry = retry or Retry.of(ctx)
        delay = retry.next_delay()
        if delay is None:
            raise BatchError(
                message=f"Compute environment {name} is INVALID: {reason} ({retry.summary()}: IAM changes usually "
                "reach Batch within seconds; check that the role or instance profile exists and trusts the service, "
                "or raise iam_propagation_timeout)"
            )
        ctx.warn(
            f"compute environment {name} is INVALID: {reason}; IAM changes take a while to reach Batch: "
            f"validating it {retry.progress(delay)}"
        )
        yield Pause(delay)
        update_compute_environment(ctx.batch, revalidation_request(detail, compute_environment_propagation(reason)))


def create_and_settle(ctx, name, options, tags, wait):
    """Create an environment; wait for VALID when asked or when a follow-up update is needed."""
    response = create_compute_environment(ctx.batch, create_request(name, options, tags))
    arn = response["computeEnvironmentArn"]
    follow_up = post_create_request(arn, options)
    if not (wait or follow_up):
        return (yield environment_poll(ctx, arn, name))
    detail = yield from settle_valid(ctx, arn, name)
    if follow_up:
        update_compute_environment(ctx.batch, follow_up)
        detail = (yield from settle_valid(ctx, arn, name)) if wait else (yield environment_poll(ctx, arn, name))
    return detail


def disable_and_delete(ctx, detail, wait_gone):
    """Disable (and wait for it: AWS refuses to delete otherwise), delete, and optionally wait until gone."""
    arn, name = detail["computeEnvironmentArn"], detail["computeEnvironmentName"]
    detail = yield from settle(ctx, detail)
    if detail is None:
        return
    if detail.get("status") != "DELETING":
        if detail.get("state") != "DISABLED":
            update_compute_environment(ctx.batch, {"computeEnvironment": arn, "state": "DISABLED"})
            yield environment_poll(ctx, arn, name, "settled", "UPDATING")
        delete_compute_environment(ctx.batch, arn)
    if wait_gone:
        yield environment_poll(ctx, arn, name, "deleted")


def move_queues(ctx, old_arn, new_arn):
    """Re-point every queue from one environment to another (same position), then wait for all of them."""
    changed = []
    for queue in queues_using(describe_job_queues(ctx.batch), old_arn):
        queue = yield from settle_queue(ctx, queue)
        if queue is None:
            continue
        update_job_queue(
            ctx.batch,
            {
                "jobQueue": queue["jobQueueArn"],
                "computeEnvironmentOrder": order_request(repointed_order(queue, old_arn, new_arn)),
            },
        )
        changed.append(queue)
    if changed:
        yield [queue_poll(ctx, queue["jobQueueArn"], queue["jobQueueName"], "valid") for queue in changed]
    return [queue["jobQueueName"] for queue in changed]


def finish_replacement(ctx, name, temporary, options, tags):
    """Second half of a replacement: the environment under its own name again, queues back, temporary gone."""
    created = yield from create_and_settle(ctx, name, options, tags, wait=True)
    yield from move_queues(ctx, temporary["computeEnvironmentArn"], created["computeEnvironmentArn"])
    yield from disable_and_delete(ctx, temporary, wait_gone=ctx.wait)
    return (yield environment_poll(ctx, created["computeEnvironmentArn"], name))


def unwind_temporary(ctx, base, temporary):
    """A replacement stopped half-way while the original still exists: queues back to it, temporary gone."""
    yield from move_queues(ctx, temporary["computeEnvironmentArn"], base["computeEnvironmentArn"])
    yield from disable_and_delete(ctx, temporary, wait_gone=True)


def check_replacement_queues(ctx, base, options):
    """Before any write: the queues using ``base`` must accept an environment of the new platform."""
    new_platform = platform_of(options.get("compute_resource_type"), options.get("type") or "MANAGED")
    if new_platform == detail_platform(base):
        return
    mixed = mixed_platform_queues(ctx.batch, _all_queues(ctx), base["computeEnvironmentArn"], new_platform)
    if mixed:
        raise BatchValidationError(
            "compute_resource_type",
            f"job queue(s) {', '.join(mixed)} also use environments of the other platform; "
            "a queue cannot mix EC2/SPOT and FARGATE/FARGATE_SPOT environments",
        )


# --- present -----------------------------------------------------------------------------------------
def present_steps(ctx, name, desired, current=MISSING):
    """Steps of ``ensure_present``; returns (changed, before, after) with DescribeComputeEnvironments entries.

    ``desired`` holds the module's options (``ALL_OPTIONS``) and ``tags``, ``purge_tags``,
    ``enforce_desired_vcpus``, ``update_to_latest_image_version`` and ``replace``.
    """
    validate_name("name", name)
    options = {option: desired.get(option) for option in ALL_OPTIONS}
    latest_image = bool(desired.get(LATEST_IMAGE))
    tags, purge_tags = desired.get("tags"), desired.get("purge_tags", True)
    if current is MISSING:
        current = read_environments(ctx, [name])[name]
    base, temp, foreign = yield from _settled_lookup(ctx, current, name)

    if base is None and temp is None:
        return (yield from _create_new(ctx, name, options, tags, latest_image))

    if base is None:
        # A replacement stopped after deleting the original: recreate it from the temporary one.
        now = current_options(temp)
        validate_options(name, {**options, LATEST_IMAGE: latest_image}, now)
        merged = effective_options(now, options)
        validate_options(name, merged)  # what gets created must be complete
        merged = resolve_iam_names(ctx, merged)
        new_tags = resulting_tags(strip_marker(temp.get("tags")), tags, purge_tags)
        ctx.plan("create", _given(options, tags))
        if ctx.check_mode:
            arn = temp["computeEnvironmentArn"].rsplit("/", 1)[0] + "/" + name
            return True, None, predicted_detail(name, arn, merged, new_tags)
        yield PLANNED
        return True, None, (yield from finish_replacement(ctx, name, temp, merged, new_tags))

    now = current_options(base)
    validate_options(name, {**options, LATEST_IMAGE: latest_image}, now)
    diffs = differences(now, options, desired.get("enforce_desired_vcpus", False))
    diffs.update(image_differences(base, latest_image))
    reasons = replacement_reasons(now, diffs)

    invalid = base.get("status") == "INVALID"
    if reasons and not desired.get("replace") and not invalid:
        fields = ", ".join(f"{option} ({reason})" for option, reason in reasons.items())
        raise BatchValidationError(
            "replace",
            f"AWS cannot change compute environment {name} in place: {fields}. "
            "Set replace=true to replace it (the queues that use it keep their order)",
        )
    repair = None
    if invalid and diffs:
        # Nothing can run on an INVALID environment: repairing it, in place or by a replacement, is safe.
        repair = f"INVALID: {base.get('statusReason') or 'no reason given'}"
        how = "replaced (its queues keep their order)" if reasons else "updated in place"
        if reasons and not desired.get("replace"):
            how += f", without replace=true, since {', '.join(reasons)} cannot change in place"
        ctx.warn(f"compute environment {name} is {repair}; it is {how}")
    if reasons:
        return (
            yield from _replace_existing(ctx, name, base, temp, foreign, now, options, diffs, tags, purge_tags, repair)
        )
    return (yield from _update_in_place(ctx, base, now, diffs, tags, purge_tags, temp, latest_image, repair))


def _create_new(ctx, name, options, tags, latest_image=False):
    # A new environment starts on the latest AMI Batch supports: update_to_latest_image_version needs no request.
    validate_options(name, {**options, LATEST_IMAGE: latest_image})
    created = resolve_iam_names(ctx, effective_options(None, {**options, "type": options.get("type") or "MANAGED"}))
    created["desired_vcpus"] = options.get("desired_vcpus")
    ctx.plan("create", _given(options, tags))
    if ctx.check_mode:
        partition, account = ctx.account(_iam_hints(created))
        if not created.get("service_role"):
            created["service_role"] = service_linked_role_arn(partition, account)
        arn = compute_environment_arn(partition, ctx.region, account, name)
        return True, None, predicted_detail(name, arn, created, tags or {}, status="VALID" if ctx.wait else "CREATING")
    yield PLANNED
    return True, None, (yield from create_and_settle(ctx, name, created, tags or {}, ctx.wait))


def _update_in_place(ctx, base, current, diffs, tags, purge_tags, leftover=None, latest_image=False, repair=None):
    """Apply ``diffs`` (all updatable in place) and the tags; first unwind a ``leftover`` temporary environment."""
    arn, name = base["computeEnvironmentArn"], base["computeEnvironmentName"]
    validate_desired_vcpus_update(current, diffs)
    resolved = resolve_iam_names(ctx, {option: after for option, (_before, after) in diffs.items()})
    diffs = {option: (before, resolved[option]) for option, (before, _after) in diffs.items()}
    new_tags = resulting_tags(base.get("tags"), tags, purge_tags)
    tags_change = new_tags != (base.get("tags") or {})
    changes = bool(diffs or tags_change)
    if not (changes or leftover):
        if base.get("status") == "INVALID" and ctx.wait and _propagating(ctx, base):
            return (yield from _revalidate(ctx, base))
        ctx.plan("none")
        if base.get("status") == "INVALID" and ctx.wait:
            # Nothing to change, but the environment does not work: say why instead of reporting success.
            raise BatchError(message=f"Compute environment {name} is INVALID: {base.get('statusReason')}")
        return False, base, base
    ctx.plan("update", list(diffs) + (["tags"] if tags_change else []), reason=repair)
    if ctx.check_mode:
        status = "VALID" if ctx.wait else "UPDATING"
        return True, base, apply_differences(base, current, diffs, new_tags, status, latest_image)
    yield PLANNED
    if leftover is not None:
        # Leftover of a replacement that stopped half-way; the original is what is wanted.
        yield from unwind_temporary(ctx, base, leftover)
        if not changes:
            return True, base, base
    if diffs:
        settled = (yield from settle(ctx, base)) if ctx.wait else base
        if settled is None:
            raise BatchError(message=f"Compute environment {name} disappeared while waiting to update it")
        update_compute_environment(ctx.batch, update_request(arn, current, diffs, latest_image))
    ensure_tags(ctx.batch, arn, base.get("tags"), tags, purge_tags)
    if diffs and ctx.wait:
        return True, base, (yield from settle_valid(ctx, arn, name))
    return True, base, (yield environment_poll(ctx, arn, name))


def _propagating(ctx, detail):
    """Whether an INVALID environment's reason is IAM propagation and this run may retry it."""
    return compute_environment_propagation(detail.get("statusReason")) is not None and timeout_of(ctx) > 0


def _revalidate(ctx, base):
    """An environment left INVALID by IAM propagation (an earlier run ran out of ``iam_propagation_timeout``) with
    nothing to change: validate it again, as ``settle_valid`` does."""
    arn, name = base["computeEnvironmentArn"], base["computeEnvironmentName"]
    reason = base.get("statusReason")
    ctx.plan("update", reason=f"INVALID: {reason}")
    ctx.warn(
        f"compute environment {name} is INVALID: {reason}; IAM changes take a while to reach Batch: "
        "it is validated again"
    )
    if ctx.check_mode:
        predicted = dict(base, status="VALID")
        predicted.pop("statusReason", None)
        return True, base, predicted
    yield PLANNED
    update_compute_environment(ctx.batch, revalidation_request(base, compute_environment_propagation(reason)))
    return True, base, (yield from settle_valid(ctx, arn, name))


def _replace_existing(ctx, name, base, temp, foreign, current, options, diffs, tags, purge_tags, repair=None):
    merged = effective_options(current, options)
    validate_options(name, merged)  # the replacement is a creation: it must be complete
    merged = resolve_iam_names(ctx, merged)
    new_tags = resulting_tags(strip_marker(base.get("tags")), tags, purge_tags)
    if foreign:
        raise BatchValidationError(
            "replace",
            f"the temporary name {replacement_name(name)} is taken by a compute environment this module did not make",
        )
    check_replacement_queues(ctx, base, merged)
    tags_change = new_tags != strip_marker(base.get("tags"))
    ctx.plan("replace", list(diffs) + (["tags"] if tags_change else []), reason=repair)
    if ctx.check_mode:
        return True, base, predicted_detail(name, base["computeEnvironmentArn"], merged, new_tags)
    yield PLANNED
    if temp is not None:
        yield from unwind_temporary(ctx, base, temp)
    temp_name = replacement_name(name)
    temp_options = {**merged, "compute_environment_state": "ENABLED", "update_policy": None}
    temporary = yield from create_and_settle(ctx, temp_name, temp_options, {**new_tags, REPLACEMENT_TAG: name}, True)
    yield from move_queues(ctx, base["computeEnvironmentArn"], temporary["computeEnvironmentArn"])
    yield from disable_and_delete(ctx, base, wait_gone=True)
    return True, base, (yield from finish_replacement(ctx, name, temporary, merged, new_tags))


# --- absent ------------------------------------------------------------------------------------------
def absent_steps(ctx, name, desired=None, current=MISSING):
    """Steps of ``ensure_absent``; ``desired['force']`` takes the environment out of its queues first."""
    validate_name("name", name)
    force = (desired or {}).get("force", False)
    if current is MISSING:
        current = read_environments(ctx, [name])[name]
    base, temp, _foreign = yield from _settled_lookup(ctx, current, name)
    targets = [detail for detail in (base, temp) if detail is not None]
    if not targets:
        ctx.plan("none")
        return False, None, None
    arns = [detail["computeEnvironmentArn"] for detail in targets]

    def users_of(queues):
        return [queue for queue in queues if set(ordered_environment_arns(queue)) & set(arns)]

    users = users_of(_all_queues(ctx))
    if users and not force:
        raise BatchValidationError(
            "force",
            f"compute environment {name} is still used by job queue(s) {', '.join(q['jobQueueName'] for q in users)}; "
            "take it out of them first, or set force=true to do so (queues left without an environment are deleted)",
        )
    ctx.plan("delete", _fields_of(base or temp))
    if ctx.check_mode:
        return True, base or temp, None
    yield PLANNED
    if users:
        users = users_of(describe_job_queues(ctx.batch))  # as they are now (other resources may have moved)
    updated = []
    for queue in users:
        queue = yield from settle_queue(ctx, queue)
        if queue is None:
            continue
        remaining = [arn for arn in ordered_environment_arns(queue) if arn not in arns]
        if remaining:
            update_job_queue(
                ctx.batch, {"jobQueue": queue["jobQueueArn"], "computeEnvironmentOrder": order_request(remaining)}
            )
            updated.append(queue)
        else:
            yield from delete_queue(ctx, queue, wait_gone=True)
    if updated:
        yield [queue_poll(ctx, queue["jobQueueArn"], queue["jobQueueName"], "valid") for queue in updated]
    for detail in targets:
        yield from disable_and_delete(ctx, detail, wait_gone=ctx.wait)
    return True, base or temp, None


def ensure_present(ctx, name, desired, current=MISSING):
    """Create, update or replace the environment. Returns (changed, before, after)."""
    return run_one(ctx, present_steps(ctx, name, desired, current))


def ensure_absent(ctx, name, desired=None, current=MISSING):
    """Disable and delete the environment (and a leftover temporary one). Returns (changed, before, None)."""
    return run_one(ctx, absent_steps(ctx, name, desired, current))


def view(detail):
    """The module's form of an environment (result and diff)."""
    return normalize_compute_environment(detail)


def static_problems(entry, problems):
    """What a list entry's options break that needs no AWS call (the rest is checked against the environment)."""
    options = {option: entry.get(option) for option in ALL_OPTIONS}
    options[LATEST_IMAGE] = entry.get(LATEST_IMAGE)
    typed = options.get("compute_resource_type") is not None or options.get("type") == "UNMANAGED"
    if entry.get("state", "present") == "present" and typed:
        # As an update of an environment of this type: rules that need the existing one come after the read.
        validate_options(entry["name"], options, {}, problems=problems)
    else:
        with problems.rule():
            validate_name("name", entry["name"])


def read_entries(ctx, entries):
    return read_environments(ctx, [entry["name"] for entry in entries])


KIND = Kind(
    result_key="compute_environment",
    list_key="compute_environments",
    present=present_steps,
    absent=absent_steps,
    read=read_entries,
    view=view,
    validate=static_problems,
)
