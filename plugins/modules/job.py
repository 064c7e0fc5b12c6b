#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job
short_description: Submit an AWS Batch job and follow it live, or cancel and terminate jobs
version_added: 0.1.0
description:
  - Submits a job to an AWS Batch job queue. The job definition is given by name (the latest
    C(ACTIVE) revision is used, so nobody has to bump a revision number), as C(name:revision) or as an ARN.
  - With O(wait=true) (the default) the task follows the job until it ends. Status changes and the job's
    new log lines are printed B(while the task runs), in the order they happened, each transition once
    (a status no poll saw but the job must have passed, such as C(RUNNING) of an attempt that ran between two
    polls, is printed too), and each attempt's log lines after that attempt's start and before its end.
    The task fails when the job fails, with the status reason, the exit code and the last log lines in its
    message, attempt by attempt when the job was retried.
  - Waiting happens B(on the controller). The action plugin of this module submits the job through the
    module, then polls AWS Batch (C(DescribeJobs)) and CloudWatch Logs (C(GetLogEvents)) itself with
    boto3, using the same connection options as the task (O(region), O(endpoint_url), O(profile),
    credentials, the task's C(environment) and the usual C(AWS_*) variables). The controller therefore
    needs boto3 and AWS credentials. Set O(live_output=false) to wait inside the module on the target
    host instead (no live output), for example when only the target holds credentials.
  - B(Submitting a job is not idempotent.) Every run with O(state=present) submits a new job and reports
    C(changed). O(skip_if_active=true) is the idempotency aid, it submits nothing while a job of the same
    name is queued or running in the queue.
  - With O(state=present) and O(job_id), submits nothing. The task shows that job (a past or a running one),
    its attempts with their exit codes, reasons and log lines, and follows it live while it runs, like a job
    it submitted. C(changed) is then false.
  - With O(state=absent), cancels a queued job or terminates a starting or running one.
  - In check mode nothing is submitted, cancelled or terminated. The job definition and the queue are still
    resolved, so the result shows what would be submitted, including the job definition ARN.
author:
  - ondemand.batch contributors (@ondemand)
options:
  state:
    description:
      - V(present) submits a job, or with O(job_id) follows an existing one.
      - V(absent) cancels (C(SUBMITTED), C(PENDING), C(RUNNABLE)) or terminates (C(STARTING), C(RUNNING))
        the job O(job_id), or every active job named O(name) in O(job_queue). Jobs that already ended are
        left alone, and C(changed) is then false.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the job. 1-128 letters, digits, hyphens and underscores, starting with a letter or digit.
      - Required unless O(job_id) is given.
    type: str
    aliases: [job_name]
  job_queue:
    description:
      - Name or ARN of the job queue. Required with O(state=present) unless O(job_id) is given.
    type: str
    aliases: [queue]
  job_definition:
    description:
      - The job definition. A name alone uses its latest C(ACTIVE) revision. C(name:revision) and ARNs with
        or without a revision are also accepted. An C(INACTIVE) revision is refused before submitting.
      - Required with O(state=present) unless O(job_id) is given.
    type: str
  parameters:
    description:
      - Values for the C(Ref::) placeholders of the job definition's command. They override the job
        definition's default parameters.
    type: dict
  command:
    description:
      - Overrides the command of the job definition (exec form, one list item per argument).
    type: list
    elements: str
  environment:
    description:
      - Environment variables to add to or override in the container. Names must not start with C(AWS_BATCH).
      - Values appear in the job's description in AWS Batch. Pass secrets through the job definition's
        Secrets Manager references, or at least through O(secret_environment).
    type: dict
  secret_environment:
    description:
      - Like O(environment), but the values are never shown in Ansible's output (C(no_log)).
      - AWS Batch still stores them in the job's description. Prefer the job definition's C(secrets).
    type: dict
  vcpus:
    description:
      - Overrides the number of vCPUs (a C(VCPU) resource requirement). Fractions such as V(0.25) are for Fargate.
    type: float
  memory:
    description:
      - Overrides the memory in MiB (a C(MEMORY) resource requirement).
    type: int
  array_size:
    description:
      - Submits an array job with this many children (2-10000). While it waits, the task follows the parent
        job and its children's status summary, not each child.
    type: int
  depends_on:
    description:
      - Jobs this job waits for (at most 20).
    type: list
    elements: dict
    suboptions:
      job_id:
        description:
          - ID of the job to wait for. Can be left out only with O(depends_on[].type=SEQUENTIAL).
        type: str
      type:
        description:
          - For array jobs. V(N_TO_N) makes each child wait for the child of the same index of O(depends_on[].job_id).
            V(SEQUENTIAL) without a job ID runs the children one after the other.
        type: str
        choices: [N_TO_N, SEQUENTIAL]
  retry_attempts:
    description:
      - Number of attempts (1-10). The job is retried on failure until the attempts are used up,
        unless an O(evaluate_on_exit) rule says V(EXIT).
    type: int
    aliases: [attempts]
  evaluate_on_exit:
    description:
      - Up to 5 rules that decide whether a failed attempt is retried. They override the job definition's rules.
      - Requires O(retry_attempts).
    type: list
    elements: dict
    suboptions:
      action:
        description: What to do when the rule matches.
        type: str
        required: true
        choices: [RETRY, EXIT]
      on_exit_code:
        description: Exit code to match, digits optionally ending with C(*) (for example V(3) or V(13*)).
        type: str
      on_reason:
        description: The container's reason to match (may end with C(*)).
        type: str
      on_status_reason:
        description: The job's status reason to match (may end with C(*)).
        type: str
  timeout:
    description:
      - Seconds after which AWS Batch terminates an attempt (at least 60). Overrides the job definition's timeout.
    type: int
    aliases: [attempt_duration_seconds]
  tags:
    description:
      - Tags of the job. At most 50.
    type: dict
    aliases: [resource_tags]
  propagate_tags:
    description:
      - Whether the job's and the job definition's tags are copied to the ECS task.
        Defaults to the job definition's setting.
    type: bool
  share_identifier:
    description:
      - Share identifier of the job, for queues with a fair-share scheduling policy.
    type: str
  scheduling_priority_override:
    description:
      - Scheduling priority (0-9999, higher runs first) for queues with a fair-share scheduling policy.
    type: int
  skip_if_active:
    description:
      - Do not submit when a job with the same O(name) is already C(SUBMITTED), C(PENDING), C(RUNNABLE),
        C(STARTING) or C(RUNNING) in the queue. The task then reports that job, with C(changed=false),
        and does not wait for it.
    type: bool
    default: false
  wait:
    description:
      - Follow the job until it is C(SUCCEEDED) or C(FAILED).
      - With O(state=absent), wait until the stopped jobs have ended.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait before the task fails. The job itself keeps running; stop it with O(state=absent).
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between the first polls. The delay grows by half after each poll that shows no change,
        up to O(max_poll_interval), and drops back as soon as the status changes or new log lines arrive.
    type: float
    default: 2.0
  max_poll_interval:
    description:
      - Longest delay between two polls, in seconds.
    type: float
    default: 15.0
  diagnose_after:
    description:
      - Seconds a followed job may stay C(RUNNABLE) before the task finds out why, and says it once (live, and in
        RV(job.diagnosis)). A wait that ends with O(wait_timeout) while the job is C(RUNNABLE) finds out too and
        puts the reason in its failure message. V(0) never looks.
      - The reasons looked for are the job queue being C(DISABLED) or C(INVALID); no compute environment of the
        queue being C(ENABLED) and C(VALID); the job's platform (EC2 or Fargate) matching none of them; its vCPUs
        or memory exceeding what any of them can give (C(maxvCpus), the largest instance type, Fargate's
        vCPU/memory pairs); their C(maxvCpus) taken by the C(RUNNING) and C(STARTING) jobs of the queues that share
        them; and the C(statusReason) AWS Batch put on the job.
      - Only read calls, made once the threshold passed, in batches. C(DescribeJobQueues) once,
        C(DescribeComputeEnvironments) once for the queue's environments and, when nothing in the set-up explains
        the wait, C(ListJobs) and C(DescribeJobs) (100 per call) for the jobs that take the capacity.
    type: int
    default: 60
  log_lines:
    description:
      - Number of log lines to return, and to show in the failure message, for each attempt (the last ones of
        each attempt's own log stream). V(0) reads no logs.
    type: int
    default: 20
  live_output:
    description:
      - Print status changes and log lines while waiting (the waiting then happens on the controller).
      - With V(false) the module waits on the target host and reports only at the end.
      - Log lines are not printed when the task has C(no_log) set.
    type: bool
    default: true
  fail_on_job_failure:
    description:
      - Fail the task when the job ends C(FAILED). With V(false) the task succeeds and returns the job's
        status, exit code and log lines for later tasks to inspect.
    type: bool
    default: true
  job_id:
    description:
      - With O(state=present), the job to show and follow instead of submitting one (an array job's children
        are summarised; a child is C(<array job id>:<index>)). O(name) and O(job_definition) must then be left out.
      - With O(state=absent), the job to cancel or terminate.
    type: str
  reason:
    description:
      - Reason recorded with a cancel or terminate (shown as the job's status reason).
    type: str
    default: Stopped by ondemand.batch.job
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The job's log lines are its own output. Keep secrets out of them, or set C(no_log) on the task to
    suppress live log output and the result.
  - Array jobs are followed through the parent's status summary (one C(DescribeJobs) call per poll whatever
    the array size). When an array job fails, the first failed children and the log tail of the first one are returned.
"""

EXAMPLES = r"""
- name: Run the nightly job now, with the latest ACTIVE revision of its definition, and follow it
  ondemand.batch.job:
    name: triggered-via-ansible
    job_queue: dev-carbon-jq
    job_definition: dev-carbon-jd

- name: Submit with overrides and do not wait
  ondemand.batch.job:
    name: backfill-2024-01
    job_queue: dev-carbon-jq
    job_definition: dev-carbon-jd:6
    command: ["python", "backfill.py", "--month", "2024-01"]
    environment:
      LOG_LEVEL: debug
    vcpus: 2
    memory: 4096
    retry_attempts: 3
    evaluate_on_exit:
      - on_exit_code: "3"
        action: EXIT
      - on_reason: "Host EC2*"
        action: RETRY
    timeout: 3600
    wait: false
  register: backfill

- name: An array job of 100 children that waits for the backfill
  ondemand.batch.job:
    name: fan-out
    job_queue: dev-carbon-jq
    job_definition: dev-carbon-jd
    array_size: 100
    depends_on:
      - job_id: "{{ backfill.job.job_id }}"

- name: Submit only when the job is not already queued or running
  ondemand.batch.job:
    name: nightly
    job_queue: dev-carbon-jq
    job_definition: dev-carbon-jd
    skip_if_active: true

- name: Keep going when the job fails and look at its outcome
  ondemand.batch.job:
    name: flaky
    job_queue: dev-carbon-jq
    job_definition: dev-carbon-jd
    fail_on_job_failure: false
    log_lines: 50
  register: flaky

- name: Show why it failed
  ansible.builtin.debug:
    msg: "{{ flaky.job.status }} exit code {{ flaky.job.exit_code }}: {{ flaky.job.log_lines | join('\n') }}"
  when: flaky.job.status == 'FAILED'

- name: Show a job submitted earlier (status, attempts, logs) and follow it while it runs
  ondemand.batch.job:
    job_id: "{{ backfill.job.job_id }}"
    fail_on_job_failure: false
  register: backfill_outcome

- name: Cancel or terminate a job
  ondemand.batch.job:
    state: absent
    job_id: "{{ backfill.job.job_id }}"
    reason: Superseded by a newer backfill

- name: Stop every queued or running job named nightly
  ondemand.batch.job:
    state: absent
    name: nightly
    job_queue: dev-carbon-jq
"""

RETURN = r"""
submitted:
  description: Whether a job was submitted (or would be, in check mode); false with O(job_id).
  returned: state=present
  type: bool
  sample: true
skipped_reason:
  description: Why no job was submitted with O(skip_if_active=true).
  returned: when a job of the same name was active
  type: str
  sample: "job nightly (4f1c...) is already RUNNING in dev-carbon-jq"
request:
  description:
    - The C(SubmitJob) request, with the resolved job definition and queue ARNs.
    - Values of O(secret_environment) are masked.
  returned: state=present and a job was (or would be) submitted
  type: dict
  sample: {"jobName": "nightly", "jobQueue": "arn:aws:batch:eu-west-1:123456789012:job-queue/dev-carbon-jq",
           "jobDefinition": "arn:aws:batch:eu-west-1:123456789012:job-definition/dev-carbon-jd:6"}
job:
  description:
    - The job. In check mode, only what is known before submitting (name, queue, job definition).
  returned: always, except with O(state=absent) when no job matched
  type: dict
  contains:
    job_id:
      description: ID of the job (null in check mode).
      type: str
      sample: 4f1c5a55-2a3e-4d5e-9b6b-0f8f5f6c9d21
    job_arn:
      description: ARN of the job.
      type: str
    job_name:
      description: Name of the job.
      type: str
    job_queue:
      description: ARN of the job queue.
      type: str
    job_definition:
      description: ARN of the job definition revision the job runs.
      type: str
      sample: arn:aws:batch:eu-west-1:123456789012:job-definition/dev-carbon-jd:6
    job_definition_name:
      description: Name of the job definition.
      type: str
    job_definition_revision:
      description: Revision of the job definition.
      type: int
      sample: 6
    status:
      description: Status of the job (C(SUBMITTED) right after a submit without waiting).
      type: str
      sample: SUCCEEDED
    status_reason:
      description: Why the job is in its status (for example C(Essential container in task exited)).
      type: str
    exit_code:
      description: Exit code of the job's container (of its last attempt).
      type: int
      sample: 0
    container_reason:
      description: Reason of the container's stop, when AWS Batch reports one.
      type: str
    attempts:
      description: Number of attempts made.
      type: int
    attempt_details:
      description:
        - Each ended attempt with its number (C(attempt), from 1), C(started_at), C(stopped_at), C(exit_code),
          C(reason), C(status_reason), its own C(log_stream) and, when the task waited, its own C(log_lines)
          (the last O(log_lines) lines of that stream).
      type: list
      elements: dict
    created_at:
      description: When the job was submitted (ISO 8601, UTC).
      type: str
    started_at:
      description: When the job started running (ISO 8601, UTC).
      type: str
    stopped_at:
      description: When the job stopped (ISO 8601, UTC).
      type: str
    duration_seconds:
      description: Seconds between C(started_at) and C(stopped_at).
      type: float
    log_group:
      description: CloudWatch Logs group of the job's output.
      type: str
      sample: /aws/batch/job
    log_stream:
      description: CloudWatch Logs stream of the job's latest attempt.
      type: str
    log_lines:
      description:
        - The last O(log_lines) lines of RV(job.log_stream), the latest attempt's output. Earlier attempts'
          lines are in RV(job.attempt_details).
      type: list
      elements: str
      returned: when the task waited for the job
    array_size:
      description: Number of children of an array job.
      type: int
    array_index:
      description: Index of an array job's child.
      type: int
    array_status_summary:
      description: Number of an array job's children per status.
      type: dict
      sample: {"SUCCEEDED": 998, "FAILED": 2}
    failed_children:
      description:
        - For a failed array job, its first failed children (same keys as RV(job)).
        - The first one has its C(log_lines).
      type: list
      elements: dict
      returned: when an array job failed
    depends_on:
      description: The jobs this job depends on (C(job_id), C(type)).
      type: list
      elements: dict
    parameters:
      description: Parameters of the job.
      type: dict
    tags:
      description: Tags of the job.
      type: dict
    share_identifier:
      description: Share identifier of the job.
      type: str
    scheduling_priority:
      description: Scheduling priority of the job.
      type: int
    is_cancelled:
      description: Whether the job was cancelled.
      type: bool
    is_terminated:
      description: Whether the job was terminated.
      type: bool
    diagnosis:
      description:
        - Why the job stayed C(RUNNABLE), found out after O(diagnose_after) seconds (or when O(wait_timeout) ended).
        - An empty C(findings) list means nothing in the queue or its compute environments prevents the job from
          running (it waits for capacity, or for jobs ahead of it).
      type: dict
      returned: when the task waited and the job was RUNNABLE that long
      contains:
        waited_seconds:
          description: Seconds the job had been RUNNABLE when it was diagnosed.
          type: float
        findings:
          description:
            - Each reason found, with C(reason) (a code such as V(QUEUE_DISABLED), V(NO_USABLE_ENVIRONMENT),
              V(PLATFORM_MISMATCH), V(TOO_MANY_VCPUS), V(TOO_MUCH_MEMORY), V(FARGATE_SIZE), V(CAPACITY_IN_USE),
              V(STATUS_REASON)) and C(message), a sentence.
          type: list
          elements: dict
          sample: [{"reason": "TOO_MANY_VCPUS", "message": "the job needs 64 vCPUs, more than any compute environment
                    of dev-carbon-jq can give: dev-carbon-ce has maxvCpus 8"}]
    stop_action:
      description: With O(state=absent), V(cancelled) or V(terminated), or null when the job had already ended.
      type: str
      returned: state=absent
jobs:
  description: With O(state=absent), every job that matched, with the same keys as RV(job).
  returned: state=absent
  type: list
  elements: dict
"""

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (  # noqa: E402
    BatchError,
    BatchValidationError,
    BatchWaitTimeout,
)
from ansible_collections.ondemand.batch.plugins.module_utils.job import (  # noqa: E402
    JobFollower,
    build_submit_request,
    describe_job,
    describe_jobs,
    failed_children,
    failure_message,
    find_active_jobs,
    job_definition_parts,
    masked_request,
    require_job_queue,
    resolve_job_definition,
    shape_job,
    stop_job,
    submit_job,
    validate_job_name,
    validate_submit,
    wait_for_jobs,
)
from ansible_collections.ondemand.batch.plugins.module_utils.job_diagnosis import safe_explain  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.validation import validate_range  # noqa: E402


def argument_spec():
    return {
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "name": {"type": "str", "aliases": ["job_name"]},
        "job_queue": {"type": "str", "aliases": ["queue"]},
        "job_definition": {"type": "str"},
        "parameters": {"type": "dict"},
        "command": {"type": "list", "elements": "str"},
        "environment": {"type": "dict"},
        "secret_environment": {"type": "dict", "no_log": True},
        "vcpus": {"type": "float"},
        "memory": {"type": "int"},
        "array_size": {"type": "int"},
        "depends_on": {
            "type": "list",
            "elements": "dict",
            "options": {"job_id": {"type": "str"}, "type": {"type": "str", "choices": ["N_TO_N", "SEQUENTIAL"]}},
        },
        "retry_attempts": {"type": "int", "aliases": ["attempts"]},
        "evaluate_on_exit": {
            "type": "list",
            "elements": "dict",
            "options": {
                "action": {"type": "str", "required": True, "choices": ["RETRY", "EXIT"]},
                "on_exit_code": {"type": "str"},
                "on_reason": {"type": "str"},
                "on_status_reason": {"type": "str"},
            },
        },
        "timeout": {"type": "int", "aliases": ["attempt_duration_seconds"]},
        "tags": {"type": "dict", "aliases": ["resource_tags"]},
        "propagate_tags": {"type": "bool"},
        "share_identifier": {"type": "str"},
        "scheduling_priority_override": {"type": "int"},
        "skip_if_active": {"type": "bool", "default": False},
        "wait": {"type": "bool", "default": True},
        "wait_timeout": {"type": "int", "default": 3600},
        "poll_interval": {"type": "float", "default": 2.0},
        "max_poll_interval": {"type": "float", "default": 15.0},
        "log_lines": {"type": "int", "default": 20},
        "live_output": {"type": "bool", "default": True},
        "fail_on_job_failure": {"type": "bool", "default": True},
        "diagnose_after": {"type": "int", "default": 60},
        "job_id": {"type": "str"},
        "reason": {"type": "str", "default": "Stopped by ondemand.batch.job"},
    }


def validate_common(params):
    validate_range("wait_timeout", params.get("wait_timeout"), minimum=1)
    validate_range("diagnose_after", params.get("diagnose_after"), minimum=0)
    validate_range("log_lines", params.get("log_lines"), minimum=0, maximum=10000)
    validate_range("poll_interval", params.get("poll_interval"), minimum=0.01)
    validate_range("max_poll_interval", params.get("max_poll_interval"), minimum=0.01)


def planned_job(params, definition, queue):
    """What check mode knows about a job before it exists."""
    name, revision = job_definition_parts(definition["jobDefinitionArn"])
    planned = shape_job({})
    planned.update(
        {
            "job_name": params["name"],
            "job_queue": queue["jobQueueArn"],
            "job_definition": definition["jobDefinitionArn"],
            "job_definition_name": name,
            "job_definition_revision": revision,
            "status": None,
            "array_size": params.get("array_size"),
            "parameters": params.get("parameters"),
            "tags": params.get("tags") or {},
            "depends_on": [{"job_id": d.get("job_id"), "type": d.get("type")} for d in params.get("depends_on") or []],
        }
    )
    return planned


def ensure_submitted(batch, params, check_mode, logs=None, warn=None):
    """Submit (unless skipped or in check mode) and, when the module itself waits, follow the job.

    Returns ``(changed, result)``; a failed or timed-out wait is reported through ``result["failure"]``.
    """
    definition = resolve_job_definition(batch, params["job_definition"])
    queue = require_job_queue(batch, params["job_queue"])
    if params.get("skip_if_active"):
        active = find_active_jobs(batch, queue["jobQueueArn"], params["name"])
        if active:
            job = describe_job(batch, active[0]["jobId"]) or active[0]
            reason = f"job {params['name']} ({job['jobId']}) is already {job.get('status')} in {queue['jobQueueName']}"
            return False, {"submitted": False, "skipped_reason": reason, "job": shape_job(job)}
    request = build_submit_request(params, definition["jobDefinitionArn"], queue["jobQueueArn"])
    shown = masked_request(request, set(params.get("secret_environment") or {}))
    planned = planned_job(params, definition, queue)
    result = {"submitted": True, "request": shown, "diff": {"before": {}, "after": shown}}
    if check_mode:
        result["job"] = planned
        return True, result
    response = submit_job(batch, request)
    planned.update(job_id=response["jobId"], job_arn=response.get("jobArn"), status="SUBMITTED")
    result["job"] = planned
    if not params.get("wait"):
        return True, result
    follower = JobFollower(
        batch,
        logs,
        log_lines=params["log_lines"],
        poll_interval=params["poll_interval"],
        max_poll_interval=params["max_poll_interval"],
        warn=warn,
        diagnose=lambda job: safe_explain(batch, job, warn),
        diagnose_after=params["diagnose_after"],
    )
    try:
        follower.follow(response["jobId"], timeout=params["wait_timeout"])
    except BatchWaitTimeout as e:
        result["job"] = follower.result() or planned
        result["failure"] = e.message
        return True, result
    result["job"] = follower.result()
    if result["job"]["status"] == "FAILED":
        children = failed_children(batch, follower.job, logs, params["log_lines"])
        if children:
            result["job"]["failed_children"] = children
        if params.get("fail_on_job_failure"):
            result["failure"] = failure_message(result["job"], children)
    return True, result


def ensure_followed(batch, params, check_mode, logs=None, warn=None):
    """Show the job ``job_id`` and, with ``wait`` (not in check mode), follow it until it ends.

    Returns ``(False, result)``; a failed job or a timed-out wait is reported through ``result["failure"]``.
    """
    job = describe_job(batch, params["job_id"])
    if job is None:
        raise BatchValidationError(
            "job_id", f"no job {params['job_id']} (AWS Batch forgets ended jobs after a while; check the region)"
        )
    follower = JobFollower(
        batch,
        logs,
        log_lines=params["log_lines"],
        poll_interval=params["poll_interval"],
        max_poll_interval=params["max_poll_interval"],
        warn=warn,
        diagnose=lambda job: safe_explain(batch, job, warn),
        diagnose_after=params["diagnose_after"],
    )
    result = {"submitted": False}
    try:
        if params.get("wait") and not check_mode:
            follower.follow(job["jobId"], timeout=params["wait_timeout"])
        else:
            follower.snapshot(job)
    except BatchWaitTimeout as e:
        result["job"] = follower.result()
        result["failure"] = e.message
        return False, result
    result["job"] = follower.result()
    if result["job"]["status"] == "FAILED":
        children = failed_children(batch, follower.job, logs, params["log_lines"])
        if children:
            result["job"]["failed_children"] = children
        if params.get("fail_on_job_failure"):
            result["failure"] = failure_message(result["job"], children)
    return False, result


def ensure_stopped(batch, params, check_mode):
    """Cancel or terminate the job ``job_id`` or the active jobs ``name`` in ``job_queue``."""
    if params.get("job_id"):
        jobs = describe_jobs(batch, [params["job_id"]])
    else:
        queue = require_job_queue(batch, params["job_queue"])
        active = find_active_jobs(batch, queue["jobQueueArn"], params["name"])
        jobs = describe_jobs(batch, [summary["jobId"] for summary in active])
    actions = {}
    for job in jobs:
        actions[job["jobId"]] = stop_job(batch, job, params["reason"], check_mode=check_mode)
    stopped = [job_id for job_id, action in actions.items() if action]
    if stopped and params.get("wait") and not check_mode:
        jobs = wait_for_jobs(
            batch,
            [job["jobId"] for job in jobs],
            timeout=params["wait_timeout"],
            poll_interval=params["poll_interval"],
            max_poll_interval=params["max_poll_interval"],
        )
    shaped = []
    for job in jobs:
        entry = shape_job(job)
        entry["stop_action"] = actions.get(job["jobId"])
        shaped.append(entry)
    result = {
        "jobs": shaped,
        "diff": {
            "before": {job["jobId"]: job.get("status") for job in jobs if actions.get(job["jobId"])},
            "after": dict.fromkeys(stopped, "FAILED"),
        },
    }
    if shaped:
        result["job"] = shaped[0]
    return bool(stopped), result


def main():
    module = BatchModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[("job_id", "name"), ("job_id", "job_definition")],
    )
    params = module.params
    following = params["state"] == "present" and bool(params.get("job_id"))
    try:
        validate_common(params)
        if following:
            pass
        elif params["state"] == "present":
            missing = [k for k in ("name", "job_queue", "job_definition") if not params.get(k)]
            if missing:
                module.fail_json(
                    msg=f"state is present but all of the following are missing: {', '.join(missing)} "
                    "(or give job_id to follow a job submitted earlier)"
                )
            validate_submit(params)
        elif not params.get("job_id"):
            if not (params.get("name") and params.get("job_queue")):
                module.fail_json(msg="state=absent needs job_id, or name and job_queue")
            validate_job_name("name", params["name"])
        batch = module.batch_client()
        if following:
            logs = module.retrying_client("logs") if params["log_lines"] else None
            changed, result = ensure_followed(batch, params, module.check_mode, logs=logs, warn=module.warn)
        elif params["state"] == "present":
            logs = module.retrying_client("logs") if params["wait"] and params["log_lines"] else None
            changed, result = ensure_submitted(batch, params, module.check_mode, logs=logs, warn=module.warn)
        else:
            changed, result = ensure_stopped(batch, params, module.check_mode)
    except BatchError as e:
        module.fail_json_aws_error(e)
    diff = result.pop("diff", None)
    if module._diff and diff is not None:
        result["diff"] = diff
    failure = result.pop("failure", None)
    if failure:
        module.fail_json(msg=failure, changed=changed, **result)
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
