# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch jobs: submit requests, job definition resolution, describing and listing, following a job.

Shared by the ``job``, ``job_info`` and ``job_schedule`` modules and by the ``job`` action plugin,
which follows a job from the controller to show its progress live. Helpers take clients made with
``aws_retry`` support (``BatchModule.retrying_client`` or amazon.aws' ``RetryingBotoClientWrapper``),
raise ``BatchError`` and never call ``fail_json``.
"""

import collections
import datetime
import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ondemand.batch.plugins.module_utils.common import paginate_items
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchError,
    BatchErrorHandler,
    BatchValidationError,
    BatchWaitTimeout,
)
from ansible_collections.ondemand.batch.plugins.module_utils.job_diagnosis import summary as diagnosis_summary
from ansible_collections.ondemand.batch.plugins.module_utils.validation import (
    is_arn,
    validate_max_items,
    validate_name,
    validate_range,
)
from ansible_collections.ondemand.batch.plugins.module_utils.waiters import wait_for

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # handled by AnsibleAWSModule / the action plugin
    BotoCoreError = ClientError = Exception

QUEUED_STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE")
ACTIVE_STATUSES = QUEUED_STATUSES + ("STARTING", "RUNNING")
TERMINAL_STATUSES = ("SUCCEEDED", "FAILED")
ALL_STATUSES = ACTIVE_STATUSES + TERMINAL_STATUSES

DEFAULT_LOG_GROUP = "/aws/batch/job"
DESCRIBE_BATCH = 100  # DescribeJobs takes at most 100 job ids
MAX_LOG_PAGES_PER_POLL = 20
JOB_DEFINITION_ARN_RE = re.compile(r"^arn:[^:]+:batch:[^:]*:[^:]*:job-definition/([A-Za-z0-9_-]{1,128})(?::([0-9]+))?$")
JOB_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
EXIT_CODE_RE = re.compile(r"^[0-9]*\*?$")
REASON_RE = re.compile(r"^[A-Za-z0-9.:\s*-]*$")
# datetime.UTC needs Python 3.11; modules also run on older target Pythons.
UTC = datetime.timezone.utc  # noqa: UP017


# ---------------------------------------------------------------------------------------------- input
def validate_job_name(field, value):
    if not isinstance(value, str) or not JOB_NAME_RE.match(value):
        raise BatchValidationError(
            field,
            f"must be 1-128 letters, digits, hyphens and underscores, starting with a letter or digit (got {value!r})",
        )
    return value


def parse_job_definition_ref(value, field="job_definition"):
    """``name``, ``name:revision`` or an ARN with or without revision -> ``(name, revision or None)``."""
    if not isinstance(value, str) or not value:
        raise BatchValidationError(field, "is required: a job definition name, name:revision or ARN")
    if is_arn(value):
        match = JOB_DEFINITION_ARN_RE.match(value)
        if not match:
            raise BatchValidationError(
                field, f"is not a job definition ARN (arn:aws:batch:REGION:ACCOUNT:job-definition/NAME[:REV]): {value}"
            )
        revision = match.group(2)
        return match.group(1), int(revision) if revision else None
    name, sep, revision = value.partition(":")
    validate_name(field, name)
    if sep:
        if not revision.isdigit() or int(revision) < 1:
            raise BatchValidationError(field, f"revision must be a positive number in name:revision (got {value!r})")
        return name, int(revision)
    return name, None


def _number_text(value):
    """2.0 -> '2', 0.25 -> '0.25' (resourceRequirements values are strings)."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def validate_overrides(command=None, environment=None, vcpus=None, memory=None, field_prefix=""):
    if command is not None and not all(isinstance(part, str) for part in command):
        raise BatchValidationError(field_prefix + "command", "must be a list of strings")
    for key in environment or {}:
        if not key or not isinstance(key, str):
            raise BatchValidationError(field_prefix + "environment", "names must be non-empty strings")
        if key.startswith("AWS_BATCH"):
            raise BatchValidationError(
                field_prefix + "environment", f"names starting with AWS_BATCH are reserved by AWS Batch ({key})"
            )
    if vcpus is not None and float(vcpus) <= 0:
        raise BatchValidationError(field_prefix + "vcpus", f"must be greater than 0 (got {vcpus})")
    validate_range(field_prefix + "memory", memory, minimum=1)


def container_overrides(command=None, environment=None, vcpus=None, memory=None, instance_type=None):
    """SubmitJob ``containerOverrides`` (camelCase); None when nothing is overridden.

    vCPUs and memory go to ``resourceRequirements`` (the top-level ``vcpus``/``memory`` fields are
    deprecated and not accepted for Fargate).
    """
    overrides = {}
    if command is not None:
        overrides["command"] = list(command)
    if environment:
        overrides["environment"] = [{"name": k, "value": str(v)} for k, v in sorted(environment.items())]
    requirements = []
    if vcpus is not None:
        requirements.append({"type": "VCPU", "value": _number_text(vcpus)})
    if memory is not None:
        requirements.append({"type": "MEMORY", "value": str(int(memory))})
    if requirements:
        overrides["resourceRequirements"] = requirements
    if instance_type:
        overrides["instanceType"] = instance_type
    return overrides or None


def validate_submit(params):
    """Check the ``job`` module's parameters for a submit, before any call."""
    validate_job_name("name", params.get("name"))
    if not params.get("job_queue"):
        raise BatchValidationError("job_queue", "is required to submit a job (a queue name or ARN)")
    parse_job_definition_ref(params.get("job_definition"))
    validate_range("array_size", params.get("array_size"), 2, 10000)
    validate_range("retry_attempts", params.get("retry_attempts"), 1, 10)
    validate_range("timeout", params.get("timeout"), minimum=60)
    validate_range("scheduling_priority_override", params.get("scheduling_priority_override"), 0, 9999)
    validate_max_items("depends_on", params.get("depends_on"), 20)
    for dependency in params.get("depends_on") or []:
        if dependency.get("type") and not params.get("array_size"):
            raise BatchValidationError("depends_on", "type N_TO_N or SEQUENTIAL applies to array jobs: set array_size")
        if not dependency.get("job_id") and dependency.get("type") != "SEQUENTIAL":
            raise BatchValidationError("depends_on", "job_id is required unless type is SEQUENTIAL")
    validate_evaluate_on_exit(params.get("evaluate_on_exit"))
    if params.get("evaluate_on_exit") and not params.get("retry_attempts"):
        raise BatchValidationError("evaluate_on_exit", "needs retry_attempts (the retry strategy it belongs to)")
    environment = dict(params.get("environment") or {})
    secret_environment = params.get("secret_environment") or {}
    both = sorted(set(environment) & set(secret_environment))
    if both:
        raise BatchValidationError("secret_environment", f"names also set in environment: {', '.join(both)}")
    environment.update(secret_environment)
    validate_overrides(params.get("command"), environment, params.get("vcpus"), params.get("memory"))
    tags = params.get("tags")
    if tags is not None and len(tags) > 50:
        raise BatchValidationError("tags", f"takes at most 50 tags (got {len(tags)})")


def validate_evaluate_on_exit(rules):
    validate_max_items("evaluate_on_exit", rules, 5)
    for rule in rules or []:
        code = rule.get("on_exit_code")
        if code is not None and (not EXIT_CODE_RE.match(code) or len(code) > 512 or code == ""):
            raise BatchValidationError(
                "evaluate_on_exit", f"on_exit_code takes digits, optionally ending with * (got {code!r})"
            )
        for key in ("on_reason", "on_status_reason"):
            text = rule.get(key)
            if text is not None and (len(text) > 512 or not REASON_RE.match(text)):
                raise BatchValidationError(
                    "evaluate_on_exit",
                    f"{key} takes up to 512 letters, digits, spaces, '.', ':', '-', optionally ending with * "
                    f"(got {text!r})",
                )


def build_submit_request(params, job_definition_arn, job_queue):
    """The SubmitJob request for the ``job`` module's parameters (validated by ``validate_submit``)."""
    request = {"jobName": params["name"], "jobQueue": job_queue, "jobDefinition": job_definition_arn}
    if params.get("parameters"):
        request["parameters"] = {k: str(v) for k, v in params["parameters"].items()}
    environment = dict(params.get("environment") or {})
    environment.update(params.get("secret_environment") or {})
    overrides = container_overrides(
        params.get("command"), environment, params.get("vcpus"), params.get("memory"), params.get("instance_type")
    )
    if overrides:
        request["containerOverrides"] = overrides
    if params.get("array_size"):
        request["arrayProperties"] = {"size": params["array_size"]}
    if params.get("depends_on"):
        request["dependsOn"] = []
        for dependency in params["depends_on"]:
            entry = {}
            if dependency.get("job_id"):
                entry["jobId"] = dependency["job_id"]
            if dependency.get("type"):
                entry["type"] = dependency["type"]
            request["dependsOn"].append(entry)
    if params.get("retry_attempts") or params.get("evaluate_on_exit"):
        strategy = {}
        if params.get("retry_attempts"):
            strategy["attempts"] = params["retry_attempts"]
        if params.get("evaluate_on_exit"):
            strategy["evaluateOnExit"] = []
            for rule in params["evaluate_on_exit"]:
                entry = {"action": rule["action"].upper()}
                for key, api_key in (
                    ("on_exit_code", "onExitCode"),
                    ("on_reason", "onReason"),
                    ("on_status_reason", "onStatusReason"),
                ):
                    if rule.get(key) is not None:
                        entry[api_key] = rule[key]
                strategy["evaluateOnExit"].append(entry)
        request["retryStrategy"] = strategy
    if params.get("timeout"):
        request["timeout"] = {"attemptDurationSeconds": params["timeout"]}
    if params.get("tags"):
        request["tags"] = {str(k): str(v) for k, v in params["tags"].items()}
    if params.get("propagate_tags") is not None:
        request["propagateTags"] = params["propagate_tags"]
    if params.get("share_identifier"):
        request["shareIdentifier"] = params["share_identifier"]
    if params.get("scheduling_priority_override") is not None:
        request["schedulingPriorityOverride"] = params["scheduling_priority_override"]
    return request


def masked_request(request, secret_names):
    """A copy of a SubmitJob request with the values of ``secret_names`` environment entries hidden."""
    if not secret_names or "containerOverrides" not in request:
        return request
    masked = dict(request)
    overrides = dict(masked["containerOverrides"])
    overrides["environment"] = [
        {"name": e["name"], "value": "********" if e["name"] in secret_names else e["value"]}
        for e in overrides.get("environment", [])
    ]
    masked["containerOverrides"] = overrides
    return masked


# ---------------------------------------------------------------------------------------------- look-ups
@BatchErrorHandler.common_error_handler("describe job definitions")
def describe_job_definitions(client, **kwargs):
    return paginate_items(client.describe_job_definitions, "jobDefinitions", **kwargs)


def resolve_job_definition(client, reference):
    """A job definition by name (latest ACTIVE revision), ``name:revision`` or ARN.

    Returns the DescribeJobDefinitions entry; raises BatchValidationError when there is none.
    """
    name, revision = parse_job_definition_ref(reference)
    if revision is None:
        found = [
            d
            for d in describe_job_definitions(client, jobDefinitionName=name, status="ACTIVE")
            if d.get("status", "ACTIVE") == "ACTIVE" and d.get("jobDefinitionName") == name
        ]
        if not found:
            raise BatchValidationError("job_definition", f"no ACTIVE revision of job definition {name!r}")
        return max(found, key=lambda d: d["revision"])
    found = [
        d
        for d in describe_job_definitions(client, jobDefinitions=[f"{name}:{revision}"])
        if d.get("jobDefinitionName") == name and d.get("revision") == revision
    ]
    if not found:
        raise BatchValidationError("job_definition", f"job definition {name}:{revision} does not exist")
    if found[0].get("status") == "INACTIVE":
        raise BatchValidationError(
            "job_definition",
            f"{name}:{revision} is INACTIVE (deregistered); give the name alone to use the latest ACTIVE revision",
        )
    return found[0]


@BatchErrorHandler.common_error_handler("describe job queue")
def describe_job_queue(client, reference):
    """The DescribeJobQueues entry for a queue name or ARN, or None."""
    queues = client.describe_job_queues(jobQueues=[reference], aws_retry=True).get("jobQueues", [])
    for queue in queues:
        if reference in (queue.get("jobQueueName"), queue.get("jobQueueArn")):
            return queue
    return None


def require_job_queue(client, reference, field="job_queue"):
    queue = describe_job_queue(client, reference)
    if queue is None:
        raise BatchValidationError(field, f"no job queue {reference!r}")
    if queue.get("state") == "DISABLED":
        raise BatchValidationError(field, f"job queue {queue.get('jobQueueName')} is DISABLED: it accepts no jobs")
    return queue


@BatchErrorHandler.common_error_handler("describe jobs")
def describe_jobs(client, job_ids):
    """DescribeJobs for any number of ids, 100 per call; returns the jobs found, in the order asked."""
    found = {}
    ids = list(dict.fromkeys(job_ids))
    for start in range(0, len(ids), DESCRIBE_BATCH):
        chunk = ids[start : start + DESCRIBE_BATCH]
        for job in client.describe_jobs(jobs=chunk, aws_retry=True).get("jobs", []):
            found[job["jobId"]] = job
            if job.get("jobArn"):
                found[job["jobArn"]] = job
    ordered = []
    seen = set()
    for job_id in ids:
        job = found.get(job_id)
        if job is not None and job["jobId"] not in seen:
            seen.add(job["jobId"])
            ordered.append(job)
    return ordered


def describe_job(client, job_id):
    jobs = describe_jobs(client, [job_id])
    return jobs[0] if jobs else None


def _to_millis(value):
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    return int(value.timestamp() * 1000)


@BatchErrorHandler.common_error_handler("list jobs")
def list_jobs(
    client,
    job_queue=None,
    array_job_id=None,
    statuses=None,
    name=None,
    created_after=None,
    created_before=None,
    max_results=None,
):
    """ListJobs, paginated, for a queue or an array job's children.

    ListJobs takes one filter at a time and ignores ``jobStatus`` when a filter is given, so the most
    selective filter goes to the server and everything else (statuses, the other filters) is applied
    here. Without a filter and without statuses, an ``AFTER_CREATED_AT`` 0 filter lists every status in
    one pagination rather than seven. ``created_after``/``created_before`` are datetimes or epoch ms.
    """
    after, before = _to_millis(created_after), _to_millis(created_before)
    base = {}
    if job_queue:
        base["jobQueue"] = job_queue
    if array_job_id:
        base["arrayJobId"] = array_job_id
    requests = []
    if name:
        requests.append(dict(base, filters=[{"name": "JOB_NAME", "values": [name]}]))
    elif after is not None:
        requests.append(dict(base, filters=[{"name": "AFTER_CREATED_AT", "values": [str(after)]}]))
    elif before is not None:
        requests.append(dict(base, filters=[{"name": "BEFORE_CREATED_AT", "values": [str(before)]}]))
    elif statuses and not array_job_id:
        requests.extend(dict(base, jobStatus=status) for status in statuses)
    elif array_job_id and statuses and len(statuses) == 1:
        requests.append(dict(base, jobStatus=statuses[0]))
    elif array_job_id:
        # Filters are not supported with arrayJobId: one call per status.
        requests.extend(dict(base, jobStatus=status) for status in (statuses or ALL_STATUSES))
    else:
        requests.append(dict(base, filters=[{"name": "AFTER_CREATED_AT", "values": ["0"]}]))

    jobs = {}
    for request in requests:
        while True:
            response = client.list_jobs(aws_retry=True, **request)
            for summary in response.get("jobSummaryList", []):
                if _summary_matches(summary, statuses, name, after, before):
                    jobs.setdefault(summary["jobId"], summary)
                if max_results and len(jobs) >= max_results:
                    return list(jobs.values())
            token = response.get("nextToken")
            if not token:
                break
            request = dict(request, nextToken=token)
    return list(jobs.values())


def _summary_matches(summary, statuses, name, after, before):
    if statuses and summary.get("status") not in statuses:
        return False
    if name:
        job_name = summary.get("jobName", "")
        if name.endswith("*"):
            if not job_name.startswith(name[:-1]):
                return False
        elif job_name != name:
            return False
    created = summary.get("createdAt")
    if after is not None and created is not None and created < after:
        return False
    return not (before is not None and created is not None and created > before)


def find_active_jobs(client, job_queue, name):
    """Jobs named exactly ``name`` that are queued or running in ``job_queue``."""
    return list_jobs(client, job_queue=job_queue, name=name, statuses=list(ACTIVE_STATUSES))


@BatchErrorHandler.common_error_handler("submit job")
def submit_job(client, request):
    return client.submit_job(aws_retry=True, **request)


@BatchErrorHandler.common_error_handler("stop job")
def stop_job(client, job, reason, check_mode=False):
    """Cancel a queued job or terminate a starting/running one. Returns the action, or None when done."""
    status = job.get("status")
    if status in TERMINAL_STATUSES:
        return None
    action = "cancelled" if status in QUEUED_STATUSES else "terminated"
    if not check_mode:
        if action == "cancelled":
            client.cancel_job(jobId=job["jobId"], reason=reason, aws_retry=True)
        else:
            client.terminate_job(jobId=job["jobId"], reason=reason, aws_retry=True)
    return action


# ---------------------------------------------------------------------------------------------- logs
def log_group_of(job):
    """The CloudWatch Logs group a job writes to (awslogs-group of its log configuration, else the default)."""
    config = (job.get("container") or {}).get("logConfiguration") or {}
    if config.get("logDriver", "awslogs") == "awslogs":
        group = (config.get("options") or {}).get("awslogs-group")
        if group:
            return group
    return DEFAULT_LOG_GROUP


def log_stream_of(job):
    stream = (job.get("container") or {}).get("logStreamName")
    if stream:
        return stream
    for attempt in reversed(job.get("attempts") or []):
        stream = (attempt.get("container") or {}).get("logStreamName")
        if stream:
            return stream
    return None


class LogReader:
    """Reads a job's log streams forward with GetLogEvents tokens: each line is returned once.

    A stream that does not exist yet reads as empty. Any other error (for example no logs:GetLogEvents
    permission) is reported once through ``warn`` and switches log reading off: logs never fail a task.
    """

    def __init__(self, client, warn=None):
        self.client = client
        self.warn = warn
        self.tokens = {}
        self.disabled = client is None

    def read(self, group, stream):
        if self.disabled or not group or not stream:
            return []
        key = (group, stream)
        token = self.tokens.get(key)
        lines = []
        for _page in range(MAX_LOG_PAGES_PER_POLL):
            request = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
            if token:
                request["nextToken"] = token
            try:
                response = self.client.get_log_events(aws_retry=True, **request)
            except is_boto3_error_code("ResourceNotFoundException"):
                break
            except (ClientError, BotoCoreError) as e:  # pylint: disable=duplicate-except
                self.disabled = True
                if self.warn is not None:
                    self.warn(f"Not reading the job's logs from {group} {stream}: {e}")
                break
            events = response.get("events", [])
            lines.extend(event.get("message", "").rstrip("\n") for event in events)
            new_token = response.get("nextForwardToken") or token
            if not events or new_token == token:
                token = new_token
                break
            token = new_token
        self.tokens[key] = token
        return lines


def tail_log(client, group, stream, count):
    """The last ``count`` lines of a log stream (one GetLogEvents call); [] when there is no stream."""
    if client is None or not group or not stream or not count:
        return []
    try:
        response = client.get_log_events(
            logGroupName=group, logStreamName=stream, startFromHead=False, limit=count, aws_retry=True
        )
    except is_boto3_error_code("ResourceNotFoundException"):
        return []
    except (ClientError, BotoCoreError) as e:  # pylint: disable=duplicate-except
        raise BatchError(message=f"Failed to read log stream {group} {stream}", exception=e) from e
    return [event.get("message", "").rstrip("\n") for event in response.get("events", [])][-count:]


# ---------------------------------------------------------------------------------------------- results
def iso_time(millis):
    if millis is None:
        return None
    moment = datetime.datetime.fromtimestamp(millis / 1000.0, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def job_definition_parts(arn):
    match = JOB_DEFINITION_ARN_RE.match(arn or "")
    if not match:
        return None, None
    return match.group(1), int(match.group(2)) if match.group(2) else None


def exit_code_of(job):
    code = (job.get("container") or {}).get("exitCode")
    if code is None:
        for attempt in reversed(job.get("attempts") or []):
            code = (attempt.get("container") or {}).get("exitCode")
            if code is not None:
                break
    return code


def shape_attempt(attempt, number, attempt_lines=None):
    container = attempt.get("container") or {}
    shaped = {
        "attempt": number,
        "started_at": iso_time(attempt.get("startedAt")),
        "stopped_at": iso_time(attempt.get("stoppedAt")),
        "exit_code": container.get("exitCode"),
        "reason": container.get("reason"),
        "status_reason": attempt.get("statusReason"),
        "log_stream": container.get("logStreamName"),
    }
    if attempt_lines is not None:
        shaped["log_lines"] = list(attempt_lines.get(number) or [])
    return shaped


def shape_job(job, log_lines=None, attempt_lines=None):
    """A DescribeJobs entry (or a ListJobs summary) as the modules return it, in snake_case.

    ``attempt_lines`` maps attempt numbers (1, 2, ...) to each attempt's own log lines (``attempt_details``).
    """
    container = job.get("container") or {}
    array = job.get("arrayProperties") or {}
    definition_name, revision = job_definition_parts(job.get("jobDefinition"))
    started, stopped = job.get("startedAt"), job.get("stoppedAt")
    attempts = job.get("attempts")
    shaped = {
        "job_id": job.get("jobId"),
        "job_arn": job.get("jobArn"),
        "job_name": job.get("jobName"),
        "job_queue": job.get("jobQueue"),
        "job_definition": job.get("jobDefinition"),
        "job_definition_name": definition_name,
        "job_definition_revision": revision,
        "status": job.get("status"),
        "status_reason": job.get("statusReason"),
        "exit_code": exit_code_of(job),
        "container_reason": container.get("reason"),
        "attempts": len(attempts) if attempts is not None else None,
        "attempt_details": [shape_attempt(a, number, attempt_lines) for number, a in enumerate(attempts or [], 1)],
        "created_at": iso_time(job.get("createdAt")),
        "started_at": iso_time(started),
        "stopped_at": iso_time(stopped),
        "duration_seconds": round((stopped - started) / 1000.0, 3) if started and stopped else None,
        "log_group": log_group_of(job) if log_stream_of(job) else None,
        "log_stream": log_stream_of(job),
        "array_size": array.get("size"),
        "array_index": array.get("index"),
        "array_status_summary": array.get("statusSummary"),
        "depends_on": [{"job_id": d.get("jobId"), "type": d.get("type")} for d in job.get("dependsOn") or []],
        "parameters": job.get("parameters"),
        "tags": job.get("tags") or {},
        "share_identifier": job.get("shareIdentifier"),
        "scheduling_priority": job.get("schedulingPriority"),
        "is_cancelled": job.get("isCancelled"),
        "is_terminated": job.get("isTerminated"),
    }
    if log_lines is not None:
        shaped["log_lines"] = list(log_lines)
    return shaped


def failure_message(shaped, children=None):
    """The message of a task whose job failed: status reason, exit code and the last log lines."""
    parts = [f"Job {shaped.get('job_name')} ({shaped.get('job_id')}) {shaped.get('status')}"]
    if shaped.get("status_reason"):
        parts.append(f": {shaped['status_reason']}")
    if shaped.get("exit_code") is not None:
        parts.append(f"; exit code {shaped['exit_code']}")
    if shaped.get("container_reason"):
        parts.append(f"; {shaped['container_reason']}")
    if shaped.get("array_status_summary"):
        summary = ", ".join(f"{k} {v}" for k, v in sorted(shaped["array_status_summary"].items()) if v)
        parts.append(f"; children: {summary}")
    if children:
        first = children[0]
        parts.append(f"; first failed child {first.get('job_id')} exit code {first.get('exit_code')}")
    attempts = shaped.get("attempt_details") or []
    if len(attempts) > 1:
        parts.append(f"; {len(attempts)} attempts")
        for attempt in attempts:
            parts.append(f"\nAttempt {attempt['attempt']}: {attempt_outcome(attempt)}")
            lines = attempt.get("log_lines") or []
            if lines:
                where = f" ({shaped.get('log_group')} {attempt['log_stream']})" if attempt.get("log_stream") else ""
                parts.append(f". Last {len(lines)} log lines{where}:\n" + "\n".join(lines))
        return "".join(parts)
    lines = shaped.get("log_lines") or []
    if lines:
        where = f" ({shaped.get('log_group')} {shaped.get('log_stream')})" if shaped.get("log_stream") else ""
        parts.append(f". Last {len(lines)} log lines{where}:\n" + "\n".join(lines))
    return "".join(parts)


def attempt_outcome(attempt):
    """``exit code 1 (reason); status reason`` of one shaped attempt."""
    parts = []
    if attempt.get("exit_code") is not None:
        parts.append(f"exit code {attempt['exit_code']}")
    if attempt.get("reason"):
        parts.append(attempt["reason"])
    if attempt.get("status_reason") and attempt.get("status_reason") != attempt.get("reason"):
        parts.append(attempt["status_reason"])
    return "; ".join(parts) or "no exit code"


# ---------------------------------------------------------------------------------------------- following
# The order of a job's statuses (AWS Batch "Job states"). Jobs without dependencies skip PENDING; an attempt that
# fails and is retried goes back to RUNNABLE.
STATUS_ORDER = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")


def attempts_allowed(job):
    """How many attempts the job may make (its retry strategy), at least 1."""
    return (job.get("retryStrategy") or {}).get("attempts") or 1


def is_array_parent(job):
    array = job.get("arrayProperties") or {}
    return bool(array.get("size")) and array.get("index") is None


def waits_for_capacity(job):
    """RUNNABLE, or an array parent whose children are RUNNABLE and none runs."""
    if job.get("status") == "RUNNABLE":
        return True
    summary = (job.get("arrayProperties") or {}).get("statusSummary") or {}
    return bool(summary.get("RUNNABLE")) and not (summary.get("STARTING") or summary.get("RUNNING"))


class JobFollower:
    """Follows one job until it ends: DescribeJobs with backoff, each attempt's log lines read forward.

    ``on_event(kind, data)`` reports progress in the order it happened, whatever each poll happened to see:

    - ``status`` ({job, previous, status, attempt}): one per transition, in order. A status a poll missed but the
      job must have passed is reported too: RUNNABLE and STARTING before an attempt, RUNNING when the attempt ran
      (it has a start time), RUNNABLE after an attempt that is retried. PENDING only when seen (jobs without
      dependencies skip it). An array parent's statuses are reported as seen. ``attempt`` is the number of the
      attempt the job is on, or about to make.
    - ``attempt`` ({job, attempt, attempts, log_group, log_stream}): an attempt's log stream, before its lines.
    - ``log`` ({line, stream, attempt}): each line once, after its attempt's ``attempt`` event.
    - ``attempt_end`` ({job, attempt, attempts, detail}): an attempt ended (``detail``: its entry in ``attempts``),
      after its lines and before the status that follows it.
    - ``array`` ({job, summary}): an array job's children per status, when it changes.
    - ``diagnosis`` ({job, findings, waited}): why the job is still RUNNABLE, once per stretch in RUNNABLE, when it
      has lasted ``diagnose_after`` seconds (0: never); ``diagnose(job)`` returns the findings and must not raise.
      A wait that times out while the job is RUNNABLE diagnoses it too, and says why in its message.
    - ``end`` ({job}).

    The poll delay starts at ``poll_interval``, grows by half each quiet poll up to ``max_poll_interval`` and drops
    back to ``poll_interval`` whenever something changed. An array job is followed through its parent's
    ``arrayProperties.statusSummary``: one DescribeJobs per poll whatever its size. ``known_status`` is the status
    the caller already reported (SUBMITTED right after a submit); None for a job followed later.
    """

    def __init__(
        self,
        batch,
        logs=None,
        log_lines=20,
        on_event=None,
        poll_interval=2.0,
        max_poll_interval=15.0,
        warn=None,
        sleep=time.sleep,
        clock=time.monotonic,
        known_status=None,
        diagnose=None,
        diagnose_after=60,
        wall=time.time,
    ):
        self.batch = batch
        self.logs = LogReader(logs, warn=warn)
        self.log_lines = max(log_lines or 0, 0)
        self.on_event = on_event
        self.poll_interval = max(float(poll_interval), 0.01)
        self.max_poll_interval = max(float(max_poll_interval), self.poll_interval)
        self.sleep = sleep
        self.clock = clock
        self.wall = wall
        self.diagnose = diagnose
        self.diagnose_after = float(diagnose_after or 0)
        self.diagnosis = None
        self.job = None
        self.polls = 0
        self.attempt_lines = {}  # attempt number -> its last log_lines lines
        self._status = known_status
        self._streams = {}  # attempt number -> log stream
        self._ended = 0  # attempts whose end was reported
        self._summary = None
        self._runnable_since = None
        self._diagnosed = False

    def _emit(self, kind, **data):
        if self.on_event is not None:
            self.on_event(kind, data)

    # --- the timeline -------------------------------------------------------------------------------
    def _status_to(self, job, target, infer=True):
        """Report the transitions from the last reported status to ``target``; False when already there."""
        if self._status == target:
            return False
        path = [target]
        if infer and self._status in STATUS_ORDER and target in STATUS_ORDER:
            here, there = STATUS_ORDER.index(self._status), STATUS_ORDER.index(target)
            if there > here:
                path = [s for s in STATUS_ORDER[here + 1 : there + 1] if s != "PENDING" or s == target]
        for status in path:
            self._emit("status", job=job, previous=self._status, status=status, attempt=self._ended + 1)
            self._status = status
        return True

    def _announce(self, job, number, group, stream):
        if stream and number not in self._streams:
            self._streams[number] = stream
            self._emit(
                "attempt", job=job, attempt=number, attempts=attempts_allowed(job), log_group=group, log_stream=stream
            )

    def _read(self, number, group, stream, final=False):
        """New lines of attempt ``number``, emitted one by one. CloudWatch may show a short job's lines a moment
        after it ended, so the last attempt of an ended job that showed no line yet gets one more read."""
        lines = self.logs.read(group, stream)
        if final and not lines and not self.attempt_lines.get(number) and stream and not self.logs.disabled:
            self.sleep(min(self.poll_interval, 2.0))
            lines = self.logs.read(group, stream)
        kept = self.attempt_lines.setdefault(number, collections.deque(maxlen=self.log_lines))
        for line in lines:
            kept.append(line)
            self._emit("log", line=line, stream=stream, attempt=number)
        return len(lines)

    def _observe(self, job):
        """Report what happened since the last poll, in order: ended attempts (each with its transitions, its log
        lines and its end), then the current status and the current attempt's new lines. True when anything did."""
        status = job.get("status")
        terminal = status in TERMINAL_STATUSES
        attempts = job.get("attempts") or []
        container = job.get("container") or {}
        if terminal and not attempts and container.get("logStreamName"):
            # Ended with a container but no attempt listed: that container was its one attempt.
            attempts = [{"container": container, "startedAt": job.get("startedAt"), "stoppedAt": job.get("stoppedAt")}]
        infer = not is_array_parent(job)
        group = log_group_of(job)
        activity = False
        for number in range(self._ended + 1, len(attempts) + 1):
            attempt = attempts[number - 1]
            last = number == len(attempts)
            if attempt.get("startedAt") or self._status == "RUNNING":
                self._status_to(job, "RUNNING", infer)
            elif self._status != "STARTING":
                self._status_to(job, "STARTING", infer)  # it never ran (the container could not start)
            stream = (attempt.get("container") or {}).get("logStreamName")
            self._announce(job, number, group, stream)
            if stream:
                self._read(number, group, stream, final=terminal and last)
            self._ended = number
            self._emit("attempt_end", job=job, attempt=number, attempts=attempts_allowed(job), detail=attempt)
            if not (terminal and last):
                self._status_to(job, "RUNNABLE", infer)
            activity = True
        if terminal:
            activity = self._status_to(job, status, infer=False) or activity
        elif status:
            activity = self._status_to(job, status, infer) or activity
            if status in ("STARTING", "RUNNING"):
                number = self._ended + 1
                stream = (job.get("container") or {}).get("logStreamName")
                if stream and stream not in self._streams.values():
                    self._announce(job, number, group, stream)
                if number in self._streams:
                    activity = self._read(number, group, self._streams[number]) > 0 or activity
        summary = (job.get("arrayProperties") or {}).get("statusSummary")
        if summary and summary != self._summary:
            self._summary = dict(summary)
            self._emit("array", job=job, summary=self._summary)
            activity = True
        return activity

    # --- stuck in RUNNABLE ---------------------------------------------------------------------------
    def _watch_runnable(self, job, now):
        if not waits_for_capacity(job):
            self._runnable_since = None
            self._diagnosed = False
            return
        if self._runnable_since is None:
            self._runnable_since = now
            if self.polls == 1 and not job.get("attempts") and job.get("createdAt"):
                # Followed later: it has waited about since it was created (less any time in PENDING).
                self._runnable_since = now - max(self.wall() - job["createdAt"] / 1000.0, 0.0)
        if self.diagnose_after and now - self._runnable_since >= self.diagnose_after:
            self._explain(job, now)

    def _explain(self, job, now):
        """Diagnose once per stretch in RUNNABLE: the read-only look-ups happen here and nowhere else."""
        if self._diagnosed or self.diagnose is None or not self.diagnose_after:
            return
        self._diagnosed = True
        waited = now - (self._runnable_since if self._runnable_since is not None else now)
        findings = self.diagnose(job) or []
        self.diagnosis = {"waited_seconds": round(waited, 1), "findings": findings}
        self._emit("diagnosis", job=job, findings=findings, waited=waited)

    # --- the loop ----------------------------------------------------------------------------------
    def follow(self, job_id, timeout=3600, description=None):
        """Poll until the job is SUCCEEDED or FAILED; returns its last DescribeJobs entry.

        Raises BatchWaitTimeout (``self.job`` keeps the last state; for a job still RUNNABLE the message says why
        it does not start, when ``diagnose`` is set) or BatchError when the job vanishes.
        """
        deadline = self.clock() + timeout
        delay = self.poll_interval
        while True:
            job = describe_job(self.batch, job_id)
            self.polls += 1
            if job is None:
                raise BatchError(message=f"Job {job_id} not found while waiting for it")
            self.job = job
            activity = self._observe(job)
            if job.get("status") in TERMINAL_STATUSES:
                self._emit("end", job=job)
                return job
            now = self.clock()
            self._watch_runnable(job, now)
            remaining = deadline - now
            if remaining <= 0:
                what = description or f"job {job.get('jobName')} ({job_id})"
                message = f"Timed out after {timeout}s waiting for {what} to end; last status: {job.get('status')}"
                if waits_for_capacity(job):
                    self._explain(job, now)
                    if self.diagnosis is not None:
                        message += f". Why it does not start: {diagnosis_summary(self.diagnosis['findings'])}"
                raise BatchWaitTimeout(message=message)
            delay = self.poll_interval if activity else min(delay * 1.5, self.max_poll_interval)
            self.sleep(min(delay, remaining))

    def snapshot(self, job):
        """Report a DescribeJobs entry once, without waiting: its history so far and its log lines."""
        self.job = job
        self.polls += 1
        self._observe(job)
        if job.get("status") in TERMINAL_STATUSES:
            self._emit("end", job=job)
        return job

    def result(self):
        """The job as the modules return it: ``log_lines`` of the attempt whose stream is ``log_stream``, and each
        ended attempt with its own ``log_lines`` in ``attempt_details``."""
        if self.job is None:
            return None
        stream = log_stream_of(self.job)
        current = next((n for n, s in self._streams.items() if s == stream), None)
        shaped = shape_job(self.job, list(self.attempt_lines.get(current) or []), attempt_lines=self.attempt_lines)
        if self.diagnosis is not None:
            shaped["diagnosis"] = self.diagnosis
        return shaped


def failed_children(client, job, logs=None, log_lines=0, limit=5):
    """For a FAILED array job: its first failed children (shaped), the first with its log tail."""
    summary = (job.get("arrayProperties") or {}).get("statusSummary")
    if not summary or not summary.get("FAILED"):
        return []
    found = list_jobs(client, array_job_id=job["jobId"], statuses=["FAILED"], max_results=limit)
    details = describe_jobs(client, [s["jobId"] for s in found])
    children = []
    for index, child in enumerate(details):
        lines = None
        if index == 0 and logs is not None and log_lines:
            lines = tail_log(logs, log_group_of(child), log_stream_of(child), log_lines)
        children.append(shape_job(child, lines))
    return children


def wait_for_jobs(client, job_ids, timeout, on_poll=None, poll_interval=2.0, max_poll_interval=15.0, **kwargs):
    """Wait until every job ended; only jobs still active are described again (100 per call)."""
    latest = {}
    pending = list(dict.fromkeys(job_ids))

    def fetch():
        for job in describe_jobs(client, pending):
            latest[job["jobId"]] = job
        missing = [i for i in pending if i not in latest]
        if missing:
            raise BatchError(message=f"Jobs not found: {', '.join(missing[:10])}")
        pending[:] = [i for i in pending if latest[i].get("status") not in TERMINAL_STATUSES]
        return latest

    def status_of(_jobs):
        counts = collections.Counter(latest[i].get("status") for i in pending)
        return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))

    wait_for(
        fetch,
        lambda _jobs: not pending,
        f"{len(job_ids)} jobs",
        timeout=timeout,
        status_of=status_of,
        on_poll=on_poll,
        initial_delay=poll_interval,
        max_delay=max_poll_interval,
        **kwargs,
    )
    return [latest[i] for i in dict.fromkeys(job_ids)]
