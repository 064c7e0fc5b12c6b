# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of M(ondemand.batch.job_alert) (``DOCUMENTATION``) and of each entry of
M(ondemand.batch.job_alerts) (``LIST``): written once."""

from ansible_collections.ondemand.batch.plugins.module_utils.doc_options import nest_options


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the EventBridge rule. 1-64 letters, digits, C(.), C(-) and C(_).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the rule and its target, V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description:
      - Whether the rule sends alerts. V(false) keeps the rule, disabled.
    type: bool
    default: true
  description:
    description:
      - Description of the rule (at most 512 characters). Left out, the current description is kept.
    type: str
  job_queues:
    description:
      - ARNs of the job queues whose jobs are watched, V(arn:aws:batch:REGION:ACCOUNT:job-queue/NAME). Batch events
        carry the queue's ARN, so names are refused.
      - An empty list watches every job queue of the account and region.
    type: list
    elements: str
    default: []
    aliases: [queues]
  statuses:
    description:
      - Job statuses that raise an alert. At least one.
    type: list
    elements: str
    choices: [SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, FAILED]
    default: [FAILED]
  target_arn:
    description:
      - ARN of the SNS topic (or SQS queue) that receives the alerts. Its policy must let C(events.amazonaws.com)
        publish (send) to it.
      - Required with O(state=present).
    type: str
    aliases: [topic_arn]
  target_id:
    description:
      - ID of the rule's target that this module owns. 1-64 letters, digits, C(.), C(-) and C(_).
    type: str
    default: job-alert
  input_template:
    description:
      - EventBridge's input template for the target, verbatim. A text message is one JSON string, in double quotes;
        C(<key>) placeholders are filled from O(input_paths) (and EventBridge's own C(<aws.events.rule-name>),
        C(<aws.events.rule-arn>), C(<aws.events.event.json>), ...).
      - 'Defaults to V("Batch job <job> (<id>\) on <queue> is <status>: <reason>"), quotes included.'
      - An empty string sends the whole event instead (then leave O(input_paths) out).
    type: str
  input_paths:
    description:
      - Placeholder names of O(input_template) and the JSON paths into the event that fill them.
      - Defaults to V(job=$.detail.jobName), V(id=$.detail.jobId), V(queue=$.detail.jobQueue),
        V(status=$.detail.status) and V(reason=$.detail.statusReason).
    type: dict
    aliases: [input_paths_map]
  event_bus_name:
    description:
      - Name or ARN of the event bus of the rule. AWS Batch sends its events to the default bus.
    type: str
    default: default
"""


# Outside the class: ansible-test's yamllint reads the class's literal strings only.
ModuleDocFragment.LIST = nest_options(ModuleDocFragment.DOCUMENTATION, "job_alerts", "ondemand.batch.job_alert")
