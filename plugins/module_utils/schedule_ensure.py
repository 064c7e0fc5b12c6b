# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Job schedules: ``ensure_present`` / ``ensure_absent``, shared by ``job_schedule`` and ``job_schedules``.

Two backends: an EventBridge rule with one Batch target this module owns (``events``), or an EventBridge
Scheduler schedule (``scheduler``). ``current`` is what ``read_schedule`` returns for the entry's backend: the
rule as ``(rule, our target, IDs of the other targets, tags)`` (``(None, None, [], {})`` when missing), or the
GetSchedule answer (None when missing); ``MISSING`` reads it here. EventBridge has no batched read of rules with
their targets and tags, and Scheduler none of schedules: each schedule costs its own reads (DescribeRule,
ListTargetsByRule, ListTagsForResource; or GetSchedule). The job queues and job definitions they submit to are
looked up once per module run, with batched calls in the list form.
"""

import copy

from ansible_collections.ondemand.batch.plugins.module_utils.alert import rule_arn
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchError,
    BatchErrorHandler,
    BatchValidationError,
)
from ansible_collections.ondemand.batch.plugins.module_utils.events import (
    DEFAULT_EVENT_BUS,
    apply_owned_target_removal,
    plan_owned_target_removal,
    plan_rule_tags,
    put_rule,
    put_target,
    read_rule,
    update_rule_tags,
)
from ansible_collections.ondemand.batch.plugins.module_utils.iam_propagation import (
    Retry,
    is_scheduler_propagation_error,
    timeout_of,
)
from ansible_collections.ondemand.batch.plugins.module_utils.job import describe_job_definitions, describe_job_queue
from ansible_collections.ondemand.batch.plugins.module_utils.job_definition import read_revisions
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue import describe_job_queues, find_queue
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import MISSING, PLANNED, Kind, Pause, run_one
from ansible_collections.ondemand.batch.plugins.module_utils.schedule import (
    comparable_schedule,
    comparable_target,
    describe_target,
    events_target,
    format_date,
    parse_date,
    scheduler_request,
    validate_schedule_params,
)

QUEUES_CACHE = "job_schedule:job_queues"
DEFINITIONS_CACHE = "job_schedule:active_job_definitions"

# Result keys (and target keys) -> the option that sets them, for ``changed_fields``.
RESULT_OPTIONS = {
    "enabled": "enabled",
    "schedule_expression": "schedule_expression",
    "timezone": "timezone",
    "description": "description",
    "flexible_time_window": "flexible_time_window",
    "start_date": "start_date",
    "end_date": "end_date",
    "delete_after_completion": "delete_after_completion",
    "tags": "tags",
}
TARGET_OPTIONS = {
    "id": "target_id",
    "role_arn": "role_arn",
    "job_queue": "job_queue",
    "job_definition": "job_definition",
    "job_name": "job_name",
    "array_size": "array_size",
    "retry_attempts": "retry_attempts",
    "share_identifier": "share_identifier",
    "scheduling_priority_override": "scheduling_priority_override",
    "parameters": "parameters",
    "command": "command",
    "environment": "environment",
    "vcpus": "vcpus",
    "memory": "memory",
    "retry_policy": "retry_policy",
    "dead_letter_arn": "dead_letter_arn",
}


def _value(value):
    return None if value in (None, "", [], {}) else value


def changed_fields(before, after):
    """The options whose part of two rendered schedules differs (None or {} for a missing side)."""
    before, after = before or {}, after or {}
    fields = {option for key, option in RESULT_OPTIONS.items() if _value(before.get(key)) != _value(after.get(key))}
    old, new = before.get("target") or {}, after.get("target") or {}
    fields.update(option for key, option in TARGET_OPTIONS.items() if _value(old.get(key)) != _value(new.get(key)))
    return sorted(fields)


# ---------------------------------------------------------------------------------------------- look-ups
def _job_queue(ctx, identifier):
    known = ctx.cached(QUEUES_CACHE, dict)
    if identifier not in known:
        known[identifier] = describe_job_queue(ctx.batch, identifier)
    return known[identifier]


def _has_active_revision(ctx, name):
    known = ctx.cached(DEFINITIONS_CACHE, dict)
    if name not in known:
        active = describe_job_definitions(ctx.batch, jobDefinitionName=name, status="ACTIVE")
        known[name] = any(d.get("status", "ACTIVE") == "ACTIVE" and d.get("jobDefinitionName") == name for d in active)
    return known[name]


def _definition_name(reference):
    return reference.rsplit("/", 1)[-1] if reference.startswith("arn:") else reference


def check_job_inputs(ctx, params):
    """The queue's ARN (the rule's target needs it) and a check that the job definition has an ACTIVE revision.

    In check mode a missing queue or definition is only a warning: a first ``--check`` deploy has not created
    them yet (the queue's ARN is predicted, the account being the role's). A real run fails, since the schedule
    could never submit.
    """
    queue = _job_queue(ctx, params["job_queue"])
    if queue is None:
        if not ctx.check_mode:
            raise BatchValidationError("job_queue", f"no job queue {params['job_queue']!r}")
        ctx.warn(f"job_queue {params['job_queue']!r} does not exist (yet); a real run would fail")
        queue_arn = params["job_queue"]
        if not queue_arn.startswith("arn:"):
            # The ARN an earlier task, which check mode skipped, gives the queue.
            queue_arn = f"{ctx.arn_prefix('batch', [params.get('role_arn')])}:job-queue/{queue_arn}"
    else:
        queue_arn = queue["jobQueueArn"]
    name = _definition_name(params["job_definition"])
    if not _has_active_revision(ctx, name):
        if not ctx.check_mode:
            raise BatchValidationError("job_definition", f"no ACTIVE revision of job definition {name!r}")
        ctx.warn(f"job_definition {name!r} has no ACTIVE revision (yet); a real run would fail")
    return queue_arn


def prefetch(ctx, entries, currents):
    """The queues and job definitions of every present entry: one DescribeJobQueues and one DescribeJobDefinitions
    per 100 of them (instead of one of each per schedule)."""
    present = [entry for entry in entries if entry.get("state", "present") == "present"]
    queues = list(dict.fromkeys(entry["job_queue"] for entry in present if entry.get("job_queue")))
    if queues:
        found = describe_job_queues(ctx.batch, queues)
        ctx.cached(QUEUES_CACHE, dict).update({queue: find_queue(found, queue) for queue in queues})
    names = list(dict.fromkeys(_definition_name(e["job_definition"]) for e in present if e.get("job_definition")))
    if names:
        revisions = read_revisions(ctx.batch, names)
        ctx.cached(DEFINITIONS_CACHE, dict).update(
            {name: any(d.get("status") == "ACTIVE" for d in revisions[name]) for name in names}
        )


# ---------------------------------------------------------------------------------------------- events
def render_rule(rule, target, tags, other_ids):
    if not rule:
        return None
    return {
        "name": rule.get("Name"),
        "arn": rule.get("Arn"),
        "backend": "events",
        "state": rule.get("State"),
        "enabled": rule.get("State") == "ENABLED",
        "schedule_expression": rule.get("ScheduleExpression"),
        "timezone": "UTC",
        "description": rule.get("Description") or "",
        "target": describe_target(target),
        "other_target_ids": sorted(other_ids),
        "tags": tags or {},
    }


def _rule_present(ctx, name, params, current):
    events = ctx.service("events")
    rule, ours, others, current_tags = current
    queue_arn = check_job_inputs(ctx, params)
    wanted_rule = {
        "Name": name,
        "ScheduleExpression": params["schedule_expression"].strip(),
        "State": "ENABLED" if params.get("enabled", True) else "DISABLED",
    }
    description = params["description"] if params.get("description") is not None else (rule or {}).get("Description")
    if description:
        wanted_rule["Description"] = description
    wanted_target = events_target(params, queue_arn)

    rule_changes = rule is None or any(
        (rule.get(k) or "") != (wanted_rule.get(k) or "") for k in ("ScheduleExpression", "State", "Description")
    )
    target_changes = comparable_target(ours) != comparable_target(wanted_target)
    to_set, to_unset, tags = {}, [], current_tags
    if params.get("tags") is not None:
        if rule is None:
            tags = dict(params["tags"])
        else:
            to_set, to_unset, tags = plan_rule_tags(current_tags, params["tags"], params.get("purge_tags", True))
    changed = bool(rule_changes or target_changes or to_set or to_unset)

    arn = (rule or {}).get("Arn")
    if rule is None and ctx.check_mode:
        partition, account = ctx.account([params.get("role_arn")])
        arn = rule_arn(partition, ctx.region, account, DEFAULT_EVENT_BUS, name)
    after_rule = dict(rule or {}, **wanted_rule)
    if "Description" not in wanted_rule:
        after_rule.pop("Description", None)
    before = render_rule(rule, ours, current_tags, others) or {}
    planned = render_rule(dict(after_rule, Arn=arn), wanted_target, tags, others)
    ctx.plan("create" if rule is None else ("update" if changed else "none"), changed_fields(before, planned))
    if changed and not ctx.check_mode:
        yield PLANNED
        if rule_changes:
            tags_on_create = params.get("tags") if rule is None else None
            arn = put_rule(events, dict(wanted_rule), tags_on_create).get("RuleArn") or arn
        if target_changes:
            put_target(events, name, wanted_target)
        if to_set or to_unset:
            update_rule_tags(events, arn, to_set, to_unset)
    after_rule["Arn"] = arn
    return changed, before, render_rule(after_rule, wanted_target, tags, others)


def _rule_absent(ctx, name, params, current):
    rule, ours, others, tags = current
    if not rule:
        ctx.plan("none")
        return False, None, None
    target_id = params.get("target_id") or "ondemand-batch-job"
    before = render_rule(rule, ours, tags, others)
    writes, kept, warning = plan_owned_target_removal(name, target_id, ours, others)
    if warning:
        ctx.warn(warning)
    after = (render_rule(rule, None, tags, others) if writes else before) if kept else None
    if not writes:
        ctx.plan("none")
    else:
        ctx.plan("update" if kept else "delete", changed_fields(before, after))
    if writes and not ctx.check_mode:
        yield PLANNED
        apply_owned_target_removal(ctx.service("events"), name, target_id, writes)
    return bool(writes), before, after


# ---------------------------------------------------------------------------------------------- scheduler
@BatchErrorHandler.list_error_handler("get schedule", default_value=None)
def get_schedule(scheduler, name, group):
    return scheduler.get_schedule(Name=name, GroupName=group, aws_retry=True)


@BatchErrorHandler.common_error_handler("write schedule")
def write_schedule(scheduler, request, create):
    if create:
        return scheduler.create_schedule(aws_retry=True, **request)
    return scheduler.update_schedule(aws_retry=True, **request)


def write_schedule_once_assumable(ctx, name, request, create):
    """CreateSchedule/UpdateSchedule, made again while Scheduler refuses an execution role IAM has not propagated
    yet (``iam_propagation``; nothing is written then), after a backoff, within ``iam_propagation_timeout``."""
    retry = None
    while True:
        try:
            return write_schedule(ctx.service("scheduler"), request, create)
        except BatchError as error:
            if timeout_of(ctx) <= 0 or not is_scheduler_propagation_error(error):
                raise
            retry = retry or Retry.of(ctx)
            delay = retry.next_delay()
            if delay is None:
                raise BatchError(
                    message=f"{error.message} ({retry.summary()}: IAM changes usually reach EventBridge Scheduler "
                    "within seconds; check that role_arn exists and trusts scheduler.amazonaws.com, or raise "
                    "iam_propagation_timeout)",
                    exception=error.exception,
                ) from error
        ctx.warn(
            f"schedule {name}: EventBridge Scheduler cannot assume {request['Target']['RoleArn']} yet; IAM changes "
            f"take a while to reach it: trying {retry.progress(delay)}"
        )
        yield Pause(delay)


@BatchErrorHandler.deletion_error_handler("delete schedule")
def delete_schedule(scheduler, name, group):
    scheduler.delete_schedule(Name=name, GroupName=group, aws_retry=True)
    return True


def render_schedule(schedule):
    if not schedule:
        return None
    window = schedule.get("FlexibleTimeWindow") or {}
    return {
        "name": schedule.get("Name"),
        "arn": schedule.get("Arn") or schedule.get("ScheduleArn"),
        "backend": "scheduler",
        "group": schedule.get("GroupName") or "default",
        "state": schedule.get("State") or "ENABLED",
        "enabled": (schedule.get("State") or "ENABLED") == "ENABLED",
        "schedule_expression": schedule.get("ScheduleExpression"),
        "timezone": schedule.get("ScheduleExpressionTimezone") or "UTC",
        "description": schedule.get("Description") or "",
        "flexible_time_window": window.get("MaximumWindowInMinutes") if window.get("Mode") == "FLEXIBLE" else 0,
        "start_date": format_date(parse_date("start_date", schedule.get("StartDate"))),
        "end_date": format_date(parse_date("end_date", schedule.get("EndDate"))),
        "delete_after_completion": schedule.get("ActionAfterCompletion") == "DELETE",
        "target": describe_target(schedule.get("Target")),
    }


def _schedule_present(ctx, name, params, dates, current):
    check_job_inputs(ctx, params)
    before = render_schedule(current) or {}
    request = scheduler_request(params, dates[0], dates[1], current)
    if comparable_schedule(current) == comparable_schedule(request):
        ctx.plan("none")
        return False, before, before
    after_schedule = copy.deepcopy(request)
    after_schedule["Arn"] = (current or {}).get("Arn")
    if current is None and ctx.check_mode:
        prefix = ctx.arn_prefix("scheduler", [params.get("role_arn")])
        after_schedule["Arn"] = f"{prefix}:schedule/{request['GroupName']}/{name}"
    ctx.plan("create" if current is None else "update", changed_fields(before, render_schedule(after_schedule)))
    if not ctx.check_mode:
        yield PLANNED
        response = yield from write_schedule_once_assumable(ctx, name, request, create=current is None)
        after_schedule["Arn"] = response.get("ScheduleArn") or after_schedule["Arn"]
    return True, before, render_schedule(after_schedule)


def _schedule_absent(ctx, name, params, current):
    if not current:
        ctx.plan("none")
        return False, None, None
    before = render_schedule(current)
    ctx.plan("delete", changed_fields(before, None))
    if not ctx.check_mode:
        yield PLANNED
        delete_schedule(ctx.service("scheduler"), name, params.get("group") or "default")
    return True, before, None


# ---------------------------------------------------------------------------------------------- ensure
def read_schedule(ctx, params):
    """What the entry's backend has under its name (see the module docstring for the shapes)."""
    if (params.get("backend") or "events") == "scheduler":
        return get_schedule(ctx.service("scheduler"), params["name"], params.get("group") or "default")
    target_id = params.get("target_id") or "ondemand-batch-job"
    return read_rule(ctx.service("events"), params["name"], target_id, with_tags=params.get("tags") is not None)


def present_steps(ctx, name, desired, current=MISSING):
    """Create or update the schedule. Returns (changed, before, after) as the module renders them."""
    params = dict(desired, name=name)
    dates = validate_schedule_params(params, warn=ctx.warn)
    if current is MISSING:
        current = read_schedule(ctx, params)
    if (params.get("backend") or "events") == "scheduler":
        return (yield from _schedule_present(ctx, name, params, dates, current))
    return (yield from _rule_present(ctx, name, params, current))


def absent_steps(ctx, name, desired=None, current=MISSING):
    """Delete the schedule (of a rule, only this module's target; the rule goes when no other target is left)."""
    params = dict(desired or {}, name=name, state="absent")
    validate_schedule_params(params, warn=ctx.warn)
    if current is MISSING:
        current = read_schedule(ctx, params)
    if (params.get("backend") or "events") == "scheduler":
        return (yield from _schedule_absent(ctx, name, params, current))
    return (yield from _rule_absent(ctx, name, params, current))


def ensure_present(ctx, name, desired, current=MISSING):
    return run_one(ctx, present_steps(ctx, name, desired, current))


def ensure_absent(ctx, name, desired=None, current=MISSING):
    return run_one(ctx, absent_steps(ctx, name, desired, current))


def static_problems(entry, problems):
    validate_schedule_params(entry, problems=problems)


def read_entries(ctx, entries):
    return {entry["name"]: read_schedule(ctx, entry) for entry in entries}


KIND = Kind(
    result_key="schedule",
    list_key="job_schedules",
    present=present_steps,
    absent=absent_steps,
    read=read_entries,
    view=lambda rendered: rendered,
    validate=static_problems,
    prefetch=prefetch,
    diff=lambda before, after: (before or {}, after or {}),
)
