# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Batch part of the plan: log group, compute environments, scheduling policies, queues, job definitions."""

import re

from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import EC2_TYPES, FARGATE_TYPES
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import modules
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import (
    CE_FIELDS,
    JD_FIELDS,
    JQ_FIELDS,
    LOG_GROUP_RE,
    LOG_RETENTION_DAYS,
    _platform,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import item_path, join

try:  # the containerProperties fields RegisterJobDefinition knows (botocore's service model)
    import botocore.session

    CONTAINER_FIELDS = frozenset(
        botocore.session.get_session().get_service_model("batch").shape_for("ContainerProperties").members
    )
except Exception:  # noqa: BLE001 - without botocore (the action reports it) the raw fields go unchecked
    CONTAINER_FIELDS = None

# containerProperties fields an option of the model sets: given raw, they would bypass the option's rules (the
# stack's execution role, its log group) or fight with it.
MODELLED_CONTAINER_FIELDS = {
    "image": "image",
    "command": "command",
    "resourceRequirements": "vcpus, memory and gpus",
    "vcpus": "vcpus",
    "memory": "memory",
    "environment": "environment",
    "secrets": "secrets",
    "jobRoleArn": "job_role",
    "executionRoleArn": "(none: the plan sets the stack's execution role)",
    "logConfiguration": "log_options",
    "volumes": "volumes",
    "mountPoints": "mount_points",
    "linuxParameters": "linux_parameters",
    "ulimits": "ulimits",
    "user": "user",
    "privileged": "privileged",
    "readonlyRootFilesystem": "readonly_root_filesystem",
    "networkConfiguration": "assign_public_ip",
    "fargatePlatformConfiguration": "platform_version",
    "ephemeralStorage": "ephemeral_storage",
    "runtimePlatform": "runtime_platform",
}
# Docker's ulimit names (what ECS and Batch pass on).
ULIMIT_NAMES = (
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
)
LINUX_EC2_ONLY = ("shared_memory_size", "max_swap", "swappiness", "devices", "tmpfs")
PLAN_LOG_OPTIONS = ("awslogs-group", "awslogs-region")
VOLUME_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}\Z")
EFS_ID_RE = re.compile(r"^fs-[0-9a-f]{8,40}\Z")
ACCESS_POINT_ID_RE = re.compile(r"^fsap-[0-9a-f]{8,40}\Z")


class BatchPart:
    """A part of ``planner.Planner`` (see the module's docstring)."""

    def log_group_name(self):
        return self.model.get("batch_log_group_name") or f"/aws/batch/{self.stack}"

    def batch(self, iam_names, secrets, images=None):
        m = self.model
        images = images or {"repositories": [], "by_name": {}, "force_delete": False}
        log_group = self.log_group_name()
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
                "update_to_latest_image_version": entry.get("update_to_latest_image_version"),
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
            check = self.check_update_to_latest(path, entry, check)
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
            image, checked_image = self.job_image(path, entry.get("image"), platform, images)
            params = {
                "name": f"{self.prefix}{entry.get('name')}",
                "type": "container",
                "platform": platform,
                "image": image,
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
                    "options": {
                        **self.log_options(path, entry),
                        "awslogs-group": log_group,
                        "awslogs-region": self.region,
                    },
                },
                **self.container_options(path, entry, platform),
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
            self.module_check("job_definition", path, dict(params, image=checked_image), rename=JD_FIELDS)
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
                "image_repositories": [],
            },
            "image_repositories": images["repositories"],
            # Logical name -> name, ARN, URI, force_delete and model path of each repository.
            "image_repository_names": images["by_name"],
            "image_repositories_force_delete": images["force_delete"],
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

    # ------------------------------------------------------------------------------------------ options
    def check_update_to_latest(self, path, entry, params):
        """AMI patching is for EC2 instances; the parameters to check (without it while the module lacks it)."""
        wanted = entry.get("update_to_latest_image_version")
        if wanted is None:
            return params
        field = join(path, "update_to_latest_image_version")
        if (entry.get("type") or "MANAGED") == "UNMANAGED":
            self.problems.add(
                field, "is only for managed environments (Batch launches no instances in an UNMANAGED one)"
            )
        elif entry.get("compute_type") in FARGATE_TYPES:
            self.problems.add(
                field, f"is only for EC2 and SPOT environments (Fargate has no AMI; got {entry['compute_type']})"
            )
        if "update_to_latest_image_version" not in modules.argument_spec("compute_environment"):
            self.problems.add(
                field,
                "needs the compute_environment module's update_to_latest_image_version option, which this version of "
                "the collection lacks",
            )
            return {k: v for k, v in params.items() if k != "update_to_latest_image_version"}
        return params

    def log_options(self, path, entry):
        options = dict(entry.get("log_options") or {})
        for key in PLAN_LOG_OPTIONS:
            if key in options:
                self.problems.add(
                    join(path, f"log_options.{key}"),
                    f"is set by the plan ({'the stack log group' if key == 'awslogs-group' else 'the stack region'}: "
                    "batch_log_group_name, stack_region); give only further awslogs options",
                )
                options.pop(key)
        return {str(k): v for k, v in options.items()}

    def container_options(self, path, entry, platform):
        """volumes, mount_points, linux_parameters, ulimits, user, privileged, readonly_root_filesystem and the raw
        container_properties of a job definition entry, as the job_definition module takes them; the rules AWS
        applies to them that the module's validator does not check are checked here."""
        fargate = platform == "FARGATE"
        volumes = None
        if entry.get("volumes") is not None:
            volumes = [
                self.volume(path, index, volume, entry, fargate) for index, volume in enumerate(entry["volumes"])
            ]
        mount_points = None
        if entry.get("mount_points") is not None:
            mount_points = []
            for index, mount in enumerate(entry["mount_points"]):
                at = join(path, f"mount_points[{index}]")
                self.check_container_path(join(at, "container_path"), mount.get("container_path"))
                mount_points.append(
                    {
                        "source_volume": mount.get("source_volume"),
                        "container_path": mount.get("container_path"),
                        "read_only": bool(mount.get("read_only")),
                    }
                )
        linux = entry.get("linux_parameters")
        if linux is not None:
            at = join(path, "linux_parameters")
            linux = {key: value for key, value in linux.items() if value is not None}
            for key in LINUX_EC2_ONLY:
                if fargate and key in linux:
                    self.problems.add(join(at, key), "is not supported on FARGATE (EC2 only)")
            for key, low, high in (("shared_memory_size", 1, None), ("max_swap", 0, None), ("swappiness", 0, 100)):
                value = linux.get(key)
                if value is not None and (value < low or (high is not None and value > high)):
                    rule = f"must be {low} to {high}" if high is not None else f"must be at least {low}"
                    self.problems.add(join(at, key), f"{rule} (got {value})")
            if linux.get("swappiness") is not None and linux.get("max_swap") is None:
                self.problems.add(join(at, "swappiness"), "has no effect without max_swap (AWS ignores it)")
            for index, tmpfs in enumerate(linux.get("tmpfs") or []):
                self.check_container_path(join(at, f"tmpfs[{index}].container_path"), tmpfs.get("container_path"))
                if tmpfs.get("size") is not None and tmpfs["size"] < 1:
                    self.problems.add(join(at, f"tmpfs[{index}].size"), f"must be at least 1 MiB (got {tmpfs['size']})")
            if linux.get("devices") is not None:
                linux["devices"] = [{k: v for k, v in d.items() if v is not None} for d in linux["devices"]]
            if linux.get("tmpfs") is not None:
                linux["tmpfs"] = [{k: v for k, v in t.items() if v is not None} for t in linux["tmpfs"]]
        ulimits = entry.get("ulimits")
        if ulimits is not None:
            seen = set()
            for index, ulimit in enumerate(ulimits):
                at = join(path, f"ulimits[{index}]")
                name = ulimit.get("name")
                if name not in ULIMIT_NAMES:
                    self.problems.add(join(at, "name"), f"must be one of {', '.join(ULIMIT_NAMES)} (got {name!r})")
                elif name in seen:
                    self.problems.add(join(at, "name"), f"{name} is set twice")
                seen.add(name)
                soft, hard = ulimit.get("soft_limit"), ulimit.get("hard_limit")
                if soft is not None and hard is not None and soft > hard:
                    self.problems.add(join(at, "soft_limit"), f"must not exceed hard_limit ({soft} > {hard})")
            ulimits = [dict(u) for u in ulimits]
        raw = entry.get("container_properties")
        if raw:
            for key in raw:
                field = join(path, f"container_properties.{key}")
                if key in MODELLED_CONTAINER_FIELDS:
                    option = MODELLED_CONTAINER_FIELDS[key]
                    self.problems.add(field, f"is set by an option of the model: use {option}")
                elif CONTAINER_FIELDS is not None and key not in CONTAINER_FIELDS:
                    self.problems.add(
                        field,
                        "is not a containerProperties field of RegisterJobDefinition (camelCase; those left to it: "
                        f"{', '.join(sorted(CONTAINER_FIELDS - set(MODELLED_CONTAINER_FIELDS)))})",
                    )
        return {
            "volumes": volumes,
            "mount_points": mount_points,
            "linux_parameters": linux,
            "ulimits": ulimits,
            "user": entry.get("user"),
            "privileged": entry.get("privileged"),
            "readonly_root_filesystem": entry.get("readonly_root_filesystem"),
            "container_properties": raw or None,
        }

    def volume(self, path, index, volume, entry, fargate):
        """One volume as the job_definition module takes it (host / efs_volume_configuration)."""
        at = join(path, item_path("volumes", volume, index))
        name = volume.get("name")
        if not isinstance(name, str) or not VOLUME_NAME_RE.match(name):
            self.problems.add(join(at, "name"), f"must be 1 to 255 letters, digits, '-' and '_' (got {name!r})")
        host, efs = volume.get("host_path"), volume.get("efs")
        out = {"name": name}
        if host is not None and efs is not None:
            self.problems.add(at, "takes host_path or efs, not both")
        if host is not None:
            if fargate:
                self.problems.add(
                    join(at, "host_path"), "is not supported on FARGATE (use efs, or neither for scratch)"
                )
            self.check_container_path(join(at, "host_path"), host, what="an absolute path on the instance")
            out["host"] = {"source_path": host}
        if efs is not None:
            out["efs_volume_configuration"] = self.efs(join(at, "efs"), efs, entry)
        return out

    def efs(self, at, efs, entry):
        """EFSVolumeConfiguration, with the rules AWS documents for access points, IAM and transit encryption."""
        file_system = efs.get("file_system_id")
        if file_system is not None and not EFS_ID_RE.match(file_system):
            self.problems.add(
                join(at, "file_system_id"), f"must be an EFS file system ID, fs-... (got {file_system!r})"
            )
        access_point = efs.get("access_point_id")
        if access_point is not None and not ACCESS_POINT_ID_RE.match(access_point):
            self.problems.add(
                join(at, "access_point_id"), f"must be an EFS access point ID, fsap-... (got {access_point!r})"
            )
        encrypted = efs.get("transit_encryption")
        for option, wanted in (("access_point_id", access_point is not None), ("iam", bool(efs.get("iam")))):
            if wanted and not encrypted:
                self.problems.add(join(at, option), "needs transit_encryption: true (AWS requires it)")
        if efs.get("transit_encryption_port") is not None:
            port = efs["transit_encryption_port"]
            if not encrypted:
                self.problems.add(join(at, "transit_encryption_port"), "is only used with transit_encryption: true")
            elif not 1 <= port <= 65535:
                self.problems.add(join(at, "transit_encryption_port"), f"must be a port, 1 to 65535 (got {port})")
        root = efs.get("root_directory")
        if root is not None:
            if access_point is not None and root != "/":
                self.problems.add(
                    join(at, "root_directory"),
                    f"must be / or unset with an access point: the access point sets the directory (got {root!r})",
                )
            else:
                self.check_container_path(join(at, "root_directory"), root, what="an absolute path in the file system")
        if efs.get("iam") and entry.get("job_role") is None:
            self.problems.add(
                join(at, "iam"), "mounts as the job role: give the job definition a job_role (of iam_job_roles)"
            )
        out = {"file_system_id": file_system}
        if root is not None:
            out["root_directory"] = root
        if encrypted is not None:
            out["transit_encryption"] = "ENABLED" if encrypted else "DISABLED"
        if efs.get("transit_encryption_port") is not None:
            out["transit_encryption_port"] = efs["transit_encryption_port"]
        if access_point is not None or efs.get("iam") is not None:
            out["authorization_config"] = {
                key: value
                for key, value in (
                    ("access_point_id", access_point),
                    ("iam", None if efs.get("iam") is None else ("ENABLED" if efs["iam"] else "DISABLED")),
                )
                if value is not None
            }
        return out

    def check_container_path(self, field, value, what="an absolute path in the container"):
        if value is not None and not str(value).startswith("/"):
            self.problems.add(field, f"must be {what}, starting with / (got {value!r})")
