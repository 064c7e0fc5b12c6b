# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch compute environments: option table, normalisation, comparison, in-place update rules, API helpers.

Options are compared in the module's terms (snake_case option names, see ``COMPUTE_RESOURCE_OPTIONS``).
``current_options()`` maps a DescribeComputeEnvironments entry onto those names, ``differences()``
compares it with the wanted options, and ``replacement_reasons()`` says which of the differences
UpdateComputeEnvironment cannot apply (see ``IN_PLACE_UPDATABLE``).
"""

import copy
import hashlib

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ondemand.batch.plugins.module_utils.common import retry_decorator
from ansible_collections.ondemand.batch.plugins.module_utils.constants import (
    COMPUTE_RESOURCE_TYPES,
    EC2_TYPES,
    FARGATE_TYPES,
)
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchErrorHandler,
    BatchValidationError,
)
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Poll
from ansible_collections.ondemand.batch.plugins.module_utils.validation import (
    collects_problems,
    is_arn,
    validate_max_items,
    validate_name,
    validate_range,
)

ALL_TYPES = COMPUTE_RESOURCE_TYPES

BEST_FIT = "BEST_FIT"
SPOT_ONLY_STRATEGIES = (
    "SPOT_CAPACITY_OPTIMIZED",
    "SPOT_PRICE_CAPACITY_OPTIMIZED",
    "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED",
)
EC2_ONLY_STRATEGIES = ("BEST_FIT_PROGRESSIVE_ORDERED",)
# With these strategies Batch tries instance types in list order, so the order is part of the setting.
ORDERED_INSTANCE_TYPE_STRATEGIES = ("BEST_FIT_PROGRESSIVE_ORDERED", "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED")

SERVICE_LINKED_ROLE_NAME = "AWSServiceRoleForBatch"
SERVICE_LINKED_ROLE_PATH = "aws-service-role/batch.amazonaws.com/"

# Marks the temporary environment made while replacing one (see the module's ``replace`` option).
REPLACEMENT_TAG = "ondemand.batch:replacement-for"

# Defaults AWS applies when a field is not set (what DescribeComputeEnvironments then reports).
UPDATE_POLICY_DEFAULTS = {"terminate_jobs_on_update": False, "job_execution_timeout_minutes": 30}
LAUNCH_TEMPLATE_DEFAULT_VERSION = "$Default"
# Keys of an update's computeResources that ask for something rather than set a field AWS reports.
UPDATE_ONLY_RESOURCE_KEYS = ("updateToLatestImageVersion",)

# option name -> (key in computeResources, how values compare, compute resource types that accept it)
COMPUTE_RESOURCE_OPTIONS = {
    "compute_resource_type": ("type", "scalar", ALL_TYPES),
    "allocation_strategy": ("allocationStrategy", "strategy", EC2_TYPES),
    "min_vcpus": ("minvCpus", "scalar", EC2_TYPES),
    "max_vcpus": ("maxvCpus", "scalar", ALL_TYPES),
    "desired_vcpus": ("desiredvCpus", "scalar", EC2_TYPES),
    "instance_types": ("instanceTypes", "instance_types", EC2_TYPES),
    "subnets": ("subnets", "unordered", ALL_TYPES),
    "security_group_ids": ("securityGroupIds", "unordered", ALL_TYPES),
    "instance_role": ("instanceRole", "iam_name", EC2_TYPES),
    "ec2_key_pair": ("ec2KeyPair", "scalar", EC2_TYPES),
    "image_id": ("imageId", "scalar", EC2_TYPES),
    "launch_template": ("launchTemplate", "launch_template", EC2_TYPES),
    "ec2_configuration": ("ec2Configuration", "ec2_configuration", EC2_TYPES),
    "bid_percentage": ("bidPercentage", "scalar", ("SPOT",)),
    "spot_iam_fleet_role": ("spotIamFleetRole", "iam_name", ("SPOT",)),
    "placement_group": ("placementGroup", "scalar", EC2_TYPES),
    "instance_tags": ("tags", "dict", EC2_TYPES),
}
# Options outside computeResources: option name -> (request key, how values compare).
TOP_LEVEL_OPTIONS = {
    "type": ("type", "scalar"),
    "compute_environment_state": ("state", "scalar"),
    "service_role": ("serviceRole", "iam_name"),
    "unmanaged_vcpus": ("unmanagedvCpus", "scalar"),
    "update_policy": ("updatePolicy", "update_policy"),
}
ALL_OPTIONS = tuple(TOP_LEVEL_OPTIONS) + tuple(COMPUTE_RESOURCE_OPTIONS)
# Not a setting AWS reports but a request of an update: move to the latest AMI Batch supports (EC2 and SPOT).
LATEST_IMAGE = "update_to_latest_image_version"

LAUNCH_TEMPLATE_KEYS = {
    "launch_template_id": "launchTemplateId",
    "launch_template_name": "launchTemplateName",
    "version": "version",
}
EC2_CONFIGURATION_KEYS = {
    "image_type": "imageType",
    "image_id_override": "imageIdOverride",
    "image_kubernetes_version": "imageKubernetesVersion",
}
UPDATE_POLICY_KEYS = {
    "terminate_jobs_on_update": "terminateJobsOnUpdate",
    "job_execution_timeout_minutes": "jobExecutionTimeoutMinutes",
}

# ---------------------------------------------------------------------------------------------------
# What UpdateComputeEnvironment can change in place.
#
# Source: the Batch API model (ComputeResourceUpdate, UpdateComputeEnvironment) and the AWS Batch
# User Guide, "Updating compute environments": scaling updates (min/max/desired vCPUs) work for every
# EC2/SPOT environment; infrastructure updates (everything else in ComputeResourceUpdate) only when the
# allocation strategy is not BEST_FIT *and* the environment uses the Batch service-linked role; Fargate
# environments can change maxvCpus, subnets and securityGroupIds; UNMANAGED environments have no compute
# resources. spotIamFleetRole is not part of ComputeResourceUpdate at all, the allocation strategy cannot
# be set to BEST_FIT by an update, the compute resource type can only switch between EC2 and SPOT, and
# the service role cannot switch between the service-linked role and a regular role.
# The state, the update policy, a regular service role and unmanagedvCpus are always updatable.
# ---------------------------------------------------------------------------------------------------
SCALING_FIELDS = frozenset({"min_vcpus", "max_vcpus", "desired_vcpus"})
INFRASTRUCTURE_FIELDS = frozenset(
    {
        "allocation_strategy",
        "bid_percentage",
        "compute_resource_type",
        "ec2_configuration",
        "ec2_key_pair",
        "image_id",
        "instance_role",
        "instance_tags",
        "instance_types",
        "launch_template",
        "placement_group",
        "security_group_ids",
        "subnets",
        LATEST_IMAGE,
    }
)
EC2_SCALING = "EC2_SCALING"
EC2_INFRASTRUCTURE = "EC2_INFRASTRUCTURE"
FARGATE = "FARGATE"
UNMANAGED = "UNMANAGED"
IN_PLACE_UPDATABLE = {
    EC2_SCALING: SCALING_FIELDS,
    EC2_INFRASTRUCTURE: SCALING_FIELDS | INFRASTRUCTURE_FIELDS,
    FARGATE: frozenset({"max_vcpus", "subnets", "security_group_ids"}),
    UNMANAGED: frozenset(),
}
UPDATE_CLASS_DESCRIPTIONS = {
    EC2_SCALING: "an EC2/SPOT environment with allocation strategy BEST_FIT or a service role other than "
    "the Batch service-linked role (only min/max/desired vCPUs can change)",
    EC2_INFRASTRUCTURE: "an EC2/SPOT environment",
    FARGATE: "a Fargate environment (only max_vcpus, subnets and security_group_ids can change)",
    UNMANAGED: "an UNMANAGED environment",
}
ALWAYS_UPDATABLE = frozenset({"compute_environment_state", "update_policy", "unmanaged_vcpus"})


# --- names and ARNs ---------------------------------------------------------------------------------
def resource_name(value):
    """The name part of a name or ARN (``arn:...:role/path/name`` -> ``name``)."""
    if value is None:
        return None
    return value.rsplit("/", 1)[-1] if is_arn(value) else value


def same_iam_entity(current, desired):
    """Roles and instance profiles given as a name or an ARN: ARNs compare whole, otherwise by name."""
    if current is None or desired is None:
        return current == desired
    if is_arn(current) and is_arn(desired):
        return current == desired
    return resource_name(current) == resource_name(desired)


def is_service_linked_role(value):
    return value is not None and (SERVICE_LINKED_ROLE_PATH in value or resource_name(value) == SERVICE_LINKED_ROLE_NAME)


def service_linked_role_arn(partition, account):
    return f"arn:{partition}:iam::{account}:role/{SERVICE_LINKED_ROLE_PATH}{SERVICE_LINKED_ROLE_NAME}"


def compute_environment_arn(partition, region, account, name):
    return f"arn:{partition}:batch:{region}:{account}:compute-environment/{name}"


def replacement_name(name):
    """Name of the temporary environment used while replacing ``name`` (stable for a given name)."""
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[: 128 - 9]}-{digest}"


def platform_of(compute_resource_type, environment_type="MANAGED"):
    """'FARGATE' for Fargate environments, 'EC2' for EC2/SPOT and UNMANAGED ones."""
    if environment_type == "MANAGED" and compute_resource_type in FARGATE_TYPES:
        return "FARGATE"
    return "EC2"


def detail_platform(detail):
    return platform_of((detail.get("computeResources") or {}).get("type"), detail.get("type", "MANAGED"))


# --- normalisation ----------------------------------------------------------------------------------
def _camel(mapping, value):
    return {mapping[k]: v for k, v in (value or {}).items() if k in mapping and v is not None}


def _snake(mapping, value):
    reverse = {v: k for k, v in mapping.items()}
    return {reverse[k]: v for k, v in (value or {}).items() if k in reverse}


def _snake_keys(value):
    """camel_dict_to_snake_dict, with Batch's ``...vCpus`` spelt ``..._vcpus``."""
    converted = camel_dict_to_snake_dict(value)
    return {k.replace("v_cpus", "_vcpus"): v for k, v in converted.items()}


def normalize_compute_environment(detail):
    """A DescribeComputeEnvironments entry in snake_case; resource and instance tags stay a plain dict."""
    if not detail:
        return {}
    detail = dict(detail)
    tags = detail.pop("tags", None) or {}
    resources = dict(detail.pop("computeResources", None) or {})
    instance_tags = resources.pop("tags", None)
    result = _snake_keys(detail)
    if resources or detail.get("type") == "MANAGED":
        snake_resources = _snake_keys(resources)
        if instance_tags is not None:
            snake_resources["tags"] = instance_tags
        result["compute_resources"] = snake_resources
    result["tags"] = tags
    return result


def current_options(detail):
    """The module's options as an existing environment has them (None where AWS reports nothing)."""
    resources = detail.get("computeResources") or {}
    options = {
        "type": detail.get("type"),
        "compute_environment_state": detail.get("state"),
        "service_role": detail.get("serviceRole"),
        "unmanaged_vcpus": detail.get("unmanagedvCpus"),
        "update_policy": {**UPDATE_POLICY_DEFAULTS, **_snake(UPDATE_POLICY_KEYS, detail.get("updatePolicy"))},
    }
    for option, (key, _kind, _types) in COMPUTE_RESOURCE_OPTIONS.items():
        value = resources.get(key)
        if option == "launch_template" and value is not None:
            value = _snake(LAUNCH_TEMPLATE_KEYS, value)
        elif option == "ec2_configuration" and value is not None:
            value = [_snake(EC2_CONFIGURATION_KEYS, item) for item in value]
        options[option] = value
    if options["type"] == "MANAGED" and options["compute_resource_type"] in EC2_TYPES:
        options["allocation_strategy"] = options["allocation_strategy"] or BEST_FIT
    return options


def _ec2_configuration_key(items):
    return sorted(
        (item.get("image_type"), item.get("image_id_override"), item.get("image_kubernetes_version"))
        for item in items or []
    )


def _launch_template_equal(current, desired):
    current = current or {}
    for key in ("launch_template_id", "launch_template_name"):
        if desired.get(key) is not None and current.get(key) != desired[key]:
            return False
    asks_for_none = desired.get("launch_template_id") is None and desired.get("launch_template_name") is None
    if asks_for_none and (current.get("launch_template_id") or current.get("launch_template_name")):
        return False
    current_version = current.get("version") or LAUNCH_TEMPLATE_DEFAULT_VERSION
    return current_version == (desired.get("version") or LAUNCH_TEMPLATE_DEFAULT_VERSION)


def values_equal(option, current, desired, strategy=None):
    """Whether an existing value already satisfies a wanted one (desired is never None here)."""
    kind = TOP_LEVEL_OPTIONS[option][1] if option in TOP_LEVEL_OPTIONS else COMPUTE_RESOURCE_OPTIONS[option][1]
    if kind == "unordered":
        return sorted(set(current or [])) == sorted(set(desired))
    if kind == "instance_types":
        if strategy in ORDERED_INSTANCE_TYPE_STRATEGIES:
            return list(current or []) == list(desired)
        return sorted(set(current or [])) == sorted(set(desired))
    if kind == "iam_name":
        return same_iam_entity(current, desired)
    if kind == "dict":
        return (current or {}) == desired
    if kind == "strategy":
        return (current or BEST_FIT) == desired
    if kind == "launch_template":
        return _launch_template_equal(current, desired)
    if kind == "ec2_configuration":
        return _ec2_configuration_key(current) == _ec2_configuration_key(desired)
    if kind == "update_policy":
        current = current or UPDATE_POLICY_DEFAULTS
        return all(current.get(k) == v for k, v in desired.items() if v is not None)
    return current == desired


def differences(current, desired, enforce_desired_vcpus=False):
    """``{option: (current value, wanted value)}`` for every option that is set and differs.

    Options left unset (None) are not managed. ``desired_vcpus`` is only compared when
    ``enforce_desired_vcpus`` is true, because Batch moves it between min and max by itself.
    """
    strategy = desired.get("allocation_strategy") or current.get("allocation_strategy")
    diffs = {}
    for option in ALL_OPTIONS:
        wanted = desired.get(option)
        if wanted is None:
            continue
        if option == "desired_vcpus" and not enforce_desired_vcpus:
            continue
        if option == "update_policy" and all(v is None for v in wanted.values()):
            continue
        if not values_equal(option, current.get(option), wanted, strategy):
            diffs[option] = (current.get(option), wanted)
    return diffs


def update_class(current):
    """Which row of IN_PLACE_UPDATABLE applies to an existing environment."""
    if current.get("type") == "UNMANAGED":
        return UNMANAGED
    if current.get("compute_resource_type") in FARGATE_TYPES:
        return FARGATE
    strategy = current.get("allocation_strategy") or BEST_FIT
    if strategy != BEST_FIT and is_service_linked_role(current.get("service_role")):
        return EC2_INFRASTRUCTURE
    return EC2_SCALING


def replacement_reasons(current, diffs):
    """``{option: reason}`` for each difference UpdateComputeEnvironment cannot apply in place."""
    row = update_class(current)
    updatable = IN_PLACE_UPDATABLE[row]
    reasons = {}
    for option, (before, after) in diffs.items():
        if option in ALWAYS_UPDATABLE:
            continue
        if option == "type":
            reasons[option] = "MANAGED and UNMANAGED cannot be converted into each other"
        elif option == "service_role":
            if is_service_linked_role(before) != is_service_linked_role(after):
                reasons[option] = "cannot switch between the Batch service-linked role and a regular role"
        elif option == "spot_iam_fleet_role":
            reasons[option] = "UpdateComputeEnvironment cannot change the Spot Fleet role"
        elif option == "compute_resource_type" and not {before, after} <= set(EC2_TYPES):
            reasons[option] = f"cannot change from {before} to {after} (only EC2 <-> SPOT, by infrastructure update)"
        elif option not in updatable:
            reasons[option] = f"not updatable in place for {UPDATE_CLASS_DESCRIPTIONS[row]}"
        elif option == "allocation_strategy" and after == BEST_FIT:
            reasons[option] = "an update cannot set the allocation strategy to BEST_FIT"
    return reasons


def effective_options(current, desired):
    """The options a replacement gets: the existing ones overridden by every wanted one that is set.

    Options that the resulting compute resource type does not accept are dropped, and so is the
    desired vCPU count that Batch chose (a replacement starts from ``desired_vcpus`` or ``min_vcpus``).
    """
    merged = dict(current or {})
    merged["desired_vcpus"] = None
    for option, value in desired.items():
        if value is not None:
            merged[option] = value
    if merged.get("update_policy") is not None and desired.get("update_policy") is not None:
        merged["update_policy"] = {
            **(current or {}).get("update_policy", UPDATE_POLICY_DEFAULTS),
            **{k: v for k, v in desired["update_policy"].items() if v is not None},
        }
    if merged.get("type") == "UNMANAGED":
        for option in COMPUTE_RESOURCE_OPTIONS:
            merged[option] = None
    else:
        merged["unmanaged_vcpus"] = None
        resource_type = merged.get("compute_resource_type")
        for option, (_key, _kind, types) in COMPUTE_RESOURCE_OPTIONS.items():
            if resource_type not in types:
                merged[option] = None
    template = merged.get("launch_template")
    if template and template.get("launch_template_id") and template.get("launch_template_name"):
        # AWS may report both; a request must name the template one way only.
        merged["launch_template"] = {k: v for k, v in template.items() if k != "launch_template_name"}
    return merged


# --- validation -------------------------------------------------------------------------------------
@collects_problems
def validate_options(name, desired, current=None, problems=None):
    """Check the wanted options (merged with the existing ones where a rule spans several fields).

    Adds every (option, rule) it finds to ``problems`` (raises them when called without).
    ``current`` is None on creation.
    """
    with problems.rule():
        validate_name("name", name)
    creating = current is None
    current = current or {}
    env_type = desired.get("type") or current.get("type") or "MANAGED"
    resource_type = desired.get("compute_resource_type") or (
        current.get("compute_resource_type") if current.get("type", env_type) == env_type else None
    )
    given = [option for option in COMPUTE_RESOURCE_OPTIONS if desired.get(option) is not None]

    if desired.get(LATEST_IMAGE) and (env_type == "UNMANAGED" or resource_type in FARGATE_TYPES):
        problems.add(LATEST_IMAGE, "only for EC2 and SPOT compute environments (Batch picks no AMI for the others)")
    if env_type == "UNMANAGED":
        for option in given:
            problems.add(option, "not supported for UNMANAGED compute environments")
        with problems.rule():
            validate_range("unmanaged_vcpus", desired.get("unmanaged_vcpus"), minimum=0)
        if creating and desired.get("service_role") is None:
            problems.add("service_role", "required for UNMANAGED compute environments")
        _validate_update_policy(desired, problems)
        return

    if desired.get("unmanaged_vcpus") is not None:
        problems.add("unmanaged_vcpus", "only supported for UNMANAGED compute environments")
    if resource_type is None:
        problems.add("compute_resource_type", "required to create a MANAGED compute environment")
        return
    for option in given:
        if resource_type not in COMPUTE_RESOURCE_OPTIONS[option][2]:
            problems.add(option, f"not supported for {resource_type} compute environments")

    if creating:
        required = ["max_vcpus", "subnets"]
        if resource_type in FARGATE_TYPES:
            required.append("security_group_ids")
        else:
            required += ["instance_role", "instance_types"]
            if desired.get("security_group_ids") is None and desired.get("launch_template") is None:
                problems.add("security_group_ids", "required unless a launch_template provides the security groups")
        if resource_type == "SPOT" and (desired.get("allocation_strategy") or BEST_FIT) == BEST_FIT:
            required.append("spot_iam_fleet_role")
        for option in required:
            if desired.get(option) is None:
                rule = f"required to create a {resource_type} compute environment"
                if option == "spot_iam_fleet_role":
                    rule += " with allocation strategy BEST_FIT"
                problems.add(option, rule)

    strategy = desired.get("allocation_strategy")
    if strategy in SPOT_ONLY_STRATEGIES and resource_type != "SPOT":
        problems.add("allocation_strategy", f"{strategy} is only available for SPOT compute resources")
    if strategy in EC2_ONLY_STRATEGIES and resource_type != "EC2":
        problems.add("allocation_strategy", f"{strategy} is only available for EC2 compute resources")

    for option in ("min_vcpus", "max_vcpus", "desired_vcpus"):
        with problems.rule():
            validate_range(option, desired.get(option), minimum=0)
    with problems.rule():
        validate_range("bid_percentage", desired.get("bid_percentage"), minimum=0, maximum=100)
    same_platform = current.get("compute_resource_type") is None or platform_of(
        current.get("compute_resource_type")
    ) == platform_of(resource_type)
    effective = {
        option: desired.get(option)
        if desired.get(option) is not None
        else (current.get(option) if same_platform else None)
        for option in ("min_vcpus", "max_vcpus")
    }
    if resource_type in EC2_TYPES:
        minimum, maximum = effective["min_vcpus"], effective["max_vcpus"]
        if minimum is not None and maximum is not None and minimum > maximum:
            problems.add("min_vcpus", f"must not exceed max_vcpus ({minimum} > {maximum})")
        wanted = desired.get("desired_vcpus")
        if wanted is not None:
            if minimum is not None and wanted < minimum:
                problems.add("desired_vcpus", f"must be at least min_vcpus ({wanted} < {minimum})")
            if maximum is not None and wanted > maximum:
                problems.add("desired_vcpus", f"must not exceed max_vcpus ({wanted} > {maximum})")
    else:
        with problems.rule():
            validate_max_items("subnets", desired.get("subnets"), 16)
        with problems.rule():
            validate_max_items("security_group_ids", desired.get("security_group_ids"), 5)

    for option in ("subnets", "instance_types"):
        if desired.get(option) is not None and not desired[option]:
            problems.add(option, "must not be empty")
    if resource_type in FARGATE_TYPES and desired.get("security_group_ids") == []:
        problems.add("security_group_ids", "Fargate compute environments need at least one")
    configuration = desired.get("ec2_configuration")
    if configuration is not None:
        with problems.rule():
            validate_max_items("ec2_configuration", configuration, 2)
        if not configuration:
            problems.add("ec2_configuration", "must have one or two items")
    template = desired.get("launch_template")
    if template is not None and template.get("launch_template_id") and template.get("launch_template_name"):
        problems.add("launch_template", "give launch_template_id or launch_template_name, not both")
    _validate_update_policy(desired, problems)


def _validate_update_policy(desired, problems):
    policy = desired.get("update_policy") or {}
    with problems.rule():
        validate_range(
            "update_policy.job_execution_timeout_minutes",
            policy.get("job_execution_timeout_minutes"),
            minimum=1,
            maximum=7200,
        )


def validate_desired_vcpus_update(current, diffs):
    """AWS only lets an update raise desiredvCpus (Batch lowers it itself when idle)."""
    if "desired_vcpus" not in diffs:
        return
    before, after = diffs["desired_vcpus"]
    if before is not None and after < before:
        raise BatchValidationError(
            "desired_vcpus",
            f"an update can only raise desired vCPUs ({after} < current {before}); Batch scales down by itself, "
            "or leave enforce_desired_vcpus false",
        )


# --- requests ---------------------------------------------------------------------------------------
def _request_value(option, value):
    if option == "launch_template":
        return _camel(LAUNCH_TEMPLATE_KEYS, value)
    if option == "ec2_configuration":
        return [_camel(EC2_CONFIGURATION_KEYS, item) for item in value]
    if option == "update_policy":
        return _camel(UPDATE_POLICY_KEYS, value)
    return value


def compute_resources_request(options, only=None):
    """The computeResources structure for the options that are set (restricted to ``only`` if given)."""
    resources = {}
    for option, (key, _kind, _types) in COMPUTE_RESOURCE_OPTIONS.items():
        if only is not None and option not in only:
            continue
        value = options.get(option)
        if value is not None:
            resources[key] = _request_value(option, value)
    return resources


def create_request(name, options, tags=None):
    """CreateComputeEnvironment arguments. The state is always ENABLED (AWS: "must be created in the
    ENABLED state"); DISABLED and the update policy, which CreateComputeEnvironment lacks, are applied
    by ``post_create_request``."""
    request = {"computeEnvironmentName": name, "type": options.get("type") or "MANAGED", "state": "ENABLED"}
    if request["type"] == "MANAGED":
        resources = compute_resources_request(options)
        if options.get("compute_resource_type") in EC2_TYPES:
            resources.setdefault("minvCpus", 0)
        request["computeResources"] = resources
    elif options.get("unmanaged_vcpus") is not None:
        request["unmanagedvCpus"] = options["unmanaged_vcpus"]
    if options.get("service_role") and not is_service_linked_role(options["service_role"]):
        # Without a role AWS uses the service-linked one (it does not take it as an explicit serviceRole
        # in every partition), so the service-linked role is never sent.
        request["serviceRole"] = options["service_role"]
    if tags:
        request["tags"] = tags
    return request


def post_create_request(arn, options):
    """UpdateComputeEnvironment arguments that finish a creation, or None when nothing is left to do."""
    request = {}
    if options.get("compute_environment_state") == "DISABLED":
        request["state"] = "DISABLED"
    policy = {k: v for k, v in (options.get("update_policy") or {}).items() if v is not None}
    if policy and any(UPDATE_POLICY_DEFAULTS[k] != v for k, v in policy.items()):
        request["updatePolicy"] = _camel(UPDATE_POLICY_KEYS, {**UPDATE_POLICY_DEFAULTS, **policy})
    if not request:
        return None
    return {"computeEnvironment": arn, **request}


def image_update_available(detail):
    """Whether Batch reports a newer AMI for the environment's image type (``batchImageStatus``)."""
    configuration = (detail.get("computeResources") or {}).get("ec2Configuration") or []
    return any(item.get("batchImageStatus") == "UPDATE_AVAILABLE" for item in configuration)


def image_differences(detail, latest_image):
    """``{LATEST_IMAGE: (False, True)}`` when the latest AMI is wanted and Batch has a newer one, else ``{}``."""
    return {LATEST_IMAGE: (False, True)} if latest_image and image_update_available(detail) else {}


def update_request(arn, current, diffs, latest_image=False):
    """UpdateComputeEnvironment arguments applying ``diffs`` (all of them updatable in place).

    With ``latest_image`` an infrastructure update also moves to the latest AMI (``updateToLatestImageVersion``);
    a scaling update alone never asks for it (it would make it an infrastructure update).
    """
    request = {"computeEnvironment": arn}
    for option, (key, _kind) in TOP_LEVEL_OPTIONS.items():
        if option not in diffs or option == "type":
            continue
        value = diffs[option][1]
        if option == "update_policy":
            # The whole policy: what is set now, with the wanted settings over it.
            value = {
                **(current.get("update_policy") or UPDATE_POLICY_DEFAULTS),
                **{k: v for k, v in value.items() if v is not None},
            }
        request[key] = _request_value(option, value)
    changed = {option: after for option, (_before, after) in diffs.items() if option in COMPUTE_RESOURCE_OPTIONS}
    if changed:
        request["computeResources"] = compute_resources_request(changed)
    if LATEST_IMAGE in diffs or (latest_image and set(diffs) & INFRASTRUCTURE_FIELDS):
        request.setdefault("computeResources", {})["updateToLatestImageVersion"] = True
    return request


def revalidation_request(detail, option):
    """UpdateComputeEnvironment arguments that make Batch validate an INVALID environment again, changing nothing.

    ``option`` is what the statusReason says Batch could not use (``iam_propagation``). The request re-sends it where
    UpdateComputeEnvironment takes it (AWS Batch User Guide, "Updating compute environments"): a regular service role
    (a scaling update, which every environment accepts), the instance profile only as an infrastructure update (the
    service-linked role and an allocation strategy other than BEST_FIT); the Spot Fleet role is not updatable. The
    state is always re-sent: a scaling update, so the request is never empty.
    """
    request = {"computeEnvironment": detail["computeEnvironmentArn"], "state": detail.get("state") or "ENABLED"}
    service_role = detail.get("serviceRole")
    if option == "service_role" and service_role and not is_service_linked_role(service_role):
        request["serviceRole"] = service_role
    profile = (detail.get("computeResources") or {}).get("instanceRole")
    if option == "instance_role" and profile and update_class(current_options(detail)) == EC2_INFRASTRUCTURE:
        request["computeResources"] = {"instanceRole": profile}
    return request


# --- predictions (check mode, and results when not waiting) ------------------------------------------
def predicted_detail(name, arn, options, tags, status="VALID"):
    """The DescribeComputeEnvironments entry a new environment will have once created with ``options``.

    Built from the requests a real run sends (``create_request``, then ``post_create_request``): the update policy
    is only there when the creation sets one other than AWS's defaults, as AWS reports it.
    """
    detail = {
        "computeEnvironmentName": name,
        "computeEnvironmentArn": arn,
        "type": options.get("type") or "MANAGED",
        "state": options.get("compute_environment_state") or "ENABLED",
        "status": status,
        "tags": dict(tags or {}),
    }
    if options.get("service_role"):
        detail["serviceRole"] = options["service_role"]
    if detail["type"] == "MANAGED":
        resources = compute_resources_request(options)
        if options.get("compute_resource_type") in EC2_TYPES:
            # AWS's defaults for what the request leaves out (an allocation strategy left out is reported as none,
            # and compared as BEST_FIT, see current_options).
            resources.setdefault("minvCpus", 0)
            resources.setdefault("desiredvCpus", resources["minvCpus"])
        detail["computeResources"] = resources
    elif options.get("unmanaged_vcpus") is not None:
        detail["unmanagedvCpus"] = options["unmanaged_vcpus"]
    follow_up = post_create_request(arn, options) or {}
    if "updatePolicy" in follow_up:
        detail["updatePolicy"] = follow_up["updatePolicy"]
    return detail


def apply_differences(current_detail, current, diffs, tags, status=None, latest_image=False):
    """Predicted entry of an existing environment once ``diffs`` are applied in place and its tags are ``tags``.

    The UpdateComputeEnvironment request a real run sends (``update_request``) merged over the entry, as AWS merges
    it: only what the request carries changes (an environment without an update policy keeps none unless the
    request sets one). Batch moves the desired vCPUs into the new min-max range by itself, unless they are set.
    ``status`` is the status after an update (VALID when waiting, else UPDATING); without diffs it is kept.
    """
    detail = copy.deepcopy(current_detail)
    detail["tags"] = dict(tags or {})
    if not diffs:
        return detail
    request = update_request(current_detail["computeEnvironmentArn"], current, diffs, latest_image)
    for key in ("state", "serviceRole", "unmanagedvCpus"):
        if key in request:
            detail[key] = request[key]
    if "updatePolicy" in request:
        detail["updatePolicy"] = {**(detail.get("updatePolicy") or {}), **request["updatePolicy"]}
    if "computeResources" in request:
        resources = dict(detail.get("computeResources") or {})
        update = {k: v for k, v in request["computeResources"].items() if k not in UPDATE_ONLY_RESOURCE_KEYS}
        resources.update(copy.deepcopy(update))
        if resources.get("type") in EC2_TYPES and "desiredvCpus" not in update and "maxvCpus" in resources:
            minimum = resources.get("minvCpus", 0)
            if resources["maxvCpus"] >= minimum:
                resources["desiredvCpus"] = min(max(resources.get("desiredvCpus", 0), minimum), resources["maxvCpus"])
        if request["computeResources"].get("updateToLatestImageVersion") and resources.get("ec2Configuration"):
            resources["ec2Configuration"] = [
                dict(item, batchImageStatus="LATEST") if "batchImageStatus" in item else item
                for item in resources["ec2Configuration"]
            ]
        detail["computeResources"] = resources
    if status:
        detail["status"] = status
    return detail


# --- API helpers ------------------------------------------------------------------------------------
@retry_decorator()
def paginate(client, operation, **kwargs):
    """The full result of a paginated Batch call, retried as a whole on throttling."""
    return client.get_paginator(operation).paginate(**kwargs).build_full_result()


@BatchErrorHandler.common_error_handler("describe compute environments")
def describe_compute_environments(client, identifiers=None):
    """Entries for the given names/ARNs (those that exist), or for every environment when None."""
    found = []
    if identifiers is None:
        found = paginate(client, "describe_compute_environments").get("computeEnvironments", [])
    else:
        identifiers = list(dict.fromkeys(identifiers))
        for start in range(0, len(identifiers), 100):
            chunk = identifiers[start : start + 100]
            found += client.describe_compute_environments(computeEnvironments=chunk, aws_retry=True).get(
                "computeEnvironments", []
            )
    return [detail for detail in found if detail.get("status") != "DELETED"]


def find_environment(details, identifier):
    for detail in details:
        if identifier in (detail.get("computeEnvironmentName"), detail.get("computeEnvironmentArn")):
            return detail
    return None


def describe_compute_environment(client, identifier):
    return find_environment(describe_compute_environments(client, [identifier]), identifier)


@BatchErrorHandler.common_error_handler("create compute environment")
def create_compute_environment(client, request):
    return client.create_compute_environment(aws_retry=True, **request)


@BatchErrorHandler.common_error_handler("update compute environment")
def update_compute_environment(client, request):
    return client.update_compute_environment(aws_retry=True, **request)


@BatchErrorHandler.common_error_handler("delete compute environment")
def delete_compute_environment(client, arn):
    return client.delete_compute_environment(computeEnvironment=arn, aws_retry=True)


def environment_poll(ctx, arn, name, until=None, status=None, accept_invalid=None):
    """A ``Poll`` of the reconcile driver for one environment: read it, or wait until ``until``."""
    return Poll(
        ctx,
        describe_compute_environments,
        "computeEnvironmentArn",
        arn,
        f"compute environment {name}",
        until,
        status,
        accept_invalid,
    )


# --- IAM look-ups -----------------------------------------------------------------------------------
@BatchErrorHandler.common_error_handler("look up the IAM instance profile")
def _instance_profile_arn(iam, name):
    try:
        return iam.get_instance_profile(InstanceProfileName=name, aws_retry=True)["InstanceProfile"]["Arn"]
    except is_boto3_error_code("NoSuchEntity"):
        return None


@BatchErrorHandler.common_error_handler("look up the IAM role")
def _role_arn(iam, name):
    try:
        return iam.get_role(RoleName=name, aws_retry=True)["Role"]["Arn"]
    except is_boto3_error_code("NoSuchEntity"):
        return None


def resolve_instance_profile(iam, option, value):
    """An instance profile ARN for a name (IAM GetInstanceProfile); ARNs are returned unchanged."""
    if value is None or is_arn(value):
        return value
    arn = _instance_profile_arn(iam, value)
    if arn is None:
        raise BatchValidationError(option, f"no IAM instance profile named {value!r} exists")
    return arn


def resolve_role(iam, option, value):
    """A role ARN for a role name (IAM GetRole; ``path/name`` is accepted); ARNs are returned unchanged."""
    if value is None or is_arn(value):
        return value
    arn = _role_arn(iam, value.rsplit("/", 1)[-1])
    if arn is None:
        raise BatchValidationError(option, f"no IAM role named {value!r} exists")
    return arn
