# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of every Batch resource module, defined once (as kubernetes.core's ``args_common``).

A per-resource module's argument spec is ``<KIND>_OPTIONS``; its list-form module takes a list of such
entries (``list_argument_spec``), each with exactly the same options. The AWS connection options come from
``AnsibleAWSModule`` and are given once per module run.
"""

import copy

from ansible_collections.ondemand.batch.plugins.module_utils.constants import (
    ALLOCATION_STRATEGIES,
    COMPUTE_RESOURCE_TYPES,
    DEFAULT_EVENT_BUS,
    IAM_PROPAGATION_TIMEOUT,
    JOB_STATUSES,
    LOG_DRIVERS,
)

COMPUTE_ENVIRONMENT_OPTIONS = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "type": {"type": "str", "choices": ["MANAGED", "UNMANAGED"]},
    "compute_environment_state": {"type": "str", "default": "ENABLED", "choices": ["ENABLED", "DISABLED"]},
    "compute_resource_type": {"type": "str", "choices": list(COMPUTE_RESOURCE_TYPES)},
    "allocation_strategy": {"type": "str", "choices": list(ALLOCATION_STRATEGIES)},
    "min_vcpus": {"type": "int"},
    "max_vcpus": {"type": "int"},
    "desired_vcpus": {"type": "int"},
    "enforce_desired_vcpus": {"type": "bool", "default": False},
    "update_to_latest_image_version": {"type": "bool", "default": False},
    "instance_types": {"type": "list", "elements": "str"},
    "subnets": {"type": "list", "elements": "str"},
    "security_group_ids": {"type": "list", "elements": "str"},
    "instance_role": {"type": "str"},
    "ec2_key_pair": {"type": "str", "no_log": False},
    "image_id": {"type": "str"},
    "launch_template": {
        "type": "dict",
        "options": {
            "launch_template_id": {"type": "str"},
            "launch_template_name": {"type": "str"},
            "version": {"type": "str"},
        },
        "mutually_exclusive": [["launch_template_id", "launch_template_name"]],
    },
    "ec2_configuration": {
        "type": "list",
        "elements": "dict",
        "options": {
            "image_type": {"type": "str", "required": True},
            "image_id_override": {"type": "str"},
            "image_kubernetes_version": {"type": "str"},
        },
    },
    "bid_percentage": {"type": "int"},
    "spot_iam_fleet_role": {"type": "str"},
    "placement_group": {"type": "str"},
    "instance_tags": {"type": "dict"},
    "service_role": {"type": "str"},
    "unmanaged_vcpus": {"type": "int"},
    "update_policy": {
        "type": "dict",
        "options": {
            "terminate_jobs_on_update": {"type": "bool"},
            "job_execution_timeout_minutes": {"type": "int"},
        },
    },
    "replace": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 900},
    "iam_propagation_timeout": {"type": "int", "default": IAM_PROPAGATION_TIMEOUT},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

JOB_QUEUE_OPTIONS = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "priority": {"type": "int"},
    "compute_environments": {"type": "list", "elements": "str"},
    "scheduling_policy": {"type": "str"},
    "job_state_time_limit_actions": {
        "type": "list",
        "elements": "dict",
        "options": {
            "reason": {"type": "str", "required": True},
            "state": {"type": "str", "default": "RUNNABLE", "choices": ["RUNNABLE"]},
            "max_time_seconds": {"type": "int", "required": True},
            "action": {"type": "str", "default": "CANCEL", "choices": ["CANCEL"]},
        },
    },
    "job_queue_state": {"type": "str", "default": "ENABLED", "choices": ["ENABLED", "DISABLED"]},
    "replace": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

_SECRET_MAP = {"type": "dict", "no_log": False}
JOB_DEFINITION_OPTIONS = {
    "name": {"type": "str", "required": True, "aliases": ["job_definition_name"]},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "revision": {"type": "int"},
    "type": {"type": "str", "default": "container", "choices": ["container", "multinode"]},
    "platform": {
        "type": "str",
        "default": "EC2",
        "choices": ["EC2", "FARGATE"],
        "aliases": ["platform_capability"],
    },
    "image": {"type": "str"},
    "command": {"type": "list", "elements": "str"},
    "vcpus": {"type": "float"},
    "memory": {"type": "int"},
    "gpus": {"type": "int"},
    "environment": {"type": "dict"},
    "secrets": _SECRET_MAP,
    "job_role_arn": {"type": "str", "aliases": ["job_role"]},
    "execution_role_arn": {"type": "str", "aliases": ["execution_role"]},
    "log_configuration": {
        "type": "dict",
        "options": {
            "log_driver": {"type": "str", "required": True, "choices": sorted(LOG_DRIVERS)},
            "options": {"type": "dict"},
            "secret_options": {"type": "dict", "no_log": False},
        },
    },
    "timeout": {"type": "int", "aliases": ["attempt_duration_seconds"]},
    "retry_strategy": {
        "type": "dict",
        "aliases": ["retry"],
        "options": {
            "attempts": {"type": "int"},
            "evaluate_on_exit": {
                "type": "list",
                "elements": "dict",
                "options": {
                    "on_status_reason": {"type": "str"},
                    "on_reason": {"type": "str"},
                    "on_exit_code": {"type": "str"},
                    "action": {"type": "str", "required": True, "choices": ["RETRY", "EXIT"]},
                },
            },
        },
    },
    "parameters": {"type": "dict"},
    "propagate_tags": {"type": "bool", "default": False},
    "scheduling_priority": {"type": "int"},
    "ephemeral_storage": {"type": "int"},
    "runtime_platform": {
        "type": "dict",
        "options": {
            "cpu_architecture": {"type": "str", "choices": ["X86_64", "ARM64"]},
            "operating_system_family": {"type": "str"},
        },
    },
    "assign_public_ip": {"type": "bool"},
    "platform_version": {"type": "str"},
    "privileged": {"type": "bool"},
    "readonly_root_filesystem": {"type": "bool"},
    "user": {"type": "str"},
    "ulimits": {
        "type": "list",
        "elements": "dict",
        "options": {
            "name": {"type": "str", "required": True},
            "soft_limit": {"type": "int", "required": True},
            "hard_limit": {"type": "int", "required": True},
        },
    },
    "volumes": {
        "type": "list",
        "elements": "dict",
        "options": {
            "name": {"type": "str", "required": True},
            "host": {"type": "dict", "options": {"source_path": {"type": "str"}}},
            "efs_volume_configuration": {
                "type": "dict",
                "options": {
                    "file_system_id": {"type": "str", "required": True},
                    "root_directory": {"type": "str"},
                    "transit_encryption": {"type": "str", "choices": ["ENABLED", "DISABLED"]},
                    "transit_encryption_port": {"type": "int"},
                    "authorization_config": {
                        "type": "dict",
                        "options": {
                            "access_point_id": {"type": "str"},
                            "iam": {"type": "str", "choices": ["ENABLED", "DISABLED"]},
                        },
                    },
                },
            },
        },
    },
    "mount_points": {
        "type": "list",
        "elements": "dict",
        "options": {
            "container_path": {"type": "str", "required": True},
            "source_volume": {"type": "str", "required": True},
            "read_only": {"type": "bool", "default": False},
        },
    },
    "linux_parameters": {
        "type": "dict",
        "options": {
            "init_process_enabled": {"type": "bool"},
            "shared_memory_size": {"type": "int"},
            "max_swap": {"type": "int"},
            "swappiness": {"type": "int"},
            "devices": {
                "type": "list",
                "elements": "dict",
                "options": {
                    "host_path": {"type": "str", "required": True},
                    "container_path": {"type": "str"},
                    "permissions": {"type": "list", "elements": "str", "choices": ["READ", "WRITE", "MKNOD"]},
                },
            },
            "tmpfs": {
                "type": "list",
                "elements": "dict",
                "options": {
                    "container_path": {"type": "str", "required": True},
                    "size": {"type": "int", "required": True},
                    "mount_options": {"type": "list", "elements": "str"},
                },
            },
        },
    },
    "container_properties": {"type": "dict"},
    "ecs_properties": {"type": "dict"},
    "node_properties": {"type": "dict"},
    "keep_revisions": {"type": "int"},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

SCHEDULING_POLICY_OPTIONS = {
    "name": {"type": "str", "required": True, "aliases": ["scheduling_policy_name"]},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "share_decay_seconds": {"type": "int", "default": 0},
    "compute_reservation": {"type": "int", "default": 0},
    "share_distribution": {
        "type": "list",
        "elements": "dict",
        "options": {
            "share_identifier": {"type": "str", "required": True},
            "weight_factor": {"type": "float"},
        },
    },
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

JOB_SCHEDULE_OPTIONS = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "enabled": {"type": "bool", "default": True},
    "backend": {"type": "str", "choices": ["events", "scheduler"], "default": "events"},
    "schedule_expression": {"type": "str", "aliases": ["expression", "schedule"]},
    "description": {"type": "str"},
    "timezone": {"type": "str", "aliases": ["schedule_expression_timezone"]},
    "flexible_time_window": {"type": "int"},
    "start_date": {"type": "str"},
    "end_date": {"type": "str"},
    "delete_after_completion": {"type": "bool", "default": False},
    "group": {"type": "str", "default": "default", "aliases": ["group_name"]},
    "job_queue": {"type": "str", "aliases": ["queue"]},
    "job_definition": {"type": "str"},
    "job_name": {"type": "str"},
    "array_size": {"type": "int"},
    "retry_attempts": {"type": "int", "aliases": ["attempts"]},
    "share_identifier": {"type": "str"},
    "scheduling_priority_override": {"type": "int"},
    "parameters": {"type": "dict"},
    "command": {"type": "list", "elements": "str"},
    "environment": {"type": "dict"},
    "vcpus": {"type": "float"},
    "memory": {"type": "int"},
    "role_arn": {"type": "str"},
    "retry_policy": {
        "type": "dict",
        "options": {
            "maximum_retry_attempts": {"type": "int"},
            "maximum_event_age": {"type": "int", "aliases": ["maximum_event_age_in_seconds"]},
        },
    },
    "dead_letter_arn": {"type": "str", "aliases": ["dead_letter_queue"]},
    "target_id": {"type": "str", "default": "ondemand-batch-job"},
    "iam_propagation_timeout": {"type": "int", "default": IAM_PROPAGATION_TIMEOUT},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

JOB_ALERT_OPTIONS = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "enabled": {"type": "bool", "default": True},
    "description": {"type": "str"},
    "job_queues": {"type": "list", "elements": "str", "default": [], "aliases": ["queues"]},
    "statuses": {"type": "list", "elements": "str", "choices": list(JOB_STATUSES), "default": ["FAILED"]},
    "target_arn": {"type": "str", "aliases": ["topic_arn"]},
    "target_id": {"type": "str", "default": "job-alert"},
    "input_template": {"type": "str"},
    "input_paths": {"type": "dict", "aliases": ["input_paths_map"]},
    "event_bus_name": {"type": "str", "default": DEFAULT_EVENT_BUS},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

# job_schedule: what state=present needs (the module's required_if).
JOB_SCHEDULE_REQUIRED_IF = [("state", "present", ["schedule_expression", "job_queue", "job_definition", "role_arn"])]
# job_alert: what state=present needs.
JOB_ALERT_REQUIRED_IF = [("state", "present", ["target_arn"])]


def list_argument_spec(key, options, required_if=None):
    """The argument spec of a list-form module: ``key`` is a list of entries with exactly ``options``."""
    entry = {"type": "list", "elements": "dict", "required": True, "options": copy.deepcopy(options)}
    if required_if:
        entry["required_if"] = copy.deepcopy(required_if)
    return {key: entry}
