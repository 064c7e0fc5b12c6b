# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack plan's shared parts: constants, and the helpers every part of the planner uses.

Compile a stack model into the stack plan: every AWS name, predictable ARN and module parameter.

Pure: no AWS call. ``compile_plan(model, facts)`` takes the model checked by ``schema.check_model`` and what
the read-only AWS step found (``facts``: account, partition, network), applies the defaults that depend on
other variables, runs every rule (the modules' own validators included) and returns the plan and the
problems. ``refresh.apply_refresh`` then adds what exists in AWS (ownership, secret ARNs, orphans).
"""

import re

from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import (
    FARGATE_TYPES,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import modules
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import ModelProblems, item_path, join

ROLES = ("iam", "secrets", "batch", "eventbridge")
MEMBERSHIP_TAG = "ondemand:stack"
COMPONENT_TAG = "ondemand:component"
# The region of a stack's IAM roles and instance profile: IAM is global, a stack is regional.
REGION_TAG = "ondemand:region"
# Tag keys the collection relies on; a model may not set them.
RESERVED_TAG_PREFIXES = ("ondemand:", "ondemand.batch:", "aws:")

ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}\Z")
IAM_PATH_RE = re.compile(r"^/([!-~]+/)?\Z")
SECRET_LOGICAL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}\Z")
SECRET_SUFFIX_RE = re.compile(r"-[A-Za-z0-9]{6}\Z")
LOG_GROUP_RE = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}\Z")
TOPIC_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}\Z")
RULE_NAME_RE = re.compile(r"^[.\-_A-Za-z0-9]{1,64}\Z")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d\Z")
ACCOUNT_RE = re.compile(r"^\d{12}\Z")
ARN_RE = re.compile(
    r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)\Z"
)
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
MAX_TAG_KEY, MAX_TAG_VALUE = 128, 256

SECRET_ACCESS_POLICY = "read-stack-secrets"
# The execution role's own rights (instead of AmazonECSTaskExecutionRolePolicy, which lets it pull from every ECR
# repository and write to every log group): the stack's log group, the stack's image repositories.
TASK_EXECUTION_POLICY = "task-execution"
ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
EVENTS_POLICY = "submit-stack-jobs"
JOB_ROLE_POLICY = "application"
ALERT_TARGET_ID = "alerts-topic"
PLACEHOLDER_DEFAULT = "PLACEHOLDER: set the value of this secret out of band"

# Inventory field -> module parameter, where they differ (problems are reported under the inventory's name).
CE_FIELDS = {"compute_type": "compute_resource_type", "enabled": "compute_environment_state"}
JQ_FIELDS = {"enabled": "job_queue_state"}
JD_FIELDS = {"job_role": "job_role_arn"}
# job_alert parameter -> the variable it comes from (the alert rule is built from whole variables).
ALERT_FIELDS = {
    "name": "eventbridge_alerts_rule_name",
    "statuses": "eventbridge_alerts_statuses",
    "job_queues": "eventbridge_alerts_job_queues",
    "target_arn": "eventbridge_alerts_topic_name",
    "description": "eventbridge_alerts_statuses",
    "tags": "eventbridge_tags",
}


def _inverse(mapping):
    return {v: k for k, v in mapping.items()}


class SecretValue:
    """What the plan may know of a secret's value: its type and whether it is empty, never the value."""

    def __init__(self, value):
        self.kind = "str" if isinstance(value, str) else type(value).__name__
        self.empty = value in ("", None) or (isinstance(value, (dict, list)) and not value)
        self.json_ready = isinstance(value, (dict, list, str, int, float, bool)) and not isinstance(value, bytes)

    def __repr__(self):
        return "SecretValue(hidden)"


# IAM is global: its resources are a stack's only in the stack's region (the ondemand:region tag).
GLOBAL_KINDS = ("iam_role", "iam_instance_profile")


def ownership(info, kind, stack, region):
    """Who owns an existing resource: ("ours" | "other" | "untagged" | "unknown", a description of the owner).

    "unknown" is a resource that cannot carry tags (EventBridge Scheduler schedules): the model's own name decides.
    """
    tags = info.get("tags")
    if tags is None:
        return "unknown", None
    owner = tags.get(MEMBERSHIP_TAG)
    if not owner:
        return "untagged", None
    if owner != stack:
        return "other", f"stack {owner!r} (tag {MEMBERSHIP_TAG}={owner})"
    home = tags.get(REGION_TAG)
    if kind in GLOBAL_KINDS and home and home != region:
        return "other", f"stack {owner!r} in {home} (tag {REGION_TAG}={home})"
    return "ours", None


def arn_parts(value):
    match = ARN_RE.match(value or "")
    return match.groupdict() if match else None


class PlannerBase:
    """What every part of the planner needs: the model, the facts, the problems, names, tags, ARN checks."""

    def __init__(self, model, facts, state="present", check_mode=False, prior=()):
        self.model = model
        # Paths the schema already refused: their entries skip the module checks (one mistake, one message).
        self.prior = [path for path, _rule in prior]
        self.facts = facts
        self.state = state
        self.check_mode = check_mode
        self.problems = ModelProblems()
        self.stack = model.get("stack_name") or ""
        self.region = model.get("stack_region") or ""
        self.account = facts.get("account_id") or "000000000000"
        self.partition = facts.get("partition") or "aws"
        self.prefix = f"{self.stack}-"
        self.adopt_paths = set()
        self.warnings = []  # what the plan says but does not refuse (deprecations), printed by stack_plan

    # ------------------------------------------------------------------------------------------ helpers
    def arn(self, service, resource, region=None, account=None):
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"

    def tags(self, path, *layers):
        """The stack's tags, then each layer's, then the membership tag (a model may not set reserved keys)."""
        merged = {}
        for layer_path, layer in ((self.stack_tags_path, self.model.get("stack_tags") or {}), *layers):
            for key, value in (layer or {}).items():
                self.check_tag(layer_path, key, value)
                merged[str(key)] = "" if value is None else str(value)
        merged[MEMBERSHIP_TAG] = self.stack
        return merged

    stack_tags_path = "stack_tags"

    def check_tag(self, path, key, value):
        key = str(key)
        if key.startswith(RESERVED_TAG_PREFIXES):
            self.problems.add(
                join(path, key),
                f"tag keys starting with {', '.join(RESERVED_TAG_PREFIXES)} are reserved "
                f"({MEMBERSHIP_TAG} marks the stack's resources and is always {self.stack!r})",
            )
        if len(key) > MAX_TAG_KEY:
            self.problems.add(join(path, key), f"tag keys are at most {MAX_TAG_KEY} characters")
        if value is not None and len(str(value)) > MAX_TAG_VALUE:
            self.problems.add(join(path, key), f"tag values are at most {MAX_TAG_VALUE} characters")

    def entries(self, variable):
        """(path, entry) of every entry of a list variable; duplicate names are refused."""
        out, seen = [], {}
        for index, entry in enumerate(self.model.get(variable) or []):
            if not isinstance(entry, dict):
                continue
            path = item_path(variable, entry, index)
            name = entry.get("name")
            if name in seen:
                self.problems.add(
                    path, f"the name {name!r} is used twice (entries {seen[name]} and {index}): names must be unique"
                )
                continue
            seen[name] = index
            if entry.get("adopt"):
                self.adopt_paths.add(path)
            out.append((path, entry))
        return out

    def module_check(self, module, path, params, rename=None):
        """Run the module's own checks on ``params`` and report them under ``path``."""
        if any(p == path or p.startswith((f"{path}.", f"{path}[")) for p in self.prior):
            return
        problems = modules.check(module, {k: v for k, v in params.items() if v is not None})
        self.problems.extend(path, problems, rename=_inverse(rename or {}))

    def check_arn(self, path, value, service, same_region=True, same_account=True, allow_aws_account=False, what=None):
        """An ARN given in the inventory must name a resource the stack can use: partition, region, account."""
        parts = arn_parts(value)
        what = what or f"a {service} ARN"
        if parts is None or parts["service"] != service:
            self.problems.add(path, f"must be {what} (got {value!r})")
            return None
        if parts["partition"] != self.partition:
            self.problems.add(
                path, f"is in partition {parts['partition']}, the stack is in {self.partition} (got {value!r})"
            )
        if same_region and parts["region"] != self.region:
            self.problems.add(
                path,
                f"is in region {parts['region'] or '(none)'}, the stack is in {self.region}: AWS requires the same "
                f"region (got {value!r})",
            )
        if same_account and parts["account"] != self.account and not (allow_aws_account and parts["account"] == "aws"):
            self.problems.add(
                path,
                f"belongs to account {parts['account'] or '(none)'}, the stack's account is {self.account} (got "
                f"{value!r})",
            )
        return parts

    # ------------------------------------------------------------------------------------------ stack
    def check_stack(self):
        if not self.stack:
            return
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z", self.stack):
            self.problems.add(
                "stack_name",
                "must be letters, digits, hyphens and underscores, starting with a letter or digit (got "
                f"{self.stack!r})",
            )
        if len(self.stack) > 32:
            self.problems.add(
                "stack_name", f"must be at most 32 characters, it prefixes every name (got {len(self.stack)})"
            )
        if self.region and not REGION_RE.match(self.region):
            self.problems.add("stack_region", f"is not an AWS region name such as eu-west-1 (got {self.region!r})")
        account = self.model.get("stack_account_id")
        if account and not ACCOUNT_RE.match(str(account)):
            self.problems.add("stack_account_id", f"must be a 12-digit AWS account id (got {account!r})")
        for key, value in (self.model.get("stack_tags") or {}).items():
            self.check_tag("stack_tags", key, value)

    # ------------------------------------------------------------------------------------------ IAM


def _first_set(*values):
    return next((v for v in values if v is not None), None)


def _set_only(params):
    """Module parameters without the unset ones (the module applies its defaults, as ``omit`` does in a task)."""
    return {key: value for key, value in params.items() if value is not None}


def _platform(ce_params):
    if ce_params.get("type") == "UNMANAGED":
        return "EC2"
    return "FARGATE" if ce_params.get("compute_resource_type") in FARGATE_TYPES else "EC2"
