# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan summary: every resource of the stack with its kind, name, action and changed fields, then totals.

Pure: built from the plan and the results the roles registered. ``rows`` are what ``table`` prints and what the
outputs file keeps; a row's action is one of ``create``, ``update``, ``replace``, ``delete``, ``adopt``, ``none``.
"""

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.refresh import KIND_LABELS

ACTIONS = ("create", "adopt", "update", "replace", "delete", "none")

# Registered result -> (kind, result key of the resource, deletion?). Each role registers its tasks under these
# names (roles/*/tasks); a loop result holds one entry per resource, a list module one entry per resource too.
RESULTS = (
    ("__iam_roles", "iam_role", None, False),
    ("__iam_instance_profiles", "iam_instance_profile", None, False),
    ("__iam_policies", "iam_policy", None, False),
    ("__iam_deleted_instance_profiles", "iam_instance_profile", None, True),
    ("__iam_deleted_roles", "iam_role", None, True),
    ("__secrets_secrets", "secret", "secret", False),
    ("__secrets_deleted", "secret", None, True),
    ("__batch_log_group", "log_group", None, False),
    ("__batch_compute_environments", "compute_environment", "compute_environment", False),
    ("__batch_scheduling_policies", "scheduling_policy", "scheduling_policy", False),
    ("__batch_job_queues", "job_queue", "job_queue", False),
    ("__batch_deleted_scheduling_policies", "scheduling_policy", "scheduling_policy", True),
    ("__batch_deleted_compute_environments", "compute_environment", "compute_environment", True),
    ("__batch_job_definitions", "job_definition", "job_definition", False),
    ("__batch_deleted_log_groups", "log_group", None, True),
    ("__batch_image_repositories", "image_repository", "repository", False),
    ("__batch_deleted_image_repositories", "image_repository", None, True),
    ("__eventbridge_schedules", "schedule", "schedule", False),
    ("__eventbridge_alert_topics", "alert_topic", None, False),
    ("__eventbridge_alert_rules", "alert_rule", "job_alert", False),
    ("__eventbridge_deleted_topics", "alert_topic", None, True),
)
# The list modules' result keys: one entry per resource, each with its own action.
LIST_KEYS = {
    "compute_environment": "compute_environments",
    "scheduling_policy": "scheduling_policies",
    "job_queue": "job_queues",
    "job_definition": "job_definitions",
    "schedule": "job_schedules",
    "alert_rule": "job_alerts",
}
# Fields a diff shows that are bookkeeping, not the resource's settings.
IGNORED_FIELDS = frozenset(
    {"revision", "arn", "job_definition_arn", "active_revisions", "status", "status_reason", "created", "updated"}
)


def _name_of(item, kind):
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return str(item)
    if kind == "iam_policy":
        return f"{item.get('iam_name')}/{item.get('policy_name')}"
    for key in ("secret_name", "log_group_name", "name"):
        if item.get(key):
            return item[key]
    return str(item)


def _entries(registered, kind):
    """(item, result) pairs of a registered loop result, of a list module's result, or of one module run."""
    if not isinstance(registered, dict) or registered.get("skipped") and not registered.get("results"):
        return []
    listed = registered.get(LIST_KEYS.get(kind, ""))
    if isinstance(listed, list):
        return [(entry, entry) for entry in listed]
    if isinstance(registered.get("results"), list):
        return [(r.get("item"), r) for r in registered["results"] if not r.get("skipped")]
    return [(None, registered)]


def changed_fields(result):
    """The top-level fields that differ between a diff's before and after (list modules give them directly)."""
    if isinstance(result.get("changed_fields"), list):
        return sorted(result["changed_fields"])
    diffs = result.get("diff")
    diffs = diffs if isinstance(diffs, list) else [diffs] if isinstance(diffs, dict) else []
    fields = set()
    for diff in diffs:
        before, after = diff.get("before"), diff.get("after")
        if isinstance(before, dict) and isinstance(after, dict):
            for key in set(before) | set(after):
                if key not in IGNORED_FIELDS and before.get(key) != after.get(key):
                    fields.add(key)
    return sorted(fields)


def rows(plan, results):
    """One row per resource of the plan and per deletion, with what happened (or, in check mode, would)."""
    hints = {(r["kind"], r["name"]): r for r in plan.get("resources", [])}
    expected = {(e["kind"], e["name"]): e["changed_fields"] for e in plan.get("expected_changes", [])}
    out, seen = [], set()
    for variable, kind, result_key, deletion in RESULTS:
        for item, result in _entries(results.get(variable), kind):
            name = _name_of(item if item is not None else result, kind)
            if kind == "log_group" and item is None:
                name = plan["batch"]["log_group"]["log_group_name"]
            key = (kind, name, deletion)
            if key in seen:
                continue
            seen.add(key)
            changed = bool(result.get("changed"))
            # An inline policy is new with its role; other resources by what the plan found.
            hint = hints.get(("iam_role", name.split("/")[0]) if kind == "iam_policy" else (kind, name), {})
            if deletion:
                action = "delete" if changed else "none"
            elif isinstance(result.get("action"), str) and result["action"] in ACTIONS:
                action = result["action"]  # a list module says what it did
            elif not changed:
                action = "none"
            else:
                action = {"create": "create", "adopt": "adopt"}.get(hint.get("action_hint"), "update")
            if action == "update" and hint.get("action_hint") == "adopt":
                action = "adopt"  # taken over: tagged as the stack's (and set as the model says)
            fields = changed_fields(result) if action in ("update", "replace", "adopt") else []
            if action in ("update", "adopt") and not fields:
                fields = list(expected.get((kind, name), []))
            if kind == "iam_policy" and action == "update":
                fields = ["policy"]
            if action == "adopt" and "tags" not in fields:
                fields.append("tags")
            out.append(
                {
                    "kind": kind,
                    "name": name,
                    "action": action,
                    "changed_fields": fields,
                    "arn": _arn(result, result_key) or hints.get((kind, name), {}).get("arn"),
                }
            )
    listed = {(r["kind"], r["name"]) for r in out}
    for resource in plan.get("unchanged", []):  # found as wanted by the plan: no module ran
        if (resource["kind"], resource["name"]) not in listed:
            out.append(
                {
                    **resource,
                    "action": "none",
                    "changed_fields": [],
                    "arn": hints.get((resource["kind"], resource["name"]), {}).get("arn"),
                }
            )
    for predicted in plan.get("predicted", []):
        key = (predicted["kind"], predicted["name"], False)
        existing = next((r for r in out if (r["kind"], r["name"]) == key[:2]), None)
        if existing is None:
            out.append({**predicted, "arn": hints.get(key[:2], {}).get("arn")})
        elif existing["action"] == "none":
            existing.update(action=predicted["action"], changed_fields=predicted["changed_fields"])
    return out


def _arn(result, key):
    value = result.get(key) if key else None
    if isinstance(value, dict):
        for field in (
            "arn",
            "compute_environment_arn",
            "job_queue_arn",
            "job_definition_arn",
            "scheduling_policy_arn",
            "repository_arn",
        ):
            if value.get(field) and "****" not in str(value[field]):
                return value[field]
    return None


def totals(summary_rows):
    counts = dict.fromkeys(ACTIONS, 0)
    for row in summary_rows:
        counts[row["action"]] += 1
    return counts


def totals_line(counts, check_mode):
    if check_mode:
        return (
            f"Plan: {counts['create']} to add, {counts['adopt']} to adopt, {counts['update']} to change, "
            f"{counts['replace']} to replace, {counts['delete']} to destroy."
        )
    return (
        f"Apply complete: {counts['create']} added, {counts['adopt']} adopted, {counts['update']} changed, "
        f"{counts['replace']} replaced, {counts['delete']} destroyed."
    )


def table(summary_rows):
    """The rows as a text table: kind, name, action, changed fields."""
    header = ("KIND", "NAME", "ACTION", "CHANGES")
    lines = [
        (
            KIND_LABELS.get(r["kind"], r["kind"].replace("_", " ")),
            r["name"],
            r["action"],
            ", ".join(r["changed_fields"]),
        )
        for r in summary_rows
    ]
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(3)]
    text = []
    for row in [header, *lines]:
        text.append(
            "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row[:3])) + ("  " + row[3] if row[3] else "")
        )
    return "\n".join(line.rstrip() for line in text)


def outputs(plan, summary_rows):
    """Names and ARNs of the stack's resources (like ``terraform output``), and the summary. Never a value."""
    arns = {(r["kind"], r["name"]): r.get("arn") for r in plan.get("resources", [])}
    arns.update({(r["kind"], r["name"]): r["arn"] for r in summary_rows if r.get("arn")})

    def named(kind, names):
        return {name: arns.get((kind, name)) for name in names}

    batch, eventbridge, iam = plan["batch"], plan["eventbridge"], plan["iam"]
    return {
        "stack": {key: plan["stack"][key] for key in ("name", "region", "account_id", "partition")},
        "iam": {
            "roles": named("iam_role", [r["name"] for r in iam["roles"]]),
            "instance_profile_arn": iam["arns"]["instance_profile"],
            "execution_role_arn": iam["arns"]["execution_role"],
            "events_role_arn": iam["arns"]["events_role"],
            "job_role_arns": iam["arns"]["job_roles"],
        },
        "secrets": {s["name"]: arns.get(("secret", s["secret_name"])) or s["arn"] for s in plan["secrets"]["secrets"]},
        "batch": {
            "log_group": {
                "name": batch["log_group"]["log_group_name"],
                "arn": batch["log_group"]["arn"],
                "retention_days": batch["log_group"]["retention"],
            },
            "compute_environments": named("compute_environment", [p["name"] for p in batch["compute_environments"]]),
            "scheduling_policies": named("scheduling_policy", [p["name"] for p in batch["scheduling_policies"]]),
            "job_queues": named("job_queue", [p["name"] for p in batch["job_queues"]]),
            "job_definitions": named("job_definition", [p["name"] for p in batch["job_definitions"]]),
            # Where to push: docker push <uri>:<tag>.
            "image_repositories": {
                r["name"]: {"arn": arns.get(("image_repository", r["name"])) or r["arn"], "uri": r["uri"]}
                for r in batch.get("image_repository_names", {}).values()
            },
            "default_job_queue": batch["default_job_queue"],
            "default_job_definition": batch["default_job_definition"],
        },
        "eventbridge": {
            "schedules": named("schedule", [s["name"] for s in eventbridge["schedules"]]),
            "alerts_topic_arn": eventbridge["alerts"]["topic"]["arn"] if eventbridge["alerts"] else "",
            "alerts_rule_arn": eventbridge["alerts"]["rule_arn"] if eventbridge["alerts"] else "",
            "alerts_email": eventbridge["alerts"]["email"] if eventbridge["alerts"] else "",
        },
        "summary": {"rows": summary_rows, "totals": totals(summary_rows)},
    }
