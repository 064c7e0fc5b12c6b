# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fair-share scheduling policies: find by name, compare, create, update in place, tag and delete.

Batch looks scheduling policies up by ARN only; ListSchedulingPolicies returns ARNs, whose last path
element is the name. A policy's fair-share settings are compared in canonical form: AWS's defaults
(compute reservation 0, share decay 0, weight factor 1.0) filled in and share identifiers sorted.
"""

import re

from ansible_collections.ondemand.batch.plugins.module_utils.common import paginate_items
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchError,
    BatchErrorHandler,
)
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import MISSING, PLANNED, Kind, run_one
from ansible_collections.ondemand.batch.plugins.module_utils.tagging import ensure_tags, resulting_tags, tag_changes
from ansible_collections.ondemand.batch.plugins.module_utils.validation import (
    collects_problems,
    validate_max_items,
    validate_name,
    validate_range,
)

MAX_SHARE_DECAY_SECONDS = 604800
MAX_COMPUTE_RESERVATION = 99
MIN_WEIGHT_FACTOR = 0.0001
MAX_WEIGHT_FACTOR = 999.9999
DEFAULT_WEIGHT_FACTOR = 1.0
MAX_SHARE_IDENTIFIERS = 500
SHARE_IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9]{1,255}\*?\Z")
DESCRIBE_BATCH = 100


# --------------------------------------------------------------------------------------------- input


def build_fairshare_policy(share_decay_seconds=None, compute_reservation=None, share_distribution=None):
    """The API's fairsharePolicy from the module's options (unset options take AWS's defaults)."""
    policy = {
        "shareDecaySeconds": share_decay_seconds or 0,
        "computeReservation": compute_reservation or 0,
        "shareDistribution": [],
    }
    for share in share_distribution or []:
        entry = {"shareIdentifier": share["share_identifier"]}
        if share.get("weight_factor") is not None:
            entry["weightFactor"] = float(share["weight_factor"])
        policy["shareDistribution"].append(entry)
    return policy


@collects_problems
def validate_policy(name, share_decay_seconds=None, compute_reservation=None, share_distribution=None, problems=None):
    """Every rule checkable without AWS, each (parameter, rule) added to ``problems`` (raised without)."""
    with problems.rule():
        validate_name("name", name)
    with problems.rule():
        validate_range("share_decay_seconds", share_decay_seconds, 0, MAX_SHARE_DECAY_SECONDS)
    with problems.rule():
        validate_range("compute_reservation", compute_reservation, 0, MAX_COMPUTE_RESERVATION)
    with problems.rule():
        validate_max_items("share_distribution", share_distribution, MAX_SHARE_IDENTIFIERS)
    seen = set()
    for index, share in enumerate(share_distribution or []):
        identifier = share.get("share_identifier")
        field = f"share_distribution[{index}].share_identifier"
        if not isinstance(identifier, str) or not SHARE_IDENTIFIER_RE.match(identifier):
            problems.add(field, f"must be 1-255 letters and digits, optionally ending with '*' (got {identifier!r})")
            continue
        if identifier in seen:
            problems.add(field, f"{identifier!r} is listed more than once")
        seen.add(identifier)
        with problems.rule():
            validate_range(
                f"share_distribution[{index}].weight_factor",
                share.get("weight_factor"),
                MIN_WEIGHT_FACTOR,
                MAX_WEIGHT_FACTOR,
            )
    # A prefix ("team*") must not overlap another identifier it matches ("team1", "teamA*").
    prefixes = sorted(i[:-1] for i in seen if i.endswith("*"))
    for prefix in prefixes:
        for identifier in sorted(seen):
            if identifier != prefix + "*" and identifier.startswith(prefix):
                problems.add("share_distribution", f"share identifiers {prefix + '*'!r} and {identifier!r} overlap")


# --------------------------------------------------------------------------------------------- normalisation


def normalize_fairshare_policy(policy):
    """Canonical fairsharePolicy: defaults filled in, share identifiers sorted, weights as floats."""
    policy = policy or {}
    shares = [
        {
            "shareIdentifier": share["shareIdentifier"],
            "weightFactor": float(
                share.get("weightFactor") if share.get("weightFactor") is not None else DEFAULT_WEIGHT_FACTOR
            ),
        }
        for share in policy.get("shareDistribution") or []
    ]
    return {
        "shareDecaySeconds": int(policy.get("shareDecaySeconds") or 0),
        "computeReservation": int(policy.get("computeReservation") or 0),
        "shareDistribution": sorted(shares, key=lambda share: share["shareIdentifier"]),
    }


def to_result(name, arn, fairshare_policy, tags):
    """The snake_case result of a scheduling policy (tags kept as written)."""
    policy = normalize_fairshare_policy(fairshare_policy)
    return {
        "name": name,
        "arn": arn,
        "fairshare_policy": {
            "share_decay_seconds": policy["shareDecaySeconds"],
            "compute_reservation": policy["computeReservation"],
            "share_distribution": [
                {"share_identifier": s["shareIdentifier"], "weight_factor": s["weightFactor"]}
                for s in policy["shareDistribution"]
            ],
        },
        "tags": dict(tags or {}),
    }


def describe_result(policy):
    """Result form of a DescribeSchedulingPolicies entry."""
    return to_result(policy["name"], policy["arn"], policy.get("fairsharePolicy"), policy.get("tags"))


def name_from_arn(arn):
    return arn.rsplit("/", 1)[-1]


# --------------------------------------------------------------------------------------------- AWS calls


@BatchErrorHandler.list_error_handler("list scheduling policies", [])
def list_policy_arns(client):
    return [entry["arn"] for entry in paginate_items(client.list_scheduling_policies, "schedulingPolicies")]


@BatchErrorHandler.list_error_handler("describe scheduling policies", [])
def describe_policies(client, arns):
    policies = []
    for index in range(0, len(arns), DESCRIBE_BATCH):
        response = client.describe_scheduling_policies(arns=arns[index : index + DESCRIBE_BATCH], aws_retry=True)
        policies.extend(response.get("schedulingPolicies") or [])
    return policies


def find_policies(client, names=None):
    """Policies for names or ARNs (every policy when ``names`` is empty), sorted by name."""
    names = list(names or [])
    arns = [n for n in names if n.startswith("arn:")]
    wanted = {n for n in names if not n.startswith("arn:")}
    if wanted or not names:
        arns.extend(arn for arn in list_policy_arns(client) if not names or name_from_arn(arn) in wanted)
    arns = list(dict.fromkeys(arns))
    if not arns:
        return []
    return sorted(describe_policies(client, arns), key=lambda p: p["name"])


def get_policy(client, name):
    found = find_policies(client, [name])
    return found[0] if found else None


@BatchErrorHandler.list_error_handler("describe job queues", [])
def all_job_queues(client):
    return paginate_items(client.describe_job_queues, "jobQueues")


def queues_using(queues, arn):
    """Names of the job queues whose scheduling policy is ``arn``."""
    return sorted(q["jobQueueName"] for q in queues if q.get("schedulingPolicyArn") == arn)


@BatchErrorHandler.common_error_handler("create scheduling policy")
def create_policy(client, name, fairshare_policy, tags):
    kwargs = {"name": name, "fairsharePolicy": fairshare_policy}
    if tags:
        kwargs["tags"] = dict(tags)
    return client.create_scheduling_policy(aws_retry=True, **kwargs)


@BatchErrorHandler.common_error_handler("update scheduling policy")
def update_policy(client, arn, fairshare_policy):
    client.update_scheduling_policy(arn=arn, fairsharePolicy=fairshare_policy, aws_retry=True)


@BatchErrorHandler.deletion_error_handler("delete scheduling policy")
def delete_policy(client, arn):
    client.delete_scheduling_policy(arn=arn, aws_retry=True)
    return True


# --------------------------------------------------------------------------------------------- ensure

FIELD_OPTIONS = {
    "shareDecaySeconds": "share_decay_seconds",
    "computeReservation": "compute_reservation",
    "shareDistribution": "share_distribution",
}


def read_policies(ctx, names):
    """``{name: DescribeSchedulingPolicies entry or None}``: one paginated ListSchedulingPolicies, then one
    DescribeSchedulingPolicies per 100 policies found."""
    found = {policy["name"]: policy for policy in find_policies(ctx.batch, names)} if names else {}
    return {name: found.get(name) for name in names}


def _fairshare_policy(desired):
    return build_fairshare_policy(
        desired.get("share_decay_seconds"), desired.get("compute_reservation"), desired.get("share_distribution")
    )


def _changed_fields(desired, current):
    return [option for key, option in FIELD_OPTIONS.items() if desired.get(key) != (current or {}).get(key)]


def present_steps(ctx, name, desired, current=MISSING):
    """Create the policy or update it in place. Returns ``(changed, before, after)`` (results, None when missing);
    no write in check mode. ``current`` is the DescribeSchedulingPolicies entry (None when missing) or MISSING."""
    validate_policy(
        name, desired.get("share_decay_seconds"), desired.get("compute_reservation"), desired.get("share_distribution")
    )
    tags, purge_tags = desired.get("tags"), desired.get("purge_tags", True)
    existing = get_policy(ctx.batch, name) if current is MISSING else current
    wanted = normalize_fairshare_policy(_fairshare_policy(desired))
    if existing is None:
        final_tags = resulting_tags({}, tags, purge_tags)
        ctx.plan("create", list(FIELD_OPTIONS.values()) + (["tags"] if final_tags else []))
        if ctx.check_mode:
            arn = f"{ctx.arn_prefix('batch')}:scheduling-policy/{name}"
        else:
            yield PLANNED
            arn = create_policy(ctx.batch, name, wanted, final_tags)["arn"]
        return True, None, to_result(name, arn, wanted, final_tags)

    arn = existing["arn"]
    current_tags = dict(existing.get("tags") or {})
    before = to_result(name, arn, existing.get("fairsharePolicy"), current_tags)
    fields = _changed_fields(wanted, normalize_fairshare_policy(existing.get("fairsharePolicy")))
    to_set, to_unset = tag_changes(current_tags, tags, purge_tags)
    if to_set or to_unset:
        fields.append("tags")
    ctx.plan("update" if fields else "none", fields)
    if fields and not ctx.check_mode:
        yield PLANNED
        if any(field != "tags" for field in fields):
            update_policy(ctx.batch, arn, wanted)
        ensure_tags(ctx.batch, arn, current_tags, tags, purge_tags)
    return bool(fields), before, to_result(name, arn, wanted, resulting_tags(current_tags, tags, purge_tags))


def absent_steps(ctx, name, desired=None, current=MISSING):
    """Delete the policy unless a job queue still uses it (AWS refuses; the error names the queues).

    Returns ``(changed, before, None)``; no write in check mode (which reports the same refusal).
    """
    desired = desired or {}
    validate_policy(
        name, desired.get("share_decay_seconds"), desired.get("compute_reservation"), desired.get("share_distribution")
    )
    existing = get_policy(ctx.batch, name) if current is MISSING else current
    if existing is None:
        ctx.plan("none")
        return False, None, None
    before = describe_result(existing)
    users = queues_using(ctx.cached("scheduling_policy:job_queues", lambda: all_job_queues(ctx.batch)), existing["arn"])
    if users:
        raise BatchError(
            message=(
                f"Cannot delete scheduling policy {name}: job queue(s) {', '.join(users)} still use it. "
                "Delete those queues or give them another scheduling policy first."
            )
        )
    ctx.plan("delete", list(FIELD_OPTIONS.values()) + (["tags"] if before["tags"] else []))
    if not ctx.check_mode:
        yield PLANNED
        delete_policy(ctx.batch, existing["arn"])
    return True, before, None


def ensure_present(ctx, name, desired, current=MISSING):
    """Create or update the policy. Returns (changed, before, after)."""
    return run_one(ctx, present_steps(ctx, name, desired, current))


def ensure_absent(ctx, name, desired=None, current=MISSING):
    """Delete the policy. Returns (changed, before, None)."""
    return run_one(ctx, absent_steps(ctx, name, desired, current))


def static_problems(entry, problems):
    validate_policy(
        entry["name"],
        entry.get("share_decay_seconds"),
        entry.get("compute_reservation"),
        entry.get("share_distribution"),
        problems=problems,
    )


def read_entries(ctx, entries):
    return read_policies(ctx, [entry["name"] for entry in entries])


KIND = Kind(
    result_key="scheduling_policy",
    list_key="scheduling_policies",
    present=present_steps,
    absent=absent_steps,
    read=read_entries,
    view=lambda result: result or {},
    validate=static_problems,
)
