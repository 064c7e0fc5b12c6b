# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the roles hand to the modules, once the plan knows what exists: the deletions (prune, destroy) and,
in check mode, the changes the plan predicts itself where a module cannot (a policy on a role that does not
exist yet, a topic that does not exist yet, the retention of an existing log group)."""

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import compare
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import ownership

# Which role's prune setting (iam_prune, ... or -e prune=true) removes the orphans of a kind.
ROLE_OF_KIND = {
    "iam_role": "iam",
    "secret": "secrets",
    "compute_environment": "batch",
    "job_queue": "batch",
    "scheduling_policy": "batch",
    "job_definition": "batch",
    "log_group": "batch",
    "schedule": "eventbridge",
    "alert_rule": "eventbridge",
    "alert_topic": "eventbridge",
    "image_repository": "batch",
}


def _exists(refreshed, kind, name):
    return (refreshed["found"].get(kind) or {}).get(name) is not None


def _ours(refreshed, kind, name, stack, adopt, region):
    """A resource the stack may delete: its own (untagged ones only when adopting)."""
    info = (refreshed["found"].get(kind) or {}).get(name)
    if info is None:
        return False
    owned, _owner = ownership(info, kind, stack, region)
    return owned in ("ours", "unknown") or (owned == "untagged" and adopt)


def prepare(plan, refreshed, check_mode=False, problems=None):
    """Add ``delete`` lists, ``predicted`` changes, ``not_removed`` and ``warnings`` (after the compilation's) to the
    plan; deletions the plan refuses (a repository that holds images, without force_delete) go to ``problems``."""
    plan["predicted"] = []
    plan["warnings"] = list(plan.get("warnings") or [])  # the compilation's (deprecations) first
    plan["not_removed"] = []
    if plan["state"] == "absent":
        _destroy(plan, refreshed)
    else:
        _deploy(plan, refreshed, check_mode)
        _unchanged_skipped(plan, refreshed)
    _image_repository_deletions(plan, refreshed, problems)
    _module_runs(plan)
    return plan


def _unchanged_skipped(plan, refreshed):
    """Hand the amazon.aws and community.aws modules only what differs from what the plan found (``run``), and
    list the rest as unchanged: a no-change re-run then starts none of their module processes."""
    found = refreshed["found"]
    hints = {(r["kind"], r["name"]): r.get("action_hint") for r in plan.get("resources", [])}
    unchanged, expected = [], []

    def keep(kind, name, current, changes):
        if current is None or changes or hints.get((kind, name)) == "adopt":
            if current is not None:
                expected.append({"kind": kind, "name": name, "changed_fields": sorted(changes)})
            return True
        unchanged.append({"kind": kind, "name": name})
        return False

    iam = plan["iam"]
    roles_found = found.get("iam_role") or {}
    iam["run"] = {
        "roles": [
            r
            for r in iam["roles"]
            if keep("iam_role", r["name"], roles_found.get(r["name"]), _role_changes(r, roles_found.get(r["name"])))
        ],
        "instance_profiles": [
            p
            for p in iam["instance_profiles"]
            if keep(
                "iam_instance_profile",
                p["name"],
                (found.get("iam_instance_profile") or {}).get(p["name"]),
                compare.instance_profile_changes(p, (found.get("iam_instance_profile") or {}).get(p["name"]) or {}),
            )
        ],
        "policies": [
            p
            for p in iam["policies"]
            if keep(
                "iam_policy",
                f"{p['iam_name']}/{p['policy_name']}",
                roles_found.get(p["iam_name"]),
                compare.policy_changes(p, (roles_found.get(p["iam_name"]) or {}).get("inline_documents") or {}),
            )
        ],
    }
    secrets_found = found.get("secret") or {}
    plan["secrets"]["run"] = [
        s
        for s in plan["secrets"]["secrets"]
        if keep(
            "secret",
            s["secret_name"],
            secrets_found.get(s["secret_name"]),
            compare.secret_changes(s, secrets_found.get(s["secret_name"]) or {}),
        )
    ]
    log_group = plan["batch"]["log_group"]
    current = (found.get("log_group") or {}).get(log_group["log_group_name"])
    log_group["run"] = keep(
        "log_group", log_group["log_group_name"], current, compare.log_group_changes(log_group, current or {})
    )
    eventbridge = plan["eventbridge"]
    topics_found = found.get("alert_topic") or {}
    eventbridge["alert_topics"] = [
        t
        for t in eventbridge["alert_topics"]
        if keep(
            "alert_topic",
            t["name"],
            topics_found.get(t["name"]),
            compare.topic_changes(t, topics_found.get(t["name"]) or {}),
        )
    ]
    plan["unchanged"] = unchanged
    # What differs, as the plan saw it: the summary's fields where a module reports none (a secret's value).
    plan["expected_changes"] = expected


def _role_changes(role, current):
    return compare.role_changes(role, current) if current is not None else ["role"]


def _absent(names, **extra):
    return [{"name": name, **extra, "state": "absent"} for name in names]


def _module_runs(plan):
    """The entries each list module gets, in the order the role runs them (``run``): what the model wants, then
    what goes, where AWS allows both in one run (a queue, a job definition, a schedule, an alert rule); environments
    and scheduling policies go after the queues that use them. A destroy plan holds only what goes."""
    present = plan["state"] != "absent"
    batch, eventbridge = plan["batch"], plan["eventbridge"]
    delete = batch["delete"]
    batch["run"] = {
        "compute_environments": batch["compute_environments"] if present else [],
        "scheduling_policies": batch["scheduling_policies"] if present else [],
        "job_queues": (batch["job_queues"] if present else []) + _absent(delete["job_queues"]),
        "scheduling_policies_absent": _absent(delete["scheduling_policies"]),
        "compute_environments_absent": _absent(delete["compute_environments"]),
        "job_definitions": (batch["job_definitions"] if present else []) + _absent(delete["job_definitions"]),
    }
    eventbridge["run"] = {
        "schedules": (eventbridge["schedules"] if present else []) + eventbridge["delete"]["schedules"],
        "alert_rules": (eventbridge["alert_rules"] if present else [])
        + _absent(eventbridge["delete"]["alert_rules"], target_id="alerts-topic"),
    }


def _image_repository_deletions(plan, refreshed, problems):
    """Images are data: a repository that still holds some is deleted only with force_delete (the entry's, else
    batch_image_repositories_force_delete); otherwise the run is refused before any write, naming it."""
    names = plan["batch"]["delete"].get("image_repositories") or []
    model = {r["name"]: r for r in plan["batch"].get("image_repository_names", {}).values()}
    counts = refreshed["listed"].get("image_counts") or {}
    default = bool(plan["batch"].get("image_repositories_force_delete"))
    deletions = []
    for name in names:
        entry = model.get(name)
        force = entry["force_delete"] if entry else default
        images = counts.get(name, 0)
        if images and not force and problems is not None:
            where = entry["path"] if entry else "batch_image_repositories_force_delete"
            why = "destroy" if plan["state"] == "absent" else "prune"
            problems.add(
                where,
                f"ECR repository {name} still holds {images} image(s), which {why} would delete with it (images are "
                "data): remove them, or set force_delete: true on the entry (batch_image_repositories_force_delete: "
                "true for every repository, or -e batch_image_repositories_force_delete=true)",
            )
        deletions.append({"name": name, "force_delete": bool(force), "images": images})
    plan["batch"]["delete"]["image_repositories"] = deletions


def _deploy(plan, refreshed, check_mode):
    region = plan["stack"]["region"]
    orphans = plan["orphans"]
    prune = plan["options"]["prune"]
    kept = {kind: names for kind, names in orphans.items() if names and not prune[ROLE_OF_KIND[kind]]}
    if kept:
        described = "; ".join(f"{kind.replace('_', ' ')}: {', '.join(names)}" for kind, names in sorted(kept.items()))
        plan["warnings"].append(
            f"Tagged as members of stack {plan['stack']['name']} but not in the model "
            f"(deploy with -e prune=true to remove): {described}"
        )
    take = {kind: (names if prune[ROLE_OF_KIND[kind]] else []) for kind, names in orphans.items()}
    absent_secrets = [
        {"secret_name": s["secret_name"], "recovery_window_days": s["recovery_window_days"]}
        for s in plan["secrets"]["absent"]
        if _ours(refreshed, "secret", s["secret_name"], plan["stack"]["name"], plan["options"]["adopt"], region)
    ]
    window = plan["secrets"]["default_recovery_window_days"]
    plan["secrets"]["delete"] = absent_secrets + [
        {"secret_name": n, "recovery_window_days": window} for n in take["secret"]
    ]
    plan["iam"]["delete_roles"] = take["iam_role"]
    plan["iam"]["delete_instance_profiles"] = take["iam_role"]
    plan["batch"]["delete"] = {
        "job_queues": take["job_queue"],
        "scheduling_policies": take["scheduling_policy"],
        "compute_environments": take["compute_environment"],
        "job_definitions": take["job_definition"],
        "log_groups": take["log_group"],
        "image_repositories": take["image_repository"],
    }
    eventbridge = plan["eventbridge"]
    schedules = [s for s in eventbridge["absent_schedules"] if _exists(refreshed, "schedule", s["name"])]
    schedules += [{"name": n, "backend": "events", "state": "absent"} for n in take["schedule"]]
    alert_rules, topics = list(take["alert_rule"]), list(take["alert_topic"])
    if eventbridge["alerts"] is None:  # alerts switched off: the model's rule and topic go
        if _ours(refreshed, "alert_rule", eventbridge["alerts_rule_name"], plan["stack"]["name"], False, region):
            alert_rules.append(eventbridge["alerts_rule_name"])
        if _ours(refreshed, "alert_topic", eventbridge["alerts_topic_name"], plan["stack"]["name"], False, region):
            topics.append(eventbridge["alerts_topic_name"])
    eventbridge["delete"] = {
        "schedules": schedules,
        "alert_rules": sorted(set(alert_rules)),
        "topics": sorted(set(topics)),
    }
    # Check mode: what a module cannot predict without failing, the plan predicts.
    policies, predicted = [], []
    existing_roles = refreshed["found"].get("iam_role") or {}
    for policy in plan["iam"]["policies"]:
        if check_mode and existing_roles.get(policy["iam_name"]) is None:
            if policy["state"] == "present":
                predicted.append(
                    {
                        "kind": "iam_policy",
                        "name": f"{policy['iam_name']}/{policy['policy_name']}",
                        "action": "create",
                        "changed_fields": [],
                    }
                )
            continue
        policies.append(policy)
    # Inline policies on the stack's roles that the model does not have (left by an older model, or by the tool an
    # adopted role comes from, such as a Terraform "*" grant) are removed: the roles grant what the model says.
    wanted = {(p["iam_name"], p["policy_name"]) for p in plan["iam"]["policies"]}
    for name, info in sorted(existing_roles.items()):
        for policy_name in (info or {}).get("inline_policies") or []:
            if (name, policy_name) not in wanted:
                policies.append({"iam_name": name, "policy_name": policy_name, "policy_json": None, "state": "absent"})
    plan["iam"]["policies"] = policies
    log_group = plan["batch"]["log_group"]
    current = (refreshed["found"].get("log_group") or {}).get(log_group["log_group_name"])
    log_group["run_retention"] = log_group["retention"]
    if check_mode and current is not None and current.get("retention") != log_group["retention"]:
        # amazon.aws.cloudwatchlogs_log_group sets the retention even in check mode: it is left out, and predicted.
        log_group["run_retention"] = None
        predicted.append(
            {
                "kind": "log_group",
                "name": log_group["log_group_name"],
                "action": "update",
                "changed_fields": ["retention"],
            }
        )
    alerts = eventbridge["alerts"]
    # community.aws.sns_topic fails in check mode on a topic that does not exist and has a policy.
    if alerts is not None and check_mode and not _exists(refreshed, "alert_topic", alerts["topic"]["name"]):
        eventbridge["alert_topics"] = []
        predicted.append(
            {"kind": "alert_topic", "name": alerts["topic"]["name"], "action": "create", "changed_fields": []}
        )
    plan["predicted"] = predicted


def _destroy(plan, refreshed):
    """Everything of the model that is the stack's, and everything tagged as the stack's, in reverse order."""
    stack, adopt = plan["stack"]["name"], plan["options"]["adopt"]
    orphans = plan["orphans"]

    def owned(kind, names):
        keep = []
        for name in names:
            if _ours(refreshed, kind, name, stack, adopt, plan["stack"]["region"]):
                keep.append(name)
            elif _exists(refreshed, kind, name):
                plan["not_removed"].append(
                    {
                        "kind": kind,
                        "name": name,
                        "reason": _owner_reason(refreshed, kind, name, stack, plan["stack"]["region"]),
                    }
                )
        return keep

    eventbridge = plan["eventbridge"]
    model_schedules = eventbridge["schedules"] + eventbridge["absent_schedules"]
    schedules = [
        {"name": s["name"], "backend": s["backend"], "state": "absent"}
        for s in model_schedules
        if s["name"] in owned("schedule", [s["name"]])
    ]
    schedules += [
        {"name": n, "backend": "events", "state": "absent"}
        for n in orphans["schedule"]
        if n not in {s["name"] for s in schedules}
    ]
    eventbridge["delete"] = {
        "schedules": schedules,
        "alert_rules": sorted(set(owned("alert_rule", [eventbridge["alerts_rule_name"]]) + orphans["alert_rule"])),
        "topics": sorted(set(owned("alert_topic", [eventbridge["alerts_topic_name"]]) + orphans["alert_topic"])),
    }
    batch = plan["batch"]
    batch["delete"] = {
        "job_queues": sorted(set(owned("job_queue", [p["name"] for p in batch["job_queues"]]) + orphans["job_queue"])),
        "scheduling_policies": sorted(
            set(
                owned("scheduling_policy", [p["name"] for p in batch["scheduling_policies"]])
                + orphans["scheduling_policy"]
            )
        ),
        "compute_environments": sorted(
            set(
                owned("compute_environment", [p["name"] for p in batch["compute_environments"]])
                + orphans["compute_environment"]
            )
        ),
        "job_definitions": sorted(
            set(owned("job_definition", [p["name"] for p in batch["job_definitions"]]) + orphans["job_definition"])
        ),
        "log_groups": sorted(set(owned("log_group", [batch["log_group"]["log_group_name"]]) + orphans["log_group"])),
        "image_repositories": sorted(
            set(
                owned("image_repository", [r["name"] for r in batch["image_repositories"]])
                + orphans["image_repository"]
            )
        ),
    }
    secrets = plan["secrets"]
    window = secrets["default_recovery_window_days"]
    deletes = [
        {"secret_name": s["secret_name"], "recovery_window_days": s["recovery_window_days"]}
        for s in secrets["secrets"] + secrets["absent"]
        if s["secret_name"] in owned("secret", [s["secret_name"]])
    ]
    known = {d["secret_name"] for d in deletes}
    deletes += [{"secret_name": n, "recovery_window_days": window} for n in orphans["secret"] if n not in known]
    secrets["delete"] = deletes
    iam = plan["iam"]
    roles = owned("iam_role", [r["name"] for r in iam["roles"]])
    profiles = owned("iam_instance_profile", [p["name"] for p in iam["instance_profiles"]])
    iam["delete_roles"] = sorted(set(roles + orphans["iam_role"]))
    iam["delete_instance_profiles"] = sorted(set(profiles + orphans["iam_role"]))


def _owner_reason(refreshed, kind, name, stack, region):
    info = (refreshed["found"].get(kind) or {}).get(name) or {}
    owned, owner = ownership(info, kind, stack, region)
    if owned == "other":
        return f"belongs to {owner}"
    return "is not tagged as a member of this stack (destroy with -e adopt=true to remove it anyway)"
