# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fair-share scheduling policies: find by name, compare, create, update in place, tag and delete.

Batch looks scheduling policies up by ARN only; ListSchedulingPolicies returns ARNs, whose last path
element is the name. A policy's fair-share settings are compared in canonical form: AWS's defaults
(compute reservation 0, share decay 0, weight factor 1.0) filled in and share identifiers sorted.
"""

import copy
import re

from ansible_collections.ondemand.batch.plugins.module_utils.common import paginate_items
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchError,
    BatchErrorHandler,
)
from ansible_collections.ondemand.batch.plugins.module_utils.tagging import ensure_tags, resulting_tags
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
def queues_using(client, arn):
    """Names of the job queues whose scheduling policy is ``arn``."""
    queues = paginate_items(client.describe_job_queues, "jobQueues")
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


def ensure_present(
    client, name, fairshare_policy, tags=None, purge_tags=True, check_mode=False, caller_identity=None, region=None
):
    """Create the policy or update it in place. Returns ``(changed, result, diff)``; no write in check mode."""
    existing = get_policy(client, name)
    desired = normalize_fairshare_policy(fairshare_policy)
    if existing is None:
        final_tags = resulting_tags({}, tags, purge_tags)
        if check_mode:
            identity = caller_identity()
            partition = identity["Arn"].split(":")[1] if identity.get("Arn") else "aws"
            arn = f"arn:{partition}:batch:{region}:{identity['Account']}:scheduling-policy/{name}"
        else:
            arn = create_policy(client, name, desired, final_tags)["arn"]
        result = to_result(name, arn, desired, final_tags)
        return True, result, {"before": {}, "after": copy.deepcopy(result)}

    arn = existing["arn"]
    current_tags = dict(existing.get("tags") or {})
    before = to_result(name, arn, existing.get("fairsharePolicy"), current_tags)
    changed = False
    if normalize_fairshare_policy(existing.get("fairsharePolicy")) != desired:
        if not check_mode:
            update_policy(client, arn, desired)
        changed = True
    changed = ensure_tags(client, arn, current_tags, tags, purge_tags, check_mode) or changed
    result = to_result(name, arn, desired, resulting_tags(current_tags, tags, purge_tags))
    return changed, result, {"before": before, "after": copy.deepcopy(result)}


def ensure_absent(client, name, check_mode=False):
    """Delete the policy unless a job queue still uses it (AWS refuses; the error names the queues).

    Returns ``(changed, diff)``; no write in check mode (which reports the same refusal).
    """
    existing = get_policy(client, name)
    if existing is None:
        return False, {"before": {}, "after": {}}
    before = describe_result(existing)
    users = queues_using(client, existing["arn"])
    if users:
        raise BatchError(
            message=(
                f"Cannot delete scheduling policy {name}: job queue(s) {', '.join(users)} still use it. "
                "Delete those queues or give them another scheduling policy first."
            )
        )
    if not check_mode:
        delete_policy(client, existing["arn"])
    return True, {"before": before, "after": {}}
