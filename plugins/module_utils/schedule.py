# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Schedule expressions, time zones and dates, checked before any write call.

EventBridge rules and EventBridge Scheduler share the ``cron()`` and ``rate()`` syntax; Scheduler
adds one-time ``at()`` schedules, time zones and flexible time windows. AWS refuses a bad expression
only at the write call (with a terse message); these checks name the parameter and the rule first.
"""

import datetime
import json
import re

try:
    import zoneinfo
except ImportError:  # Python < 3.9 on the target: time zones are then left for AWS to check
    zoneinfo = None

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.validation import collects_problems

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

# name, minimum, maximum, names (index 0 is the minimum's name), special characters allowed
CRON_FIELDS = (
    ("minutes", 0, 59, None),
    ("hours", 0, 23, None),
    ("day-of-month", 1, 31, None),
    ("month", 1, 12, MONTHS),
    ("day-of-week", 1, 7, WEEKDAYS),
    ("year", 1970, 2199, None),
)
CRON_RULE = (
    "cron() takes 6 fields: minutes (0-59) hours (0-23) day-of-month (1-31) month (1-12 or JAN-DEC) "
    "day-of-week (1-7 or SUN-SAT) year (1970-2199), for example cron(0 4 * * ? *)"
)

EXPRESSION_RE = re.compile(r"^(cron|rate|at)\((.*)\)$", re.DOTALL)
RATE_RE = re.compile(r"^([0-9]+) ([a-z]+)\Z")
RATE_UNITS = ("minute", "hour", "day")
AT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\Z")
NUMBER_RE = re.compile(r"^[0-9]+\Z")
# datetime.UTC needs Python 3.11; modules also run on older target Pythons.
UTC = datetime.timezone.utc  # noqa: UP017


def _value(field, text, names, minimum, maximum):
    """One number or name of a cron field, as an int within the field's range."""
    if names is not None and text.upper() in names:
        return names.index(text.upper()) + minimum
    if not NUMBER_RE.match(text):
        choices = f" or {names[0]}-{names[-1]}" if names else ""
        raise BatchValidationError(
            "schedule_expression", f"cron() {field} field: {text!r} is not a number{choices}; {CRON_RULE}"
        )
    number = int(text)
    if not minimum <= number <= maximum:
        raise BatchValidationError(
            "schedule_expression", f"cron() {field} field: {number} is outside {minimum}-{maximum}; {CRON_RULE}"
        )
    return number


def _check_item(field, item, minimum, maximum, names):
    """One comma-separated item of a cron field: *, */n, a, a-b, a/n, a-b/n and the L/W/# forms."""
    upper = item.upper()
    if field == "day-of-month":
        if upper in ("L", "LW"):
            return
        if upper.endswith("W") and NUMBER_RE.match(upper[:-1]):
            _value(field, upper[:-1], names, minimum, maximum)
            return
    if field == "day-of-week":
        if upper == "L":
            return
        if upper.endswith("L") and len(upper) > 1:
            _value(field, upper[:-1], names, minimum, maximum)
            return
        if "#" in upper:
            day, _sep, nth = upper.partition("#")
            _value(field, day, names, minimum, maximum)
            if not (NUMBER_RE.match(nth) and 1 <= int(nth) <= 5):
                raise BatchValidationError(
                    "schedule_expression", f"cron() day-of-week field: in {item!r} the week number must be 1-5"
                )
            return
    base, slash, step = item.partition("/")
    if slash and not (NUMBER_RE.match(step) and 1 <= int(step) <= maximum):
        raise BatchValidationError(
            "schedule_expression", f"cron() {field} field: step {step!r} in {item!r} must be 1-{maximum}"
        )
    if base == "*":
        return
    start, dash, end = base.partition("-")
    if not start or (dash and not end):
        raise BatchValidationError("schedule_expression", f"cron() {field} field: {item!r} is malformed; {CRON_RULE}")
    _value(field, start, names, minimum, maximum)
    if dash:
        _value(field, end, names, minimum, maximum)


def validate_cron(body):
    """``body`` is the text inside ``cron(...)``."""
    fields = body.split()
    if len(fields) != 6:
        raise BatchValidationError("schedule_expression", f"cron() has {len(fields)} fields, not 6; {CRON_RULE}")
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise BatchValidationError(
            "schedule_expression",
            "cron(): exactly one of day-of-month (3rd field) and day-of-week (5th field) must be '?', "
            f"got {day_of_month!r} and {day_of_week!r}; for example cron(0 4 * * ? *) or cron(0 4 ? * MON-FRI *)",
        )
    for index, (field, minimum, maximum, names) in enumerate(CRON_FIELDS):
        text = fields[index]
        if text == "?":
            if field not in ("day-of-month", "day-of-week"):
                raise BatchValidationError(
                    "schedule_expression", f"cron() {field} field: '?' is only allowed in day-of-month or day-of-week"
                )
            continue
        if not text or any(item == "" for item in text.split(",")):
            raise BatchValidationError("schedule_expression", f"cron() {field} field: {text!r} is malformed")
        for item in text.split(","):
            _check_item(field, item, minimum, maximum, names)


def validate_rate(body):
    """``body`` is the text inside ``rate(...)``: ``1 minute``, ``5 minutes``, ``1 hour``, ``2 days``..."""
    rule = (
        "rate() takes a positive whole number and a unit: minute(s), hour(s) or day(s), singular for 1 (rate(1 hour))"
    )
    match = RATE_RE.match(body.strip())
    if not match:
        raise BatchValidationError("schedule_expression", f"{rule}, got rate({body})")
    value, unit = int(match.group(1)), match.group(2)
    if value < 1:
        raise BatchValidationError("schedule_expression", f"{rule}; the value must be at least 1, got {value}")
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in RATE_UNITS:
        raise BatchValidationError("schedule_expression", f"{rule}; unknown unit {unit!r}")
    wanted = singular if value == 1 else singular + "s"
    if unit != wanted:
        raise BatchValidationError("schedule_expression", f"{rule}; write rate({value} {wanted}), not rate({body})")


def validate_at(body):
    """``body`` is the text inside ``at(...)``: ``yyyy-mm-ddThh:mm:ss`` (in the schedule's time zone)."""
    if not AT_RE.match(body):
        raise BatchValidationError(
            "schedule_expression",
            f"at() takes yyyy-mm-ddThh:mm:ss, for example at(2030-01-31T04:00:00), got at({body})",
        )
    try:
        datetime.datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    except ValueError as e:
        raise BatchValidationError("schedule_expression", f"at({body}) is not a valid date and time: {e}") from None


def validate_schedule_expression(expression, backend="events"):
    """Check a ``cron()``, ``rate()`` or (Scheduler only) ``at()`` expression. Returns its kind."""
    if not isinstance(expression, str) or not expression.strip():
        raise BatchValidationError("schedule_expression", "is required: cron(...), rate(...) or at(...)")
    match = EXPRESSION_RE.match(expression.strip())
    if not match:
        raise BatchValidationError(
            "schedule_expression",
            f"must be cron(...), rate(...) or, with backend scheduler, at(...); got {expression!r}",
        )
    kind, body = match.group(1), match.group(2)
    if kind == "cron":
        validate_cron(body)
    elif kind == "rate":
        validate_rate(body)
    else:
        if backend != "scheduler":
            raise BatchValidationError(
                "schedule_expression",
                "one-time at() schedules need backend: scheduler (EventBridge rules have no at())",
            )
        validate_at(body)
    return kind


def validate_timezone(value, warn=None):
    """A valid IANA time zone name such as ``Europe/Berlin``. Returns the name."""
    if value is None:
        return value
    rule = "must be an IANA time zone name such as Europe/Berlin or UTC"
    if not isinstance(value, str) or not value or value.startswith("/") or ".." in value:
        raise BatchValidationError("timezone", f"{rule} (got {value!r})")
    if value == "UTC":
        return value
    if zoneinfo is None:
        if warn is not None:
            warn(f"timezone {value!r} not checked: this Python has no zoneinfo module")
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        if not zoneinfo.available_timezones():
            if warn is not None:
                warn(f"timezone {value!r} not checked: no time zone database on this host (install tzdata)")
            return value
        raise BatchValidationError("timezone", f"{rule} (got {value!r})") from None
    return value


def parse_date(field, value):
    """An ISO 8601 date and time (``2030-01-31T04:00:00Z``, with an offset, or naive meaning UTC) -> aware UTC."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise BatchValidationError(
                field, f"must be an ISO 8601 date and time such as 2030-01-31T04:00:00Z (got {value!r})"
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)


def format_date(value):
    """Aware datetime -> ``2030-01-31T04:00:00Z`` (the form results and comparisons use)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------- targets
DEFAULT_TARGET_ID = "ondemand-batch-job"
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185  # what EventBridge and Scheduler use when no retry policy is given
DEFAULT_MAXIMUM_EVENT_AGE = 86400
ROLE_ARN_RE = re.compile(r"^arn:(aws[a-z-]*):iam::\d{12}:role/[\w+=,.@/-]+\Z")
SQS_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?\Z")
NAME_RE = re.compile(r"^[.\-_A-Za-z0-9]{1,64}\Z")
REVISION_RE = re.compile(r":[0-9]+$")
# SubmitJob's shareIdentifier: up to 255 alphanumerics (a scheduling policy may add a trailing '*', a job not).
SHARE_IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9]{1,255}\Z")
MAX_DESCRIPTION = 512  # PutRule and CreateSchedule: Description is at most 512 characters


@collects_problems
def validate_schedule_params(params, warn=None, problems=None):
    """Every check of the ``job_schedule`` module that needs no AWS call. Returns the parsed dates.

    Adds every (parameter, rule) it finds to ``problems`` (raises them when called without).
    """
    if not isinstance(params.get("name"), str) or not NAME_RE.match(params["name"]):
        problems.add("name", f"must be 1-64 letters, digits, '.', '-' or '_' (got {params.get('name')!r})")
    backend = params.get("backend") or "events"
    if params.get("state", "present") == "absent":
        return None, None
    missing = [f for f in ("schedule_expression", "job_queue", "job_definition", "role_arn") if not params.get(f)]
    for field in missing:
        problems.add(field, "is required with state=present")
    if missing:
        return None, None
    with problems.rule():
        validate_schedule_expression(params["schedule_expression"], backend)
    scheduler_only = {
        "timezone": "EventBridge rules run in UTC",
        "flexible_time_window": "EventBridge rules have no time window",
        "start_date": "EventBridge rules have no start date",
        "end_date": "EventBridge rules have no end date",
        "delete_after_completion": "EventBridge rules are never deleted by AWS",
        # BatchParameters of an EventBridge target has no share identifier: such a rule cannot submit to a
        # fair-share queue (SubmitJob then fails); Scheduler's universal target passes SubmitJob's own fields.
        "share_identifier": "EventBridge rule targets cannot pass a share identifier",
        "scheduling_priority_override": "EventBridge rule targets cannot pass a scheduling priority",
    }
    if backend != "scheduler":
        for field, reason in scheduler_only.items():
            if params.get(field) not in (None, False, 0, ""):
                problems.add(field, f"needs backend: scheduler ({reason})")
    elif params.get("tags"):
        problems.add("tags", "EventBridge Scheduler schedules take no tags; use backend: events")
    with problems.rule():
        validate_timezone(params.get("timezone"), warn)
    window = params.get("flexible_time_window")
    if window is not None and not 0 <= window <= 1440:
        problems.add("flexible_time_window", f"must be 0 (off) to 1440 minutes (got {window})")
    start = end = None
    with problems.rule():
        start = parse_date("start_date", params.get("start_date"))
    with problems.rule():
        end = parse_date("end_date", params.get("end_date"))
    if start and end and end <= start:
        problems.add("end_date", "must be later than start_date")
    definition = params["job_definition"]
    if params.get("description") is not None and len(params["description"]) > MAX_DESCRIPTION:
        problems.add("description", f"must be at most {MAX_DESCRIPTION} characters (got {len(params['description'])})")
    if REVISION_RE.search(definition):
        problems.add(
            "job_definition",
            f"give the name without a revision ({REVISION_RE.sub('', definition)}) so that every run uses the "
            "latest ACTIVE revision",
        )
    if definition.startswith("arn:"):
        if ":job-definition/" not in definition:
            problems.add("job_definition", f"is not a job definition ARN: {definition}")
    elif not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", definition):
        problems.add("job_definition", f"must be a job definition name or ARN (got {definition!r})")
    job_name = params.get("job_name") or params["name"]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}", job_name):
        problems.add(
            "job_name",
            f"must be 1-128 letters, digits, hyphens and underscores, starting with a letter or digit ({job_name!r})",
        )
    if not ROLE_ARN_RE.match(params["role_arn"]):
        problems.add(
            "role_arn", f"must be an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME (got {params['role_arn']!r})"
        )
    if params.get("dead_letter_arn") and not SQS_ARN_RE.match(params["dead_letter_arn"]):
        problems.add("dead_letter_arn", f"must be an SQS queue ARN (got {params['dead_letter_arn']!r})")
    array_size = params.get("array_size")
    if array_size is not None and not 2 <= array_size <= 10000:
        problems.add("array_size", f"must be 2-10000 (got {array_size})")
    attempts = params.get("retry_attempts")
    if attempts is not None and not 1 <= attempts <= 10:
        problems.add("retry_attempts", f"must be 1-10 (got {attempts})")
    policy = params.get("retry_policy") or {}
    retries = policy.get("maximum_retry_attempts")
    if retries is not None and not 0 <= retries <= 185:
        problems.add("retry_policy", f"maximum_retry_attempts must be 0-185 (got {retries})")
    age = policy.get("maximum_event_age")
    if age is not None and not 60 <= age <= 86400:
        problems.add("retry_policy", f"maximum_event_age must be 60-86400 seconds (got {age})")
    for key in params.get("environment") or {}:
        if str(key).startswith("AWS_BATCH"):
            problems.add("environment", f"names starting with AWS_BATCH are reserved by AWS Batch ({key})")
    share = params.get("share_identifier")
    if share is not None and not SHARE_IDENTIFIER_RE.match(share):
        problems.add(
            "share_identifier",
            f"must be 1-255 letters and digits, the share a fair-share policy knows (got {share!r})",
        )
    priority = params.get("scheduling_priority_override")
    if priority is not None and not 0 <= priority <= 9999:
        problems.add("scheduling_priority_override", f"must be 0-9999 (got {priority})")
    if params.get("vcpus") is not None and params["vcpus"] <= 0:
        problems.add("vcpus", f"must be greater than 0 (got {params['vcpus']})")
    if params.get("memory") is not None and params["memory"] < 1:
        problems.add("memory", f"must be at least 1 MiB (got {params['memory']})")
    return start, end


def partition_of(arn):
    match = re.match(r"^arn:([^:]+):", arn or "")
    return match.group(1) if match else "aws"


def _pascal_overrides(params):
    """ContainerOverrides in the PascalCase of EventBridge inputs and Scheduler's universal target."""
    overrides = {}
    if params.get("command") is not None:
        overrides["Command"] = list(params["command"])
    if params.get("environment"):
        overrides["Environment"] = [{"Name": str(k), "Value": str(v)} for k, v in sorted(params["environment"].items())]
    requirements = []
    if params.get("vcpus") is not None:
        vcpus = float(params["vcpus"])
        requirements.append({"Type": "VCPU", "Value": str(int(vcpus)) if vcpus.is_integer() else repr(vcpus)})
    if params.get("memory") is not None:
        requirements.append({"Type": "MEMORY", "Value": str(int(params["memory"]))})
    if requirements:
        overrides["ResourceRequirements"] = requirements
    return overrides


def _retry_policy(params):
    policy = params.get("retry_policy") or {}
    retries = policy.get("maximum_retry_attempts")
    age = policy.get("maximum_event_age")
    return {
        "MaximumRetryAttempts": DEFAULT_MAXIMUM_RETRY_ATTEMPTS if retries is None else retries,
        "MaximumEventAgeInSeconds": DEFAULT_MAXIMUM_EVENT_AGE if age is None else age,
    }


def events_target(params, queue_arn):
    """The one PutTargets entry of an EventBridge rule that submits the job."""
    batch = {"JobDefinition": params["job_definition"], "JobName": params.get("job_name") or params["name"]}
    if params.get("array_size"):
        batch["ArrayProperties"] = {"Size": params["array_size"]}
    if params.get("retry_attempts"):
        batch["RetryStrategy"] = {"Attempts": params["retry_attempts"]}
    target = {
        "Id": params.get("target_id") or DEFAULT_TARGET_ID,
        "Arn": queue_arn,
        "RoleArn": params["role_arn"],
        "BatchParameters": batch,
        "RetryPolicy": _retry_policy(params),
    }
    job_input = {}
    if params.get("parameters"):
        job_input["Parameters"] = {str(k): str(v) for k, v in params["parameters"].items()}
    overrides = _pascal_overrides(params)
    if overrides:
        job_input["ContainerOverrides"] = overrides
    if job_input:
        target["Input"] = json.dumps(job_input, sort_keys=True)
    if params.get("dead_letter_arn"):
        target["DeadLetterConfig"] = {"Arn": params["dead_letter_arn"]}
    return target


def scheduler_target(params):
    """The universal target (``aws-sdk:batch:submitJob``) of an EventBridge Scheduler schedule."""
    submit = {
        "JobName": params.get("job_name") or params["name"],
        "JobQueue": params["job_queue"],
        "JobDefinition": params["job_definition"],
    }
    if params.get("array_size"):
        submit["ArrayProperties"] = {"Size": params["array_size"]}
    if params.get("retry_attempts"):
        submit["RetryStrategy"] = {"Attempts": params["retry_attempts"]}
    if params.get("share_identifier"):
        submit["ShareIdentifier"] = params["share_identifier"]
    if params.get("scheduling_priority_override") is not None:
        submit["SchedulingPriorityOverride"] = params["scheduling_priority_override"]
    if params.get("parameters"):
        submit["Parameters"] = {str(k): str(v) for k, v in params["parameters"].items()}
    overrides = _pascal_overrides(params)
    if overrides:
        submit["ContainerOverrides"] = overrides
    target = {
        "Arn": f"arn:{partition_of(params['role_arn'])}:scheduler:::aws-sdk:batch:submitJob",
        "RoleArn": params["role_arn"],
        "Input": json.dumps(submit, sort_keys=True),
        "RetryPolicy": _retry_policy(params),
    }
    if params.get("dead_letter_arn"):
        target["DeadLetterConfig"] = {"Arn": params["dead_letter_arn"]}
    return target


def _json(text):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def comparable_target(target):
    """A target (events or scheduler) reduced to what decides whether it must be written again."""
    if not target:
        return None
    known = ("Id", "Arn", "RoleArn", "BatchParameters", "Input", "RetryPolicy", "DeadLetterConfig")
    batch = target.get("BatchParameters") or {}
    policy = target.get("RetryPolicy") or {}
    return {
        "Id": target.get("Id"),
        "Arn": target.get("Arn"),
        "RoleArn": target.get("RoleArn"),
        "JobDefinition": batch.get("JobDefinition"),
        "JobName": batch.get("JobName"),
        "ArraySize": (batch.get("ArrayProperties") or {}).get("Size"),
        "Attempts": (batch.get("RetryStrategy") or {}).get("Attempts"),
        "Input": _json(target.get("Input")),
        "MaximumRetryAttempts": policy.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS),
        "MaximumEventAge": policy.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE),
        "DeadLetterArn": (target.get("DeadLetterConfig") or {}).get("Arn"),
        "Other": {k: v for k, v in target.items() if k not in known and v not in (None, {}, [])},
    }


def scheduler_request(params, start, end, current=None):
    """CreateSchedule/UpdateSchedule parameters. Options left out keep the current description."""
    window = params.get("flexible_time_window")
    request = {
        "Name": params["name"],
        "GroupName": params.get("group") or "default",
        "ScheduleExpression": params["schedule_expression"].strip(),
        "ScheduleExpressionTimezone": params.get("timezone") or "UTC",
        "State": "ENABLED" if params.get("enabled", True) else "DISABLED",
        "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": window} if window else {"Mode": "OFF"},
        "Target": scheduler_target(params),
        "ActionAfterCompletion": "DELETE" if params.get("delete_after_completion") else "NONE",
    }
    description = params.get("description")
    if description is None and current:
        description = current.get("Description")
    if description:
        request["Description"] = description
    if start:
        request["StartDate"] = start
    if end:
        request["EndDate"] = end
    return request


def comparable_schedule(schedule):
    """A CreateSchedule request or a GetSchedule answer reduced to what an update would change."""
    if not schedule:
        return None
    window = schedule.get("FlexibleTimeWindow") or {"Mode": "OFF"}
    return {
        "ScheduleExpression": schedule.get("ScheduleExpression"),
        "ScheduleExpressionTimezone": schedule.get("ScheduleExpressionTimezone") or "UTC",
        "State": schedule.get("State") or "ENABLED",
        "Description": schedule.get("Description") or "",
        "FlexibleTimeWindow": (
            window.get("Mode"),
            window.get("MaximumWindowInMinutes") if window.get("Mode") == "FLEXIBLE" else None,
        ),
        "StartDate": format_date(parse_date("start_date", schedule.get("StartDate"))),
        "EndDate": format_date(parse_date("end_date", schedule.get("EndDate"))),
        "ActionAfterCompletion": schedule.get("ActionAfterCompletion") or "NONE",
        "Target": comparable_target(schedule.get("Target")),
    }


def describe_target(target):
    """A target as the module returns it (snake_case, input decoded)."""
    if not target:
        return None
    batch = target.get("BatchParameters") or {}
    job_input = _json(target.get("Input")) or {}
    if not isinstance(job_input, dict):
        job_input = {}
    overrides = job_input.get("ContainerOverrides") or {}
    requirements = {r.get("Type"): r.get("Value") for r in overrides.get("ResourceRequirements") or []}
    policy = target.get("RetryPolicy") or {}
    array = batch.get("ArrayProperties") or job_input.get("ArrayProperties") or {}
    strategy = batch.get("RetryStrategy") or job_input.get("RetryStrategy") or {}
    return {
        "id": target.get("Id"),
        "arn": target.get("Arn"),
        "role_arn": target.get("RoleArn"),
        "job_queue": job_input.get("JobQueue") or (target.get("Arn") if batch else None),
        "job_definition": batch.get("JobDefinition") or job_input.get("JobDefinition"),
        "job_name": batch.get("JobName") or job_input.get("JobName"),
        "array_size": array.get("Size"),
        "retry_attempts": strategy.get("Attempts"),
        "share_identifier": job_input.get("ShareIdentifier"),
        "scheduling_priority_override": job_input.get("SchedulingPriorityOverride"),
        "parameters": job_input.get("Parameters") or {},
        "command": overrides.get("Command"),
        "environment": {e.get("Name"): e.get("Value") for e in overrides.get("Environment") or []},
        "vcpus": requirements.get("VCPU"),
        "memory": requirements.get("MEMORY"),
        "retry_policy": {
            "maximum_retry_attempts": policy.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS),
            "maximum_event_age": policy.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE),
        },
        "dead_letter_arn": (target.get("DeadLetterConfig") or {}).get("Arn"),
        "input": target.get("Input"),
    }
