# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The list modules' own reconciliation, in check mode on the controller, before any write.

The stack plan runs each Batch and EventBridge entry it would hand to a list module (``plan[...]["run"]``)
through the very step generators that module runs (``module_utils.reconcile``: the same rules, requests and
comparisons), in check mode, starting from what the refresh already described. An entry found unchanged leaves
the run list and is listed in ``plan["unchanged"]``: a no-change re-run then starts no module process at all.

An entry stays in its run list, to be decided by its module as before, whenever this pass is not sure: it
would change, it failed or warned here, it waits on AWS, or it names a resource of an earlier kind that
changes in this run (a queue of an environment being replaced, a schedule of a job definition getting a new
revision).
"""

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ondemand.batch.plugins.module_utils import alert_ensure, schedule_ensure
from ansible_collections.ondemand.batch.plugins.module_utils import compute_environment_ensure as ce_ensure
from ansible_collections.ondemand.batch.plugins.module_utils import job_definition as jd_utils
from ansible_collections.ondemand.batch.plugins.module_utils import job_queue_ensure as jq_ensure
from ansible_collections.ondemand.batch.plugins.module_utils import scheduling_policy as sp_utils
from ansible_collections.ondemand.batch.plugins.module_utils.alert import DEFAULT_TARGET_ID as ALERT_TARGET_ID
from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import (
    find_environment,
    replacement_name,
)
from ansible_collections.ondemand.batch.plugins.module_utils.events import rule_view
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue import find_queue
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context, drive
from ansible_collections.ondemand.batch.plugins.module_utils.schedule import DEFAULT_TARGET_ID as SCHEDULE_TARGET_ID
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.modules import argument_spec

# (plan part, run list, list module, summary kind, kind of module_utils), in the order the roles run them.
RUNS = (
    ("batch", "compute_environments", "compute_environments", "compute_environment", ce_ensure.KIND),
    ("batch", "scheduling_policies", "scheduling_policies", "scheduling_policy", sp_utils.KIND),
    ("batch", "job_queues", "job_queues", "job_queue", jq_ensure.KIND),
    ("batch", "job_definitions", "job_definitions", "job_definition", jd_utils.KIND),
    ("eventbridge", "schedules", "job_schedules", "schedule", schedule_ensure.KIND),
    ("eventbridge", "alert_rules", "job_alerts", "alert_rule", alert_ensure.KIND),
)


def _name(reference):
    """The name in a name, a ``name:revision`` or an ARN (``.../job-queue/q``, ``.../job-definition/d:3``)."""
    if not isinstance(reference, str):
        return None
    if reference.startswith("arn:"):
        reference = reference.rsplit("/", 1)[-1]
    return reference.split(":", 1)[0]


def references(kind, entry):
    """``{(kind, name)}`` an entry names of the kinds reconciled before it."""
    found = set()
    if kind == "job_queue":
        for environment in entry.get("compute_environments") or []:
            identifier = environment.get("compute_environment") if isinstance(environment, dict) else environment
            found.add(("compute_environment", _name(identifier)))
        if entry.get("scheduling_policy"):
            found.add(("scheduling_policy", _name(entry["scheduling_policy"])))
    elif kind == "schedule":
        found.add(("job_queue", _name(entry.get("job_queue"))))
        found.add(("job_definition", _name(entry.get("job_definition"))))
    elif kind == "alert_rule":
        found.update(("job_queue", _name(queue)) for queue in entry.get("job_queues") or [])
    return found


def currents(kind, entries, described):
    """``{name: current}`` of the entries in the form ``kind.read`` gives, from the refresh's Describe entries;
    None when the refresh did not describe that kind (the kind then reads for itself)."""
    names = [entry["name"] for entry in entries]
    if kind == "compute_environment" and "compute_environment" in described:
        found = described["compute_environment"]
        return {n: (find_environment(found, n), find_environment(found, replacement_name(n))) for n in names}
    if kind == "job_queue" and "job_queue" in described:
        return {n: find_queue(described["job_queue"], n) for n in names}
    if kind == "scheduling_policy" and "scheduling_policy" in described:
        by_name = {policy["name"]: policy for policy in described["scheduling_policy"]}
        return {n: by_name.get(n) for n in names}
    if kind == "job_definition" and "job_definition" in described:
        revisions = {}
        for definition in described["job_definition"]:  # the ACTIVE ones: all a "none" depends on
            revisions.setdefault(definition["jobDefinitionName"], []).append(definition)
        return {n: sorted(revisions.get(n, []), key=lambda d: d["revision"], reverse=True) for n in names}
    if kind == "schedule":
        return _schedule_currents(entries, described)
    if kind == "alert_rule":
        rules = described.get("rule") or {}
        if not all(n in rules for n in names):
            return None
        return {e["name"]: _rule_current(rules[e["name"]], e.get("target_id") or ALERT_TARGET_ID) for e in entries}
    return None


def _rule_current(described_rule, target_id):
    """What ``events.read_rule`` returns, from the refresh's answer for the rule."""
    if described_rule is None:
        return None, None, [], {}
    return rule_view(described_rule["rule"], described_rule["targets"], target_id, described_rule["tags"])


def _schedule_currents(entries, described):
    found = {}
    for entry in entries:
        backend = entry.get("backend") or "events"
        source = described.get("schedule" if backend == "scheduler" else "rule") or {}
        if entry["name"] not in source or (backend == "scheduler" and (entry.get("group") or "default") != "default"):
            return None
        if backend == "scheduler":
            found[entry["name"]] = source[entry["name"]]
        else:
            found[entry["name"]] = _rule_current(source[entry["name"]], entry.get("target_id") or SCHEDULE_TARGET_ID)
    return found


def _seed_lookups(ctx, described):
    """What the kinds look up of each other (a queue's environments, an environment's queues, a schedule's queue
    and job definition), filled from the refresh's listings instead of read again."""
    environments = described.get("compute_environment")
    if environments is not None:
        known = ctx.cached(jq_ensure.ENVIRONMENT_CACHE, dict)
        for detail in environments:
            known[detail["computeEnvironmentName"]] = known[detail["computeEnvironmentArn"]] = detail
    queues = described.get("job_queue")
    if queues is not None:
        ctx.cached(ce_ensure.QUEUES_CACHE, lambda: list(queues))
        known = ctx.cached(schedule_ensure.QUEUES_CACHE, dict)
        for detail in queues:
            known[detail["jobQueueName"]] = known[detail["jobQueueArn"]] = detail
    policies = described.get("scheduling_policy")
    if policies is not None:
        ctx.cached(jq_ensure.POLICY_CACHE, lambda: [policy["arn"] for policy in policies])
    definitions = described.get("job_definition")
    if definitions is not None:
        known = ctx.cached(schedule_ensure.DEFINITIONS_CACHE, dict)
        known.update(dict.fromkeys({d["jobDefinitionName"] for d in definitions}, True))


def normalized(module, list_key, entries):
    """The entries as the list module sees them once AnsibleModule applied its argument spec (defaults)."""
    result = ArgumentSpecValidator(argument_spec(module)).validate({list_key: entries})
    if result.error_messages:
        return None
    return result.validated_parameters[list_key]


def skip_unchanged(plan, described, clients, region):
    """Drop from the plan's run lists every entry the list module would leave as it is; list them as unchanged.

    ``clients`` is ``{service: retrying client}`` (the plan's); ``described`` the refresh's Describe entries.
    Returns how many entries were found unchanged.
    """
    ctx = Context(lambda service: clients[service], region=region, check_mode=True, wait_options={"timeout": 0})
    _seed_lookups(ctx, described)
    changing = set()  # (kind, name) of entries that stay in a run list
    skipped = 0
    for part, run_key, module, kind_name, kind in RUNS:
        run = plan[part]["run"]
        entries = run.get(run_key) or []
        present = [e for e in entries if e.get("state", "present") == "present"]
        changing.update((kind_name, e["name"]) for e in entries if e not in present)
        unchanged = _unchanged_names(ctx, kind_name, kind, module, present, described, changing)
        changing.update((kind_name, e["name"]) for e in present if e["name"] not in unchanged)
        if unchanged:
            run[run_key] = [e for e in entries if e not in present or e["name"] not in unchanged]
            plan.setdefault("unchanged", []).extend({"kind": kind_name, "name": n} for n in sorted(unchanged))
            skipped += len(unchanged)
    return skipped


def _unchanged_names(ctx, kind_name, kind, module, entries, described, changing):
    candidates = [e for e in entries if not references(kind_name, e) & changing]
    if not candidates:
        return set()
    params = normalized(module, kind.list_key, candidates)
    if params is None:
        return set()  # the module reports it
    try:
        found = currents(kind_name, params, described)
        if found is None:
            found = kind.read(ctx, params)
        contexts = {e["name"]: ctx.for_entry(f"{kind.list_key}[{e['name']}]") for e in params}
        steps = {e["name"]: kind.step(contexts[e["name"]], e, found.get(e["name"])) for e in params}
        warned = len(ctx.warnings)
        results, errors, _planning = drive(ctx, steps, plan_first=False)
    except Exception:  # noqa: BLE001 - any surprise: the modules decide, as they did before this pass
        return set()
    noisy = {warning.split(":", 1)[0] for warning in ctx.warnings[warned:]}  # labelled "job_queues[q]: ..."
    return {
        name
        for name, sub in contexts.items()
        if name in results
        and name not in errors
        and sub.report.get("action", "none") == "none"
        and not results[name][0]
        and f"{kind.list_key}[{name}]" not in noisy
    }
