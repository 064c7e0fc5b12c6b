# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ondemand.batch.job: submit through the module, then follow the job live.

A module runs on the target and can only report when it ends. To show a job's status changes and
log lines while it runs, this plugin (on the controller) runs the module with ``wait: false`` to
submit, then polls AWS Batch and CloudWatch Logs itself with boto3, printing progress through
Ansible's display as it happens, and returns the same result the module would have returned.

The AWS connection is resolved like amazon.aws modules resolve it: the task's connection options
(``region``, ``endpoint_url``, ``profile``, ``access_key``, ... with their aliases, module_defaults
included) first, then the ``AWS_*`` environment variables, where the task's ``environment`` keyword
counts as part of the environment, as it does for the module.
"""

import time

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.ondemand.batch.plugins.plugin_utils import aws

try:
    from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchWaitTimeout
    from ansible_collections.ondemand.batch.plugins.module_utils.job import (
        JobFollower,
        attempt_outcome,
        failed_children,
        failure_message,
        shape_attempt,
    )
    from ansible_collections.ondemand.batch.plugins.module_utils.job_diagnosis import safe_explain, summary
except ImportError as e:  # amazon.aws or boto3 missing on the controller: reported when a job is followed
    IMPORT_ERROR = e
else:
    IMPORT_ERROR = None

MODULE = "ondemand.batch.job"

# Defaults of the module's options that steer the following (kept equal to its argument spec).
FOLLOW_DEFAULTS = {
    "state": "present",
    "wait": True,
    "live_output": True,
    "wait_timeout": 3600,
    "poll_interval": 2.0,
    "max_poll_interval": 15.0,
    "log_lines": 20,
    "fail_on_job_failure": True,
    "diagnose_after": 60,
}


def make_clients(args, task_environment):
    """Retrying boto3 clients for Batch and CloudWatch Logs, built on the controller."""
    return aws.make_clients(args, task_environment, ("batch", "logs"), purpose=f"follow jobs ({MODULE})")


def follow_settings(args):
    """The module's follow options, typed (the module has already validated them)."""
    settings = dict(FOLLOW_DEFAULTS)
    settings.update({k: args[k] for k in FOLLOW_DEFAULTS if args.get(k) is not None})
    for key in ("wait", "live_output", "fail_on_job_failure"):
        settings[key] = boolean(settings[key], strict=False)
    for key in ("wait_timeout", "log_lines", "diagnose_after"):
        settings[key] = int(settings[key])
    for key in ("poll_interval", "max_poll_interval"):
        settings[key] = float(settings[key])
    return settings


class ProgressPrinter:
    """Turns JobFollower events into lines on the terminal, as they happen."""

    def __init__(self, host, show, show_logs=True):
        self.host = host
        self.show = show
        self.show_logs = show_logs
        self.hidden_logs = False

    def submitted(self, job):
        """The line printed right after the submit, before the first poll."""
        definition = f"{job.get('job_definition_name')}:{job.get('job_definition_revision')}"
        queue = (job.get("job_queue") or "").rsplit("/", 1)[-1]
        self.show(
            f"[{self.host}] job {job.get('job_name')} ({(job.get('job_id') or '')[:8]}): submitted to {queue} "
            f"with {definition} (job id {job.get('job_id')})"
        )

    def following(self, job):
        """The line printed before telling a job submitted earlier, from what AWS Batch still knows of it."""
        created = f", created {job['created_at']}" if job.get("created_at") else ""
        self.show(
            f"[{self.host}] job {job.get('job_name')} ({(job.get('job_id') or '')[:8]}): job id {job.get('job_id')}"
            f" in {(job.get('job_queue') or '').rsplit('/', 1)[-1]}{created}"
        )

    def _prefix(self, job):
        return f"[{self.host}] job {job.get('jobName')} ({job.get('jobId', '')[:8]})"

    @staticmethod
    def _attempt(number, attempts):
        return f"attempt {number} of {attempts}" if attempts > 1 else f"attempt {number}"

    def __call__(self, kind, data):
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(data)

    def _on_status(self, data):
        if data["status"] in ("SUCCEEDED", "FAILED"):
            return  # the "end" event says it, with the outcome
        job = data["job"]
        text = f"{self._prefix(job)}: {data['status']}"
        if data["previous"]:
            text = f"{self._prefix(job)}: {data['previous']} -> {data['status']}"
        attempts = (job.get("retryStrategy") or {}).get("attempts") or 1
        if data["status"] == "RUNNABLE" and data["previous"] in ("STARTING", "RUNNING"):
            text += f" (retried: {self._attempt(data['attempt'], attempts)})"
        self.show(text)

    def _on_array(self, data):
        summary = ", ".join(f"{status} {count}" for status, count in sorted(data["summary"].items()) if count)
        self.show(f"{self._prefix(data['job'])}: children {summary or 'none yet'}")

    def _on_attempt(self, data):
        where = f"{data['log_group']} {data['log_stream']}"
        self.show(f"{self._prefix(data['job'])}: {self._attempt(data['attempt'], data['attempts'])} logs in {where}")

    def _on_log(self, data):
        if self.show_logs:
            self.show(f"[{self.host}]   | {data['line']}")
        elif not self.hidden_logs:
            self.hidden_logs = True
            self.show(f"[{self.host}]   | (log lines hidden: the task has no_log)")

    def _on_attempt_end(self, data):
        job = data["job"]
        if job.get("status") in ("SUCCEEDED", "FAILED") and data["attempt"] >= len(job.get("attempts") or []):
            return  # the job's last attempt: the "end" event says how it ended
        outcome = attempt_outcome(shape_attempt(data["detail"], data["attempt"]))
        self.show(f"{self._prefix(data['job'])}: {self._attempt(data['attempt'], data['attempts'])} ended: {outcome}")

    def _on_diagnosis(self, data):
        waited = f"still RUNNABLE after {data['waited']:.0f}s"
        self.show(f"{self._prefix(data['job'])}: {waited}: {summary(data['findings'])}", "yellow")

    def _on_end(self, data):
        job = data["job"]
        container = job.get("container") or {}
        details = []
        if container.get("exitCode") is not None:
            details.append(f"exit code {container['exitCode']}")
        if len(job.get("attempts") or []) > 1:
            details.append(f"{len(job['attempts'])} attempts")
        if job.get("startedAt") and job.get("stoppedAt"):
            details.append(f"ran {(job['stoppedAt'] - job['startedAt']) / 1000.0:.1f}s")
        if job.get("status") == "FAILED" and job.get("statusReason"):
            details.append(job["statusReason"])
        suffix = f" ({'; '.join(details)})" if details else ""
        color = "green" if job.get("status") == "SUCCEEDED" else "red"
        self.show(f"{self._prefix(job)}: {job.get('status')}{suffix}", color)


def follow_and_report(
    result, batch, logs, settings, printer, warn, sleep=time.sleep, clock=time.monotonic, known_status="SUBMITTED"
):
    """Follow the job the module submitted (or found: ``known_status`` None) and fold the outcome into its result."""
    job_id = result["job"]["job_id"]
    follower = JobFollower(
        batch,
        logs if settings["log_lines"] else None,
        log_lines=settings["log_lines"],
        on_event=printer,
        poll_interval=settings["poll_interval"],
        max_poll_interval=settings["max_poll_interval"],
        warn=warn,
        sleep=sleep,
        clock=clock,
        known_status=known_status,
        diagnose=lambda job: safe_explain(batch, job, warn),
        diagnose_after=settings["diagnose_after"],
    )
    result = dict(result)
    try:
        follower.follow(job_id, timeout=settings["wait_timeout"])
    except BatchWaitTimeout as e:
        if follower.job is not None:
            result["job"] = follower.result()
        result.update(failed=True, msg=f"{e.message}. The job keeps running; stop it with state=absent.")
        return result
    except BatchError as e:
        detail = f": {to_text(e.exception)}" if e.exception is not None else ""
        result.update(failed=True, msg=f"Could not follow job {job_id}: {e.message}{detail}")
        return result
    result["job"] = follower.result()
    if result["job"]["status"] == "FAILED":
        try:
            children = failed_children(batch, follower.job, logs, settings["log_lines"])
        except BatchError as e:
            warn(f"Could not read the failed children of array job {job_id}: {e.message}")
            children = []
        if children:
            result["job"]["failed_children"] = children
        if settings["fail_on_job_failure"]:
            result.update(failed=True, msg=failure_message(result["job"], children))
    return result


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        try:
            settings = follow_settings({k: v for k, v in args.items() if k in FOLLOW_DEFAULTS})
        except (TypeError, ValueError):
            settings = None  # a bad value: the module's argument checks report it
        follow = (
            settings is not None
            and settings["state"] == "present"
            and settings["wait"]
            and settings["live_output"]
            and not self._play_context.check_mode
            and not self._task.async_val
        )
        if not follow:
            # The module does everything itself (including waiting, on the target, without live output).
            result.update(
                self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars, wrap_async=wrap_async)
            )
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result

        # A job submitted earlier (job_id): the module only looks it up; the history is told here, from the start.
        existing = bool(args.get("job_id"))
        module_args = (
            dict(args, wait=False, log_lines=0, fail_on_job_failure=False) if existing else dict(args, wait=False)
        )
        submitted = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        self._remove_tmp_path(self._connection._shell.tmpdir)
        result.update(submitted)
        invocation = (result.get("invocation") or {}).get("module_args")
        if isinstance(invocation, dict):
            for key in ("log_lines", "fail_on_job_failure") if existing else ():
                if key in invocation:
                    invocation[key] = settings[key]  # what the task asked for, not the look-up's values
            if "wait" in invocation:
                invocation["wait"] = True
        if result.get("failed") or not (result.get("job") or {}).get("job_id"):
            return result
        if not existing and not result.get("submitted"):
            return result  # skip_if_active found the job active: nothing submitted, nothing to follow

        task_environment = {}
        self._compute_environment_string(task_environment)
        try:
            batch, logs = make_clients(args, task_environment)
        except Exception as e:  # pylint: disable=broad-except  # any failure to build clients ends the task cleanly
            what = "Found" if existing else "Submitted"
            result.update(
                failed=True,
                msg=f"{what} job {result['job']['job_id']}, but cannot follow it from the controller: "
                f"{to_text(e)}. Use live_output: false to wait on the target instead.",
            )
            return result
        host = task_vars.get("inventory_hostname", "localhost") if task_vars else "localhost"
        printer = ProgressPrinter(host, self._show, show_logs=not self._task.no_log)
        if existing:
            printer.following(result["job"])
        else:
            printer.submitted(result["job"])
        return follow_and_report(
            result,
            batch,
            logs,
            settings,
            printer,
            self._display.warning,
            known_status=None if existing else "SUBMITTED",
        )

    def _show(self, text, color=None):
        self._display.display(text, color=color)
