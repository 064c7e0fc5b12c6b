#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_schedules
short_description: Manage many schedules of AWS Batch jobs (EventBridge rules or Scheduler schedules) in one task
version_added: 0.1.0
description:
  - "Creates, updates and deletes AWS Batch job schedules in one module run: O(job_schedules) lists them, each entry
    with exactly the options of M(ondemand.batch.job_schedule), and each resource is reconciled by the same code as
    that module, with the same rules, results and check mode."
  - "Why a list-form module and not a list option of M(ondemand.batch.job_schedule): the per-resource module keeps its
    flat options and its result for playbook authors, while a deployment of many job schedules needs one task and one
    module process for all of them (a loop launches one per item), reads with batched calls, and every entry checked
    before anything is written."
  - "Every entry is validated before any AWS call and every problem of every entry is reported together, each prefixed
    with C(job_schedules[<name>].<option>). What needs AWS to check (the existing resources, names to resolve) is
    checked after the reads and still before the first write: when any entry fails then, nothing is written."
  - "EventBridge has no call that reads several rules with their targets and tags, nor Scheduler one for several
    schedules: each entry costs C(DescribeRule), C(ListTargetsByRule) and (with O(job_schedules[].tags))
    C(ListTagsForResource), or one C(GetSchedule). The job queues and job definitions the entries submit to are looked
    up once for all of them (one C(DescribeJobQueues) and one C(DescribeJobDefinitions) per 100)."
  - Only what differs is written. Rule, target and tag writes are issued per entry, with no waiting.
  - Once writing, an entry that fails does not stop the others; the task then fails with a message naming each failed
    entry and returns every entry's result in RV(job_schedules).
  - Check mode makes no write call and predicts, per entry, the action, the fields and the result a real run gives,
    creation included. Diff mode returns one before/after pair per entry.
author:
  - ondemand.batch contributors (@ondemand)
notes:
  - Entries are reconciled in the order AWS requires within the kind; the order across kinds (environments before the
    queues that use them, queues before their schedules) is the playbook's, one task per kind.
  - Needs the permissions of M(ondemand.batch.job_schedule).
seealso:
  - module: ondemand.batch.job_schedule
extends_documentation_fragment:
  - ondemand.batch.job_schedule.list
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's schedules, in one task
  ondemand.batch.job_schedules:
    job_schedules:
      - name: dev-carbon-nightly
        schedule_expression: cron(0 4 * * ? *)
        job_queue: dev-carbon-jq
        job_definition: dev-carbon-jd
        role_arn: arn:aws:iam::123456789012:role/dev-carbon-events
        tags:
          ondemand:stack: dev-carbon
      - name: dev-carbon-berlin-morning
        backend: scheduler
        schedule_expression: cron(0 4 * * ? *)
        timezone: Europe/Berlin
        job_queue: dev-carbon-fair-jq
        job_definition: dev-carbon-jd
        share_identifier: carbon
        role_arn: arn:aws:iam::123456789012:role/dev-carbon-scheduler
      - name: dev-carbon-retired
        state: absent
"""

RETURN = r"""
job_schedules:
  description: One item per entry of O(job_schedules), in the same order.
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
        - "What the run does (or would do, in check mode): V(create), V(update), V(delete) or V(none) (removing only
          this module's target from a rule that keeps other targets is an V(update))."
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
    schedule:
      description:
        - The rule or schedule as M(ondemand.batch.job_schedule) returns it in
          RV(ondemand.batch.job_schedule#module:schedule) (null once deleted).
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
      description: The resource before the run (the form of RV(job_schedules[].schedule)).
      type: dict
    after:
      description: The resource after the run (predicted in check mode).
      type: dict
    before_header:
      description: C(schedule <name>).
      type: str
    after_header:
      description: C(schedule <name>).
      type: str
"""

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import (  # noqa: E402
    JOB_SCHEDULE_OPTIONS,
    JOB_SCHEDULE_REQUIRED_IF,
    list_argument_spec,
)
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_list_module  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.schedule_ensure import KIND  # noqa: E402


def argument_spec():
    return list_argument_spec("job_schedules", JOB_SCHEDULE_OPTIONS, JOB_SCHEDULE_REQUIRED_IF)


def main():
    run_list_module(BatchModule(argument_spec=argument_spec(), supports_check_mode=True), KIND)


if __name__ == "__main__":
    main()
