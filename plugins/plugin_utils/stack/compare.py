# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a resource that amazon.aws or community.aws manages already is as the plan wants it.

The plan read these resources anyway (ownership); a resource found exactly as wanted is not handed to its module,
so a re-run's cost grows with what changed. Each function returns the fields that differ, the way the module
compares them (purge_tags, purge_policies, purge_subscriptions: true); anything the plan cannot tell for sure counts
as a difference, and the module then decides (it never misses a change, at worst it runs for nothing).
"""

import json


def canonical(document):
    """A policy document in one form (JSON text or data), for comparing: keys sorted, one-item lists as items."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return document
    return _canonical(document)


def _canonical(value):
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical(item) for item in value]
        if len(items) == 1:
            return items[0]
        if all(isinstance(item, str) for item in items):
            return sorted(items)
        return items
    return value


def _tags(wanted, current):
    return [] if dict(wanted or {}) == dict(current or {}) else ["tags"]


def role_changes(wanted, current):
    """Fields of an IAM role (amazon.aws.iam_role parameters) that differ from the role that exists."""
    changes = []
    if current.get("path") != wanted["path"]:
        changes.append("path")
    if (current.get("description") or "") != (wanted.get("description") or ""):
        changes.append("description")
    if canonical(current.get("trust_policy")) != canonical(wanted["assume_role_policy_document"]):
        changes.append("assume_role_policy_document")
    if sorted(current.get("managed_policies") or []) != sorted(wanted.get("managed_policies") or []):
        changes.append("managed_policies")
    if (current.get("boundary") or None) != (wanted.get("boundary") or None):
        changes.append("boundary")
    if wanted.get("max_session_duration") and current.get("max_session_duration") != wanted["max_session_duration"]:
        changes.append("max_session_duration")
    return changes + _tags(wanted.get("tags"), current.get("tags"))


def policy_changes(wanted, current_documents):
    """Whether an inline policy (amazon.aws.iam_policy parameters) differs: ["policy"] or []."""
    present = wanted["policy_name"] in current_documents
    if wanted["state"] == "absent":
        return ["policy"] if present else []
    if not present or canonical(current_documents[wanted["policy_name"]]) != canonical(wanted["policy_json"]):
        return ["policy"]
    return []


def instance_profile_changes(wanted, current):
    changes = []
    if current.get("path") != wanted["path"]:
        changes.append("path")
    if sorted(current.get("roles") or []) != [wanted["role"]]:
        changes.append("role")
    return changes + _tags(wanted.get("tags"), current.get("tags"))


def log_group_changes(wanted, current):
    changes = []
    if wanted.get("retention") is not None and current.get("retention") != wanted["retention"]:
        changes.append("retention")
    return changes + _tags(wanted.get("tags"), current.get("tags"))


def topic_changes(wanted, current):
    """Fields of the alerts topic (community.aws.sns_topic parameters) that differ."""
    changes = []
    if (current.get("display_name") or "") != (wanted.get("display_name") or ""):
        changes.append("display_name")
    if canonical(current.get("policy")) != canonical(wanted.get("policy")):
        changes.append("policy")
    wanted_subscriptions = sorted((s["protocol"], s["endpoint"]) for s in wanted.get("subscriptions") or [])
    if sorted(tuple(s) for s in current.get("subscriptions") or []) != wanted_subscriptions:
        changes.append("subscriptions")
    return changes + _tags(wanted.get("tags"), current.get("tags"))


def secret_changes(wanted, current):
    """Fields of a secret (community.aws.secretsmanager_secret parameters) that differ. A secret the inventory gives
    a value always goes to the module: the plan never reads a value."""
    changes = ["value"] if wanted.get("has_value") else []
    if (current.get("description") or "") != (wanted.get("description") or ""):
        changes.append("description")
    if (wanted.get("kms_key_id") or None) != (current.get("kms_key_id") or None):
        changes.append("kms_key_id")
    return changes + _tags(wanted.get("tags"), current.get("tags"))
