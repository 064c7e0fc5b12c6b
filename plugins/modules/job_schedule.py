#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_schedule
short_description: Schedule an AWS Batch job with an EventBridge rule or an EventBridge Scheduler schedule
version_added: 0.1.0
description:
  - Creates, updates, disables or deletes a schedule that submits an AWS Batch job.
  - With O(backend=events) (the default), an EventBridge rule with a C(cron()) or C(rate()) expression (in UTC)
    and one Batch target, the job queue, with the job definition, job name, array size, attempts, parameters
    and container overrides, the IAM role EventBridge assumes, a retry policy and a dead-letter queue.
  - With O(backend=scheduler), an EventBridge Scheduler schedule instead. Its universal target
    C(arn:aws:scheduler:::aws-sdk:batch:submitJob) calls C(SubmitJob) with the same job settings. Scheduler adds
    time zones (V(04:00) in V(Europe/Berlin) rather than UTC arithmetic), flexible time windows, start and end
    dates and one-time C(at()) schedules.
  - The job definition is given B(by name without revision), so every run submits the latest C(ACTIVE) revision.
  - The module owns B(one) target of the rule, the one with the ID O(target_id). It never changes or removes
    other targets of the rule. With O(state=absent) it removes its target, and deletes the rule only when no
    other target is left.
  - Idempotent. Nothing is written when the rule, its target, its tags (or the schedule) already match.
  - The expression, time zone, dates, names and ARNs are checked before any AWS call. A bad expression
    is refused with a message that names the rule it breaks.
  - Why not M(amazon.aws.cloudwatchevent_rule)? It has no Batch target parameters, retry policy or
    dead-letter configuration, and it deletes every target it does not list.
author:
  - ondemand.batch contributors (@ondemand)
extends_documentation_fragment:
  - ondemand.batch.job_schedule
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - O(tags) and O(purge_tags) apply to EventBridge rules only. Scheduler schedules have no tags.
  - Check mode makes no write call and reports the same C(changed) and result as a real run would.
    With C(--diff), it also returns the schedule before and after.
"""

EXAMPLES = r"""
- name: Submit the nightly job at 04:00 UTC (EventBridge rule)
  ondemand.batch.job_schedule:
    name: dev-carbon-nightly
    schedule_expression: cron(0 4 * * ? *)
    job_queue: dev-carbon-jq
    job_definition: dev-carbon-jd
    role_arn: arn:aws:iam::123456789012:role/dev-carbon-events
    retry_policy:
      maximum_retry_attempts: 3
      maximum_event_age: 3600
    dead_letter_arn: arn:aws:sqs:eu-west-1:123456789012:dev-carbon-dlq
    tags:
      stack: dev-carbon

- name: Submit it at 04:00 Berlin time instead (EventBridge Scheduler)
  ondemand.batch.job_schedule:
    name: dev-carbon-nightly
    backend: scheduler
    schedule_expression: cron(0 4 * * ? *)
    timezone: Europe/Berlin
    flexible_time_window: 15
    job_queue: dev-carbon-jq
    job_definition: dev-carbon-jd
    parameters:
      mode: full
    role_arn: arn:aws:iam::123456789012:role/dev-carbon-scheduler

- name: Run once, at a given time, then delete the schedule
  ondemand.batch.job_schedule:
    name: dev-carbon-backfill
    backend: scheduler
    schedule_expression: at(2030-01-31T02:00:00)
    timezone: Europe/Berlin
    delete_after_completion: true
    job_queue: dev-carbon-jq
    job_definition: dev-carbon-jd
    command: ["python", "backfill.py"]
    role_arn: arn:aws:iam::123456789012:role/dev-carbon-scheduler

- name: Pause the nightly job
  ondemand.batch.job_schedule:
    name: dev-carbon-nightly
    enabled: false
    schedule_expression: cron(0 4 * * ? *)
    job_queue: dev-carbon-jq
    job_definition: dev-carbon-jd
    role_arn: arn:aws:iam::123456789012:role/dev-carbon-events

- name: Delete the schedule
  ondemand.batch.job_schedule:
    name: dev-carbon-nightly
    state: absent
"""

RETURN = r"""
schedule:
  description: The rule or schedule as it is after the task (or would be, in check mode). Null once deleted.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the rule or schedule.
      type: str
    arn:
      description: ARN of the rule or schedule (null in check mode before it exists).
      type: str
    backend:
      description: V(events) or V(scheduler).
      type: str
    group:
      description: Schedule group (scheduler only).
      type: str
    state:
      description: C(ENABLED) or C(DISABLED).
      type: str
    enabled:
      description: Whether the schedule submits jobs.
      type: bool
    schedule_expression:
      description: The cron(), rate() or at() expression.
      type: str
      sample: cron(0 4 * * ? *)
    timezone:
      description: Time zone of the expression (always UTC for EventBridge rules).
      type: str
      sample: Europe/Berlin
    description:
      description: Description.
      type: str
    flexible_time_window:
      description: Minutes of flexibility, 0 when off (scheduler only).
      type: int
    start_date:
      description: Start date, ISO 8601 UTC (scheduler only).
      type: str
    end_date:
      description: End date, ISO 8601 UTC (scheduler only).
      type: str
    delete_after_completion:
      description: Whether Scheduler deletes the schedule after its last run (scheduler only).
      type: bool
    target:
      description:
        - The job the schedule submits. Keys are C(id), C(arn), C(role_arn), C(job_queue), C(job_definition),
          C(job_name), C(array_size), C(retry_attempts), C(share_identifier),
          C(scheduling_priority_override), C(parameters), C(command), C(environment), C(vcpus),
          C(memory), C(retry_policy) (C(maximum_retry_attempts), C(maximum_event_age)), C(dead_letter_arn)
          and C(input) (the JSON sent to AWS Batch).
      type: dict
    other_target_ids:
      description: IDs of the rule's targets that this module does not own, and left alone (events only).
      type: list
      elements: str
    tags:
      description: Tags of the rule (events only).
      type: dict
"""

import copy  # noqa: E402

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import (  # noqa: E402
    JOB_SCHEDULE_OPTIONS,
    JOB_SCHEDULE_REQUIRED_IF,
)
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_module  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.schedule_ensure import KIND  # noqa: E402


def argument_spec():
    return copy.deepcopy(JOB_SCHEDULE_OPTIONS)


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True, required_if=JOB_SCHEDULE_REQUIRED_IF)
    run_module(module, KIND)


if __name__ == "__main__":
    main()
