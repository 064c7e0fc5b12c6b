# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of M(ondemand.batch.job_schedule) (``DOCUMENTATION``) and of each entry of
M(ondemand.batch.job_schedules) (``LIST``): written once."""

from ansible_collections.ondemand.batch.plugins.module_utils.doc_options import nest_options


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the rule or schedule. 1-64 letters, digits, C(.), C(-) and C(_).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the schedule, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description:
      - Whether the schedule submits jobs. V(false) keeps it, disabled.
    type: bool
    default: true
  backend:
    description:
      - V(events) for an EventBridge rule on the default event bus, V(scheduler) for an EventBridge Scheduler schedule.
      - Switching the backend of an existing schedule does not move it. Delete it with the old backend first.
    type: str
    choices: [events, scheduler]
    default: events
  schedule_expression:
    description:
      - V(cron(minutes hours day-of-month month day-of-week year)), for example V(cron(0 4 * * ? *)).
        Exactly one of day-of-month and day-of-week must be V(?).
      - V(rate(value unit)) with the unit V(minute), V(hour) or V(day), plural for values above 1,
        for example V(rate(1 hour)) or V(rate(15 minutes)).
      - With O(backend=scheduler) also a one-time V(at(yyyy-mm-ddThh:mm:ss)), in O(timezone).
      - Required with O(state=present).
    type: str
    aliases: [expression, schedule]
  description:
    description:
      - Description of the rule or schedule. Left out, the current description is kept.
    type: str
  timezone:
    description:
      - IANA time zone of the expression, for example V(Europe/Berlin). Only with O(backend=scheduler).
        Defaults to V(UTC).
    type: str
    aliases: [schedule_expression_timezone]
  flexible_time_window:
    description:
      - Minutes (1-1440) within which Scheduler may start the job after the scheduled time. V(0) or left out
        means exactly on time. Only with O(backend=scheduler).
    type: int
  start_date:
    description:
      - ISO 8601 date and time before which the schedule does not run, for example V(2030-01-31T00:00:00Z).
        Only with O(backend=scheduler).
    type: str
  end_date:
    description:
      - ISO 8601 date and time after which the schedule does not run. Only with O(backend=scheduler).
    type: str
  delete_after_completion:
    description:
      - Let Scheduler delete the schedule after its last run (for C(at()) schedules). Only with O(backend=scheduler).
    type: bool
    default: false
  group:
    description:
      - Schedule group of the schedule (it must exist). Only with O(backend=scheduler).
    type: str
    default: default
    aliases: [group_name]
  job_queue:
    description:
      - Name or ARN of the job queue. The rule's target needs its ARN, so a name is looked up.
      - Required with O(state=present).
    type: str
    aliases: [queue]
  job_definition:
    description:
      - Name (or ARN without revision) of the job definition. A revision is refused, every run uses the latest
        C(ACTIVE) revision.
      - Required with O(state=present).
    type: str
  job_name:
    description:
      - Name of the submitted jobs. Defaults to O(name).
    type: str
  array_size:
    description:
      - Submit array jobs of this size (2-10000).
    type: int
  retry_attempts:
    description:
      - Attempts of each submitted job (1-10).
    type: int
    aliases: [attempts]
  share_identifier:
    description:
      - Fair-share identifier of the submitted jobs; required by AWS Batch when the queue has a scheduling
        policy (1-255 letters and digits).
      - O(backend=scheduler) only. The Batch target of an EventBridge rule cannot pass it, so a rule cannot
        submit to a fair-share queue.
    type: str
  scheduling_priority_override:
    description:
      - Scheduling priority of the submitted jobs in a fair-share queue (0-9999); overrides the job definition's.
      - O(backend=scheduler) only.
    type: int
  parameters:
    description:
      - Parameters of the submitted jobs (the C(Ref::) placeholders of the job definition).
    type: dict
  command:
    description:
      - Overrides the command of the job definition.
    type: list
    elements: str
  environment:
    description:
      - Environment variables for the submitted jobs. They are stored in the rule or schedule in plain text
        and are returned by this module. Pass secrets through the job definition.
    type: dict
  vcpus:
    description:
      - Overrides the vCPUs of the submitted jobs.
    type: float
  memory:
    description:
      - Overrides the memory (MiB) of the submitted jobs.
    type: int
  role_arn:
    description:
      - ARN of the IAM role that EventBridge or Scheduler assumes to submit the job (it needs C(batch:SubmitJob)).
      - Required with O(state=present).
    type: str
  retry_policy:
    description:
      - How EventBridge or Scheduler retries a failed C(SubmitJob). Unset values use the AWS defaults (185 retries,
        86400 seconds).
    type: dict
    suboptions:
      maximum_retry_attempts:
        description: Retries (0-185).
        type: int
      maximum_event_age:
        description: Seconds (60-86400) after which an unsubmitted run is dropped (or sent to the dead-letter queue).
        type: int
        aliases: [maximum_event_age_in_seconds]
  dead_letter_arn:
    description:
      - ARN of an SQS queue that receives the runs that could not be submitted.
    type: str
    aliases: [dead_letter_queue]
  target_id:
    description:
      - ID of the rule's target that this module owns (O(backend=events)).
    type: str
    default: ondemand-batch-job
  iam_propagation_timeout:
    description:
      - "O(backend=scheduler) only. IAM is eventually consistent: Scheduler refuses an O(role_arn) created a moment
        ago (C(CreateSchedule) or C(UpdateSchedule) answer C(ValidationException: The execution role you provide must
        allow AWS EventBridge Scheduler to assume the role.), and nothing is written). The call is made again after
        1, 2, 4, 8, 16, then every 30 seconds, until it succeeds or this many seconds have passed since the first
        refusal; then the task fails with that error. Each round is a warning. V(0) turns the retry off."
      - "O(backend=events) needs none: C(PutTargets) does not check the role (a role EventBridge cannot assume shows
        as failed invocations)."
    type: int
    default: 120
"""


# Outside the class: ansible-test's yamllint reads the class's literal strings only.
ModuleDocFragment.LIST = nest_options(ModuleDocFragment.DOCUMENTATION, "job_schedules", "ondemand.batch.job_schedule")
