# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EventBridge rule calls shared by ``job_schedule`` (events backend) and ``job_alert``.

Each call touches only the rule it is given and, for targets, only the one target ID given: a module that
owns one target of a rule leaves the others alone. Every call takes the event bus (``default`` when omitted).
"""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

from ansible_collections.ondemand.batch.plugins.module_utils.constants import DEFAULT_EVENT_BUS
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchErrorHandler
from ansible_collections.ondemand.batch.plugins.module_utils.tagging import resulting_tags, tag_changes


def _bus(bus):
    return {} if not bus or bus == DEFAULT_EVENT_BUS else {"EventBusName": bus}


@BatchErrorHandler.list_error_handler("describe rule", default_value=None)
def describe_rule(events, name, bus=DEFAULT_EVENT_BUS):
    """DescribeRule, or None when the rule (or its event bus) does not exist."""
    return events.describe_rule(Name=name, aws_retry=True, **_bus(bus))


@BatchErrorHandler.list_error_handler("list targets of rule", default_value=[])
def list_targets(events, name, bus=DEFAULT_EVENT_BUS):
    targets = []
    request = {"Rule": name, **_bus(bus)}
    while True:
        response = events.list_targets_by_rule(aws_retry=True, **request)
        targets.extend(response.get("Targets", []))
        if not response.get("NextToken"):
            return targets
        request["NextToken"] = response["NextToken"]


@BatchErrorHandler.list_error_handler("list tags of rule", default_value={})
def list_rule_tags(events, arn):
    response = events.list_tags_for_resource(ResourceARN=arn, aws_retry=True)
    return boto3_tag_list_to_ansible_dict(response.get("Tags", []))


def _check_failed_entries(response, action):
    if response.get("FailedEntryCount"):
        entries = response.get("FailedEntries", [])
        detail = "; ".join(f"{e.get('TargetId')}: {e.get('ErrorCode')} {e.get('ErrorMessage')}" for e in entries)
        raise BatchError(message=f"Failed to {action}: {detail}")


@BatchErrorHandler.common_error_handler("write rule")
def put_rule(events, request, tags=None):
    """PutRule; ``tags`` are only given when the rule is created (PutRule leaves an existing rule's tags alone)."""
    if tags:
        request = dict(request, Tags=ansible_dict_to_boto3_tag_list(tags))
    return events.put_rule(aws_retry=True, **request)


@BatchErrorHandler.common_error_handler("write rule target")
def put_target(events, name, target, bus=DEFAULT_EVENT_BUS):
    response = events.put_targets(Rule=name, Targets=[target], aws_retry=True, **_bus(bus))
    _check_failed_entries(response, "write the rule's target")


@BatchErrorHandler.common_error_handler("update rule tags")
def update_rule_tags(events, arn, to_set, to_unset):
    if to_unset:
        events.untag_resource(ResourceARN=arn, TagKeys=list(to_unset), aws_retry=True)
    if to_set:
        events.tag_resource(ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True)


@BatchErrorHandler.deletion_error_handler("remove rule target")
def remove_target(events, name, target_id, bus=DEFAULT_EVENT_BUS):
    response = events.remove_targets(Rule=name, Ids=[target_id], aws_retry=True, **_bus(bus))
    _check_failed_entries(response, "remove the rule's target")
    return True


@BatchErrorHandler.deletion_error_handler("delete rule")
def delete_rule(events, name, bus=DEFAULT_EVENT_BUS):
    events.delete_rule(Name=name, aws_retry=True, **_bus(bus))
    return True


# ---------------------------------------------------------------------------------------------- one owned target
def read_rule(events, name, target_id, bus=DEFAULT_EVENT_BUS, with_tags=True):
    """``(rule, our target, IDs of the other targets, tags)`` of a rule a module owns ``target_id`` of.

    ``(None, None, [], {})`` when the rule does not exist; tags are only read ``with_tags``.
    """
    current = describe_rule(events, name, bus)
    if not current:
        return None, None, [], {}
    targets = list_targets(events, name, bus)
    return rule_view(current, targets, target_id, list_rule_tags(events, current["Arn"]) if with_tags else {})


def rule_view(rule, targets, target_id, tags):
    """``read_rule``'s answer from a described rule, its targets and its tags (read here or elsewhere)."""
    ours = next((t for t in targets if t.get("Id") == target_id), None)
    return rule, ours, [t["Id"] for t in targets if t.get("Id") != target_id], tags


def plan_owned_target_removal(name, target_id, ours, others):
    """``state: absent`` of a module that owns ``target_id`` of an existing rule: ``(writes, rule kept, warning)``.

    The rule is deleted when no other target is left; otherwise only our target goes and the rule stays (the
    warning says so). ``writes`` lists ``remove_target`` and/or ``delete_rule``, in that order (none: no change).
    """
    if others:
        listed = ", ".join(sorted(others))
        if ours is None:
            return [], True, f"Rule {name} left alone: it has only targets this module does not own ({listed})"
        warning = f"Rule {name} kept: it has targets this module does not own ({listed}); only {target_id} was removed"
        return ["remove_target"], True, warning
    return (["remove_target"] if ours is not None else []) + ["delete_rule"], False, None


def apply_owned_target_removal(events, name, target_id, writes, bus=DEFAULT_EVENT_BUS):
    if "remove_target" in writes:
        remove_target(events, name, target_id, bus)
    if "delete_rule" in writes:
        delete_rule(events, name, bus)


def plan_rule_tags(current_tags, wanted, purge_tags):
    """``(to_set, to_unset, resulting tags)`` of an existing rule (``wanted`` None: leave its tags)."""
    to_set, to_unset = tag_changes(current_tags, wanted, purge_tags)
    return to_set, to_unset, resulting_tags(current_tags, wanted, purge_tags)
