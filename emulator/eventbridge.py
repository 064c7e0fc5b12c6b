"""EventBridge rule targets moto 5.2.5 does not deliver to: SNS topics and Batch job queues.

moto delivers a matching event to CloudWatch Logs, SQS, archives, event buses and API destinations, and answers
PutEvents with an HTML 500 (``NotImplementedError``) as soon as a matching rule has any other target: an SNS
topic (a failure alert) or a Batch job queue. The emulator delivers to those two as AWS does (SNS: the event as
the message; Batch: ``SubmitJob`` with the target's ``BatchParameters`` and the ``Parameters`` and
``ContainerOverrides`` of its input) and skips the other target types, as an invocation that fails would.
The target's ``RoleArn`` is not assumed (trust policy conditions are not evaluated).
"""

import copy
import json
import logging
import re

LOG = logging.getLogger("emulator.events")
MOTO_SERVICES = ("logs", "sqs", "events")


def camel(value):
    """EventBridge's PascalCase Batch input (``ContainerOverrides.Environment[].Name``) in SubmitJob's camelCase."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def resolve_path(event, path):
    """The value at a JSONPath of ``InputPathsMap`` (``$.detail.container.exitCode``, ``$.resources[0]``), or None."""
    if path == "$":
        return event
    value = event
    for key, index in PATH_STEP.findall(path[1:] if path.startswith("$") else path):
        if key and isinstance(value, dict):
            value = value.get(key)
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return None
    return value


def _inside_string(template, position):
    """Whether ``position`` of the template is inside a JSON string literal (quotes not escaped)."""
    inside, escaped = False, False
    for char in template[:position]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = inside
        elif char == '"':
            inside = not inside
    return inside


def render_template(template, paths, event, rule=None):
    """An input transformer's output as EventBridge makes it: the template's text with each ``<name>`` replaced.

    Inside a JSON string a value goes in as text (a string as it is, without escaping); elsewhere as JSON (a
    string quoted). A path the event lacks gives an empty text, or ``null`` outside a string. The text is
    delivered as written: a text template of one JSON string a line keeps its quotes, line by line.
    """
    values = {name: resolve_path(event, path) for name, path in (paths or {}).items()}
    if rule is not None:
        values.setdefault("aws.events.rule-arn", rule.arn)
        values.setdefault("aws.events.rule-name", rule.name)
    values.setdefault("aws.events.event", event)
    values.setdefault("aws.events.event.json", event)
    values.setdefault("aws.events.event.ingestion-time", event.get("time"))

    def replace(match):
        if match.group(1) not in values:
            return match.group(0)
        value = values[match.group(1)]
        if _inside_string(template, match.start()):
            if value is None:
                return ""
            return value if isinstance(value, str) else json.dumps(value)
        return json.dumps(value)

    return PLACEHOLDER.sub(replace, template)


def target_input(target, event, rule=None):
    """What the target receives: its constant ``Input``, its ``InputTransformer`` output (text) or the event."""
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    transformer = target.get("InputTransformer")
    if transformer:
        return render_template(transformer.get("InputTemplate") or "", transformer.get("InputPathsMap"), event, rule)
    return copy.deepcopy(event)


def _as_json(payload):
    if not isinstance(payload, str):
        return payload
    try:
        return json.loads(payload)
    except ValueError:
        return None


def submit_request(target, payload):
    """The SubmitJob request of a Batch job queue target."""
    batch = target.get("BatchParameters") or {}
    request = {"jobName": batch.get("JobName"), "jobDefinition": batch.get("JobDefinition"), "jobQueue": target["Arn"]}
    if (batch.get("ArrayProperties") or {}).get("Size"):
        request["arrayProperties"] = {"size": batch["ArrayProperties"]["Size"]}
    if (batch.get("RetryStrategy") or {}).get("Attempts"):
        request["retryStrategy"] = {"attempts": batch["RetryStrategy"]["Attempts"]}
    if isinstance(payload, dict):
        if payload.get("Parameters"):
            request["parameters"] = dict(payload["Parameters"])
        if payload.get("ContainerOverrides"):
            request["containerOverrides"] = camel(payload["ContainerOverrides"])
    return request


def deliver(rule, target, event):
    from moto.batch.models import batch_backends
    from moto.sns.models import sns_backends
    from moto.utilities.arns import parse_arn

    arn = parse_arn(target["Arn"])
    payload = target_input(target, event, rule)
    if arn.service == "sns":
        message = payload if isinstance(payload, str) else json.dumps(payload, default=str)
        sns_backends[arn.account][arn.region].publish(message=message, arn=target["Arn"])
    elif arn.service == "batch" and arn.resource_type == "job-queue":
        batch_backends[arn.account][arn.region].api_submit_job(submit_request(target, _as_json(payload)))
    else:
        LOG.info("rule %s: target %s is not invoked by the emulator", rule.name, target["Arn"])


def install():
    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    if getattr(Rule.send_to_targets, "emulator", False):
        return
    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        if not self.event_pattern.matches_event(original_event):
            return
        targets = self.targets
        ours = [target for target in targets if parse_arn(target["Arn"]).service not in MOTO_SERVICES]
        try:
            self.targets = [target for target in targets if target not in ours]
            original(self, original_event, transform_input)
        finally:
            self.targets = targets
        for target in ours:
            try:
                deliver(self, target, original_event)
            except Exception:  # AWS counts a failed invocation; the event is still accepted
                LOG.warning("rule %s: delivery to %s failed", self.name, target["Arn"], exc_info=True)

    send_to_targets.emulator = True
    Rule.send_to_targets = send_to_targets
