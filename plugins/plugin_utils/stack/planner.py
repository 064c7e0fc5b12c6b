# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compile a stack model into the stack plan: every AWS name, predictable ARN and module parameter.

Pure: no AWS call. ``compile_plan(model, facts)`` takes the model checked by ``schema.check_model`` and what
the read-only AWS step found (``facts``: account, partition, network), applies the defaults that depend on
other variables, runs every rule (the modules' own validators included) and returns the plan and the
problems. ``refresh.apply_refresh`` then adds what exists in AWS (ownership, secret ARNs, orphans).
"""

import json
import re

from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import (
    EC2_TYPES,
    FARGATE_TYPES,
    compute_environment_arn,
)
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue import job_queue_arn
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import modules
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import ModelProblems, item_path, join

ROLES = ("iam", "secrets", "batch", "eventbridge")
MEMBERSHIP_TAG = "ondemand:stack"
COMPONENT_TAG = "ondemand:component"
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
EVENTS_POLICY = "submit-stack-jobs"
JOB_ROLE_POLICY = "application"
ALERT_TARGET_ID = "alerts-topic"
ALERT_INPUT_PATHS = {
    "job": "$.detail.jobName",
    "id": "$.detail.jobId",
    "queue": "$.detail.jobQueue",
    "status": "$.detail.status",
    "reason": "$.detail.statusReason",
}
ALERT_INPUT_TEMPLATE = '"Batch job <job> (<id>) on <queue> is <status>: <reason>"'
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


def arn_parts(value):
    match = ARN_RE.match(value or "")
    return match.groupdict() if match else None


class Planner:
    """One compilation of one model. ``plan()`` returns the plan; ``problems`` holds every broken rule."""

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
    def iam(self, batch, eventbridge, secrets):
        m = self.model
        path = m.get("iam_path") or f"/{self.stack}/"
        if not IAM_PATH_RE.match(path) or len(path) > 512:
            self.problems.add(
                "iam_path",
                f"must begin and end with '/' and hold printable ASCII characters only, at most 512 (got {path!r})",
            )
            path = f"/{self.stack}/"  # names and ARNs go on being checked with the default
        boundary = m.get("iam_permissions_boundary") or None
        if boundary:
            parts = self.check_arn(
                "iam_permissions_boundary",
                boundary,
                "iam",
                same_region=False,
                allow_aws_account=True,
                what="a managed policy ARN",
            )
            if parts and not parts["resource"].startswith("policy/"):
                self.problems.add(
                    "iam_permissions_boundary",
                    f"must be a managed policy ARN (arn:...:iam::ACCOUNT:policy/NAME) (got {boundary!r})",
                )
        role_arn_prefix = f"arn:{self.partition}:iam::{self.account}:role{path}"
        managed = f"arn:{self.partition}:iam::aws:policy/service-role"
        compute_types = [
            ce["compute_resource_type"] for ce in batch["compute_environments"] if ce.get("compute_resource_type")
        ]
        unmanaged = any(ce.get("type") == "UNMANAGED" for ce in batch["compute_environments"])
        wants = {
            "batch_service": m.get("iam_batch_service_role_create"),
            "instance": m.get("iam_instance_role_create"),
            "spot_fleet": m.get("iam_spot_fleet_role_create"),
            "events": m.get("iam_events_role_create"),
        }
        if wants["batch_service"] is None:
            wants["batch_service"] = False
        if wants["instance"] is None:
            wants["instance"] = any(t in EC2_TYPES for t in compute_types) or unmanaged
        if wants["spot_fleet"] is None:
            wants["spot_fleet"] = "SPOT" in compute_types
        events_targets = eventbridge["scheduled"]
        if wants["events"] is None:
            wants["events"] = bool(events_targets["queues"]) and eventbridge["backend"] is not None
        principal = m.get("iam_events_role_principal") or (
            "scheduler.amazonaws.com" if eventbridge["backend"] == "scheduler" else "events.amazonaws.com"
        )
        names = {
            "batch_service": f"{self.stack}-batch-service",
            "instance": f"{self.stack}-ecs-instance",
            "spot_fleet": f"{self.stack}-spot-fleet",
            "execution": f"{self.stack}-job-execution",
            "events": f"{self.stack}-events",
        }
        fixed = [
            (
                "batch_service",
                "batch.amazonaws.com",
                [f"{managed}/AWSBatchServiceRole"],
                f"AWS Batch service role of stack {self.stack}",
            ),
            (
                "instance",
                "ec2.amazonaws.com",
                [f"{managed}/AmazonEC2ContainerServiceforEC2Role"],
                f"ECS container instance role of the EC2 and SPOT compute environments of stack {self.stack}",
            ),
            (
                "spot_fleet",
                "spotfleet.amazonaws.com",
                [f"{managed}/AmazonEC2SpotFleetTaggingRole"],
                f"Spot Fleet role of the SPOT compute environments of stack {self.stack}",
            ),
            (
                "execution",
                "ecs-tasks.amazonaws.com",
                [f"{managed}/AmazonECSTaskExecutionRolePolicy"],
                f"ECS task execution role of the jobs of stack {self.stack} (image pull, logs, secrets)",
            ),
            ("events", principal, [], f"Lets EventBridge submit the scheduled jobs of stack {self.stack}"),
        ]
        tags = self.tags("iam", ("iam_tags", m.get("iam_tags")))
        roles, arns = [], {}
        for key, service, policies, description in fixed:
            if key != "execution" and not wants[key]:
                continue
            roles.append(self.role(names[key], path, service, policies, description, boundary, tags, key=key))
            arns[key] = role_arn_prefix + names[key]
        job_role_arns = {}
        for entry_path, entry in self.entries("iam_job_roles"):
            name = f"{self.stack}-job-{entry.get('name')}"
            role_tags = self.tags(
                entry_path, ("iam_tags", m.get("iam_tags")), (join(entry_path, "tags"), entry.get("tags"))
            )
            for policy_path, policy_arn in (
                (join(entry_path, f"managed_policies[{i}]"), p)
                for i, p in enumerate(entry.get("managed_policies") or [])
            ):
                self.check_arn(
                    policy_path,
                    policy_arn,
                    "iam",
                    same_region=False,
                    allow_aws_account=True,
                    what="a managed policy ARN",
                )
            duration = entry.get("max_session_duration")
            if duration is not None and not 3600 <= duration <= 43200:
                self.problems.add(
                    join(entry_path, "max_session_duration"), f"must be 3600 to 43200 seconds (got {duration})"
                )
            role = self.role(
                name,
                path,
                "ecs-tasks.amazonaws.com",
                entry.get("managed_policies") or [],
                entry.get("description") or f"Job role {entry.get('name')} of stack {self.stack}",
                boundary,
                role_tags,
                key=f"job:{entry.get('name')}",
                entry_path=entry_path,
            )
            role["max_session_duration"] = duration
            roles.append(role)
            job_role_arns[entry.get("name")] = role_arn_prefix + name
        for role in roles:
            if not ROLE_NAME_RE.match(role["name"]):
                self.problems.add(
                    role["path_in_model"],
                    f"the role name {role['name']!r} must be 1-64 letters, digits and +=,.@_- (shorten stack_name or "
                    "the name)",
                )
        policies = []
        # The execution role may read this stack's secrets only; names with "-??????" match exactly the secret
        # whatever its random suffix (AWS documents this pattern), so the policy is known before the secrets exist.
        secret_patterns = sorted(s["policy_arn"] for s in secrets["secrets"])
        kms_keys = sorted(
            {s["kms_key_id"] for s in secrets["secrets"] if (s.get("kms_key_id") or "").startswith("arn:")}
        )
        statements = []
        if secret_patterns:
            statements.append(
                {
                    "Sid": "ReadStackSecrets",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": secret_patterns,
                }
            )
        if kms_keys:
            statements.append(
                {"Sid": "DecryptStackSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_keys}
            )
        policies.append(
            {
                "iam_name": names["execution"],
                "policy_name": SECRET_ACCESS_POLICY,
                "policy_json": {"Version": "2012-10-17", "Statement": statements} if statements else None,
                "state": "present" if statements else "absent",
            }
        )
        if wants["events"]:
            batch_arn = self.arn("batch", "")[:-1]
            resources = [f"{batch_arn}:job/*"]
            resources += [f"{batch_arn}:job-queue/{self.prefix}{q}" for q in events_targets["queues"]]
            resources += [f"{batch_arn}:job-definition/{self.prefix}{d}" for d in events_targets["definitions"]]
            resources += [f"{batch_arn}:job-definition/{self.prefix}{d}:*" for d in events_targets["definitions"]]
            policies.append(
                {
                    "iam_name": names["events"],
                    "policy_name": EVENTS_POLICY,
                    "policy_json": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "SubmitStackJobs",
                                "Effect": "Allow",
                                "Action": "batch:SubmitJob",
                                "Resource": resources,
                            }
                        ],
                    },
                    "state": "present",
                }
            )
        for _entry_path, entry in self.entries("iam_job_roles"):
            policy = entry.get("policy")
            policies.append(
                {
                    "iam_name": f"{self.stack}-job-{entry.get('name')}",
                    "policy_name": JOB_ROLE_POLICY,
                    "policy_json": policy,
                    "state": "present" if policy else "absent",
                }
            )
        profiles = []
        if wants["instance"]:
            profiles.append(
                {"name": names["instance"], "path": path, "role": names["instance"], "tags": tags, "state": "present"}
            )
        instance_profile_arn = (
            f"arn:{self.partition}:iam::{self.account}:instance-profile{path}{names['instance']}"
            if wants["instance"]
            else None
        )
        return {
            "path": path,
            "propagation_seconds": m.get("iam_propagation_seconds")
            if m.get("iam_propagation_seconds") is not None
            else 10,
            "roles": roles,
            "instance_profiles": profiles,
            "policies": policies,
            "delete_roles": [],
            "delete_instance_profiles": [],
            "arns": {
                "batch_service_role": arns.get("batch_service"),
                "instance_role": arns.get("instance"),
                "instance_profile": instance_profile_arn,
                "spot_fleet_role": arns.get("spot_fleet"),
                "execution_role": arns["execution"],
                "events_role": arns.get("events"),
                "job_roles": job_role_arns,
            },
            # Every role name the model can produce (destroy removes them whatever the model says today).
            "all_role_names": sorted(
                {*names.values(), *(f"{self.stack}-job-{e.get('name')}" for _p, e in self.entries("iam_job_roles"))}
            ),
        }

    def role(self, name, path, service, managed_policies, description, boundary, tags, key, entry_path=None):
        return {
            "key": key,
            "name": name,
            "path": path,
            "description": description,
            "assume_role_policy_document": self.trust_policy(service),
            "managed_policies": list(managed_policies),
            "boundary": boundary,
            "max_session_duration": None,
            "tags": tags,
            "path_in_model": entry_path or "iam_path",
        }

    def trust_policy(self, service):
        statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        # EventBridge Scheduler sends aws:SourceAccount: the role cannot be used for another account's schedules.
        if service == "scheduler.amazonaws.com":
            statement["Condition"] = {"StringEquals": {"aws:SourceAccount": self.account}}
        return {"Version": "2012-10-17", "Statement": [statement]}

    # ------------------------------------------------------------------------------------------ secrets
    def secrets(self):
        m = self.model
        prefix = m.get("secrets_path_prefix") or f"/{self.stack}/"
        window = m.get("secrets_recovery_window_days")
        if window is not None and not (window == 0 or 7 <= window <= 30):
            self.problems.add("secrets_recovery_window_days", f"must be 0 (delete at once) or 7 to 30 (got {window})")
        present, absent, names = [], [], {}
        for path, entry in self.entries("secrets_secrets"):
            name = entry.get("name")
            if not isinstance(name, str) or not SECRET_LOGICAL_NAME_RE.match(name):
                self.problems.add(
                    join(path, "name"),
                    "must be usable as an environment variable name: letters, digits and '_', not starting with a "
                    f"digit (got {name!r})",
                )
            secret_name = entry.get("secret_name") or f"{prefix}{name}"
            if not SECRET_NAME_RE.match(secret_name):
                self.problems.add(
                    join(path, "secret_name"), f"must be 1 to 512 letters, digits and /_+=.@- (got {secret_name!r})"
                )
            elif SECRET_SUFFIX_RE.search(secret_name):
                self.problems.add(
                    join(path, "secret_name"),
                    "must not end with a hyphen and six characters: AWS confuses it with the random suffix of "
                    f"secret ARNs (got {secret_name!r})",
                )
            if secret_name in names:
                self.problems.add(
                    join(path, "secret_name"),
                    f"{secret_name!r} is also the secret_name of {names[secret_name]}: every secret needs its own",
                )
            names[secret_name] = path
            entry_window = entry.get("recovery_window_days")
            if entry_window is not None and not (entry_window == 0 or 7 <= entry_window <= 30):
                self.problems.add(
                    join(path, "recovery_window_days"), f"must be 0 (delete at once) or 7 to 30 (got {entry_window})"
                )
            kms = entry.get("kms_key_id")
            if kms and kms.startswith("arn:"):
                self.check_arn(join(path, "kms_key_id"), kms, "kms", what="a KMS key ARN")
            description = entry.get("description") or f"Secret {name} of stack {self.stack}"
            if len(description) > 2048:
                self.problems.add(
                    join(path, "description"), f"must be at most 2048 characters (got {len(description)})"
                )
            value = entry.get("value")
            value_format = entry.get("value_format") or "string"
            if isinstance(value, SecretValue):
                if value_format == "string" and value.kind != "str":
                    self.problems.add(
                        join(path, "value"),
                        f"must be a string (got a {value.kind}; the value is not shown); set value_format: json to "
                        "store a mapping or list as JSON",
                    )
                elif value_format == "json" and not value.json_ready:
                    self.problems.add(
                        join(path, "value"),
                        f"must be JSON data: a mapping, list, string or number (got a {value.kind}; not shown)",
                    )
                elif value.empty:
                    self.problems.add(
                        join(path, "value"),
                        "must not be empty (Secrets Manager refuses an empty value); remove value to create a "
                        "placeholder and set it out of band",
                    )
            secret = {
                "name": name,
                "secret_name": secret_name,
                "description": description,
                "kms_key_id": kms or None,
                "tags": self.tags(
                    path, ("secrets_tags", m.get("secrets_tags")), (join(path, "tags"), entry.get("tags"))
                ),
                "has_value": isinstance(value, SecretValue),
                "value_format": value_format,
                "recovery_window_days": window if entry_window is None else entry_window,
                "arn": None,  # the full ARN (random suffix) once it exists: filled in by the refresh
                "partial_arn": self.arn("secretsmanager", f"secret:{secret_name}"),
                "policy_arn": self.arn("secretsmanager", f"secret:{secret_name}-??????"),
                "adopt": bool(entry.get("adopt")),
                "path_in_model": path,
            }
            (absent if entry.get("state") == "absent" else present).append(secret)
        placeholder = m.get("secrets_placeholder") or PLACEHOLDER_DEFAULT
        return {
            "secrets": present,
            "absent": absent,
            "delete": [],
            "placeholder": placeholder,
            "default_recovery_window_days": window,
        }

    # ------------------------------------------------------------------------------------------ Batch
    def batch(self, iam_names, secrets):
        m = self.model
        log_group = m.get("batch_log_group_name") or f"/aws/batch/{self.stack}"
        if not LOG_GROUP_RE.match(log_group):
            self.problems.add("batch_log_group_name", f"must be 1 to 512 letters, digits and ._-/# (got {log_group!r})")
        retention = m.get("batch_log_retention_days")
        if retention not in LOG_RETENTION_DAYS:
            self.problems.add(
                "batch_log_retention_days",
                f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))} (got {retention})",
            )
        kms = m.get("batch_log_kms_key_id") or None
        if kms:
            self.check_arn("batch_log_kms_key_id", kms, "kms", what="a KMS key ARN")
        tags = self.tags("batch", ("batch_tags", m.get("batch_tags")))
        network = self.facts.get("network") or {}

        ces, ce_by_name = [], {}
        for path, entry in self.entries("batch_compute_environments"):
            ce_type = entry.get("type") or "MANAGED"
            compute = entry.get("compute_type")
            managed = ce_type == "MANAGED"
            params = {
                "name": f"{self.prefix}{entry.get('name')}",
                "type": ce_type,
                "compute_environment_state": "ENABLED" if entry.get("enabled", True) else "DISABLED",
                "compute_resource_type": compute,
                "allocation_strategy": entry.get("allocation_strategy"),
                "min_vcpus": entry.get("min_vcpus"),
                "max_vcpus": entry.get("max_vcpus"),
                "desired_vcpus": entry.get("desired_vcpus"),
                "enforce_desired_vcpus": entry.get("enforce_desired_vcpus"),
                "instance_types": entry.get("instance_types"),
                "subnets": (entry.get("subnets") if entry.get("subnets") is not None else network.get("subnets"))
                if managed
                else None,
                "security_group_ids": (
                    entry.get("security_group_ids")
                    if entry.get("security_group_ids") is not None
                    else network.get("security_group_ids")
                )
                if managed
                else None,
                "instance_role": iam_names["instance_profile"] if compute in EC2_TYPES else None,
                "spot_iam_fleet_role": iam_names["spot_fleet_role"] if compute == "SPOT" else None,
                "service_role": iam_names["batch_service_role"],
                "bid_percentage": entry.get("bid_percentage"),
                "launch_template": entry.get("launch_template"),
                "ec2_configuration": entry.get("ec2_configuration"),
                "ec2_key_pair": entry.get("ec2_key_pair"),
                "placement_group": entry.get("placement_group"),
                "instance_tags": entry.get("instance_tags"),
                "unmanaged_vcpus": entry.get("unmanaged_vcpus"),
                "update_policy": entry.get("update_policy"),
                "replace": entry.get("replace"),
                "tags": self.tags(path, ("batch_tags", m.get("batch_tags")), (join(path, "tags"), entry.get("tags"))),
                "purge_tags": True,
                "state": "present",
            }
            for key, value in (entry.get("instance_tags") or {}).items():
                self.check_tag(join(path, "instance_tags"), key, value)
            # Without a network (no default VPC, reported once by the refresh) the subnets are not this entry's fault.
            known_network = network.get("subnets") is not None or not managed or entry.get("subnets") is not None
            check = (
                params if known_network else dict(params, subnets=["subnet-unknown"], security_group_ids=["sg-unknown"])
            )
            self.module_check("compute_environment", path, check, rename=CE_FIELDS)
            ces.append(params)
            ce_by_name[entry.get("name")] = params

        sps, sp_names = [], set()
        for path, entry in self.entries("batch_scheduling_policies"):
            params = {
                "name": f"{self.prefix}{entry.get('name')}",
                "share_decay_seconds": entry.get("share_decay_seconds"),
                "compute_reservation": entry.get("compute_reservation"),
                "share_distribution": entry.get("share_distribution"),
                "tags": self.tags(path, ("batch_tags", m.get("batch_tags")), (join(path, "tags"), entry.get("tags"))),
                "purge_tags": True,
                "state": "present",
            }
            self.module_check("scheduling_policy", path, params)
            sps.append(params)
            sp_names.add(entry.get("name"))

        jqs, queue_platforms, fair_share = [], {}, set()
        for path, entry in self.entries("batch_job_queues"):
            wanted = entry.get("compute_environments") or []
            unknown = [n for n in wanted if n not in ce_by_name]
            if unknown:
                self.problems.add(
                    join(path, "compute_environments"),
                    f"{', '.join(map(str, unknown))} not in batch_compute_environments (known: "
                    f"{', '.join(map(str, ce_by_name)) or 'none'})",
                )
            platforms = sorted({_platform(ce_by_name[n]) for n in wanted if n in ce_by_name})
            if len(platforms) > 1:
                self.problems.add(
                    join(path, "compute_environments"),
                    f"mixes EC2/SPOT and FARGATE/FARGATE_SPOT environments ({', '.join(map(str, wanted))}): AWS "
                    "refuses a queue over both",
                )
            queue_platforms[entry.get("name")] = platforms[0] if len(platforms) == 1 else None
            policy = entry.get("scheduling_policy") or None
            if policy and policy not in sp_names:
                self.problems.add(
                    join(path, "scheduling_policy"),
                    f"{policy!r} is not in batch_scheduling_policies (known: "
                    f"{', '.join(sorted(map(str, sp_names))) or 'none'})",
                )
            if policy in sp_names:
                fair_share.add(entry.get("name"))
            params = {
                "name": f"{self.prefix}{entry.get('name')}",
                "priority": entry.get("priority"),
                "job_queue_state": "ENABLED" if entry.get("enabled", True) else "DISABLED",
                "compute_environments": [f"{self.prefix}{n}" for n in wanted],
                "scheduling_policy": self.arn("batch", f"scheduling-policy/{self.prefix}{policy}") if policy else "",
                "job_state_time_limit_actions": entry.get("job_state_time_limit_actions") or [],
                "replace": entry.get("replace"),
                "tags": self.tags(path, ("batch_tags", m.get("batch_tags")), (join(path, "tags"), entry.get("tags"))),
                "purge_tags": True,
                "state": "present",
            }
            self.module_check("job_queue", path, params, rename=JQ_FIELDS)
            jqs.append(params)

        secret_refs = {s["name"]: s for s in secrets["secrets"]}
        absent_secrets = {s["name"] for s in secrets["absent"]}
        job_roles = iam_names["job_roles"]
        jds, jd_platforms, jd_secrets = [], {}, {}
        keep = m.get("batch_job_definition_keep_revisions")
        for path, entry in self.entries("batch_job_definitions"):
            secret_map = {}
            for variable, logical in (entry.get("secrets") or {}).items():
                if logical in secret_refs:
                    secret_map[variable] = secret_refs[logical]
                else:
                    why = " (it is marked state: absent)" if logical in absent_secrets else ""
                    self.problems.add(
                        join(path, f"secrets.{variable}"),
                        f"{logical!r} is not a secret of secrets_secrets{why} (known: "
                        f"{', '.join(sorted(secret_refs)) or 'none'})",
                    )
            role = entry.get("job_role")
            if role is not None and role not in job_roles:
                self.problems.add(
                    join(path, "job_role"),
                    f"{role!r} is not a role of iam_job_roles (known: {', '.join(sorted(job_roles)) or 'none'})",
                )
            platform = entry.get("platform") or "EC2"
            jd_platforms[entry.get("name")] = platform
            params = {
                "name": f"{self.prefix}{entry.get('name')}",
                "type": "container",
                "platform": platform,
                "image": entry.get("image"),
                "command": entry.get("command"),
                "vcpus": entry.get("vcpus"),
                "memory": entry.get("memory"),
                "gpus": entry.get("gpus"),
                "environment": entry.get("environment") or {},
                # Resolved below, by the refresh: the full ARN of a secret that exists, else its partial ARN
                # (the job_definition module resolves that once the secret exists).
                "secrets": {variable: s["partial_arn"] for variable, s in secret_map.items()},
                "job_role_arn": job_roles.get(role) if role else None,
                "execution_role_arn": iam_names["execution_role"],
                "log_configuration": {
                    "log_driver": "awslogs",
                    "options": {"awslogs-group": log_group, "awslogs-region": self.region},
                },
                "timeout": entry.get("timeout"),
                "retry_strategy": entry.get("retry_strategy"),
                "parameters": entry.get("parameters"),
                "propagate_tags": entry.get("propagate_tags"),
                "scheduling_priority": entry.get("scheduling_priority"),
                "assign_public_ip": entry.get("assign_public_ip"),
                "platform_version": entry.get("platform_version"),
                "ephemeral_storage": entry.get("ephemeral_storage"),
                "runtime_platform": entry.get("runtime_platform"),
                "keep_revisions": entry.get("keep_revisions") if entry.get("keep_revisions") is not None else keep,
                "tags": self.tags(path, ("batch_tags", m.get("batch_tags")), (join(path, "tags"), entry.get("tags"))),
                "purge_tags": True,
                "state": "present",
            }
            self.module_check("job_definition", path, params, rename=JD_FIELDS)
            jds.append(params)
            jd_secrets[params["name"]] = {variable: s["name"] for variable, s in secret_map.items()}

        for variable, kind, known in (
            ("batch_default_job_queue", "queue", [q["name"] for q in jqs]),
            ("batch_default_job_definition", "job definition", [d["name"] for d in jds]),
        ):
            value = m.get(variable)
            if value and value not in known:
                self.problems.add(
                    variable,
                    f"must be the full name of a {kind} of the model, one of {', '.join(known) or 'none'} (got "
                    f"{value!r})",
                )
        return {
            "log_group": {
                "log_group_name": log_group,
                "retention": retention,
                "run_retention": retention,
                "kms_key_id": kms,
                "tags": tags,
                "arn": self.arn("logs", f"log-group:{log_group}"),
            },
            "delete": {
                "job_queues": [],
                "scheduling_policies": [],
                "compute_environments": [],
                "job_definitions": [],
                "log_groups": [],
            },
            "compute_environments": ces,
            "scheduling_policies": sps,
            "job_queues": jqs,
            "job_definitions": jds,
            "queue_platforms": queue_platforms,
            "fair_share_queues": sorted(fair_share),
            "job_definition_platforms": jd_platforms,
            # Job definition -> environment variable -> logical secret name (the refresh puts in the full ARNs).
            "job_definition_secrets": jd_secrets,
            "default_job_queue": m.get("batch_default_job_queue") or (jqs[0]["name"] if jqs else ""),
            "default_job_definition": m.get("batch_default_job_definition") or (jds[0]["name"] if jds else ""),
        }

    # ------------------------------------------------------------------------------------------ EventBridge
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
                "input_template": ALERT_INPUT_TEMPLATE,
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
    def plan(self):
        self.check_stack()
        if any(path in ("stack_name", "stack_region") for path in [p for p, _r in self.problems.items] + self.prior):
            # Every name derives from these two: the rest of the model is checked once they are right.
            return {
                "version": 1,
                "state": self.state,
                "incomplete": True,
                "stack": {"name": self.stack, "region": self.region},
            }
        secrets = self.secrets()
        targets = self.eventbridge_targets()
        # IAM names are known before the Batch and EventBridge parts need their ARNs.
        backend = self.model.get("eventbridge_backend") or "events"
        provisional_batch = {
            "compute_environments": [
                {"compute_resource_type": e.get("compute_type"), "type": e.get("type") or "MANAGED"}
                for _p, e in self.entries("batch_compute_environments")
            ]
        }
        iam = self.iam(provisional_batch, {"scheduled": targets, "backend": backend}, secrets)
        batch = self.batch(iam["arns"], secrets)
        eventbridge = self.eventbridge(batch, iam["arns"]["events_role"])
        for key in ("compute_environments", "scheduling_policies", "job_queues", "job_definitions"):
            batch[key] = [_set_only(params) for params in batch[key]]
        eventbridge["schedules"] = [_set_only(params) for params in eventbridge["schedules"]]
        return {
            "version": 1,
            "state": self.state,
            "check_mode": self.check_mode,
            "stack": {
                "name": self.stack,
                "region": self.region,
                "account_id": self.account,
                "partition": self.partition,
                "membership_tag": {"key": MEMBERSHIP_TAG, "value": self.stack},
            },
            "options": {
                # iam_prune, secrets_prune, ... when set, else -e prune=true.
                "prune": {
                    role: bool(_first_set(self.model.get(f"{role}_prune"), self.model.get("prune"))) for role in ROLES
                },
                "adopt": bool(self.model.get("adopt")),
            },
            "adopt_paths": sorted(self.adopt_paths),
            "iam": iam,
            "secrets": secrets,
            "batch": batch,
            "eventbridge": eventbridge,
        }


def _first_set(*values):
    return next((v for v in values if v is not None), None)


def _set_only(params):
    """Module parameters without the unset ones (the module applies its defaults, as ``omit`` does in a task)."""
    return {key: value for key, value in params.items() if value is not None}


def _platform(ce_params):
    if ce_params.get("type") == "UNMANAGED":
        return "EC2"
    return "FARGATE" if ce_params.get("compute_resource_type") in FARGATE_TYPES else "EC2"


def compile_plan(model, facts, state="present", check_mode=False, prior=()):
    """(plan, ModelProblems) of a checked model; ``prior`` holds the schema's problems (path, rule)."""
    planner = Planner(model, facts, state=state, check_mode=check_mode, prior=prior)
    plan = planner.plan()
    return plan, planner.problems


def as_json(plan):
    return json.dumps(plan, sort_keys=True, default=str)


__all__ = ["SecretValue", "compile_plan", "compute_environment_arn", "job_queue_arn", "as_json"]
