#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_alert
short_description: Send AWS Batch job state changes of given job queues to a target through an EventBridge rule
version_added: 0.1.0
description:
  - Send AWS Batch job state changes of given job queues to a target (an SNS topic) through an EventBridge rule.
  - Creates, updates, disables or deletes an EventBridge rule that matches C(Batch Job State Change) events of
    source C(aws.batch) whose status is one of O(statuses), on the job queues O(job_queues) (every queue of the
    account when empty), and one target of that rule, O(target_arn), that receives a message made by an input
    transformer (O(input_template), O(input_paths)).
  - The module owns B(one) target of the rule, the one with the ID O(target_id). It never changes or removes
    other targets of the rule. With O(state=absent) it removes its target and deletes the rule only when no other
    target is left; a rule that still has other targets is kept (with a warning).
  - Idempotent. Nothing is written when the rule, its target and its tags already match. The event pattern is
    compared as EventBridge reads it (the order of statuses and queues does not matter).
  - Names, ARNs, statuses, the input template and tags are checked before any AWS call. A bad value is refused
    with a message that names the option, the rule it breaks and the alert rule.
  - Why not M(amazon.aws.cloudwatchevent_rule)? It cannot tag the rule, has no check mode and removes every
    target it does not list.
author:
  - ondemand.batch contributors (@ondemand)
extends_documentation_fragment:
  - ondemand.batch.job_alert
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Check mode makes no write call and reports the same C(changed) and result as a real run would, creation
    included (the rule's ARN is predicted with STS C(GetCallerIdentity)). With C(--diff), it also returns the rule
    before and after.
  - O(tags) are set when the rule is created and compared afterwards (C(ListTagsForResource)); O(purge_tags)
    removes tags not listed, only when O(tags) is given.
"""

EXAMPLES = r"""
- name: Mail the failed jobs of two queues (through the topic's e-mail subscription)
  ondemand.batch.job_alert:
    name: dev-carbon-job-failed
    description: Failed jobs of dev-carbon
    job_queues:
      - arn:aws:batch:eu-west-1:123456789012:job-queue/dev-carbon-jq
      - arn:aws:batch:eu-west-1:123456789012:job-queue/dev-carbon-jq-spot
    statuses: [FAILED]
    target_arn: arn:aws:sns:eu-west-1:123456789012:dev-carbon-alerts
    tags:
      ondemand:stack: dev-carbon

- name: Tell a queue consumer about every finished job of the account, with the whole event
  ondemand.batch.job_alert:
    name: all-jobs-done
    statuses: [SUCCEEDED, FAILED]
    target_arn: arn:aws:sqs:eu-west-1:123456789012:batch-job-events
    target_id: job-events
    input_template: ""

- name: A shorter message
  ondemand.batch.job_alert:
    name: dev-carbon-job-failed
    job_queues:
      - arn:aws:batch:eu-west-1:123456789012:job-queue/dev-carbon-jq
    target_arn: arn:aws:sns:eu-west-1:123456789012:dev-carbon-alerts
    input_template: '"<job> failed: <reason> (rule <aws.events.rule-name>)"'
    input_paths:
      job: $.detail.jobName
      reason: $.detail.statusReason

- name: Pause the alerts
  ondemand.batch.job_alert:
    name: dev-carbon-job-failed
    enabled: false
    job_queues:
      - arn:aws:batch:eu-west-1:123456789012:job-queue/dev-carbon-jq
    target_arn: arn:aws:sns:eu-west-1:123456789012:dev-carbon-alerts

- name: Remove the alert (its target, then the rule unless other targets are left)
  ondemand.batch.job_alert:
    name: dev-carbon-job-failed
    state: absent
"""

RETURN = r"""
job_alert:
  description:
    - The rule as it is after the task (or would be, in check mode).
    - Null when the rule does not exist (anymore). After O(state=absent) on a rule that other targets keep, the
      rule without this module's target.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the rule.
      type: str
      sample: dev-carbon-job-failed
    arn:
      description: ARN of the rule (predicted in check mode).
      type: str
      sample: arn:aws:events:eu-west-1:123456789012:rule/dev-carbon-job-failed
    event_bus_name:
      description: Name of the rule's event bus.
      type: str
      sample: default
    state:
      description: C(ENABLED) or C(DISABLED).
      type: str
    enabled:
      description: Whether the rule sends alerts.
      type: bool
    description:
      description: Description of the rule (empty when none).
      type: str
    event_pattern:
      description: The rule's event pattern.
      type: dict
      sample:
        source: [aws.batch]
        detail-type: [Batch Job State Change]
        detail:
          status: [FAILED]
          jobQueue: [arn:aws:batch:eu-west-1:123456789012:job-queue/dev-carbon-jq]
    statuses:
      description: Job statuses the rule matches, in the order a job passes them.
      type: list
      elements: str
      sample: [FAILED]
    job_queues:
      description: ARNs of the watched job queues, sorted. Empty when every queue is watched.
      type: list
      elements: str
    target:
      description: The target this module owns. Null when the rule has none with O(target_id).
      type: dict
      contains:
        id:
          description: ID of the target.
          type: str
          sample: job-alert
        arn:
          description: ARN of the topic or queue.
          type: str
        input_transformer:
          description:
            - C(input_paths_map) and C(input_template) of the message. Null when the whole event is sent.
          type: dict
    other_target_ids:
      description: IDs of the rule's targets that this module does not own, and left alone.
      type: list
      elements: str
    tags:
      description: Tags of the rule.
      type: dict
      sample:
        ondemand:stack: dev-carbon
"""

import copy  # noqa: E402

from ansible_collections.ondemand.batch.plugins.module_utils.alert_ensure import KIND  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.args_common import (  # noqa: E402
    JOB_ALERT_OPTIONS,
    JOB_ALERT_REQUIRED_IF,
)
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_module  # noqa: E402


def argument_spec():
    return copy.deepcopy(JOB_ALERT_OPTIONS)


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True, required_if=JOB_ALERT_REQUIRED_IF)
    run_module(module, KIND)


if __name__ == "__main__":
    main()
