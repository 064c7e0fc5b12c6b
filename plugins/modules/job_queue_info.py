#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_queue_info
short_description: Describe AWS Batch job queues
version_added: 0.1.0
description:
  - Describe AWS Batch job queues by name or ARN, or all of them (every page).
author:
  - ondemand.batch contributors (@ondemand)
options:
  names:
    description:
      - Names or ARNs of the job queues to describe. Those that do not exist are left out of the result.
      - All job queues of the account and region when not set.
    type: list
    elements: str
    aliases: [name]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe a job queue
  ondemand.batch.job_queue_info:
    names:
      - dev-carbon-jq
  register: dev_carbon_jq

- name: Show the compute environments it uses, in order
  ansible.builtin.debug:
    msg: "{{ dev_carbon_jq.job_queues[0].compute_environment_order | map(attribute='compute_environment') }}"

- name: Describe every job queue
  ondemand.batch.job_queue_info:
  register: all_job_queues
"""

RETURN = r"""
job_queues:
  description:
    - The job queues as DescribeJobQueues reports them, in snake_case, tags as a dict.
  returned: always
  type: list
  elements: dict
  contains:
    job_queue_name:
      description: Name of the queue.
      type: str
      sample: dev-carbon-jq
    job_queue_arn:
      description: ARN of the queue.
      type: str
      sample: arn:aws:batch:eu-west-1:123456789012:job-queue/dev-carbon-jq
    state:
      description: V(ENABLED) or V(DISABLED).
      type: str
      sample: ENABLED
    status:
      description: Status, for example V(CREATING), V(UPDATING), V(VALID) or V(INVALID).
      type: str
      sample: VALID
    status_reason:
      description: Details about the status.
      type: str
      returned: when AWS reports it
      sample: JobQueue Healthy
    priority:
      description: Priority of the queue.
      type: int
      sample: 10
    compute_environment_order:
      description: Compute environments of the queue, sorted by C(order).
      type: list
      elements: dict
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
      sample: {stack: dev-carbon}
"""

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue import (  # noqa: E402
    describe_job_queues,
    normalize_job_queue,
)
from ansible_collections.ondemand.batch.plugins.module_utils.validation import is_arn, validate_name  # noqa: E402


def list_job_queues(client, names=None):
    """Normalised queues: the named ones (missing ones left out), or all."""
    for name in names or []:
        if not is_arn(name):
            validate_name("names", name)
    return [normalize_job_queue(detail) for detail in describe_job_queues(client, names or None)]


def main():
    module = BatchModule(
        argument_spec={"names": {"type": "list", "elements": "str", "aliases": ["name"]}},
        supports_check_mode=True,
    )
    try:
        queues = list_job_queues(module.batch_client(), module.params["names"])
    except BatchError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, job_queues=queues)


if __name__ == "__main__":
    main()
