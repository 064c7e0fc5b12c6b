"""Batch jobs and the one scheduler thread that moves every job through AWS's job states.

SUBMITTED -> PENDING -> RUNNABLE -> STARTING -> RUNNING -> SUCCEEDED | FAILED, one ``transition_delay``
per step. PENDING waits for dependencies; RUNNABLE waits for an ENABLED+VALID queue and a compute
environment that can hold the job (emulator.batch.placement) and has vCPUs left under maxvCpus;
RUNNING is a local process (executor ``local``) or a delay (``none``).
Array children are jobs of their own; the parent's status and ``statusSummary`` follow its children.
"""

import copy
import functools
import heapq
import itertools
import json
import logging
import os
import re
import threading
import time
import uuid

from moto.batch.utils import make_arn_for_job

from emulator import iam, runtime
from emulator.app import STATE_LOCK
from emulator.batch import placement
from emulator.batch.executor import LaunchError, LocalProcess, LogTarget, resolve_secrets
from emulator.batch.resources import now_ms

LOG = logging.getLogger("emulator.batch")

STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
QUEUED = ("SUBMITTED", "PENDING", "RUNNABLE")
ACTIVE = ("STARTING", "RUNNING")  # the states in which a job holds vCPUs of its compute environment
TERMINAL = ("SUCCEEDED", "FAILED")
EXITED = "Essential container in task exited"
TIMED_OUT = "Job attempt duration exceeded timeout"
DEPENDENCY_FAILED = "Dependent Job failed"
STOP_GRACE_SECONDS = 2.0
TICK_SECONDS = 0.05
BLOCKED_RECHECK_SECONDS = 0.2
REF = re.compile(r"Ref::([A-Za-z0-9_.-]+)")
_SUBMITTED = itertools.count()


class Job:
    def __init__(self, backend, request, job_def, queue, parent=None, index=None):
        self.backend = backend
        self.request = request
        self.job_def = job_def
        self.queue = queue
        self.parent = parent
        self.index = index
        self.id = f"{parent.id}:{index}" if parent is not None else str(uuid.uuid4())
        # Queue order: submission order, array children by index.
        self.order = (parent.order[0], index) if parent is not None else (next(_SUBMITTED), -1)
        self.name = request["jobName"]
        self.arn = make_arn_for_job(backend.account_id, self.id, backend.region_name)
        self.parameters = {**(job_def.parameters or {}), **(request.get("parameters") or {})}
        self.overrides = request.get("containerOverrides") or {}
        self.retry_strategy = request.get("retryStrategy") or job_def.retry_strategy
        self.timeout = request.get("timeout") or job_def.timeout
        self.depends_on = copy.deepcopy(request.get("dependsOn") or [])
        self.deps = []
        self.waiters = []
        self.status = "PENDING" if parent is not None else "SUBMITTED"
        self.status_reason = None
        self.created_at = now_ms()
        self.started_at = None
        self.stopped_at = None
        self.attempts = []
        self.current = None  # the attempt in progress
        self.children = None
        self.summary = None
        self.finished_children = 0
        self.is_cancelled = False
        self.is_terminated = False
        self.stop_reason = None  # TerminateJob reason while the process stops
        self.timed_out = False
        self.exited = None  # (exit code, time) of a process that ended while the job is still RUNNING
        self.deadline = None
        self.due = None
        self.process = None
        self.log = None
        self.ce = None
        self.blocked_since = None  # when the job got its current blocked-queue statusReason
        self.blocked_published = None  # the reason of the last "Batch Job Queue Blocked" event

    # --- derived values ---------------------------------------------------------------------------
    @property
    def size(self):
        return len(self.children) if self.children is not None else None

    @property
    def container_properties(self):
        return self.job_def.container_properties or {}

    @property
    def command(self):
        command = self.overrides.get("command")
        if command is None:
            command = self.container_properties.get("command") or []
        return [REF.sub(lambda m: self.parameters.get(m.group(1), m.group(0)), arg) for arg in command]

    @property
    def environment(self):
        merged = {item["name"]: item.get("value", "") for item in self.container_properties.get("environment") or []}
        for item in self.overrides.get("environment") or []:
            merged[item["name"]] = item.get("value", "")
        return merged

    @property
    def resource_requirements(self):
        merged = {item["type"]: item["value"] for item in self.container_properties.get("resourceRequirements") or []}
        for item in self.overrides.get("resourceRequirements") or []:
            merged[item["type"]] = item["value"]
        return [{"type": key, "value": value} for key, value in merged.items()]

    @functools.cached_property
    def demand(self):
        """vCPUs, memory and GPUs from resourceRequirements (overrides first), else the legacy vcpus/memory."""
        wanted = {item["type"]: item["value"] for item in self.resource_requirements}
        vcpus = wanted.get("VCPU", self.overrides.get("vcpus") or self.container_properties.get("vcpus") or 1)
        memory = wanted.get("MEMORY", self.overrides.get("memory") or self.container_properties.get("memory"))
        return placement.Demand(
            vcpus=float(vcpus),
            memory=int(float(memory)) if memory is not None else None,
            gpus=int(float(wanted.get("GPU") or 0)),
            fargate=self.wants_fargate,
        )

    @property
    def vcpus(self):
        return self.demand.vcpus

    @property
    def wants_fargate(self):
        return "FARGATE" in (self.job_def.platform_capabilities or [])

    @property
    def attempt_duration(self):
        return (self.timeout or {}).get("attemptDurationSeconds")

    # --- API shapes -------------------------------------------------------------------------------
    def summary_shape(self):
        shape = {
            "jobArn": self.arn,
            "jobId": self.id,
            "jobName": self.name,
            "createdAt": self.created_at,
            "status": self.status,
            "jobDefinition": self.job_def.arn,
        }
        if self.status_reason:
            shape["statusReason"] = self.status_reason
        if self.started_at is not None:
            shape["startedAt"] = self.started_at
        if self.stopped_at is not None:
            shape["stoppedAt"] = self.stopped_at
        last = self.attempts[-1]["container"] if self.attempts and self.status in TERMINAL else None
        if last is not None and ("exitCode" in last or "reason" in last):
            shape["container"] = {key: last[key] for key in ("exitCode", "reason") if key in last}
        if self.children is not None:
            shape["arrayProperties"] = {"size": self.size}
        elif self.index is not None:
            shape["arrayProperties"] = {"index": self.index}
        if self.is_cancelled:
            shape["isCancelled"] = True
        if self.is_terminated:
            shape["isTerminated"] = True
        return shape

    def detail_shape(self):
        detail = self.summary_shape()
        detail.pop("container", None)
        detail.pop("arrayProperties", None)
        detail.update(
            {
                "jobQueue": self.queue.arn,
                "dependsOn": copy.deepcopy(self.depends_on),
                "parameters": dict(self.parameters),
                "attempts": copy.deepcopy(self.attempts),
                "tags": self.backend.list_tags_for_resource(self.arn),
                "platformCapabilities": list(self.job_def.platform_capabilities or ["EC2"]),
                "isCancelled": self.is_cancelled,
                "isTerminated": self.is_terminated,
            }
        )
        if self.retry_strategy:
            detail["retryStrategy"] = copy.deepcopy(self.retry_strategy)
        if self.timeout:
            detail["timeout"] = copy.deepcopy(self.timeout)
        if self.request.get("propagateTags") is not None or self.job_def.propagate_tags is not None:
            detail["propagateTags"] = bool(self.request.get("propagateTags", self.job_def.propagate_tags))
        for key in ("shareIdentifier",):
            if self.request.get(key) is not None:
                detail[key] = self.request[key]
        if self.request.get("schedulingPriorityOverride") is not None:
            detail["schedulingPriority"] = self.request["schedulingPriorityOverride"]
        if self.children is not None:
            detail["arrayProperties"] = {"statusSummary": dict(self.summary), "size": self.size}
        elif self.index is not None:
            detail["arrayProperties"] = {"index": self.index}
        detail["container"] = self._container_detail()  # a parent has no attempt: no task, stream or exit code
        return detail

    def _container_detail(self):
        container = copy.deepcopy(self.container_properties)
        container["command"] = self.command
        container["environment"] = [{"name": name, "value": value} for name, value in self.environment.items()]
        container["resourceRequirements"] = self.resource_requirements
        for key in ("vcpus", "memory", "instanceType"):
            if self.overrides.get(key) is not None:
                container[key] = self.overrides[key]
        attempt = self.current or (self.attempts[-1] if self.attempts else None)
        if attempt is not None:
            container.update(copy.deepcopy(attempt["container"]))
        container.setdefault("networkInterfaces", [])
        return container


class Scheduler:
    """Steps every job from one thread; holds STATE_LOCK while it works, sleeps without it."""

    def __init__(self):
        self._cond = threading.Condition(STATE_LOCK)
        self._heap = []
        self._seq = itertools.count()
        self._running = set()
        self._blocked = set()
        self._usage = {}  # compute environment -> vCPUs its STARTING and RUNNING jobs hold
        self._blocked_checked = 0.0
        self._thread = None
        self._stopping = False

    # --- thread -----------------------------------------------------------------------------------
    def start(self):
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name="batch-scheduler", daemon=True)
            self._thread.start()

    def shutdown(self):
        """Stop the thread and every job process (SIGTERM handling of the server)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        with STATE_LOCK:
            self.clear()

    def _loop(self):
        with self._cond:
            while not self._stopping:
                try:
                    self.step()
                except Exception:  # one bad job must not stop every other job
                    LOG.exception("batch scheduler step failed")
                self._cond.wait(self._wait_time())

    def _wait_time(self):
        if self._running:
            return TICK_SECONDS
        waits = []
        if self._heap:
            waits.append(max(0.0, self._heap[0][0] - time.monotonic()))
        if self._blocked:
            waits.append(BLOCKED_RECHECK_SECONDS)
        return min(waits) if waits else None

    # --- bookkeeping ------------------------------------------------------------------------------
    def clear(self, backend=None):
        """Forget the jobs (of one backend, or all), killing their processes."""
        for job in list(self._running):
            if backend is None or job.backend is backend:
                job.process.kill()
                job.process = None
                self._running.discard(job)
        if backend is None:
            self._heap = []
            self._blocked = set()
            self._usage = {}
        else:
            self._heap = [item for item in self._heap if item[2].backend is not backend]
            heapq.heapify(self._heap)
            self._blocked = {job for job in self._blocked if job.backend is not backend}
            self._usage = {ce: used for ce, used in self._usage.items() if ce.backend is not backend}

    def _at(self, job, delay=None):
        delay = runtime.controls.transition_delay if delay is None else delay
        job.due = time.monotonic() + delay
        heapq.heappush(self._heap, (job.due, next(self._seq), job))
        self._cond.notify_all()

    def add(self, job):
        """A newly submitted job (with its children, if it is an array job)."""
        runnable = job.children if job.children is not None else [job]
        for each in runnable:
            for dep in each.deps:
                if dep.status not in TERMINAL:
                    dep.waiters.append(each)
            self._at(each)

    # --- the state machine ------------------------------------------------------------------------
    def step(self, now=None):
        now = time.monotonic() if now is None else now
        while self._heap and self._heap[0][0] <= now:
            due, _seq, job = heapq.heappop(self._heap)
            if job.due != due or job.status in TERMINAL:
                continue
            job.due = None
            self._advance(job, now)
        for job in list(self._running):
            self._poll(job, now)
        if self._blocked and now - self._blocked_checked >= BLOCKED_RECHECK_SECONDS:
            self._blocked_checked = now
            verdicts = {}  # thousands of blocked array children share a handful of answers
            waiting = sorted(self._blocked, key=lambda job: job.order)  # oldest first: they get capacity first
            self._blocked = set()
            for job in waiting:
                if job.status == "RUNNABLE":
                    self._advance(job, now, verdicts)
            self._heads_of_queues(now)

    def _advance(self, job, now, verdicts=None):
        if job.status == "SUBMITTED":
            self._set_status(job, "PENDING")
            self._at(job)
        elif job.status == "PENDING":
            deps = [dep.status for dep in job.deps]
            if "FAILED" in deps:
                self._finish(job, "FAILED", DEPENDENCY_FAILED)
            elif all(status == "SUCCEEDED" for status in deps):
                self._set_status(job, "RUNNABLE")
                self._at(job)
            # else: a dependency's completion wakes this job again
        elif job.status == "RUNNABLE":
            ce, reason = self._placement(job, now, verdicts)
            if ce is None:
                if reason != job.status_reason:
                    job.blocked_since = now if reason else None
                job.status_reason = reason
                self._blocked.add(job)
                return
            job.ce = ce
            job.status_reason = None
            job.blocked_since = None
            job.blocked_published = None
            self._set_status(job, "STARTING")
            self._at(job)
        elif job.status == "STARTING":
            self._launch(job)
        elif job.status == "RUNNING" and job.process is None and job.current is not None:
            code, stopped_at = job.exited if job.exited is not None else (0, None)
            self._end_attempt(job, exit_code=code, stopped_at=stopped_at)

    def _placement(self, job, now, verdicts=None):
        """(compute environment, None) to place the job on, or (None, the statusReason while it waits)."""
        queue = job.queue
        if queue.settle(now) or not queue.ready:
            return None, None
        environments = [ce for _order, ce in sorted(queue.environments, key=lambda item: item[0])]
        for ce in environments:
            ce.settle(now)
        valid = [ce for ce in environments if ce.status in ("VALID", "UPDATING")]
        if not valid:
            return None, placement.INVALID_ENVIRONMENTS
        key = (queue, job.demand)
        found = verdicts.get(key) if verdicts is not None else None
        if found is None:
            unavailable = frozenset(runtime.controls.insufficient_capacity)
            found = [
                (ce, placement.verdict(job.demand, ce.is_fargate, ce.compute_resources, unavailable)) for ce in valid
            ]
            if verdicts is not None:
                verdicts[key] = found
        fitting = [ce for ce, verdict in found if verdict is None]
        if not fitting:
            return None, found[0][1][1]
        enforce = runtime.controls.capacity == "enforce"
        for ce in fitting:
            if ce.ready and (not enforce or self._has_room(ce, job.vcpus)):
                return ce, None
        return None, None  # waiting for capacity (or an environment to be ENABLED and VALID): no reason

    def _has_room(self, ce, vcpus):
        if ce.compute_resources is None:  # UNMANAGED: the emulator does not know the instances
            return True
        return self._usage.get(ce, 0.0) + vcpus <= (ce.compute_resources.get("maxvCpus") or 0) + 1e-9

    # --- blocked queues: events and jobStateTimeLimitActions ----------------------------------------
    def _heads_of_queues(self, now):
        """AWS acts on the job at the head of a blocked queue: publish the event, apply the time limits."""
        heads = {}
        for job in self._blocked:
            head = heads.get(job.queue)
            if head is None or job.order < head.order:
                heads[job.queue] = job
        for queue, job in heads.items():
            if not job.status_reason:
                continue
            if job.blocked_published != job.status_reason:
                job.blocked_published = job.status_reason
                self._publish_blocked(job)
            code = placement.reason_code(job.status_reason)
            if code not in placement.TIME_LIMIT_REASONS:
                continue
            for action in queue.time_limit_actions or []:
                if action.get("state") != "RUNNABLE" or action.get("reason") != code:
                    continue
                limit = float(action.get("maxTimeSeconds") or 0) * runtime.controls.time_limit_scale
                if now - job.blocked_since >= limit:
                    LOG.info("job %s (%s): jobStateTimeLimitAction %s after %ss", job.id, job.name, action, limit)
                    job.is_cancelled = True
                    self._finish(job, "FAILED", placement.CANCELED_BY_TIME_LIMIT.format(reason=code))
                    break

    @staticmethod
    def _publish_blocked(job):
        """A "Batch Job Queue Blocked" event on the default event bus (User Guide, batch-job-queue-blocked-events)."""
        from moto.events.models import events_backends

        try:
            events_backends[job.backend.account_id][job.backend.region_name].put_events(
                [
                    {
                        "Source": "aws.batch",
                        "DetailType": "Batch Job Queue Blocked",
                        "Detail": json.dumps(job.detail_shape()),
                        "Resources": [job.arn, job.queue.arn],
                    }
                ]
            )
        except Exception:  # an event that cannot be delivered must not stop the scheduler
            LOG.warning("could not publish the blocked-queue event of job %s", job.id, exc_info=True)

    def _launch(self, job):
        ce = job.ce
        backend = job.backend
        task_id = uuid.uuid4().hex
        prefix = f"arn:{backend.partition}:ecs:{backend.region_name}:{backend.account_id}"
        container = {"taskArn": f"{prefix}:task/{ce.ecs_cluster_name}/{task_id}", "networkInterfaces": []}
        if not ce.is_fargate:
            container["containerInstanceArn"] = f"{prefix}:container-instance/{ce.ecs_cluster_name}/{uuid.uuid4().hex}"
        job.current = {"container": container}
        job.timed_out = False
        job.stop_reason = None
        for key in ("executionRoleArn", "jobRoleArn"):
            role = job.container_properties.get(key)
            if role and iam.role_propagating(backend.iam_backend, role):
                job.current["startedAt"] = now_ms()
                self._end_attempt(job, reason=iam.ECS_TASK_ROLE.format(arn=role))
                return
        if runtime.controls.executor == "none":
            self._started(job)
            self._at(job)
            return
        try:
            job.log = self._log_target(job, task_id, ce)
            if job.log is not None:
                container["logStreamName"] = job.log.stream
            env = self._environment(job, ce)
            job.process = LocalProcess(job.command, env)
        except LaunchError as exc:
            job.current["startedAt"] = now_ms()
            job.log = None
            self._end_attempt(job, reason=str(exc))
            return
        self._started(job)
        if job.attempt_duration:
            job.deadline = time.monotonic() + float(job.attempt_duration)
        self._running.add(job)
        LOG.info("job %s (%s) attempt %d runs %s", job.id, job.name, len(job.attempts) + 1, job.command)

    def _started(self, job):
        job.current["startedAt"] = now_ms()
        job.started_at = job.current["startedAt"]
        self._set_status(job, "RUNNING")

    def _log_target(self, job, task_id, ce):
        config = job.container_properties.get("logConfiguration")
        options = {}
        if config:
            if config.get("logDriver") != "awslogs":
                return None
            options = config.get("options") or {}
        group = options.get("awslogs-group")
        create = group is None or str(options.get("awslogs-create-group", "")).lower() == "true"
        prefix = options.get("awslogs-stream-prefix") or job.job_def.name
        region = options.get("awslogs-region") or job.backend.region_name
        try:
            return LogTarget(
                job.backend.account_id, region, group or "/aws/batch/job", f"{prefix}/default/{task_id}", create
            )
        except LaunchError:
            if ce.is_fargate:
                raise LaunchError(
                    "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 "
                    "times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log "
                    f"group does not exist. (log group {group})"
                ) from None
            raise

    def _environment(self, job, ce):
        backend = job.backend
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "AWS_REGION": backend.region_name,
            "AWS_DEFAULT_REGION": backend.region_name,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE" if ce.is_fargate else "AWS_ECS_EC2",
        }
        if runtime.endpoint:
            env["AWS_ENDPOINT_URL"] = runtime.endpoint
        env.update(job.environment)
        env.update(resolve_secrets(job.container_properties.get("secrets"), backend.account_id, backend.region_name))
        env.update(
            {
                "AWS_BATCH_JOB_ID": job.id,
                "AWS_BATCH_JQ_NAME": job.queue.name,
                "AWS_BATCH_CE_NAME": ce.name,
                "AWS_BATCH_JOB_ATTEMPT": str(len(job.attempts) + 1),
            }
        )
        if job.index is not None:
            env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(job.index)
        return env

    def _poll(self, job, now):
        events, code = job.process.poll(now)
        if job.log is not None:
            job.log.put(events)
        if code is None:
            if job.deadline is not None and now >= job.deadline and not job.timed_out and job.stop_reason is None:
                job.timed_out = True
                job.process.stop(STOP_GRACE_SECONDS)
            return
        self._running.discard(job)
        job.process = None
        job.deadline = None
        # Like AWS, the job stays RUNNING while its task stops; the attempt ended when the process did.
        job.exited = (code, now_ms())
        self._at(job)

    def _end_attempt(self, job, exit_code=None, reason=None, stopped_at=None):
        """Record the attempt in progress; then SUCCEEDED, FAILED or back to RUNNABLE for a retry."""
        attempt = job.current
        job.current = None
        job.log = None
        job.exited = None
        if exit_code is not None:
            attempt["container"]["exitCode"] = exit_code
        if reason is not None:
            attempt["container"]["reason"] = reason
        if job.stop_reason is not None:
            status_reason, retryable = job.stop_reason, False
        elif job.timed_out:
            status_reason, retryable = TIMED_OUT, False
        else:
            status_reason, retryable = reason or EXITED, True
        attempt["statusReason"] = status_reason
        attempt["stoppedAt"] = stopped_at or now_ms()
        attempt.setdefault("startedAt", attempt["stoppedAt"])
        job.attempts.append(attempt)
        if retryable and exit_code == 0:
            self._finish(job, "SUCCEEDED", status_reason)
        elif retryable and self._should_retry(job):
            LOG.info("job %s attempt %d failed (%s); retrying", job.id, len(job.attempts), status_reason)
            job.status_reason = None
            self._set_status(job, "RUNNABLE")
            self._at(job)
        else:
            self._finish(job, "FAILED", status_reason)

    @staticmethod
    def _should_retry(job):
        strategy = job.retry_strategy or {}
        if len(job.attempts) >= (strategy.get("attempts") or 1):
            return False
        attempt = job.attempts[-1]
        actual = {
            "onStatusReason": attempt.get("statusReason", ""),
            "onReason": attempt["container"].get("reason", ""),
            "onExitCode": str(attempt["container"]["exitCode"]) if "exitCode" in attempt["container"] else "",
        }
        for rule in strategy.get("evaluateOnExit") or []:
            if all(_glob(rule[key], actual[key]) for key in actual if rule.get(key) is not None):
                return str(rule.get("action", "")).upper() == "RETRY"
        return True

    def _set_status(self, job, status):
        old, job.status = job.status, status
        if job.ce is not None and (old in ACTIVE) != (status in ACTIVE):
            self._usage[job.ce] = self._usage.get(job.ce, 0.0) + (job.vcpus if status in ACTIVE else -job.vcpus)
        parent = job.parent
        if parent is not None and old != status:
            parent.summary[old] -= 1
            parent.summary[status] += 1
            if parent.status == "SUBMITTED" and status not in ("SUBMITTED", "PENDING"):
                parent.status = "PENDING"
            if status == "RUNNING" and parent.started_at is None:
                parent.started_at = now_ms()
            if status in TERMINAL:
                parent.finished_children += 1
                if parent.finished_children == parent.size:
                    failed = parent.summary["FAILED"]
                    reason = f"Array Child Job failed ({failed} of {parent.size} child jobs failed)" if failed else None
                    self._finish(parent, "FAILED" if failed else "SUCCEEDED", reason)

    def _finish(self, job, status, reason):
        job.status_reason = reason
        job.stopped_at = now_ms()
        job.due = None
        self._blocked.discard(job)
        self._set_status(job, status)
        LOG.info("job %s (%s) %s: %s", job.id, job.name, status, reason)
        waiters, job.waiters = job.waiters, []
        for waiter in waiters:
            if waiter.status == "PENDING":
                self._at(waiter, 0)

    # --- CancelJob / TerminateJob -----------------------------------------------------------------
    def cancel(self, job, reason):
        """AWS: only jobs that have not reached STARTING are cancelled; the call succeeds either way."""
        for each in job.children if job.children is not None else [job]:
            if each.status in QUEUED:
                each.is_cancelled = True
                self._finish(each, "FAILED", reason)
        if job.children is not None and job.status in QUEUED:
            job.is_cancelled = True

    def terminate(self, job, reason):
        """Queued and STARTING jobs fail at once; RUNNING ones are stopped (SIGTERM, then SIGKILL)."""
        if job.children is not None:
            job.is_terminated = job.status not in TERMINAL
        for each in job.children if job.children is not None else [job]:
            if each.status in TERMINAL:
                continue
            each.is_terminated = True
            if each.status in QUEUED or each.status == "STARTING":
                self._finish(each, "FAILED", reason)
            elif each.process is not None:
                each.stop_reason = reason
                each.process.stop(STOP_GRACE_SECONDS)
                self._cond.notify_all()
            else:  # RUNNING without a process: executor "none", or the process already exited
                each.stop_reason = reason
                code, stopped_at = each.exited if each.exited is not None else (None, None)
                self._end_attempt(each, exit_code=code, stopped_at=stopped_at)


def _glob(pattern, value):
    """AWS evaluateOnExit patterns: exact match, or a prefix match when the pattern ends with ``*``."""
    pattern = str(pattern)
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


SCHEDULER = Scheduler()
