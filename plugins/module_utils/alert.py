# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Job state change alerts: an EventBridge rule on AWS Batch "Batch Job State Change" events and one target.

Validation, the event pattern, the target, comparison and rendering; no AWS call (those are in events.py).
"""

import json
import re

from ansible_collections.ondemand.batch.plugins.module_utils.constants import DEFAULT_EVENT_BUS, JOB_STATUSES
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.validation import collects_problems

# The order in which a job passes them (the order results list them in).
EVENT_SOURCE = "aws.batch"
EVENT_DETAIL_TYPE = "Batch Job State Change"

DEFAULT_TARGET_ID = "job-alert"
# The message the eventbridge role has always sent: a JSON string, so SNS mails it as one line of text.
DEFAULT_INPUT_PATHS = {
    "job": "$.detail.jobName",
    "id": "$.detail.jobId",
    "queue": "$.detail.jobQueue",
    "status": "$.detail.status",
    "reason": "$.detail.statusReason",
}
DEFAULT_INPUT_TEMPLATE = '"Batch job <job> (<id>) on <queue> is <status>: <reason>"'
# Placeholders EventBridge fills in itself, without an input path.
RESERVED_PLACEHOLDERS = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event",
    "aws.events.event.ingestion-time",
    "aws.events.event.json",
)

RULE_NAME_RE = re.compile(r"^[.\-_A-Za-z0-9]{1,64}\Z")
TARGET_ID_RE = re.compile(r"^[.\-_A-Za-z0-9]{1,64}\Z")
EVENT_BUS_NAME_RE = re.compile(r"^[/.\-_A-Za-z0-9]{1,256}\Z")
EVENT_BUS_ARN_RE = re.compile(r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/([/.\-_A-Za-z0-9]{1,256})\Z")
JOB_QUEUE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:batch:[a-z0-9-]+:\d{12}:job-queue/[A-Za-z0-9_-]{1,128}\Z")
# Targets that need no role: an SNS topic (the alert's purpose) or an SQS queue (for a program to consume).
TARGET_ARN_RE = re.compile(r"^arn:aws[a-z-]*:(sns|sqs):[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?\Z")
INPUT_PATH_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}\Z")
PLACEHOLDER_RE = re.compile(r"<([A-Za-z0-9_.-]+)>")
MAX_INPUT_PATHS = 100
MAX_INPUT_TEMPLATE = 8192
MAX_DESCRIPTION = 512


# ---------------------------------------------------------------------------------------------- validation
@collects_problems
def validate_alert_params(params, problems=None):
    """Every check of the ``job_alert`` module that needs no AWS call, added to ``problems`` (raised without).

    Messages name the option, the rule it breaks and the alert rule (``name``) they are about.
    """
    name = params.get("name")
    if not isinstance(name, str) or not RULE_NAME_RE.match(name):
        problems.add("name", f"must be 1-64 letters, digits, '.', '-' or '_' (got {name!r})")
    about = f" (rule {name})"
    bus = params.get("event_bus_name") or DEFAULT_EVENT_BUS
    if not (EVENT_BUS_NAME_RE.match(bus) or EVENT_BUS_ARN_RE.match(bus)):
        problems.add(
            "event_bus_name",
            f"must be an event bus name (1-256 letters, digits, '/', '.', '-', '_') or its ARN{about}, got {bus!r}",
        )
    target_id = params.get("target_id") or DEFAULT_TARGET_ID
    if not TARGET_ID_RE.match(target_id):
        problems.add("target_id", f"must be 1-64 letters, digits, '.', '-' or '_'{about}, got {target_id!r}")
    if params.get("state", "present") == "absent":
        return
    if not params.get("target_arn"):
        problems.add("target_arn", f"is required with state=present{about}")
    elif not TARGET_ARN_RE.match(params["target_arn"]):
        problems.add(
            "target_arn",
            "must be the ARN of an SNS topic (arn:aws:sns:REGION:ACCOUNT:TOPIC) or an SQS queue "
            f"(arn:aws:sqs:REGION:ACCOUNT:QUEUE){about}, got {params['target_arn']!r}",
        )
    statuses = params.get("statuses")
    if not statuses:
        problems.add("statuses", f"give at least one job status of {', '.join(JOB_STATUSES)}{about}")
    unknown = [s for s in statuses or [] if s not in JOB_STATUSES]
    if unknown:
        problems.add(
            "statuses", f"{', '.join(map(str, unknown))} is not a job status; use {', '.join(JOB_STATUSES)}{about}"
        )
    for queue in params.get("job_queues") or []:
        if not isinstance(queue, str) or not JOB_QUEUE_ARN_RE.match(queue):
            problems.add(
                "job_queues",
                "must be job queue ARNs, arn:aws:batch:REGION:ACCOUNT:job-queue/NAME (Batch events carry the "
                f"queue's ARN, not its name){about}, got {queue!r}",
            )
    description = params.get("description")
    if description is not None and len(description) > MAX_DESCRIPTION:
        problems.add("description", f"must be at most {MAX_DESCRIPTION} characters{about}, got {len(description)}")
    with problems.rule():
        validate_input_transformer(params.get("input_template"), params.get("input_paths"), about)
    for key in params.get("tags") or {}:
        if str(key).lower().startswith("aws:"):
            problems.add("tags", f"keys starting with 'aws:' are reserved by AWS{about}, got {key!r}")


def validate_input_transformer(template, paths, about=""):
    if template == "":
        if paths:
            raise BatchValidationError(
                "input_paths", f"is only used with an input_template; leave it out to send the whole event{about}"
            )
        return
    if template is None:
        template = DEFAULT_INPUT_TEMPLATE
    paths = DEFAULT_INPUT_PATHS if paths is None else paths
    if len(template) > MAX_INPUT_TEMPLATE:
        raise BatchValidationError(
            "input_template", f"must be at most {MAX_INPUT_TEMPLATE} characters{about}, got {len(template)}"
        )
    if len(paths) > MAX_INPUT_PATHS:
        raise BatchValidationError("input_paths", f"takes at most {MAX_INPUT_PATHS} entries{about}, got {len(paths)}")
    for key, path in paths.items():
        if not INPUT_PATH_KEY_RE.match(str(key)) or str(key).lower().startswith("aws"):
            raise BatchValidationError(
                "input_paths",
                f"keys must be letters, digits, '-' and '_' and must not start with 'aws'{about}, got {key!r}",
            )
        if not isinstance(path, str) or not path.startswith("$") or len(path) > 256:
            raise BatchValidationError(
                "input_paths",
                f"{key}: must be a JSON path into the event such as $.detail.jobName (at most 256 characters)"
                f"{about}, got {path!r}",
            )
    unknown = sorted({p for p in PLACEHOLDER_RE.findall(template) if p not in paths and p not in RESERVED_PLACEHOLDERS})
    if unknown:
        raise BatchValidationError(
            "input_template",
            f"placeholder(s) {', '.join('<' + p + '>' for p in unknown)} have no entry in input_paths "
            f"(known: {', '.join(sorted(paths)) or 'none'}){about}",
        )
    if template.startswith('"') and (len(template) < 2 or not template.endswith('"')):
        raise BatchValidationError(
            "input_template", f"a text message must be one JSON string, opening and closing with '\"'{about}"
        )


# ---------------------------------------------------------------------------------------------- the desired rule
def ordered_statuses(statuses):
    """The statuses once each, in the order a job passes them."""
    return [s for s in JOB_STATUSES if s in set(statuses or [])]


def event_pattern(statuses, job_queues):
    """The pattern: Batch job state changes to one of ``statuses``, on ``job_queues`` (all queues when empty)."""
    detail = {"status": ordered_statuses(statuses)}
    queues = sorted(set(job_queues or []))
    if queues:
        detail["jobQueue"] = queues
    return {"source": [EVENT_SOURCE], "detail-type": [EVENT_DETAIL_TYPE], "detail": detail}


def normalize_pattern(value):
    """An event pattern with every list sorted and deduplicated: EventBridge reads lists as sets of alternatives."""
    if isinstance(value, dict):
        return {k: normalize_pattern(v) for k, v in value.items()}
    if isinstance(value, list):
        items = {json.dumps(normalize_pattern(v), sort_keys=True): normalize_pattern(v) for v in value}
        return [items[k] for k in sorted(items)]
    return value


def parse_pattern(text):
    if not text:
        return None
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def event_bus_name_of(bus):
    """``default``, a bus name, or the name in a bus ARN."""
    match = EVENT_BUS_ARN_RE.match(bus or "")
    return match.group(1) if match else (bus or DEFAULT_EVENT_BUS)


def rule_arn(partition, region, account, bus, name):
    """The ARN of rule ``name`` on event bus ``bus`` (rules of other buses than default carry the bus's name)."""
    bus_name = event_bus_name_of(bus)
    prefix = "" if bus_name == DEFAULT_EVENT_BUS else f"{bus_name}/"
    return f"arn:{partition}:events:{region}:{account}:rule/{prefix}{name}"


def desired_rule(params, current=None):
    """The PutRule request. A description left out keeps the current one (PutRule would clear it)."""
    rule = {
        "Name": params["name"],
        "EventPattern": json.dumps(event_pattern(params.get("statuses"), params.get("job_queues"))),
        "State": "ENABLED" if params.get("enabled", True) else "DISABLED",
    }
    description = params.get("description")
    if description is None and current:
        description = current.get("Description")
    if description:
        rule["Description"] = description
    bus = params.get("event_bus_name") or DEFAULT_EVENT_BUS
    if bus != DEFAULT_EVENT_BUS:
        rule["EventBusName"] = bus
    return rule


def desired_target(params):
    """The PutTargets entry this module owns."""
    target = {"Id": params.get("target_id") or DEFAULT_TARGET_ID, "Arn": params["target_arn"]}
    template = DEFAULT_INPUT_TEMPLATE if params.get("input_template") is None else params["input_template"]
    if template:
        paths = DEFAULT_INPUT_PATHS if params.get("input_paths") is None else params["input_paths"]
        transformer = {"InputTemplate": template}
        if paths:
            transformer["InputPathsMap"] = {str(k): v for k, v in paths.items()}
        target["InputTransformer"] = transformer
    return target


# ---------------------------------------------------------------------------------------------- comparison
def comparable_rule(rule):
    """A PutRule request or a DescribeRule answer reduced to what PutRule would change."""
    if not rule:
        return None
    pattern = parse_pattern(rule.get("EventPattern"))
    return {
        "EventPattern": normalize_pattern(pattern),
        "State": "DISABLED" if rule.get("State") == "DISABLED" else "ENABLED",
        "Description": rule.get("Description") or "",
        "ScheduleExpression": rule.get("ScheduleExpression") or "",
        "RoleArn": rule.get("RoleArn") or "",
    }


# AWS may describe an untouched target with its default retry policy.
DEFAULT_RETRY_POLICY = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}


def comparable_target(target):
    """A target reduced to what decides whether PutTargets must write it again.

    Any setting this module does not manage (a role, a dead-letter queue...) counts: PutTargets replaces the
    whole target, so such a setting is removed by the next write and must make the target differ.
    """
    if not target:
        return None
    transformer = target.get("InputTransformer") or {}
    known = ("Id", "Arn", "InputTransformer")
    other = {
        k: v
        for k, v in target.items()
        if k not in known and v not in (None, "", {}, []) and not (k == "RetryPolicy" and v == DEFAULT_RETRY_POLICY)
    }
    return {
        "Id": target.get("Id"),
        "Arn": target.get("Arn"),
        "InputTemplate": transformer.get("InputTemplate"),
        "InputPathsMap": transformer.get("InputPathsMap") or {},
        "Other": other,
    }


# ---------------------------------------------------------------------------------------------- results
def describe_target(target):
    """The module's target as returned (snake_case)."""
    if not target:
        return None
    transformer = target.get("InputTransformer")
    return {
        "id": target.get("Id"),
        "arn": target.get("Arn"),
        "input_transformer": (
            {
                "input_paths_map": dict(transformer.get("InputPathsMap") or {}),
                "input_template": transformer.get("InputTemplate"),
            }
            if transformer
            else None
        ),
    }


def render_alert(rule, target, tags, other_ids, bus):
    """The ``job_alert`` result: the rule (a PutRule request or a DescribeRule answer) with its target and tags."""
    if not rule:
        return None
    pattern = parse_pattern(rule.get("EventPattern"))
    detail = (pattern.get("detail") if isinstance(pattern, dict) else None) or {}
    statuses = detail.get("status") if isinstance(detail.get("status"), list) else []
    queues = detail.get("jobQueue") if isinstance(detail.get("jobQueue"), list) else []
    return {
        "name": rule.get("Name"),
        "arn": rule.get("Arn"),
        "event_bus_name": event_bus_name_of(rule.get("EventBusName") or bus),
        "state": "DISABLED" if rule.get("State") == "DISABLED" else (rule.get("State") or "ENABLED"),
        "enabled": rule.get("State") != "DISABLED",
        "description": rule.get("Description") or "",
        "event_pattern": pattern,
        "statuses": [s for s in statuses if isinstance(s, str)],
        "job_queues": [q for q in queues if isinstance(q, str)],
        "target": describe_target(target),
        "other_target_ids": sorted(other_ids),
        "tags": dict(tags or {}),
    }
