#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_info
short_description: Describe AWS Batch jobs by ID, or list a queue's jobs by status, name and time
version_added: 0.1.0
description:
  - Describes the jobs O(job_ids). C(DescribeJobs) takes at most 100 IDs, so the IDs are sent in batches of 100.
  - Or lists the jobs of a job queue (O(job_queue)) or the children of an array job (O(array_job_id)),
    filtered by status, name and creation time, following every page of C(ListJobs).
  - Can return the last log lines of each job, and wait until all the jobs have ended.
  - Never changes anything.
author:
  - ondemand.batch contributors (@ondemand)
options:
  job_ids:
    description:
      - IDs (or ARNs) of the jobs to describe. Unknown IDs are left out of the result.
      - O(status) applies to them; the other filters do not.
      - Mutually exclusive with O(job_queue) and O(array_job_id).
    type: list
    elements: str
    aliases: [ids]
  job_queue:
    description:
      - Name or ARN of the job queue whose jobs are listed.
    type: str
    aliases: [queue]
  array_job_id:
    description:
      - ID of an array job whose children are listed.
    type: str
  status:
    description:
      - Only jobs in these statuses.
      - All statuses when left out (unlike C(ListJobs), which then lists only C(RUNNING) jobs).
    type: list
    elements: str
    choices: [SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, FAILED]
    aliases: [statuses]
  name:
    description:
      - Only jobs with this name. A trailing C(*) matches names that start with the text before it.
    type: str
    aliases: [job_name]
  created_after:
    description:
      - Only jobs created at or after this time, ISO 8601 (for example V(2030-01-31T04:00:00Z); without an offset, UTC).
    type: str
  created_before:
    description:
      - Only jobs created at or before this time, ISO 8601.
    type: str
  created_within:
    description:
      - Only jobs created in this last period, a number and a unit C(m), C(h) or C(d), for example V(90m) or V(2d).
      - Mutually exclusive with O(created_after).
    type: str
  max_results:
    description:
      - Return at most this many listed jobs (listing stops early).
    type: int
  details:
    description:
      - Describe the listed jobs (C(DescribeJobs), 100 per call) instead of returning C(ListJobs) summaries.
        Summaries lack, for example, the log stream, attempts and parameters.
      - Always true with O(job_ids), and implied by O(log_lines) and O(wait).
    type: bool
    default: false
  log_lines:
    description:
      - Return the last N lines of each job's log stream (one C(GetLogEvents) call per job that has a stream).
    type: int
    default: 0
  wait:
    description:
      - Wait until every job is C(SUCCEEDED) or C(FAILED). Each poll describes only the jobs still active,
        100 per call, with a growing delay between polls.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait before failing.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds before the second poll; the delay grows by half per poll up to O(max_poll_interval).
    type: float
    default: 2.0
  max_poll_interval:
    description:
      - Longest delay between two polls, in seconds.
    type: float
    default: 15.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe two jobs
  ondemand.batch.job_info:
    job_ids:
      - 4f1c5a55-2a3e-4d5e-9b6b-0f8f5f6c9d21
      - 0b7d2c11-96a4-4c0e-8f71-5a2e3c1d9e40

- name: Failed jobs of the last day in the queue, with their last 20 log lines
  ondemand.batch.job_info:
    job_queue: dev-carbon-jq
    status: [FAILED]
    created_within: 1d
    log_lines: 20
  register: failed

- name: Jobs whose name starts with nightly-
  ondemand.batch.job_info:
    job_queue: dev-carbon-jq
    name: nightly-*

- name: Wait for a batch of jobs submitted with wait=false
  ondemand.batch.job_info:
    job_ids: "{{ submitted.results | map(attribute='job.job_id') | list }}"
    wait: true
    wait_timeout: 7200
  register: finished

- name: The failed children of an array job
  ondemand.batch.job_info:
    array_job_id: "{{ fan_out.job.job_id }}"
    status: [FAILED]
"""

RETURN = r"""
jobs:
  description:
    - The jobs, in the order of O(job_ids), or as listed.
    - Listed jobs without O(details) carry only what C(ListJobs) returns (no log stream, attempts or parameters).
  returned: always
  type: list
  elements: dict
  contains:
    job_id:
      description: ID of the job.
      type: str
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
      description: ARN of the job definition revision.
      type: str
    job_definition_name:
      description: Name of the job definition.
      type: str
    job_definition_revision:
      description: Revision of the job definition.
      type: int
    status:
      description: Status of the job.
      type: str
      sample: FAILED
    status_reason:
      description: Why the job is in its status.
      type: str
    exit_code:
      description: Exit code of the job's container (last attempt).
      type: int
    container_reason:
      description: Reason of the container's stop.
      type: str
    attempts:
      description: Number of attempts made.
      type: int
    attempt_details:
      description: Each ended attempt with its number (C(attempt), from 1), times, exit code, reasons and log stream.
      type: list
      elements: dict
    created_at:
      description: When the job was submitted (ISO 8601, UTC).
      type: str
    started_at:
      description: When the job started (ISO 8601, UTC).
      type: str
    stopped_at:
      description: When the job stopped (ISO 8601, UTC).
      type: str
    duration_seconds:
      description: Seconds between start and stop.
      type: float
    log_group:
      description: CloudWatch Logs group of the job's output.
      type: str
    log_stream:
      description: CloudWatch Logs stream of the job's output.
      type: str
    log_lines:
      description: The last O(log_lines) lines of the job's output.
      type: list
      elements: str
      returned: when O(log_lines) is set
    array_size:
      description: Number of children of an array job.
      type: int
    array_index:
      description: Index of an array job's child.
      type: int
    array_status_summary:
      description: Number of an array job's children per status.
      type: dict
    depends_on:
      description: The jobs this job depends on.
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
status_counts:
  description: Number of returned jobs per status.
  returned: always
  type: dict
  sample: {"SUCCEEDED": 12, "FAILED": 1}
"""

import collections  # noqa: E402
import datetime  # noqa: E402
import re  # noqa: E402

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.job import (  # noqa: E402
    ALL_STATUSES,
    describe_jobs,
    list_jobs,
    log_group_of,
    log_stream_of,
    shape_job,
    tail_log,
    wait_for_jobs,
)
from ansible_collections.ondemand.batch.plugins.module_utils.schedule import parse_date  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.validation import validate_range  # noqa: E402

WITHIN_RE = re.compile(r"^([0-9]+)\s*([mhd])$")
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


def argument_spec():
    return {
        "job_ids": {"type": "list", "elements": "str", "aliases": ["ids"]},
        "job_queue": {"type": "str", "aliases": ["queue"]},
        "array_job_id": {"type": "str"},
        "status": {"type": "list", "elements": "str", "choices": list(ALL_STATUSES), "aliases": ["statuses"]},
        "name": {"type": "str", "aliases": ["job_name"]},
        "created_after": {"type": "str"},
        "created_before": {"type": "str"},
        "created_within": {"type": "str"},
        "max_results": {"type": "int"},
        "details": {"type": "bool", "default": False},
        "log_lines": {"type": "int", "default": 0},
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 3600},
        "poll_interval": {"type": "float", "default": 2.0},
        "max_poll_interval": {"type": "float", "default": 15.0},
    }


def time_window(params, now=None):
    """``(created_after, created_before)`` as aware datetimes (or None) from the module's options."""
    after = parse_date("created_after", params.get("created_after"))
    before = parse_date("created_before", params.get("created_before"))
    within = params.get("created_within")
    if within:
        match = WITHIN_RE.match(within.strip())
        if not match or int(match.group(1)) < 1:
            raise BatchValidationError(
                "created_within", f"must be a number and m, h or d, such as 90m or 2d (got {within!r})"
            )
        now = now or datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 - modules run on Python < 3.11 too
        after = now - datetime.timedelta(seconds=int(match.group(1)) * UNIT_SECONDS[match.group(2)])
    if after and before and after > before:
        raise BatchValidationError("created_before", "must not be earlier than created_after")
    return after, before


def validate(params):
    validate_range("max_results", params.get("max_results"), minimum=1)
    validate_range("log_lines", params.get("log_lines"), minimum=0, maximum=10000)
    validate_range("wait_timeout", params.get("wait_timeout"), minimum=1)
    validate_range("poll_interval", params.get("poll_interval"), minimum=0.01)
    validate_range("max_poll_interval", params.get("max_poll_interval"), minimum=0.01)
    return time_window(params)


def gather(batch, logs, params, window):
    """The jobs as the module returns them."""
    if params.get("job_ids"):
        statuses = params.get("status")
        jobs = [job for job in describe_jobs(batch, params["job_ids"]) if not statuses or job["status"] in statuses]
    else:
        jobs = list_jobs(
            batch,
            job_queue=params.get("job_queue"),
            array_job_id=params.get("array_job_id"),
            statuses=params.get("status"),
            name=params.get("name"),
            created_after=window[0],
            created_before=window[1],
            max_results=params.get("max_results"),
        )
        detailed = params.get("details") or params.get("log_lines") or params.get("wait")
        if detailed:
            jobs = describe_jobs(batch, [job["jobId"] for job in jobs])
    if params.get("wait") and jobs:
        jobs = wait_for_jobs(
            batch,
            [job["jobId"] for job in jobs],
            timeout=params["wait_timeout"],
            poll_interval=params["poll_interval"],
            max_poll_interval=params["max_poll_interval"],
        )
    shaped = []
    for job in jobs:
        lines = None
        if params.get("log_lines"):
            lines = tail_log(logs, log_group_of(job), log_stream_of(job), params["log_lines"])
        shaped.append(shape_job(job, lines))
    return shaped


def main():
    module = BatchModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_one_of=[("job_ids", "job_queue", "array_job_id")],
        mutually_exclusive=[("job_ids", "job_queue"), ("job_ids", "array_job_id"), ("created_after", "created_within")],
    )
    try:
        window = validate(module.params)
        batch = module.batch_client()
        logs = module.retrying_client("logs") if module.params["log_lines"] else None
        jobs = gather(batch, logs, module.params, window)
    except BatchError as e:
        module.fail_json_aws_error(e)
    counts = collections.Counter(job["status"] for job in jobs)
    module.exit_json(changed=False, jobs=jobs, status_counts=dict(counts))


if __name__ == "__main__":
    main()
