# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IAM part of the plan: roles, trust policies, the instance profile, inline policies."""

from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import EC2_TYPES
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import (
    ECR_PULL_ACTIONS,
    EVENTS_POLICY,
    IAM_PATH_RE,
    JOB_ROLE_POLICY,
    REGION_TAG,
    ROLE_NAME_RE,
    SECRET_ACCESS_POLICY,
    TASK_EXECUTION_POLICY,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import join

# iam_propagation_seconds (a fixed pause after creating roles) is accepted, and ignored, until 0.2.0.
PROPAGATION_SECONDS_DEPRECATED = (
    "iam_propagation_seconds is deprecated and ignored, and will be removed in 0.2.0: the deploy no longer pauses "
    "after creating IAM roles. Compute environments that Batch cannot validate yet, and EventBridge Scheduler "
    "schedules whose role it cannot assume yet, are retried instead, bounded by the modules' iam_propagation_timeout "
    "(ondemand.batch.compute_environments and job_schedules, 120 seconds by default). Remove the variable from the "
    "inventory."
)


class IamPart:
    """A part of ``planner.Planner`` (see the module's docstring)."""

    def iam(self, batch, eventbridge, secrets, images=None):
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
        # IAM is global: names (and the ondemand:region tag) keep one stack's roles apart from the same stack_name
        # deployed in another region (iam_name_prefix); iam_role_names takes existing roles' names (migration).
        prefix = m.get("iam_name_prefix") or self.stack
        names = {
            "batch_service": f"{prefix}-batch-service",
            "instance": f"{prefix}-ecs-instance",
            "spot_fleet": f"{prefix}-spot-fleet",
            "execution": f"{prefix}-job-execution",
            "events": f"{prefix}-events",
        }
        overrides = m.get("iam_role_names") or {}
        for key, value in overrides.items():
            if key not in names:
                self.problems.add(
                    join("iam_role_names", str(key)), f"is not a role of the stack (known: {', '.join(sorted(names))})"
                )
            elif value:
                names[key] = str(value)
        self.iam_job_role_prefix = f"{prefix}-job-"
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
                [],  # its inline policy task-execution instead of AmazonECSTaskExecutionRolePolicy (see below)
                f"ECS task execution role of the jobs of stack {self.stack} (image pull, logs, secrets)",
            ),
            ("events", principal, [], f"Lets EventBridge submit the scheduled jobs of stack {self.stack}"),
        ]
        tags = {**self.tags("iam", ("iam_tags", m.get("iam_tags"))), REGION_TAG: self.region}
        roles, arns = [], {}
        for key, service, policies, description in fixed:
            if key != "execution" and not wants[key]:
                continue
            roles.append(self.role(names[key], path, service, policies, description, boundary, tags, key=key))
            arns[key] = role_arn_prefix + names[key]
        job_role_arns = {}
        for entry_path, entry in self.entries("iam_job_roles"):
            name = f"{self.iam_job_role_prefix}{entry.get('name')}"
            role_tags = {
                **self.tags(entry_path, ("iam_tags", m.get("iam_tags")), (join(entry_path, "tags"), entry.get("tags"))),
                REGION_TAG: self.region,
            }
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
        policies.append(self.task_execution_policy(names["execution"], images))
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
                    "iam_name": f"{self.iam_job_role_prefix}{entry.get('name')}",
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
        if m.get("iam_propagation_seconds") is not None:
            self.warnings.append(PROPAGATION_SECONDS_DEPRECATED)
        return {
            "path": path,
            "name_prefix": prefix,
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
                {
                    *names.values(),
                    *(f"{self.iam_job_role_prefix}{e.get('name')}" for _p, e in self.entries("iam_job_roles")),
                }
            ),
        }

    def task_execution_policy(self, role_name, images):
        """What ECS needs of the execution role besides the secrets: write the jobs' logs to the stack's log group
        (awslogs on Fargate) and pull the images of the stack's repositories (Fargate; on EC2 the instance role
        pulls). GetAuthorizationToken has no resource-level permissions: AWS grants it on * only."""
        statements = [
            {
                "Sid": "WriteStackLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": self.arn("logs", f"log-group:{self.log_group_name()}:*"),
            }
        ]
        repositories = sorted(r["arn"] for r in ((images or {}).get("by_name") or {}).values())
        if repositories:
            statements += [
                {"Sid": "PullStackImages", "Effect": "Allow", "Action": ECR_PULL_ACTIONS, "Resource": repositories},
                {"Sid": "GetRegistryToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            ]
        return {
            "iam_name": role_name,
            "policy_name": TASK_EXECUTION_POLICY,
            "policy_json": {"Version": "2012-10-17", "Statement": statements},
            "state": "present",
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
        """The role's trust policy, with the confused-deputy conditions the service documents.

        Batch, ECS tasks, EventBridge and EventBridge Scheduler send ``aws:SourceAccount`` and ``aws:SourceArn`` when
        they assume a role: only this account's (and, for rules and schedules, this stack's) resources may use it.
        EC2 and Spot Fleet send neither, so their roles have no condition.
        """
        statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        source = {
            "batch.amazonaws.com": self.arn("batch", "*"),
            "ecs-tasks.amazonaws.com": self.arn("ecs", "*"),
            "events.amazonaws.com": self.arn("events", f"rule/{self.prefix}*"),
            "scheduler.amazonaws.com": self.arn("scheduler", f"schedule/default/{self.prefix}*"),
        }.get(service)
        if source:
            statement["Condition"] = {
                "StringEquals": {"aws:SourceAccount": self.account},
                "ArnLike": {"aws:SourceArn": source},
            }
        return {"Version": "2012-10-17", "Statement": [statement]}

    # ------------------------------------------------------------------------------------------ secrets
