#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_queue
short_description: Manage AWS Batch job queues
version_added: 0.1.0
description:
  - Create, update and delete AWS Batch job queues that send jobs to compute environments.
  - Priority, state, the compute environments and their order, a fair-share scheduling policy that replaces
    another one, and the job state time limit actions are changed in place with C(UpdateJobQueue).
  - AWS cannot add a fair-share scheduling policy to a FIFO queue (created without one) nor remove one
    from a queue; such a change fails before anything is written unless O(replace=true).
  - Options that are not set are left as they are on an existing queue.
author:
  - ondemand.batch contributors (@ondemand)
options:
  name:
    description:
      - Name of the job queue, 1 to 128 letters, digits, hyphens and underscores.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the queue, V(absent) deletes it.
      - Deleting disables the queue, waits for that, deletes it and waits until it is gone.
    type: str
    choices: [present, absent]
    default: present
  priority:
    description:
      - Priority of the queue among the queues that share a compute environment; higher is scheduled first.
      - Required to create a queue.
    type: int
  compute_environments:
    description:
      - Compute environments the queue uses, by name or ARN, in order of preference (the first is tried first).
      - One to three items, all EC2/SPOT or all FARGATE/FARGATE_SPOT; AWS does not let a queue mix them.
      - When they differ from the queue's (or the queue is new), they are looked up with one
        C(DescribeComputeEnvironments) call before anything is written, and an INVALID one is refused. When they
        are the queue's own, in the same order (a name counts as the environment whose ARN ends with it), there
        is no look-up, so a no-change run makes one call, C(DescribeJobQueues).
      - AWS associates only VALID compute environments with a queue, so when the queue is created, or its
        environments are changed, while one of them is still CREATING or UPDATING (for example made by
        M(ondemand.batch.compute_environment) with O(ondemand.batch.compute_environment#module:wait=false)), the
        module waits until it is VALID before writing, whatever O(wait) says. No wait and no extra call otherwise.
      - Required to create a queue.
    type: list
    elements: str
  scheduling_policy:
    description:
      - Fair-share scheduling policy, by name or ARN. A name is resolved with C(ListSchedulingPolicies).
      - An empty string asks for no policy (a FIFO queue).
      - A FIFO queue cannot get a policy and a fair-share queue cannot lose its policy in place; see O(replace).
    type: str
  job_state_time_limit_actions:
    description:
      - Actions Batch takes on jobs that stay at the head of the queue in a state for too long.
      - An empty list removes all of them.
    type: list
    elements: dict
    suboptions:
      reason:
        description: Reason logged when the action is taken.
        type: str
        required: true
      state:
        description: State of the job that triggers the action.
        type: str
        choices: [RUNNABLE]
        default: RUNNABLE
      max_time_seconds:
        description: Seconds (600 to 86400) a job may stay in O(job_state_time_limit_actions[].state).
        type: int
        required: true
      action:
        description: What to do with the job.
        type: str
        choices: [CANCEL]
        default: CANCEL
  job_queue_state:
    description:
      - Whether the queue accepts new jobs (V(ENABLED)) or not (V(DISABLED)).
    type: str
    choices: [ENABLED, DISABLED]
    default: ENABLED
  replace:
    description:
      - When the scheduling policy must be added to or removed from an existing queue, delete the queue
        (disable, wait, delete, wait until gone) and create it again with the same name, and so the same ARN.
      - Jobs still in the old queue are cancelled by AWS with it. Without O(replace) such a change fails.
    type: bool
    default: false
  wait:
    description:
      - Wait until the queue is VALID after a creation or an update, and until it is gone after a deletion.
        A queue that turns INVALID fails the task with the reason AWS gives.
      - Disabling before a deletion and replacing always wait.
      - Waiting polls C(DescribeJobQueues) first 0.2 seconds after the write, then 1.5 times later each time, at most
        every 15 seconds.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each step.
    type: int
    default: 600
notes:
  - Check mode makes no change and reports what a real run would, creation included. A compute environment or
    scheduling policy that does not exist yet is only a warning in check mode (an earlier task that check mode
    skipped may create it); a real run fails on it before writing anything.
  - Needs C(batch:DescribeJobQueues), C(batch:DescribeComputeEnvironments), C(batch:CreateJobQueue),
    C(batch:UpdateJobQueue), C(batch:DeleteJobQueue), C(batch:TagResource), C(batch:UntagResource),
    C(batch:ListSchedulingPolicies) for policy names, and C(sts:GetCallerIdentity) in check mode when no
    compute environment exists yet to tell the account.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create a job queue that uses two compute environments, Spot first
  ondemand.batch.job_queue:
    name: dev-carbon-jq
    priority: 10
    compute_environments:
      - dev-carbon-spot-ce
      - dev-carbon-ce
    job_state_time_limit_actions:
      - reason: No capacity for 30 minutes
        max_time_seconds: 1800
    tags:
      stack: dev-carbon

- name: Create a fair-share queue
  ondemand.batch.job_queue:
    name: dev-carbon-fair-jq
    priority: 1
    compute_environments:
      - arn:aws:batch:eu-west-1:123456789012:compute-environment/dev-carbon-ce
    scheduling_policy: dev-carbon-fair-share

- name: Stop accepting jobs
  ondemand.batch.job_queue:
    name: dev-carbon-jq
    job_queue_state: DISABLED

- name: Delete the queue
  ondemand.batch.job_queue:
    name: dev-carbon-jq
    state: absent
"""

RETURN = r"""
job_queue:
  description:
    - The job queue as DescribeJobQueues reports it, in snake_case.
    - In check mode, the predicted queue. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    job_queue_name:
      description: Name of the queue.
      type: str
      returned: when the queue exists
      sample: dev-carbon-jq
    job_queue_arn:
      description: ARN of the queue.
      type: str
      returned: when the queue exists
      sample: arn:aws:batch:eu-west-1:123456789012:job-queue/dev-carbon-jq
    state:
      description: V(ENABLED) or V(DISABLED).
      type: str
      returned: when the queue exists
      sample: ENABLED
    status:
      description: Status, for example V(CREATING), V(UPDATING) or V(VALID).
      type: str
      returned: when the queue exists
      sample: VALID
    status_reason:
      description: Details about the status.
      type: str
      returned: when AWS reports it
      sample: JobQueue Healthy
    priority:
      description: Priority of the queue.
      type: int
      returned: when the queue exists
      sample: 10
    compute_environment_order:
      description: Compute environments of the queue, sorted by C(order).
      type: list
      elements: dict
      returned: when the queue exists
      contains:
        order:
          description: Position; lower is tried first.
          type: int
          sample: 1
        compute_environment:
          description: ARN of the compute environment.
          type: str
          sample: arn:aws:batch:eu-west-1:123456789012:compute-environment/dev-carbon-ce
    scheduling_policy_arn:
      description: ARN of the fair-share scheduling policy.
      type: str
      returned: when the queue has one
      sample: arn:aws:batch:eu-west-1:123456789012:scheduling-policy/dev-carbon-fair-share
    job_state_time_limit_actions:
      description: Job state time limit actions (C(reason), C(state), C(max_time_seconds), C(action)).
      type: list
      elements: dict
      returned: when the queue has some
      sample: [{reason: No capacity for 30 minutes, state: RUNNABLE, max_time_seconds: 1800, action: CANCEL}]
    job_queue_type:
      description: Type of the queue, for example V(ECS) or V(ECS_FARGATE).
      type: str
      returned: when AWS reports it
      sample: ECS
    tags:
      description: Tags of the queue, keys unchanged.
      type: dict
      returned: always
      sample: {stack: dev-carbon}
"""

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import (  # noqa: E402
    caller_account,
    resource_name,
    wait_for_compute_environment,
)
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (  # noqa: E402
    BatchError,
    BatchValidationError,
)
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue import (  # noqa: E402
    create_job_queue,
    create_queue_request,
    current_queue_options,
    delete_queue,
    describe_job_queue,
    normalize_job_queue,
    ordered_environment_arns,
    predicted_queue_detail,
    queue_differences,
    queue_replacement_reasons,
    resolve_compute_environments,
    resolve_scheduling_policy,
    update_job_queue,
    update_queue_request,
    validate_queue_options,
    wait_for_job_queue,
    wait_for_job_queue_deleted,
    wait_queue_settled,
)
from ansible_collections.ondemand.batch.plugins.module_utils.tagging import ensure_tags, resulting_tags  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.validation import is_arn, validate_name  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.waiters import SETTLING_STATUSES  # noqa: E402

CHECK_MODE_ASSUMES = "check mode assumes an earlier task creates it"
OPTIONS = ("priority", "compute_environments", "scheduling_policy", "job_state_time_limit_actions", "job_queue_state")


class Context:
    """What the helpers need from the module run: the Batch client, check mode and wait settings."""

    def __init__(self, client, region=None, check_mode=False, wait=True, wait_options=None, sts=None, warn=None):
        self.client = client
        self.region = region
        self.check_mode = check_mode
        self.wait = wait
        self.wait_options = wait_options or {}
        self.warnings = []
        self._warn = warn
        self._sts = sts
        self._account = None

    def warn(self, message):
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def arn_prefix(self, known_arns=()):
        """``arn:<partition>:batch:<region>:<account>``: from a Batch ARN already known, else STS."""
        for arn in known_arns:
            if arn:
                return arn.rsplit(":", 1)[0]
        if self._account is None:
            if callable(self._sts):
                self._sts = self._sts()
            self._account = caller_account(self._sts)
        partition, account = self._account
        return f"arn:{partition}:batch:{self.region}:{account}"


def lookup(ctx, name):
    """The queue by name, after waiting out a deletion in progress."""
    detail = describe_job_queue(ctx.client, name)
    if detail is not None and detail.get("status") == "DELETING":
        if not ctx.check_mode:
            wait_for_job_queue_deleted(ctx.client, detail["jobQueueArn"], name, ctx.wait_options)
        return None
    return detail


def resolve_environments(ctx, identifiers):
    """(ARNs of the environments in order, the entries of those still CREATING/UPDATING); refuses INVALID ones.

    Reads only, and no waiting: ``settle_environments`` waits, and only before a write that needs it.
    In check mode an unknown environment (an earlier task that check mode skipped may create it) is a
    warning and its ARN is predicted (an ARN given is kept; a name gets the account of the other
    environments, or of STS when none exists); a real run fails.
    """
    details = resolve_compute_environments(ctx.client, identifiers, allow_missing=ctx.check_mode)
    known = [detail["computeEnvironmentArn"] for detail in details if detail is not None]
    arns, settling = [], []
    for index, detail in enumerate(details):
        identifier = identifiers[index]
        if detail is None:
            ctx.warn(f"compute_environments: no compute environment named {identifier}; {CHECK_MODE_ASSUMES}")
            arns.append(
                identifier if is_arn(identifier) else f"{ctx.arn_prefix(known)}:compute-environment/{identifier}"
            )
            continue
        if detail.get("status") == "INVALID":
            raise BatchValidationError(
                "compute_environments",
                f"compute environment {detail['computeEnvironmentName']} is INVALID: {detail.get('statusReason')}",
            )
        if detail.get("status") in SETTLING_STATUSES:
            settling.append(detail)
        arns.append(detail["computeEnvironmentArn"])
    return arns, settling


def settle_environments(ctx, settling):
    """Before a write that associates environments with the queue: wait until those still CREATING/UPDATING
    are VALID (AWS associates only VALID ones). One that turns INVALID fails with AWS's statusReason."""
    for detail in settling:
        wait_for_compute_environment(
            ctx.client, detail["computeEnvironmentArn"], detail["computeEnvironmentName"], ctx.wait_options
        )


def same_environments(current_arns, identifiers):
    """Whether names/ARNs ``identifiers`` are the queue's environments ``current_arns``, in the same order.

    Names are unique per account and Region, and a queue can only use environments of its own, so a
    name equal to the last part of the ARN is that environment.
    """
    if len(current_arns) != len(identifiers):
        return False
    return all(
        identifier == (current_arns[index] if is_arn(identifier) else resource_name(current_arns[index]))
        for index, identifier in enumerate(identifiers)
    )


def resolve_desired(ctx, current, desired):
    """(wanted options with environments and the scheduling policy as ARNs, environments still settling).

    The environments are looked up only when they differ from the queue's: otherwise "still settling" is
    None (not known), and a replacement, which associates them again, looks them up itself.

    Reads only.
    """
    resolved, settling = dict(desired), None
    environments = desired.get("compute_environments")
    current_arns = ordered_environment_arns(current) if current else []
    if environments is not None and same_environments(current_arns, environments):
        # The queue already has exactly these environments: no look-up (a no-change re-run is one read).
        resolved["compute_environments"] = current_arns
    elif environments is not None:
        resolved["compute_environments"], settling = resolve_environments(ctx, environments)
    policy = desired.get("scheduling_policy")
    current_policy = (current or {}).get("schedulingPolicyArn")
    if policy and not is_arn(policy) and current_policy and resource_name(current_policy) == policy:
        # The name of the current policy needs no look-up.
        resolved["scheduling_policy"] = current_policy
    else:
        resolved["scheduling_policy"] = resolve_scheduling_policy(ctx.client, policy, allow_missing=ctx.check_mode)
        if policy and resolved["scheduling_policy"] is None:
            ctx.warn(f"scheduling_policy: no scheduling policy named {policy!r} exists; {CHECK_MODE_ASSUMES}")
            known = list(resolved.get("compute_environments") or []) + [(current or {}).get("jobQueueArn")]
            resolved["scheduling_policy"] = f"{ctx.arn_prefix(known)}:scheduling-policy/{policy}"
    return resolved, settling


def ensure_present(ctx, name, desired, tags=None, purge_tags=True, replace=False):
    """Returns (changed, before, after) with before/after DescribeJobQueues entries (or None)."""
    validate_name("name", name)
    current = lookup(ctx, name)
    validate_queue_options(name, desired, creating=current is None)
    wanted, settling = resolve_desired(ctx, current, desired)

    if current is None:
        return create(ctx, name, wanted, tags or {}, settling=settling)

    options = current_queue_options(current)
    diffs = queue_differences(options, wanted)
    reasons = queue_replacement_reasons(diffs)
    if reasons and not replace:
        fields = ", ".join(f"{option} ({reason})" for option, reason in reasons.items())
        raise BatchValidationError(
            "replace",
            f"AWS cannot change job queue {name} in place: {fields}. "
            "Set replace=true to delete and recreate the queue (jobs in it are cancelled)",
        )
    new_tags = resulting_tags(current.get("tags"), tags, purge_tags)

    if reasons:
        merged = {**options, **{k: v for k, v in wanted.items() if v is not None}}
        if ctx.check_mode:
            return True, current, predicted_queue_detail(name, current["jobQueueArn"], merged, new_tags)
        if settling is None:
            _arns, settling = resolve_environments(ctx, merged["compute_environments"])
        settle_environments(ctx, settling)  # before the deletion: an environment turning INVALID stops here
        delete_queue(ctx.client, current, ctx.wait_options, wait_gone=True)
        return create(ctx, name, merged, new_tags, before=current)

    tags_change = new_tags != (current.get("tags") or {})
    if not (diffs or tags_change):
        if current.get("status") == "INVALID" and ctx.wait:
            raise BatchError(message=f"Job queue {name} is INVALID: {current.get('statusReason')}")
        return False, current, current
    if ctx.check_mode:
        merged = {**options, **{option: after for option, (_before, after) in diffs.items()}}
        predicted = predicted_queue_detail(name, current["jobQueueArn"], merged, new_tags, previous=current)
        return True, current, predicted
    arn = current["jobQueueArn"]
    if diffs:
        if ctx.wait:
            wait_queue_settled(ctx.client, current, ctx.wait_options)
        if "compute_environments" in diffs:
            settle_environments(ctx, settling)
        update_job_queue(ctx.client, update_queue_request(arn, diffs))
    ensure_tags(ctx.client, arn, current.get("tags"), tags, purge_tags)
    if diffs and ctx.wait:
        return True, current, wait_for_job_queue(ctx.client, arn, name, ctx.wait_options)
    return True, current, describe_job_queue(ctx.client, arn)


def create(ctx, name, options, tags, before=None, settling=()):
    if ctx.check_mode:
        arn = f"{ctx.arn_prefix(options['compute_environments'])}:job-queue/{name}"
        return (
            True,
            before,
            predicted_queue_detail(name, arn, options, tags, status="VALID" if ctx.wait else "CREATING"),
        )
    settle_environments(ctx, settling)
    arn = create_job_queue(ctx.client, create_queue_request(name, options, tags))["jobQueueArn"]
    if ctx.wait or before is not None:
        return True, before, wait_for_job_queue(ctx.client, arn, name, ctx.wait_options)
    return True, before, describe_job_queue(ctx.client, arn)


def ensure_absent(ctx, name):
    validate_name("name", name)
    current = describe_job_queue(ctx.client, name)
    if current is None:
        return False, None, None
    if current.get("status") == "DELETING":
        if ctx.wait and not ctx.check_mode:
            wait_for_job_queue_deleted(ctx.client, current["jobQueueArn"], name, ctx.wait_options)
        return False, None, None
    if not ctx.check_mode:
        delete_queue(ctx.client, current, ctx.wait_options, wait_gone=ctx.wait)
    return True, current, None


def argument_spec():
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "priority": {"type": "int"},
        "compute_environments": {"type": "list", "elements": "str"},
        "scheduling_policy": {"type": "str"},
        "job_state_time_limit_actions": {
            "type": "list",
            "elements": "dict",
            "options": {
                "reason": {"type": "str", "required": True},
                "state": {"type": "str", "default": "RUNNABLE", "choices": ["RUNNABLE"]},
                "max_time_seconds": {"type": "int", "required": True},
                "action": {"type": "str", "default": "CANCEL", "choices": ["CANCEL"]},
            },
        },
        "job_queue_state": {"type": "str", "default": "ENABLED", "choices": ["ENABLED", "DISABLED"]},
        "replace": {"type": "bool", "default": False},
        "wait": {"type": "bool", "default": True},
        "wait_timeout": {"type": "int", "default": 600},
        "tags": {"type": "dict", "aliases": ["resource_tags"]},
        "purge_tags": {"type": "bool", "default": True},
    }


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    ctx = Context(
        module.batch_client(),
        module.region,
        check_mode=module.check_mode,
        wait=params["wait"],
        wait_options={"timeout": params["wait_timeout"]},
        sts=lambda: module.retrying_client("sts"),
        warn=module.warn,
    )
    try:
        if params["state"] == "present":
            desired = {option: params.get(option) for option in OPTIONS}
            changed, before, after = ensure_present(
                ctx,
                params["name"],
                desired,
                tags=params["tags"],
                purge_tags=params["purge_tags"],
                replace=params["replace"],
            )
        else:
            changed, before, after = ensure_absent(ctx, params["name"])
    except BatchError as e:
        module.fail_json_aws_error(e)

    result = {"changed": changed, "job_queue": normalize_job_queue(after)}
    if module._diff:
        result["diff"] = {"before": normalize_job_queue(before), "after": normalize_job_queue(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
