# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Job definitions: build, validate, normalise, compare, register and deregister revisions.

A job definition is immutable in AWS Batch: a change registers a new revision. To stay idempotent the
desired definition (the RegisterJobDefinition request built from module parameters) and the latest
ACTIVE revision (from DescribeJobDefinitions) are both put into one canonical form, where what AWS
fills in by default (empty lists, ``propagateTags: false``, ``platformCapabilities: [EC2]``, Fargate's
``LATEST`` platform version, ...) is made explicit or dropped the same way on both sides and lists that
AWS reorders are sorted. Two definitions are equal when their canonical forms are equal.

Tags are not part of that comparison: a tag change is applied to the latest revision with TagResource.
"""

import copy
import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict, snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.transformation import scrub_none_parameters

from ansible_collections.ondemand.batch.plugins.module_utils.common import paginate_items
from ansible_collections.ondemand.batch.plugins.module_utils.constants import LOG_DRIVERS
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchErrorHandler, BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import MISSING, PLANNED, Kind, run_one
from ansible_collections.ondemand.batch.plugins.module_utils.secrets import (
    full_secret_arn,
    is_partial_secret_arn,
    split_secret_reference,
)
from ansible_collections.ondemand.batch.plugins.module_utils.tagging import ensure_tags, resulting_tags, tag_changes
from ansible_collections.ondemand.batch.plugins.module_utils.validation import (
    Problems,
    collects_problems,
    validate_max_items,
    validate_name,
    validate_range,
)

# --------------------------------------------------------------------------------------------- rules

# Fargate: the memory values (MiB) AWS accepts for each vCPU value (ResourceRequirement in the Batch
# API reference, the botocore service model's documentation of ResourceRequirement.value).
FARGATE_MEMORY_BY_VCPU = {
    "0.25": (512, 1024, 2048),
    "0.5": tuple(range(1024, 4096 + 1, 1024)),
    "1": tuple(range(2048, 8192 + 1, 1024)),
    "2": tuple(range(4096, 16384 + 1, 1024)),
    "4": tuple(range(8192, 30720 + 1, 1024)),
    "8": tuple(range(16384, 61440 + 1, 4096)),
    "16": tuple(range(32768, 122880 + 1, 8192)),
    "32": (61440, 122880, 249856),
}

MAX_EVALUATE_ON_EXIT = 5
DEFAULT_EPHEMERAL_STORAGE_GIB = 20
MIN_TIMEOUT_SECONDS = 60
MIN_EC2_MEMORY_MIB = 4
FARGATE_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens")
RESERVED_ENV_PREFIX = "AWS_BATCH"
DESCRIBE_BATCH = 100  # DescribeJobDefinitions: at most 100 jobDefinitions a call

# Secrets are referenced, never given by value: a Secrets Manager secret ARN (optionally with ECS's
# ":json-key:version-stage:version-id" suffix), a Parameter Store parameter ARN, or the full path of a
# Parameter Store parameter in the job's region ("/app/db/password"). A bare word is refused because it
# cannot be told apart from a plain secret value.
SECRETS_MANAGER_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+(:[A-Za-z0-9/_+=.@-]*){0,3}$"
)
SSM_PARAMETER_ARN_RE = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9/_.-]+\Z")
SSM_PARAMETER_PATH_RE = re.compile(r"^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\Z")
SECRET_RULE = (
    "must reference the secret, not contain it: a Secrets Manager secret ARN "
    "(arn:aws:secretsmanager:<region>:<account>:secret:<name>), an SSM parameter ARN "
    "(arn:aws:ssm:<region>:<account>:parameter/<name>) or an SSM parameter path starting with '/'"
)
EXIT_CODE_RE = re.compile(r"^(\d+\*?|\*)\Z")

# Keys of AWS answers whose values are user data (names chosen by the user): never re-cased.
USER_DATA_KEYS = frozenset(["tags", "parameters", "options", "dockerLabels", "labels", "annotations"])
SNAKE_OVERRIDES = {"sizeInGiB": "size_in_gib"}

# What the comparison looks at: everything RegisterJobDefinition takes, except the name and tags.
COMPARED_KEYS = (
    "type",
    "parameters",
    "schedulingPriority",
    "containerProperties",
    "nodeProperties",
    "retryStrategy",
    "propagateTags",
    "timeout",
    "platformCapabilities",
    "eksProperties",
    "ecsProperties",
    "consumableResourceProperties",
    "containerOrchestrationType",
)

# Container properties that are booleans defaulting to false: false and unset mean the same.
FALSE_DEFAULT_KEYS = ("privileged", "readonlyRootFilesystem", "enableExecuteCommand", "initProcessEnabled", "readOnly")


# --------------------------------------------------------------------------------------------- helpers


def format_vcpus(value):
    """Canonical text of a vCPU amount: 1 -> "1", 0.25 -> "0.25", "1.0" -> "1"."""
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:g}"


def _format_integer(value):
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _env_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def deep_merge(base, override):
    """``override`` merged over ``base``: dicts merge recursively, everything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def prune(value):
    """Drop None, empty lists and empty dicts recursively (AWS treats them as unset)."""
    if isinstance(value, dict):
        pruned = {}
        for key, item in value.items():
            item = prune(item)
            if item is None or item == [] or item == {}:
                continue
            pruned[key] = item
        return pruned
    if isinstance(value, list):
        return [prune(item) for item in value if item is not None]
    return value


def _snake_key(key):
    if key in SNAKE_OVERRIDES:
        return SNAKE_OVERRIDES[key]
    return next(iter(camel_dict_to_snake_dict({key: None})))


def to_snake(value, user_data_keys=USER_DATA_KEYS):
    """camelCase keys to snake_case, at every depth, except below keys that hold user data.

    ``camel_dict_to_snake_dict``'s ignore_list only protects top-level keys; log options such as
    ``awslogs-group``, environment names, parameters and tags must stay as written at any depth.
    """
    if isinstance(value, dict):
        return {
            _snake_key(key): copy.deepcopy(item) if key in user_data_keys else to_snake(item, user_data_keys)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [to_snake(item, user_data_keys) for item in value]
    return value


def _camel(value):
    """snake_case option dicts (None dropped) to the API's camelCase."""
    if isinstance(value, list):
        return [_camel(item) for item in value]
    if isinstance(value, dict):
        return snake_dict_to_camel_dict(scrub_none_parameters(value))
    return value


# --------------------------------------------------------------------------------------------- request


def build_container_properties(params):
    """containerProperties from the modelled options, with ``container_properties`` merged over it."""
    props = {}
    if params.get("image") is not None:
        props["image"] = params["image"]
    if params.get("command") is not None:
        props["command"] = list(params["command"])

    requirements = []
    if params.get("vcpus") is not None:
        requirements.append({"type": "VCPU", "value": format_vcpus(params["vcpus"])})
    if params.get("memory") is not None:
        requirements.append({"type": "MEMORY", "value": str(params["memory"])})
    if params.get("gpus") is not None:
        requirements.append({"type": "GPU", "value": str(params["gpus"])})
    if requirements:
        props["resourceRequirements"] = requirements

    if params.get("environment") is not None:
        props["environment"] = [
            {"name": str(name), "value": _env_value(value)} for name, value in sorted(params["environment"].items())
        ]
    if params.get("secrets") is not None:
        props["secrets"] = [{"name": str(name), "valueFrom": arn} for name, arn in sorted(params["secrets"].items())]
    if params.get("job_role_arn") is not None:
        props["jobRoleArn"] = params["job_role_arn"]
    if params.get("execution_role_arn") is not None:
        props["executionRoleArn"] = params["execution_role_arn"]

    log = params.get("log_configuration")
    if log is not None:
        log_configuration = {"logDriver": log["log_driver"]}
        if log.get("options") is not None:
            log_configuration["options"] = {str(k): _env_value(v) for k, v in log["options"].items()}
        if log.get("secret_options") is not None:
            log_configuration["secretOptions"] = [
                {"name": str(name), "valueFrom": arn} for name, arn in sorted(log["secret_options"].items())
            ]
        props["logConfiguration"] = log_configuration

    for option, key in (
        ("privileged", "privileged"),
        ("readonly_root_filesystem", "readonlyRootFilesystem"),
        ("user", "user"),
    ):
        if params.get(option) is not None:
            props[key] = params[option]
    for option, key in (
        ("ulimits", "ulimits"),
        ("volumes", "volumes"),
        ("mount_points", "mountPoints"),
        ("linux_parameters", "linuxParameters"),
    ):
        if params.get(option) is not None:
            props[key] = _camel(params[option])

    if params.get("assign_public_ip") is not None:
        props["networkConfiguration"] = {"assignPublicIp": "ENABLED" if params["assign_public_ip"] else "DISABLED"}
    if params.get("platform_version") is not None:
        props["fargatePlatformConfiguration"] = {"platformVersion": params["platform_version"]}
    if params.get("ephemeral_storage") is not None:
        props["ephemeralStorage"] = {"sizeInGiB": params["ephemeral_storage"]}
    if params.get("runtime_platform") is not None:
        runtime = _camel(params["runtime_platform"])
        if runtime:
            props["runtimePlatform"] = runtime

    if params.get("container_properties"):
        props = deep_merge(props, params["container_properties"])
    return props


def build_request(params):
    """RegisterJobDefinition arguments (tags excluded) from the module's parameters."""
    platform = params.get("platform") or "EC2"
    request = {
        "jobDefinitionName": params["name"],
        "type": params.get("type") or "container",
        "platformCapabilities": [platform],
    }
    if params.get("parameters") is not None:
        request["parameters"] = {str(k): _env_value(v) for k, v in params["parameters"].items()}
    if params.get("scheduling_priority") is not None:
        request["schedulingPriority"] = params["scheduling_priority"]
    if params.get("propagate_tags") is not None:
        request["propagateTags"] = params["propagate_tags"]
    if params.get("timeout") is not None:
        request["timeout"] = {"attemptDurationSeconds": params["timeout"]}

    retry = params.get("retry_strategy")
    if retry is not None:
        strategy = {}
        if retry.get("attempts") is not None:
            strategy["attempts"] = retry["attempts"]
        if retry.get("evaluate_on_exit") is not None:
            strategy["evaluateOnExit"] = [
                {
                    key: value
                    for key, value in (
                        ("onStatusReason", rule.get("on_status_reason")),
                        ("onReason", rule.get("on_reason")),
                        ("onExitCode", rule.get("on_exit_code")),
                        ("action", (rule.get("action") or "").upper() or None),
                    )
                    if value is not None
                }
                for rule in retry["evaluate_on_exit"]
            ]
        request["retryStrategy"] = strategy

    if request["type"] == "multinode":
        if params.get("node_properties") is not None:
            request["nodeProperties"] = copy.deepcopy(params["node_properties"])
    elif params.get("ecs_properties") is not None:
        request["ecsProperties"] = copy.deepcopy(params["ecs_properties"])
    else:
        request["containerProperties"] = build_container_properties(params)
    return request


# --------------------------------------------------------------------------------------------- validation

# Options that describe a single container (containerProperties); they do not combine with
# node_properties or ecs_properties, which carry their own containers.
CONTAINER_OPTIONS = (
    "image",
    "command",
    "vcpus",
    "memory",
    "gpus",
    "environment",
    "secrets",
    "job_role_arn",
    "execution_role_arn",
    "log_configuration",
    "privileged",
    "readonly_root_filesystem",
    "user",
    "ulimits",
    "volumes",
    "mount_points",
    "linux_parameters",
    "assign_public_ip",
    "platform_version",
    "ephemeral_storage",
    "runtime_platform",
    "container_properties",
)
FARGATE_ONLY_OPTIONS = ("assign_public_ip", "platform_version", "ephemeral_storage", "runtime_platform")


def validate_secret_reference(field, value):
    if not is_secret_reference(value):
        # The value itself is never echoed: it may be the very secret that was pasted by mistake.
        raise BatchValidationError(field, SECRET_RULE)
    return value


def is_secret_reference(value):
    return isinstance(value, str) and bool(
        SECRETS_MANAGER_ARN_RE.match(value) or SSM_PARAMETER_ARN_RE.match(value) or SSM_PARAMETER_PATH_RE.match(value)
    )


def unreferenced_secret_values(params):
    """Values given where a secret reference belongs that are not one: possibly pasted secrets.

    The module adds them to its no_log values so Ansible masks them in every output (the invocation
    included) before the validation error is reported.
    """
    values = list((params.get("secrets") or {}).values())
    values += list(((params.get("log_configuration") or {}).get("secret_options") or {}).values())
    return [str(v) for v in values if v is not None and str(v) and not is_secret_reference(v)]


def _requirement(props, kind):
    for requirement in props.get("resourceRequirements") or []:
        if str(requirement.get("type", "")).upper() == kind:
            return requirement.get("value")
    legacy = {"VCPU": "vcpus", "MEMORY": "memory"}.get(kind)
    return props.get(legacy) if legacy else None


def _number(field, value):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BatchValidationError(field, f"must be a number (got {value!r})") from None


def validate_fargate_resources(vcpus, memory):
    """Raise unless (vcpus, memory MiB) is a combination Fargate accepts."""
    key = format_vcpus(vcpus)
    if key not in FARGATE_MEMORY_BY_VCPU:
        raise BatchValidationError(
            "vcpus",
            f"must be one of {', '.join(FARGATE_MEMORY_BY_VCPU)} on FARGATE (got {key})",
        )
    allowed = FARGATE_MEMORY_BY_VCPU[key]
    if float(memory) not in allowed:
        choices = ", ".join(str(m) for m in allowed)
        raise BatchValidationError(
            "memory", f"must be one of {choices} MiB with {key} vCPU on FARGATE (got {_format_integer(memory)})"
        )


def _validate_resources(props, platform, problems):
    vcpus = _requirement(props, "VCPU")
    memory = _requirement(props, "MEMORY")
    gpus = _requirement(props, "GPU")
    if vcpus is None:
        problems.add("vcpus", "is required for a container job definition")
    if memory is None:
        problems.add("memory", "is required for a container job definition")
    if vcpus is None or memory is None:
        return
    try:
        vcpus = _number("vcpus", vcpus)
        memory = _number("memory", memory)
    except BatchValidationError as error:
        problems.items.extend(error.problems)
        return
    if platform == "FARGATE":
        if gpus is not None:
            problems.add("gpus", "GPUs are not available on FARGATE (use platform=EC2)")
        with problems.rule():
            validate_fargate_resources(vcpus, memory)
        if not props.get("executionRoleArn"):
            problems.add(
                "execution_role_arn",
                "is required on FARGATE (Batch uses it to pull the image, write awslogs and read secrets)",
            )
        if props.get("privileged"):
            problems.add("privileged", "is not supported on FARGATE")
        return
    if vcpus < 1:
        problems.add("vcpus", f"must be at least 1 on EC2 (got {format_vcpus(vcpus)})")
    if memory < MIN_EC2_MEMORY_MIB:
        problems.add("memory", f"must be at least {MIN_EC2_MEMORY_MIB} MiB on EC2 (got {_format_integer(memory)})")
    if gpus is not None:
        with problems.rule():
            if _number("gpus", gpus) < 1:
                problems.add("gpus", f"must be at least 1 when set (got {gpus})")


@collects_problems
def validate_container(props, platform, problems=None):
    """Rules for one container's properties (the built request, raw container_properties merged in)."""
    if not props.get("image"):
        problems.add("image", "is required for a container job definition (type=container)")
    _validate_resources(props, platform, problems)

    env_names = set()
    for variable in props.get("environment") or []:
        name = variable.get("name") or ""
        if not name:
            problems.add("environment", "variable names must not be empty")
        elif name.upper().startswith(RESERVED_ENV_PREFIX):
            problems.add(f"environment.{name}", f"starts with {RESERVED_ENV_PREFIX}, reserved by AWS Batch")
        env_names.add(name)

    secrets = props.get("secrets") or []
    for secret in secrets:
        name = secret.get("name") or ""
        if not name:
            problems.add("secrets", "variable names must not be empty")
            continue
        with problems.rule():
            validate_secret_reference(f"secrets.{name}", secret.get("valueFrom"))
        if name.upper().startswith(RESERVED_ENV_PREFIX):
            problems.add(f"secrets.{name}", f"starts with {RESERVED_ENV_PREFIX}, reserved by AWS Batch")
        if name in env_names:
            problems.add(f"secrets.{name}", "is also set in environment (a variable is either plain or a secret)")

    log = props.get("logConfiguration") or {}
    log_secrets = log.get("secretOptions") or []
    for secret in log_secrets:
        with problems.rule():
            validate_secret_reference(f"log_configuration.secret_options.{secret.get('name')}", secret.get("valueFrom"))
    if log:
        driver = log.get("logDriver")
        if driver not in LOG_DRIVERS:
            problems.add("log_configuration.log_driver", f"must be one of {', '.join(LOG_DRIVERS)}")
        elif platform == "FARGATE" and driver not in FARGATE_LOG_DRIVERS:
            problems.add("log_configuration.log_driver", f"must be one of {', '.join(FARGATE_LOG_DRIVERS)} on FARGATE")
    if (secrets or log_secrets) and not props.get("executionRoleArn"):
        problems.add(
            "execution_role_arn", "is required when secrets are used (Batch reads them with the execution role)"
        )

    storage = props.get("ephemeralStorage")
    if storage is not None:
        with problems.rule():
            validate_range("ephemeral_storage", storage.get("sizeInGiB"), 21, 200)

    volume_names = {volume.get("name") for volume in props.get("volumes") or []}
    for mount in props.get("mountPoints") or []:
        if mount.get("sourceVolume") not in volume_names:
            problems.add("mount_points", f"source_volume {mount.get('sourceVolume')!r} is not one of the volumes")


@collects_problems
def validate_retry_strategy(strategy, problems=None):
    if strategy is None:
        return
    with problems.rule():
        validate_range("retry_strategy.attempts", strategy.get("attempts"), 1, 10)
    rules = strategy.get("evaluateOnExit") or []
    with problems.rule():
        validate_max_items("retry_strategy.evaluate_on_exit", rules, MAX_EVALUATE_ON_EXIT)
    for index, rule in enumerate(rules):
        field = f"retry_strategy.evaluate_on_exit[{index}]"
        if str(rule.get("action", "")).upper() not in ("RETRY", "EXIT"):
            problems.add(f"{field}.action", f"must be RETRY or EXIT (got {rule.get('action')!r})")
        for key, option in (("onStatusReason", "on_status_reason"), ("onReason", "on_reason")):
            if rule.get(key) is not None and len(rule[key]) > 512:
                problems.add(f"{field}.{option}", "must be at most 512 characters")
        if rule.get("onExitCode") is not None and not EXIT_CODE_RE.match(rule["onExitCode"]):
            problems.add(
                f"{field}.on_exit_code",
                f"must be digits, optionally ending with '*' (or just '*') (got {rule['onExitCode']!r})",
            )


@collects_problems
def validate_params(params, problems=None):
    """Every rule that can be checked without AWS; returns the request (None when a rule broke).

    Adds every (parameter, rule) it finds to ``problems`` (raises them when called without).
    """
    with problems.rule():
        validate_name("name", params.get("name"))
    state = params.get("state") or "present"
    if params.get("revision") is not None:
        if state != "absent":
            problems.add("revision", "is only used with state=absent")
        with problems.rule():
            validate_range("revision", params["revision"], 1)
    if params.get("keep_revisions") is not None:
        with problems.rule():
            validate_range("keep_revisions", params["keep_revisions"], 1)
    if state == "absent":
        return None

    platform = params.get("platform") or "EC2"
    job_type = params.get("type") or "container"
    given = [option for option in CONTAINER_OPTIONS if params.get(option) is not None]
    if job_type == "multinode":
        if platform != "EC2":
            problems.add("platform", "multinode job definitions run on EC2 only")
        if params.get("node_properties") is None:
            problems.add("node_properties", "is required with type=multinode")
        if params.get("ecs_properties") is not None:
            problems.add("ecs_properties", "cannot be combined with type=multinode")
        for option in given:
            problems.add(option, "is not used with type=multinode: set it in node_properties")
    else:
        if params.get("node_properties") is not None:
            problems.add("node_properties", "is only used with type=multinode")
        if params.get("ecs_properties") is not None:
            for option in given:
                problems.add(option, "cannot be combined with ecs_properties: set it there")
    if platform != "FARGATE":
        for option in FARGATE_ONLY_OPTIONS:
            if params.get(option) is not None:
                problems.add(option, f"is only supported with platform=FARGATE (got platform {platform})")

    with problems.rule():
        validate_range("timeout", params.get("timeout"), MIN_TIMEOUT_SECONDS)
    with problems.rule():
        validate_range("scheduling_priority", params.get("scheduling_priority"), 0, 9999)
    if params.get("memory") is not None and params["memory"] < 1:
        problems.add("memory", f"must be a positive number of MiB (got {params['memory']})")
    if params.get("vcpus") is not None and params["vcpus"] <= 0:
        problems.add("vcpus", f"must be greater than 0 (got {params['vcpus']})")
    if problems:
        return None

    request = build_request(params)
    validate_retry_strategy(request.get("retryStrategy"), problems=problems)
    if "containerProperties" in request:
        validate_container(request["containerProperties"], platform, problems=problems)
    return None if problems else request


# --------------------------------------------------------------------------------------------- normalisation


def _sorted_by(items, *keys):
    return sorted(items, key=lambda item: tuple(str(item.get(key, "")) for key in keys))


def _normalize_requirements(requirements):
    canonical = []
    for requirement in requirements or []:
        kind = str(requirement.get("type", "")).upper()
        value = requirement.get("value")
        try:
            value = format_vcpus(value) if kind == "VCPU" else _format_integer(value)
        except (TypeError, ValueError):
            value = str(value)
        canonical.append({"type": kind, "value": value})
    return sorted(canonical, key=lambda item: item["type"])


def normalize_container(props, platform="EC2"):
    """One container's properties in canonical form (see the module docstring)."""
    props = copy.deepcopy(props or {})

    requirements = {item["type"]: item for item in _normalize_requirements(props.pop("resourceRequirements", None))}
    # Deprecated top-level vcpus/memory mean the same as resourceRequirements; AWS may echo either.
    for legacy, kind in (("vcpus", "VCPU"), ("memory", "MEMORY")):
        value = props.pop(legacy, None)
        if value is not None and kind not in requirements:
            requirements.update(
                {item["type"]: item for item in _normalize_requirements([{"type": kind, "value": value}])}
            )
    props["resourceRequirements"] = sorted(requirements.values(), key=lambda item: item["type"])

    # AWS drops environment variables with an empty value; the order of variables carries no meaning.
    props["environment"] = _sorted_by(
        [
            {"name": e.get("name"), "value": e.get("value")}
            for e in props.get("environment") or []
            if e.get("value") not in ("", None)
        ],
        "name",
    )
    props["secrets"] = _sorted_by(props.get("secrets") or [], "name")
    props["ulimits"] = _sorted_by(props.get("ulimits") or [], "name")
    props["volumes"] = _sorted_by(props.get("volumes") or [], "name")
    props["mountPoints"] = _sorted_by(props.get("mountPoints") or [], "containerPath", "sourceVolume")

    log = props.get("logConfiguration")
    if log:
        log = dict(log)
        if log.get("secretOptions"):
            log["secretOptions"] = _sorted_by(log["secretOptions"], "name")
        props["logConfiguration"] = log

    linux = props.get("linuxParameters")
    if linux:
        linux = dict(linux)
        linux["devices"] = _sorted_by(
            [
                dict(d, permissions=sorted(d["permissions"])) if d.get("permissions") else d
                for d in linux.get("devices") or []
            ],
            "hostPath",
            "containerPath",
        )
        linux["tmpfs"] = _sorted_by(
            [
                dict(t, mountOptions=sorted(t["mountOptions"])) if t.get("mountOptions") else t
                for t in linux.get("tmpfs") or []
            ],
            "containerPath",
        )
        props["linuxParameters"] = linux

    props["volumes"] = [_normalize_volume(volume) for volume in props["volumes"]]
    storage = props.get("ephemeralStorage") or {}
    if storage.get("sizeInGiB") == DEFAULT_EPHEMERAL_STORAGE_GIB:
        # Fargate's default size; the smallest size one can ask for is 21 GiB, so 20 only ever means "unset".
        del props["ephemeralStorage"]

    if platform == "FARGATE":
        # What AWS assumes (and echoes) on Fargate when nothing is said.
        network = dict(props.get("networkConfiguration") or {})
        network.setdefault("assignPublicIp", "DISABLED")
        props["networkConfiguration"] = network
        fargate = dict(props.get("fargatePlatformConfiguration") or {})
        fargate.setdefault("platformVersion", "LATEST")
        props["fargatePlatformConfiguration"] = fargate
        runtime = dict(props.get("runtimePlatform") or {})
        runtime.setdefault("operatingSystemFamily", "LINUX")
        runtime.setdefault("cpuArchitecture", "X86_64")
        props["runtimePlatform"] = runtime

    return _drop_false_defaults(prune(props))


def _normalize_volume(volume):
    """EFS volume defaults AWS may echo: root directory "/", transit encryption and IAM authorization off."""
    volume = copy.deepcopy(volume)
    efs = volume.get("efsVolumeConfiguration")
    if efs:
        if efs.get("rootDirectory") == "/":
            del efs["rootDirectory"]
        if efs.get("transitEncryption") == "DISABLED":
            del efs["transitEncryption"]
        authorization = efs.get("authorizationConfig") or {}
        if authorization.get("iam") == "DISABLED":
            del authorization["iam"]
    return volume


def _drop_false_defaults(value):
    if isinstance(value, dict):
        return {
            key: _drop_false_defaults(item)
            for key, item in value.items()
            if not (key in FALSE_DEFAULT_KEYS and item is False)
        }
    if isinstance(value, list):
        return [_drop_false_defaults(item) for item in value]
    return value


def _normalize_ecs_properties(ecs, platform):
    ecs = copy.deepcopy(ecs)
    tasks = []
    for task in ecs.get("taskProperties") or []:
        task = dict(task)
        task["containers"] = [normalize_container(container, "EC2") for container in task.get("containers") or []]
        if platform == "FARGATE":
            network = dict(task.get("networkConfiguration") or {})
            network.setdefault("assignPublicIp", "DISABLED")
            task["networkConfiguration"] = network
            task.setdefault("platformVersion", "LATEST")
        tasks.append(task)
    ecs["taskProperties"] = tasks
    return ecs


def _normalize_node_properties(nodes):
    nodes = copy.deepcopy(nodes)
    ranges = []
    for node_range in nodes.get("nodeRangeProperties") or []:
        node_range = dict(node_range)
        if node_range.get("container") is not None:
            node_range["container"] = normalize_container(node_range["container"], "EC2")
        if node_range.get("ecsProperties") is not None:
            node_range["ecsProperties"] = _normalize_ecs_properties(node_range["ecsProperties"], "EC2")
        ranges.append(node_range)
    nodes["nodeRangeProperties"] = ranges
    return nodes


def normalize_definition(definition):
    """Canonical form of a RegisterJobDefinition request or a DescribeJobDefinitions entry.

    Only what the comparison looks at is kept (no name, ARN, revision, status or tags). Defaults AWS
    applies are filled in or dropped identically whichever side has them, lists AWS reorders are sorted
    (resource requirements, environment, secrets, ulimits, volumes, mount points); ``command`` and the
    ``evaluateOnExit`` rules keep their order because it matters.
    """
    canonical = {key: copy.deepcopy(definition[key]) for key in COMPARED_KEYS if definition.get(key) is not None}
    canonical.setdefault("type", "container")
    canonical["platformCapabilities"] = sorted(canonical.get("platformCapabilities") or ["EC2"])
    platform = "FARGATE" if "FARGATE" in canonical["platformCapabilities"] else "EC2"
    canonical["propagateTags"] = bool(canonical.get("propagateTags", False))
    canonical["containerOrchestrationType"] = canonical.get("containerOrchestrationType") or (
        "EKS" if canonical.get("eksProperties") else "ECS"
    )

    retry = dict(canonical.get("retryStrategy") or {})
    retry.setdefault("attempts", 1)
    retry["evaluateOnExit"] = [
        dict(rule, action=str(rule.get("action", "")).upper()) for rule in retry.get("evaluateOnExit") or []
    ]
    canonical["retryStrategy"] = retry

    if canonical.get("parameters") is not None:
        canonical["parameters"] = {str(k): str(v) for k, v in canonical["parameters"].items()}
    if "containerProperties" in canonical:
        canonical["containerProperties"] = normalize_container(canonical["containerProperties"], platform)
    if "ecsProperties" in canonical:
        canonical["ecsProperties"] = _normalize_ecs_properties(canonical["ecsProperties"], platform)
    if "nodeProperties" in canonical:
        canonical["nodeProperties"] = _normalize_node_properties(canonical["nodeProperties"])
    # prune() keeps False, so propagateTags stays: AWS describes it on every definition.
    return prune(canonical)


def definitions_differ(desired, current):
    """True when the two definitions (requests or described revisions) are not equivalent."""
    return normalize_definition(desired) != normalize_definition(current)


def to_result(canonical, name, revision, arn, tags, status="ACTIVE"):
    """The snake_case result of a job definition revision (user data kept as written)."""
    described = {
        "jobDefinitionName": name,
        "jobDefinitionArn": arn,
        "revision": revision,
        "status": status,
        **canonical,
        "tags": dict(tags or {}),
    }
    return to_snake(described)


def describe_result(definition):
    """The snake_case form of a DescribeJobDefinitions entry, as AWS returned it (info module)."""
    result = to_snake(definition)
    result["tags"] = dict(definition.get("tags") or {})
    return result


# --------------------------------------------------------------------------------------------- AWS calls


def _newest_first(definitions):
    return sorted(definitions, key=lambda d: d.get("revision", 0), reverse=True)


@BatchErrorHandler.list_error_handler("describe job definitions", [])
def list_revisions(client, name, status="ACTIVE"):
    """Every revision of ``name`` (``status`` ACTIVE, INACTIVE or None for both), newest first."""
    kwargs = {"jobDefinitionName": name}
    if status:
        kwargs["status"] = status
    found = paginate_items(client.describe_job_definitions, "jobDefinitions", **kwargs)
    # Batch matches jobDefinitionName exactly, but never trust a filter we can check for free.
    return _newest_first([d for d in found if d.get("jobDefinitionName") == name])


@BatchErrorHandler.list_error_handler("describe job definitions", [])
def describe_job_definitions(client, names=None, status=None):
    """Job definitions for names, ``name:revision`` or ARNs (all when ``names`` is empty).

    ARNs are described with ``jobDefinitions`` (by 100; that parameter excludes ``status``, so the status
    is filtered here); names and ``name:revision`` with ``jobDefinitionName`` and ``status``, one
    paginated query per name, revisions filtered here.
    """
    if not names:
        kwargs = {"status": status} if status else {}
        return paginate_items(client.describe_job_definitions, "jobDefinitions", **kwargs)
    found = []
    arns = [n for n in names if n.startswith("arn:")]
    for index in range(0, len(arns), 100):
        page = paginate_items(
            client.describe_job_definitions, "jobDefinitions", jobDefinitions=arns[index : index + 100]
        )
        found.extend(d for d in page if not status or d.get("status") == status)
    revisions_by_name = {}
    for entry in (n for n in names if not n.startswith("arn:")):
        name, _sep, revision = entry.partition(":")
        wanted = revisions_by_name.setdefault(name, set())
        wanted.add(int(revision) if revision.isdigit() else None)
    for name, wanted in revisions_by_name.items():
        kwargs = {"jobDefinitionName": name}
        if status:
            kwargs["status"] = status
        for definition in paginate_items(client.describe_job_definitions, "jobDefinitions", **kwargs):
            if None in wanted or definition.get("revision") in wanted:
                found.append(definition)
    unique = {}
    for definition in found:
        unique[definition["jobDefinitionArn"]] = definition
    return list(unique.values())


@BatchErrorHandler.common_error_handler("register job definition")
def register_job_definition(client, request, tags):
    kwargs = copy.deepcopy(request)
    # Tags inherited from the previous revision may include AWS's own (aws:*), which nobody may set.
    tags = {key: value for key, value in (tags or {}).items() if not key.startswith("aws:")}
    if tags:
        kwargs["tags"] = tags
    return client.register_job_definition(aws_retry=True, **kwargs)


@BatchErrorHandler.common_error_handler("deregister job definition")
def deregister_job_definition(client, arn):
    client.deregister_job_definition(jobDefinition=arn, aws_retry=True)


@BatchErrorHandler.common_error_handler("describe job definitions")
def _described_by_names(client, chunk):
    """One batched read (pages followed), or None when Batch refuses names in ``jobDefinitions``."""
    try:
        return paginate_items(client.describe_job_definitions, "jobDefinitions", jobDefinitions=chunk)
    except is_boto3_error_code("ClientException"):
        return None


def read_revisions(client, names):
    """``{name: every revision of it (any status), newest first}`` for many names at once.

    DescribeJobDefinitions with ``jobDefinitions`` (up to 100 names a call; "a list of up to 100 job definition
    names or full ARN entries" in the API reference), following ``nextToken``. That parameter cannot be combined
    with ``status``, so every revision comes back and ACTIVE ones are picked here; the INACTIVE ones tell the next
    revision number (check mode predicts it without another call).

    The current API reference documents ``jobDefinitions`` as ``name:revision`` or ARN entries only. So that a Batch
    that ignores or refuses bare names can never make existing definitions look new (and registered again), a
    chunk that finds nothing at all, or is refused, is read again name by name (``jobDefinitionName``): that costs
    one read per name only when none of a hundred names exists yet, as on a first deploy.
    """
    found = {name: {} for name in names}
    unique = list(dict.fromkeys(names))
    for index in range(0, len(unique), DESCRIBE_BATCH):
        chunk = unique[index : index + DESCRIBE_BATCH]
        described = _described_by_names(client, chunk)
        if not described:
            described = [d for name in chunk for d in list_revisions(client, name, status=None)]
        for definition in described:
            revisions = found.get(definition.get("jobDefinitionName"))
            if revisions is not None:
                revisions[definition["jobDefinitionArn"]] = definition
    return {name: _newest_first(revisions.values()) for name, revisions in found.items()}


def predict_registration(ctx, name, active, every=None, hints=()):
    """(revision, ARN) the next RegisterJobDefinition of ``name`` would return (check mode).

    Revision numbers keep growing across deregistrations (AWS keeps INACTIVE revisions), so the
    highest revision of any status counts (``every`` revision when read already, else one more read); the
    account comes from an existing ARN, an IAM role ARN of the definition (``hints``) or STS GetCallerIdentity.
    """
    known = every if every is not None else (list_revisions(ctx.batch, name, status=None) or list(active or []))
    if known:
        latest = max(known, key=lambda d: d.get("revision", 0))
        revision = latest["revision"] + 1
        arn = f"{latest['jobDefinitionArn'].rsplit(':', 1)[0]}:{revision}"
        return revision, arn
    return 1, f"{ctx.arn_prefix('batch', hints)}:job-definition/{name}:1"


# --------------------------------------------------------------------------------------------- secrets


def resolve_secret_references(ctx, request):
    """``request`` with each partial Secrets Manager ARN of ``secrets`` and ``log_configuration.secret_options``
    replaced by the secret's full ARN (one DescribeSecret per such ARN and module run; full ARNs, Parameter
    Store references and requests without partial ARNs cost nothing).

    A partial ARN of a secret that does not exist fails, except in check mode, where it is kept with a
    warning (an earlier task, which check mode skipped, creates the secret).
    """

    def references(props):
        found = [(f"secrets.{item.get('name')}", item) for item in props.get("secrets") or []]
        log = props.get("logConfiguration") or {}
        return found + [
            (f"log_configuration.secret_options.{item.get('name')}", item) for item in log.get("secretOptions") or []
        ]

    if not any(
        is_partial_secret_arn(item.get("valueFrom"))
        for _f, item in references(request.get("containerProperties") or {})
    ):
        return request
    request = copy.deepcopy(request)
    problems = Problems()
    for field, item in references(request["containerProperties"]):
        if not is_partial_secret_arn(item.get("valueFrom")):
            continue
        arn, suffix = split_secret_reference(item["valueFrom"])
        full = ctx.cached(f"secret:{arn}", lambda arn=arn: full_secret_arn(ctx.service("secretsmanager"), arn))
        if full is not None:
            item["valueFrom"] = full + suffix
        elif ctx.check_mode:
            ctx.warn(
                f"{field}: no Secrets Manager secret {arn} exists; check mode keeps this partial ARN and assumes "
                "an earlier task creates the secret"
            )
        else:
            problems.add(
                field,
                f"no Secrets Manager secret {arn} exists (an ARN without the secret's 6-character suffix is "
                "resolved to its full ARN, so the secret must exist)",
            )
    problems.raise_if_any()
    return request


# --------------------------------------------------------------------------------------------- ensure

# Where a difference of the canonical form is set in the module's options.
TOP_LEVEL_OPTIONS = {
    "type": "type",
    "parameters": "parameters",
    "schedulingPriority": "scheduling_priority",
    "retryStrategy": "retry_strategy",
    "propagateTags": "propagate_tags",
    "timeout": "timeout",
    "platformCapabilities": "platform",
    "nodeProperties": "node_properties",
    "ecsProperties": "ecs_properties",
}
CONTAINER_KEY_OPTIONS = {
    "image": "image",
    "command": "command",
    "environment": "environment",
    "secrets": "secrets",
    "jobRoleArn": "job_role_arn",
    "executionRoleArn": "execution_role_arn",
    "logConfiguration": "log_configuration",
    "privileged": "privileged",
    "readonlyRootFilesystem": "readonly_root_filesystem",
    "user": "user",
    "ulimits": "ulimits",
    "volumes": "volumes",
    "mountPoints": "mount_points",
    "linuxParameters": "linux_parameters",
    "networkConfiguration": "assign_public_ip",
    "fargatePlatformConfiguration": "platform_version",
    "ephemeralStorage": "ephemeral_storage",
    "runtimePlatform": "runtime_platform",
}
REQUIREMENT_OPTIONS = {"VCPU": "vcpus", "MEMORY": "memory", "GPU": "gpus"}


def changed_options(desired, current):
    """The option names whose part of two canonical definitions differs (``{}`` for a missing side)."""
    fields = set()
    for key in set(desired) | set(current):
        if desired.get(key) == current.get(key):
            continue
        if key == "containerProperties":
            fields.update(_changed_container_options(desired.get(key) or {}, current.get(key) or {}))
        else:
            fields.add(TOP_LEVEL_OPTIONS.get(key) or _snake_key(key))
    return sorted(fields)


def _changed_container_options(desired, current):
    fields = set()
    for key in set(desired) | set(current):
        if desired.get(key) == current.get(key):
            continue
        if key == "resourceRequirements":
            wanted = {r["type"]: r["value"] for r in desired.get(key) or []}
            have = {r["type"]: r["value"] for r in current.get(key) or []}
            for kind in set(wanted) | set(have):
                if wanted.get(kind) != have.get(kind):
                    fields.add(REQUIREMENT_OPTIONS.get(kind, "container_properties"))
        else:
            fields.add(CONTAINER_KEY_OPTIONS.get(key, "container_properties"))
    return fields


def _active_revisions(definitions):
    return sorted(d["revision"] for d in definitions)


def _diff_view(result, active):
    if not result:
        return {}
    view = dict(result)
    view["active_revisions"] = _active_revisions(active)
    return view


def _revisions(ctx, name, current):
    """(ACTIVE revisions newest first, every revision or None when only the ACTIVE ones were read)."""
    if current is MISSING:
        return list_revisions(ctx.batch, name, status="ACTIVE"), None
    every = list(current or [])
    return [d for d in every if d.get("status", "ACTIVE") == "ACTIVE"], every


def _role_hints(request):
    props = request.get("containerProperties") or {}
    return [props.get("executionRoleArn"), props.get("jobRoleArn")]


def present_steps(ctx, name, desired, current=MISSING):
    """Make the latest ACTIVE revision of ``name`` match ``desired`` (the module's options).

    Registers a new revision only when the canonical forms differ; otherwise applies tag changes to the
    latest revision. Then deregisters ACTIVE revisions beyond the newest ``keep_revisions``. ``current`` is every
    revision of the name (``read_revisions``), or ``MISSING`` to read the ACTIVE ones here.
    Returns ``(changed, before, after)``, each the result with ``active_revisions`` ({} when none); the ARNs
    deregistered are in the context's report. Makes no write call in check mode.
    """
    request = resolve_secret_references(ctx, validate_params(desired))
    tags, purge_tags, keep = desired.get("tags"), desired.get("purge_tags", True), desired.get("keep_revisions")
    active, every = _revisions(ctx, name, current)
    latest = active[0] if active else None
    wanted = normalize_definition(request)
    now = normalize_definition(latest) if latest else None
    current_tags = dict((latest or {}).get("tags") or {})
    final_tags = resulting_tags(current_tags, tags, purge_tags)
    before = (
        _diff_view(to_result(now, name, latest["revision"], latest["jobDefinitionArn"], current_tags), active)
        if latest
        else {}
    )

    register = latest is None or wanted != now
    to_set, to_unset = ({}, []) if register else tag_changes(current_tags, tags, purge_tags)
    dropped = (active[keep - 1 :] if register else active[keep:]) if keep else []
    fields = changed_options(wanted, now or {}) if register else []
    if to_set or to_unset:
        fields.append("tags")
    if dropped:
        fields.append("keep_revisions")
    changed = bool(register or to_set or to_unset or dropped)
    ctx.plan("create" if latest is None else ("update" if changed else "none"), fields)

    if register and ctx.check_mode:
        revision, arn = predict_registration(ctx, name, active, every, _role_hints(request))
    elif changed and not ctx.check_mode:
        yield PLANNED
        if register:
            response = register_job_definition(ctx.batch, request, final_tags)
            revision, arn = response["revision"], response["jobDefinitionArn"]
        elif to_set or to_unset:
            ensure_tags(ctx.batch, latest["jobDefinitionArn"], current_tags, tags, purge_tags)
        for old in dropped:
            deregister_job_definition(ctx.batch, old["jobDefinitionArn"])
    remaining = [d for d in active if d not in dropped]
    if register:
        remaining.insert(0, {"revision": revision, "jobDefinitionArn": arn})
        result = to_result(wanted, name, revision, arn, final_tags)
    else:
        result = to_result(now, name, latest["revision"], latest["jobDefinitionArn"], final_tags)
    ctx.report["deregistered"] = [old["jobDefinitionArn"] for old in dropped]
    return changed, before, _diff_view(result, remaining)


def absent_steps(ctx, name, desired=None, current=MISSING):
    """Deregister every ACTIVE revision of ``name`` (or only ``desired['revision']``).

    Returns ``(changed, before, after)``: the latest ACTIVE revision with ``active_revisions`` before and after
    ({} when none); the ARNs deregistered are in the context's report. Makes no write call in check mode.
    """
    desired = dict(desired or {}, name=name, state="absent")
    validate_params(desired)
    revision = desired.get("revision")
    active, _every = _revisions(ctx, name, current)
    targets = [d for d in active if revision is None or d["revision"] == revision]
    remaining = [d for d in active if d not in targets]

    def view(definitions):
        if not definitions:
            return {}
        latest = definitions[0]
        result = to_result(
            normalize_definition(latest), name, latest["revision"], latest["jobDefinitionArn"], latest.get("tags")
        )
        return _diff_view(result, definitions)

    if targets:
        ctx.plan("delete", changed_options({}, normalize_definition(targets[0])))
    else:
        ctx.plan("none")
    if targets and not ctx.check_mode:
        yield PLANNED
        for target in targets:
            deregister_job_definition(ctx.batch, target["jobDefinitionArn"])
    ctx.report["deregistered"] = [t["jobDefinitionArn"] for t in targets]
    return bool(targets), view(active), view(remaining)


def ensure_present(ctx, name, desired, current=MISSING):
    """Register a revision when the definition differs, tag, and keep ``keep_revisions``. (changed, before, after)"""
    return run_one(ctx, present_steps(ctx, name, desired, current))


def ensure_absent(ctx, name, desired=None, current=MISSING):
    """Deregister the ACTIVE revisions (or one). Returns (changed, before, after)."""
    return run_one(ctx, absent_steps(ctx, name, desired, current))


def singular_result(entry, before, after, report):
    """The job_definition module's result: the latest revision (empty after state=absent) and what was deregistered."""
    result = {}
    if entry.get("state", "present") == "present":
        result = {key: value for key, value in (after or {}).items() if key != "active_revisions"}
    return {"job_definition": result, "deregistered": list(report.get("deregistered") or [])}


def static_problems(entry, problems):
    validate_params(entry, problems=problems)


def read_entries(ctx, entries):
    return read_revisions(ctx.batch, [entry["name"] for entry in entries])


KIND = Kind(
    result_key="job_definition",
    list_key="job_definitions",
    present=present_steps,
    absent=absent_steps,
    read=read_entries,
    view=lambda view: view or {},
    validate=static_problems,
    result=singular_result,
)
