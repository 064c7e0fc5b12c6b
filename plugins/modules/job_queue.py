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
notes:
  - Check mode makes no change and reports what a real run would, creation included. A compute environment or
    scheduling policy that does not exist yet is only a warning in check mode (an earlier task that check mode
    skipped may create it); a real run fails on it before writing anything.
  - Needs C(batch:DescribeJobQueues), C(batch:DescribeComputeEnvironments), C(batch:CreateJobQueue),
    C(batch:UpdateJobQueue), C(batch:DeleteJobQueue), C(batch:TagResource), C(batch:UntagResource),
    C(batch:ListSchedulingPolicies) for policy names, and C(sts:GetCallerIdentity) in check mode when no
    compute environment exists yet to tell the account.
extends_documentation_fragment:
  - ondemand.batch.job_queue
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

import copy  # noqa: E402

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import JOB_QUEUE_OPTIONS  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue_ensure import KIND  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_module  # noqa: E402


def argument_spec():
    return copy.deepcopy(JOB_QUEUE_OPTIONS)


def main():
    run_module(BatchModule(argument_spec=argument_spec(), supports_check_mode=True), KIND)


if __name__ == "__main__":
    main()
