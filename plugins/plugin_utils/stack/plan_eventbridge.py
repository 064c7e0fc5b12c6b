# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EventBridge part of the plan: schedules, the alert topic and rule."""

import json

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import modules
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import (
    ALERT_FIELDS,
    ALERT_TARGET_ID,
    COMPONENT_TAG,
    EMAIL_RE,
    RULE_NAME_RE,
    TOPIC_NAME_RE,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import join

# What the failure alert says, from the "Batch Job State Change" event (its detail is DescribeJobs' JobDetail).
# container is the last attempt's; retryStrategy.attempts what the job may take (JSON paths cannot count the
# attempts list, and a list put into a text line comes out as JSON without its quotes).
ALERT_INPUT_PATHS = {
    "job": "$.detail.jobName",
    "id": "$.detail.jobId",
    "queue": "$.detail.jobQueue",
    "status": "$.detail.status",
    "reason": "$.detail.statusReason",
    "exit": "$.detail.container.exitCode",
    "attempts": "$.detail.retryStrategy.attempts",
    "log": "$.detail.container.logStreamName",
}


def alert_input_template(stack, log_group):
    """The alert's text: a sentence, then one field a line.

    EventBridge takes a text template as JSON strings, one a line, and sends it as written (each line in its
    quotes); a path the event lacks (no exit code when the container never started) gives an empty value.
    """
    lines = [
        f"AWS Batch job <job> is <status> in stack {stack}: <reason>",
        "Job ID: <id>",
        "Queue: <queue>",
        "Exit code: <exit>",
        "Attempts allowed: <attempts>",
        f"Log stream: <log> (log group {log_group})",
    ]
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)


class EventBridgePart:
    """A part of ``planner.Planner`` (see the module's docstring)."""

    def eventbridge_targets(self):
        """The queues and job definitions the schedules submit to (the events role's permissions)."""
        present = [e for _p, e in self.entries("eventbridge_schedules") if e.get("state") != "absent"]
        queues = self.model.get("iam_events_job_queues")
        definitions = self.model.get("iam_events_job_definitions")
        if queues is None:
            queues = sorted({e.get("job_queue") for e in present if e.get("job_queue")})
        if definitions is None:
            definitions = sorted({e.get("job_definition") for e in present if e.get("job_definition")})
        return {"queues": list(queues), "definitions": list(definitions)}

    def eventbridge(self, batch, events_role_arn):
        m = self.model
        backend = m.get("eventbridge_backend") or "events"
        queue_names = {q["name"][len(self.prefix) :] for q in batch["job_queues"]}
        jd_names = {d["name"][len(self.prefix) :] for d in batch["job_definitions"]}
        schedules, absent = [], []
        for path, entry in self.entries("eventbridge_schedules"):
            name = f"{self.prefix}{entry.get('name')}"
            if entry.get("state") == "absent":
                absent.append({"name": name, "backend": backend, "state": "absent"})
                continue
            queue, definition = entry.get("job_queue"), entry.get("job_definition")
            for field, value, known, variable in (
                ("job_queue", queue, queue_names, "batch_job_queues"),
                ("job_definition", definition, jd_names, "batch_job_definitions"),
            ):
                if value is None:
                    self.problems.add(join(path, field), "is required unless state is absent")
                elif value not in known:
                    self.problems.add(
                        join(path, field),
                        f"{value!r} is not in {variable} (known: {', '.join(sorted(known)) or 'none'})",
                    )
            if entry.get("schedule_expression") is None:
                self.problems.add(join(path, "schedule_expression"), "is required unless state is absent")
            # AWS Batch refuses a job on a fair-share queue without a share identifier, and one on a FIFO queue
            # with one; only EventBridge Scheduler's target can pass it.
            share = entry.get("share_identifier")
            if queue in queue_names:
                if queue in batch["fair_share_queues"] and not share:
                    self.problems.add(
                        join(path, "share_identifier"),
                        f"queue {queue} has a scheduling policy, so a share_identifier is required (with "
                        "eventbridge_backend: scheduler)",
                    )
                if queue not in batch["fair_share_queues"] and share:
                    self.problems.add(
                        join(path, "share_identifier"),
                        f"queue {queue} has no scheduling policy, so it takes no share_identifier (got {share!r})",
                    )
                qp, dp = batch["queue_platforms"].get(queue), batch["job_definition_platforms"].get(definition)
                if qp and dp and qp != dp:
                    self.problems.add(
                        join(path, "job_definition"),
                        f"{definition} runs on {dp} but queue {queue} has {qp} compute environments: its jobs would "
                        "never start",
                    )
            dead_letter = entry.get("dead_letter_arn")
            if dead_letter:
                # EventBridge and Scheduler deliver to a dead-letter queue of the rule's own region.
                self.check_arn(join(path, "dead_letter_arn"), dead_letter, "sqs", what="an SQS queue ARN")
            params = {
                "name": name,
                "backend": backend,
                "enabled": entry.get("enabled", True),
                "schedule_expression": entry.get("schedule_expression"),
                "description": entry.get("description")
                or f"Submits {self.prefix}{definition} on {entry.get('schedule_expression')}",
                "timezone": entry.get("timezone"),
                "job_queue": self.arn("batch", f"job-queue/{self.prefix}{queue}"),
                "job_definition": f"{self.prefix}{definition}",
                "job_name": entry.get("job_name"),
                "array_size": entry.get("array_size"),
                "retry_attempts": entry.get("retry_attempts"),
                "share_identifier": share,
                "scheduling_priority_override": entry.get("scheduling_priority_override"),
                "parameters": entry.get("parameters"),
                "command": entry.get("command"),
                "environment": entry.get("environment"),
                "vcpus": entry.get("vcpus"),
                "memory": entry.get("memory"),
                "retry_policy": entry.get("retry_policy"),
                "dead_letter_arn": dead_letter,
                "role_arn": events_role_arn,
                # ondemand:component=schedule tells the schedules apart from the alert rule when pruning.
                "tags": (
                    {
                        **self.tags(
                            path,
                            ("eventbridge_tags", m.get("eventbridge_tags")),
                            (join(path, "tags"), entry.get("tags")),
                        ),
                        COMPONENT_TAG: "schedule",
                    }
                    if backend == "events"
                    else None
                ),
                "purge_tags": True,
                "state": "present",
            }
            if backend == "scheduler" and entry.get("tags"):
                self.problems.add(
                    join(path, "tags"), "EventBridge Scheduler schedules take no tags; use eventbridge_backend: events"
                )
            if not events_role_arn:
                self.problems.add(
                    "iam_events_role_create", f"is false, but {path} needs the EventBridge role to submit its jobs"
                )
            if queue in queue_names and definition in jd_names and entry.get("schedule_expression") is not None:
                # The role's ARN stands in when the role is missing: that problem is reported once, above.
                role = events_role_arn or f"arn:{self.partition}:iam::{self.account}:role/{self.stack}-events"
                self.module_check("job_schedule", path, dict(params, role_arn=role))
            schedules.append(params)

        alerts = None
        if m.get("eventbridge_alerts_enabled", True):
            topic = m.get("eventbridge_alerts_topic_name") or f"{self.stack}-alerts"
            rule = m.get("eventbridge_alerts_rule_name") or f"{self.stack}-job-failed"
            if not TOPIC_NAME_RE.match(topic):
                self.problems.add(
                    "eventbridge_alerts_topic_name", f"must be 1 to 256 letters, digits, '-' and '_' (got {topic!r})"
                )
            if not RULE_NAME_RE.match(rule):
                self.problems.add(
                    "eventbridge_alerts_rule_name", f"must be 1 to 64 letters, digits, '.', '-' and '_' (got {rule!r})"
                )
            email = m.get("eventbridge_alerts_email") or ""
            if email and not EMAIL_RE.match(email):
                self.problems.add(
                    "eventbridge_alerts_email", f"must be an e-mail address, or empty for none (got {email!r})"
                )
            watched = m.get("eventbridge_alerts_job_queues")
            if watched is None:
                watched = sorted(queue_names)
            unknown = [q for q in watched if q not in queue_names]
            if unknown:
                self.problems.add(
                    "eventbridge_alerts_job_queues",
                    f"{', '.join(map(str, unknown))} not in batch_job_queues (known: "
                    f"{', '.join(sorted(queue_names)) or 'none'})",
                )
            statuses = m.get("eventbridge_alerts_statuses") or []
            topic_arn = self.arn("sns", topic)
            rule_arn = self.arn("events", f"rule/{rule}")
            alert_tags = self.tags("eventbridge", ("eventbridge_tags", m.get("eventbridge_tags")))
            alert_params = {
                "name": rule,
                "description": f"Batch jobs of stack {self.stack} that end {' or '.join(map(str, statuses))}",
                "statuses": statuses,
                "job_queues": [self.arn("batch", f"job-queue/{self.prefix}{q}") for q in watched if q in queue_names],
                "target_arn": topic_arn,
                "target_id": ALERT_TARGET_ID,
                "input_paths": ALERT_INPUT_PATHS,
                "input_template": alert_input_template(self.stack, batch["log_group"]["log_group_name"]),
                "tags": alert_tags,
                "purge_tags": True,
                "state": "present",
            }
            self.problems.extend("", modules.check("job_alert", alert_params), rename=ALERT_FIELDS)
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AccountOwner",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:{self.partition}:iam::{self.account}:root"},
                        "Action": [
                            "SNS:GetTopicAttributes",
                            "SNS:SetTopicAttributes",
                            "SNS:AddPermission",
                            "SNS:RemovePermission",
                            "SNS:DeleteTopic",
                            "SNS:Subscribe",
                            "SNS:ListSubscriptionsByTopic",
                            "SNS:Publish",
                        ],
                        "Resource": topic_arn,
                    },
                    {
                        "Sid": "FailureAlertsFromEventBridge",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": topic_arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                    },
                ],
            }
            alerts = {
                "topic": {
                    "name": topic,
                    "arn": topic_arn,
                    "display_name": f"{self.stack} Batch alerts",
                    "policy": policy,
                    "subscriptions": [{"endpoint": email, "protocol": "email"}] if email else [],
                    "tags": alert_tags,
                },
                "rule": alert_params,
                "rule_arn": rule_arn,
                "email": email,
            }
        return {
            "backend": backend,
            "schedules": schedules,
            "absent_schedules": absent,
            "alerts": alerts,
            # What the role's tasks loop over (the topic only when its module can run: see work.prepare).
            "alert_topics": [alerts["topic"]] if alerts else [],
            "alert_rules": [alerts["rule"]] if alerts else [],
            "delete": {"schedules": [], "alert_rules": [], "topics": []},
            "alerts_topic_name": m.get("eventbridge_alerts_topic_name") or f"{self.stack}-alerts",
            "alerts_topic_arn": self.arn("sns", m.get("eventbridge_alerts_topic_name") or f"{self.stack}-alerts"),
            "alerts_rule_name": m.get("eventbridge_alerts_rule_name") or f"{self.stack}-job-failed",
        }

    # ------------------------------------------------------------------------------------------ the plan
