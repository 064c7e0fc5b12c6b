# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Job state change alerts: ``ensure_present`` / ``ensure_absent``, shared by ``job_alert`` and ``job_alerts``.

``current`` is ``(rule, our target, IDs of the other targets, tags)`` as ``events.read_rule`` returns it
(``(None, None, [], {})`` when the rule does not exist), or ``MISSING`` to read it here. EventBridge has no
batched read of rules with their targets and tags: each alert costs DescribeRule, ListTargetsByRule and
ListTagsForResource.
"""

from ansible_collections.ondemand.batch.plugins.module_utils.alert import (
    DEFAULT_TARGET_ID,
    comparable_rule,
    comparable_target,
    desired_rule,
    desired_target,
    render_alert,
    rule_arn,
    validate_alert_params,
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
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import MISSING, PLANNED, Kind, run_one

# Result keys -> the option that sets them, for ``changed_fields``.
RESULT_OPTIONS = {
    "enabled": "enabled",
    "description": "description",
    "statuses": "statuses",
    "job_queues": "job_queues",
    "event_bus_name": "event_bus_name",
    "tags": "tags",
}


def changed_fields(before, after):
    """The options whose part of two rendered alerts differs (None or {} for a missing side)."""
    before, after = before or {}, after or {}
    fields = {option for key, option in RESULT_OPTIONS.items() if before.get(key) != after.get(key)}
    old, new = before.get("target") or {}, after.get("target") or {}
    if old.get("id") != new.get("id"):
        fields.add("target_id")
    if old.get("arn") != new.get("arn"):
        fields.add("target_arn")
    old_input, new_input = old.get("input_transformer") or {}, new.get("input_transformer") or {}
    if old_input.get("input_template") != new_input.get("input_template"):
        fields.add("input_template")
    if old_input.get("input_paths_map") != new_input.get("input_paths_map"):
        fields.add("input_paths")
    return sorted(fields)


def _settings(params):
    return params.get("target_id") or DEFAULT_TARGET_ID, params.get("event_bus_name") or DEFAULT_EVENT_BUS


def read_alert(ctx, params):
    target_id, bus = _settings(params)
    return read_rule(ctx.service("events"), params["name"], target_id, bus)


def present_steps(ctx, name, desired, current=MISSING):
    """Create or update the rule, our target and the tags. Returns (changed, before, after) rendered."""
    params = dict(desired, name=name)
    validate_alert_params(params)
    target_id, bus = _settings(params)
    if current is MISSING:
        current = read_alert(ctx, params)
    rule, ours, others, current_tags = current

    wanted_rule = desired_rule(params, rule)
    wanted_target = desired_target(params)
    rule_changes = rule is None or comparable_rule(rule) != comparable_rule(wanted_rule)
    target_changes = comparable_target(ours) != comparable_target(wanted_target)
    to_set, to_unset = {}, []
    if rule is None:
        tags = dict(params.get("tags") or {})
    else:
        to_set, to_unset, tags = plan_rule_tags(current_tags, params.get("tags"), params.get("purge_tags", True))
    changed = bool(rule_changes or target_changes or to_set or to_unset)

    arn = (rule or {}).get("Arn")
    if rule is None and ctx.check_mode:
        partition, account = ctx.account([params.get("target_arn")])
        arn = rule_arn(partition, ctx.region, account, bus, name)
    before = render_alert(rule, ours, current_tags, others, bus) or {}
    after = render_alert(dict(wanted_rule, Arn=arn), wanted_target, tags, others, bus)
    ctx.plan("create" if rule is None else ("update" if changed else "none"), changed_fields(before, after))
    if changed and not ctx.check_mode:
        events = ctx.service("events")
        yield PLANNED
        if rule_changes:
            response = put_rule(events, wanted_rule, tags=params.get("tags") if rule is None else None)
            arn = response.get("RuleArn") or arn
        if target_changes:
            put_target(events, name, wanted_target, bus)
        if to_set or to_unset:
            update_rule_tags(events, arn, to_set, to_unset)
        after = render_alert(dict(wanted_rule, Arn=arn), wanted_target, tags, others, bus)
    return changed, before, after


def absent_steps(ctx, name, desired=None, current=MISSING):
    """Remove our target, then the rule unless other targets are left. Returns (changed, before, after)."""
    params = dict(desired or {}, name=name, state="absent")
    validate_alert_params(params)
    target_id, bus = _settings(params)
    if current is MISSING:
        current = read_alert(ctx, params)
    rule, ours, others, tags = current
    if not rule:
        ctx.plan("none")
        return False, None, None
    before = render_alert(rule, ours, tags, others, bus)
    writes, kept, warning = plan_owned_target_removal(name, target_id, ours, others)
    if warning:
        ctx.warn(warning)
    after = (render_alert(rule, None, tags, others, bus) if writes else before) if kept else None
    if not writes:
        ctx.plan("none")
    else:
        ctx.plan("update" if kept else "delete", changed_fields(before, after))
    if writes and not ctx.check_mode:
        yield PLANNED
        apply_owned_target_removal(ctx.service("events"), name, target_id, writes, bus)
    return bool(writes), before, after


def ensure_present(ctx, name, desired, current=MISSING):
    return run_one(ctx, present_steps(ctx, name, desired, current))


def ensure_absent(ctx, name, desired=None, current=MISSING):
    return run_one(ctx, absent_steps(ctx, name, desired, current))


def static_problems(entry, problems):
    validate_alert_params(entry, problems=problems)


def read_entries(ctx, entries):
    return {entry["name"]: read_alert(ctx, entry) for entry in entries}


KIND = Kind(
    result_key="job_alert",
    list_key="job_alerts",
    present=present_steps,
    absent=absent_steps,
    read=read_entries,
    view=lambda rendered: rendered,
    validate=static_problems,
    diff=lambda before, after: (before or {}, after or {}),
)
