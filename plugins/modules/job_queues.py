#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_queues
short_description: Manage many AWS Batch job queues in one task
version_added: 0.1.0
description:
  - "Creates, updates and deletes AWS Batch job queues in one module run: O(job_queues) lists them, each entry with
    exactly the options of M(ondemand.batch.job_queue), and each resource is reconciled by the same code as that
    module, with the same rules, results and check mode."
  - "Why a list-form module and not a list option of M(ondemand.batch.job_queue): the per-resource module keeps its
    flat options and its result for playbook authors, while a deployment of many job queues needs one task and one
    module process for all of them (a loop launches one per item), reads with batched calls, and every entry checked
    before anything is written."
  - "Every entry is validated before any AWS call and every problem of every entry is reported together, each prefixed
    with C(job_queues[<name>].<option>). What needs AWS to check (the existing resources, names to resolve) is checked
    after the reads and still before the first write: when any entry fails then, nothing is written."
  - One C(DescribeJobQueues) per 100 entries reads them all. The compute environments of the queues whose environments
    differ from their own (or that are new) are looked up with one C(DescribeComputeEnvironments) per 100 for all of
    them, and C(ListSchedulingPolicies) once when a queue names a policy that is not its own; a no-change run makes
    one call.
  - Only what differs is written. Every change is issued first; then the queues that settle are waited for together,
    in one polling loop with one C(DescribeJobQueues) per poll. A compute environment still CREATING or UPDATING is
    waited for before the write that associates it, once for all the queues that use it.
  - Once writing, an entry that fails does not stop the others; the task then fails with a message naming each failed
    entry and returns every entry's result in RV(job_queues).
  - Check mode makes no write call and predicts, per entry, the action, the fields and the result a real run gives,
    creation included. Diff mode returns one before/after pair per entry.
author:
  - ondemand.batch contributors (@ondemand)
notes:
  - Entries are reconciled in the order AWS requires within the kind; the order across kinds (environments before the
    queues that use them, queues before their schedules) is the playbook's, one task per kind.
  - Needs the permissions of M(ondemand.batch.job_queue).
seealso:
  - module: ondemand.batch.job_queue
extends_documentation_fragment:
  - ondemand.batch.job_queue.list
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's job queues, in one task
  ondemand.batch.job_queues:
    job_queues:
      - name: dev-carbon-jq
        priority: 10
        compute_environments: [dev-carbon-spot-ce, dev-carbon-ce]
        tags:
          ondemand:stack: dev-carbon
      - name: dev-carbon-fair-jq
        priority: 1
        compute_environments: [dev-carbon-ce]
        scheduling_policy: dev-carbon-fair-share
        job_state_time_limit_actions:
          - reason: No capacity for 30 minutes
            max_time_seconds: 1800
      - name: dev-carbon-old-jq
        state: absent
"""

RETURN = r"""
job_queues:
  description: One item per entry of O(job_queues), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the entry.
      type: str
      returned: always
    action:
      description:
        - "What the run does (or would do, in check mode): V(create), V(update), V(replace) (deleted and created
          again, with O(job_queues[].replace)), V(delete) or V(none)."
      type: str
      returned: always
      sample: update
    changed:
      description: Whether the resource changed (or would change, in check mode).
      type: bool
      returned: always
    changed_fields:
      description:
        - The options that differ (for V(create) and V(delete), the options the resource has), the same in check mode
          and in a real run.
      type: list
      elements: str
      returned: always
      sample: [max_vcpus, tags]
    job_queue:
      description:
        - The queue as M(ondemand.batch.job_queue) returns it in RV(ondemand.batch.job_queue#module:job_queue)
          (snake_case DescribeJobQueues entry; the prediction in check mode; empty once deleted).
      type: dict
      returned: unless the entry failed
    failed:
      description: Whether this entry failed (the task then fails).
      type: bool
      returned: when the entry failed
    msg:
      description: Why the entry failed, each problem prefixed with the entry.
      type: str
      returned: when the entry failed
diff:
  description: One before/after pair per entry, with headers naming the resource.
  returned: in diff mode
  type: list
  elements: dict
  contains:
    before:
      description: The resource before the run (the form of RV(job_queues[].job_queue)).
      type: dict
    after:
      description: The resource after the run (predicted in check mode).
      type: dict
    before_header:
      description: C(job_queue <name>).
      type: str
    after_header:
      description: C(job_queue <name>).
      type: str
"""

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import (  # noqa: E402
    JOB_QUEUE_OPTIONS,
    list_argument_spec,
)
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue_ensure import KIND  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_list_module  # noqa: E402


def argument_spec():
    return list_argument_spec("job_queues", JOB_QUEUE_OPTIONS)


def main():
    run_list_module(BatchModule(argument_spec=argument_spec(), supports_check_mode=True), KIND)


if __name__ == "__main__":
    main()
