# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Batch part of the plan: log group, compute environments, scheduling policies, queues, job definitions."""

from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import EC2_TYPES
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import (
    CE_FIELDS,
    JD_FIELDS,
    JQ_FIELDS,
    LOG_GROUP_RE,
    LOG_RETENTION_DAYS,
    _platform,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import join


class BatchPart:
    """A part of ``planner.Planner`` (see the module's docstring)."""

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
