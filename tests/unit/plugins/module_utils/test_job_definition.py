import copy

import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import job_definition as jd
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import MISSING, Context
from ansible_collections.ondemand.batch.plugins.module_utils.validation import Problems

ACCOUNT = "123456789012"
ARN_PREFIX = f"arn:aws:batch:eu-west-1:{ACCOUNT}:job-definition/dev-carbon-jd"
SECRET_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:dev-carbon-my-secret-AbCdEf"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev-carbon-execution-role"


def params(**overrides):
    """Module parameters as Ansible hands them over (unset options are None), for the seed's job."""
    base = {
        "name": "dev-carbon-jd",
        "state": "present",
        "revision": None,
        "type": "container",
        "platform": "EC2",
        "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
        "command": ["echo", "hello world"],
        "vcpus": 1.0,
        "memory": 128,
        "gpus": None,
        "environment": {"LOG_LEVEL": "INFO"},
        "secrets": {"MY_SECRET": SECRET_ARN},
        "job_role_arn": None,
        "execution_role_arn": ROLE,
        "log_configuration": {
            "log_driver": "awslogs",
            "options": {"awslogs-group": "/aws/batch/dev-carbon"},
            "secret_options": None,
        },
        "timeout": 60,
        "retry_strategy": {"attempts": 3, "evaluate_on_exit": [{"on_reason": "*", "action": "RETRY"}]},
        "parameters": None,
        "propagate_tags": False,
        "scheduling_priority": None,
        "ephemeral_storage": None,
        "runtime_platform": None,
        "assign_public_ip": None,
        "platform_version": None,
        "privileged": None,
        "readonly_root_filesystem": None,
        "user": None,
        "ulimits": None,
        "volumes": None,
        "mount_points": None,
        "linux_parameters": None,
        "container_properties": None,
        "ecs_properties": None,
        "node_properties": None,
        "keep_revisions": None,
        "tags": None,
        "purge_tags": True,
    }
    base.update(overrides)
    return base


def fargate(**overrides):
    values = {"platform": "FARGATE", "vcpus": 0.25, "memory": 512, "secrets": None}
    values.update(overrides)
    return params(**values)


def described(request, revision=1, status="ACTIVE", tags=None):
    """What AWS answers for a registered request: the request plus the defaults AWS fills in."""
    definition = copy.deepcopy(request)
    container = definition.get("containerProperties")
    if container is not None:
        for key in ("command", "environment", "mountPoints", "ulimits", "volumes", "secrets"):
            container.setdefault(key, [])
        container["resourceRequirements"] = list(reversed(container.get("resourceRequirements", [])))
        container["environment"] = list(reversed(container["environment"]))
        container["secrets"] = list(reversed(container["secrets"]))
        if "FARGATE" in definition.get("platformCapabilities", []):
            container.setdefault("fargatePlatformConfiguration", {"platformVersion": "LATEST"})
            container.setdefault("networkConfiguration", {"assignPublicIp": "DISABLED"})
    for rule in definition.get("retryStrategy", {}).get("evaluateOnExit", []):
        rule["action"] = rule["action"].lower()
    definition.setdefault("parameters", {})
    definition.setdefault("propagateTags", False)
    definition.setdefault("platformCapabilities", ["EC2"])
    definition["containerOrchestrationType"] = "ECS"
    definition.update(
        revision=revision,
        status=status,
        jobDefinitionArn=f"{ARN_PREFIX}:{revision}",
        tags=tags or {},
    )
    return definition


# --------------------------------------------------------------------------------------------- Fargate table

# The botocore service model's documentation of ResourceRequirement.value, keyed by memory.
VCPUS_BY_MEMORY = {
    512: ("0.25",),
    1024: ("0.25", "0.5"),
    2048: ("0.25", "0.5", "1"),
    3072: ("0.5", "1"),
    4096: ("0.5", "1", "2"),
    **dict.fromkeys((5120, 6144, 7168), ("1", "2")),
    8192: ("1", "2", "4"),
    **dict.fromkeys((9216, 10240, 11264, 12288, 13312, 14336, 15360), ("2", "4")),
    16384: ("2", "4", "8"),
    **dict.fromkeys((17408, 18432, 19456, 21504, 22528, 23552, 25600, 26624, 27648, 29696, 30720), ("4",)),
    **dict.fromkeys((20480, 24576, 28672), ("4", "8")),
    **dict.fromkeys((36864, 45056, 53248), ("8",)),
    61440: ("8", "32"),
    **dict.fromkeys((32768, 40960, 49152, 57344), ("8", "16")),
    **dict.fromkeys((65536, 73728, 81920, 90112, 98304, 106496, 114688), ("16",)),
    122880: ("16", "32"),
    249856: ("32",),
}


def test_fargate_table_matches_the_service_model_both_ways():
    from_table = {(vcpus, memory) for vcpus, memories in jd.FARGATE_MEMORY_BY_VCPU.items() for memory in memories}
    from_model = {(vcpus, memory) for memory, all_vcpus in VCPUS_BY_MEMORY.items() for vcpus in all_vcpus}
    assert from_table == from_model


@pytest.mark.parametrize(
    "vcpus, memory",
    [(0.25, 512), (0.25, 2048), (0.5, 1024), (0.5, 4096), (1, 2048), (1, 8192), (2, 4096), (2, 16384)]
    + [(4, 8192), (4, 30720), (8, 16384), (8, 61440), (16, 32768), (16, 122880), (32, 249856)],
)
def test_fargate_combinations_accepted(vcpus, memory):
    jd.validate_fargate_resources(vcpus, memory)
    jd.validate_params(fargate(vcpus=vcpus, memory=memory))


@pytest.mark.parametrize(
    "vcpus, memory, field",
    [
        (0.25, 3072, "memory"),
        (0.5, 512, "memory"),
        (0.5, 1536, "memory"),
        (1, 9216, "memory"),
        (2, 2048, "memory"),
        (4, 31744, "memory"),
        (8, 18432, "memory"),
        (16, 36864, "memory"),
        (3, 8192, "vcpus"),
        (0.75, 2048, "vcpus"),
    ],
)
def test_fargate_combinations_refused(vcpus, memory, field):
    with pytest.raises(BatchValidationError) as info:
        jd.validate_params(fargate(vcpus=vcpus, memory=memory))
    assert info.value.field == field
    assert "FARGATE" in info.value.rule


# --------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "overrides, field, rule",
    [
        ({"name": "dev carbon"}, "name", "must be 1-128 characters"),
        ({"name": "x" * 129}, "name", "must be 1-128 characters"),
        ({"image": None}, "image", "is required"),
        ({"vcpus": None}, "vcpus", "is required"),
        ({"memory": None}, "memory", "is required"),
        ({"memory": 3}, "memory", "must be at least 4 MiB on EC2 (got 3)"),
        ({"vcpus": 0.5}, "vcpus", "must be at least 1 on EC2 (got 0.5)"),
        ({"vcpus": 0}, "vcpus", "must be greater than 0"),
        ({"gpus": 0}, "gpus", "must be at least 1"),
        ({"timeout": 59}, "timeout", "must be at least 60 (got 59)"),
        ({"retry_strategy": {"attempts": 0, "evaluate_on_exit": None}}, "retry_strategy.attempts", "at least 1"),
        ({"retry_strategy": {"attempts": 11, "evaluate_on_exit": None}}, "retry_strategy.attempts", "at most 10"),
        (
            {"retry_strategy": {"attempts": 2, "evaluate_on_exit": [{"on_reason": "*", "action": "RETRY"}] * 6}},
            "retry_strategy.evaluate_on_exit",
            "takes at most 5 items (got 6)",
        ),
        (
            {"retry_strategy": {"attempts": 2, "evaluate_on_exit": [{"on_exit_code": "1a", "action": "EXIT"}]}},
            "retry_strategy.evaluate_on_exit[0].on_exit_code",
            "must be digits",
        ),
        ({"secrets": {"MY_SECRET": "hunter2"}}, "secrets.MY_SECRET", "must reference the secret"),
        ({"secrets": {"MY_SECRET": "arn:aws:s3:::bucket/key"}}, "secrets.MY_SECRET", "must reference the secret"),
        ({"execution_role_arn": None}, "execution_role_arn", "is required when secrets are used"),
        ({"environment": {"AWS_BATCH_JOB": "x"}}, "environment.AWS_BATCH_JOB", "reserved by AWS Batch"),
        ({"secrets": {"AWS_BATCH_X": SECRET_ARN}}, "secrets.AWS_BATCH_X", "reserved by AWS Batch"),
        ({"environment": {"MY_SECRET": "x"}}, "secrets.MY_SECRET", "is also set in environment"),
        ({"scheduling_priority": 10000}, "scheduling_priority", "at most 9999"),
        ({"ephemeral_storage": 30}, "ephemeral_storage", "only supported with platform=FARGATE"),
        ({"assign_public_ip": True}, "assign_public_ip", "only supported with platform=FARGATE"),
        ({"platform_version": "1.4.0"}, "platform_version", "only supported with platform=FARGATE"),
        ({"runtime_platform": {"cpu_architecture": "ARM64"}}, "runtime_platform", "only supported with platform"),
        ({"revision": 2}, "revision", "only used with state=absent"),
        ({"keep_revisions": 0}, "keep_revisions", "must be at least 1"),
        ({"type": "multinode"}, "node_properties", "is required with type=multinode"),
        ({"node_properties": {"numNodes": 2}}, "node_properties", "only used with type=multinode"),
        ({"ecs_properties": {"taskProperties": []}}, "image", "cannot be combined with ecs_properties"),
        (
            {"mount_points": [{"container_path": "/data", "source_volume": "data", "read_only": False}]},
            "mount_points",
            "'data' is not one of the volumes",
        ),
        (
            {"log_configuration": {"log_driver": "awslogs", "options": None, "secret_options": {"x": "plain"}}},
            "log_configuration.secret_options.x",
            "must reference the secret",
        ),
    ],
)
def test_each_rule_names_its_parameter(overrides, field, rule):
    with pytest.raises(BatchValidationError) as info:
        jd.validate_params(params(**overrides))
    assert any(f == field and rule in r for f, r in info.value.problems), info.value.problems


def test_every_broken_rule_is_reported_at_once():
    problems = Problems()
    request = jd.validate_params(
        params(timeout=30, scheduling_priority=10000, keep_revisions=0, assign_public_ip=True), problems=problems
    )
    assert request is None
    assert [f for f, _rule in problems.items] == [
        "keep_revisions",
        "assign_public_ip",
        "timeout",
        "scheduling_priority",
    ]


@pytest.mark.parametrize(
    "overrides, field, rule",
    [
        ({"execution_role_arn": None}, "execution_role_arn", "is required on FARGATE"),
        ({"gpus": 1}, "gpus", "not available on FARGATE"),
        ({"privileged": True}, "privileged", "not supported on FARGATE"),
        ({"ephemeral_storage": 20}, "ephemeral_storage", "at least 21"),
        ({"ephemeral_storage": 201}, "ephemeral_storage", "at most 200"),
        (
            {"log_configuration": {"log_driver": "json-file", "options": None, "secret_options": None}},
            "log_configuration.log_driver",
            "on FARGATE",
        ),
        ({"type": "multinode", "node_properties": {}}, "platform", "EC2 only"),
    ],
)
def test_fargate_rules(overrides, field, rule):
    with pytest.raises(BatchValidationError) as info:
        jd.validate_params(fargate(**overrides))
    assert info.value.field == field
    assert rule in info.value.rule


@pytest.mark.parametrize(
    "reference",
    [
        SECRET_ARN,
        f"{SECRET_ARN}:password::",
        f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/dev/carbon/token",
        f"arn:aws-us-gov:secretsmanager:us-gov-west-1:{ACCOUNT}:secret:x",
        "/dev/carbon/token",
    ],
)
def test_secret_references_accepted(reference):
    assert jd.validate_secret_reference("secrets.X", reference) == reference
    assert jd.unreferenced_secret_values(params(secrets={"X": reference})) == []


@pytest.mark.parametrize("value", ["hunter2", "p@ss word", "dev/carbon/token", "arn:aws:ssm:eu-west-1:1:parameter/x"])
def test_plain_secret_values_refused_and_never_echoed(value):
    with pytest.raises(BatchValidationError) as info:
        jd.validate_params(params(secrets={"MY_SECRET": value}))
    assert value not in str(info.value)
    assert jd.unreferenced_secret_values(params(secrets={"MY_SECRET": value})) == [value]


def test_absent_skips_definition_rules():
    assert jd.validate_params(params(state="absent", image=None, memory=None, revision=3)) is None


def test_valid_seed_returns_the_request():
    request = jd.validate_params(params())
    assert request["jobDefinitionName"] == "dev-carbon-jd"
    assert request["containerProperties"]["image"].startswith("public.ecr.aws/")


def test_multinode_and_ecs_properties_pass_through():
    container_options = dict.fromkeys(jd.CONTAINER_OPTIONS)
    nodes = {"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [{"targetNodes": "0:", "container": {"image": "i"}}]}
    request = jd.validate_params(params(type="multinode", node_properties=nodes, **container_options))
    assert request["nodeProperties"] == nodes and "containerProperties" not in request
    ecs = {"taskProperties": [{"containers": [{"name": "main", "image": "i"}]}]}
    request = jd.validate_params(params(ecs_properties=ecs, **container_options))
    assert request["ecsProperties"] == ecs and "containerProperties" not in request


# --------------------------------------------------------------------------------------------- request


def test_build_request_for_the_seed():
    request = jd.build_request(params(parameters={"day": "today"}, propagate_tags=True, scheduling_priority=5))
    assert request == {
        "jobDefinitionName": "dev-carbon-jd",
        "type": "container",
        "platformCapabilities": ["EC2"],
        "parameters": {"day": "today"},
        "schedulingPriority": 5,
        "propagateTags": True,
        "timeout": {"attemptDurationSeconds": 60},
        "retryStrategy": {"attempts": 3, "evaluateOnExit": [{"onReason": "*", "action": "RETRY"}]},
        "containerProperties": {
            "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
            "command": ["echo", "hello world"],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "128"}],
            "environment": [{"name": "LOG_LEVEL", "value": "INFO"}],
            "secrets": [{"name": "MY_SECRET", "valueFrom": SECRET_ARN}],
            "executionRoleArn": ROLE,
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/aws/batch/dev-carbon"}},
        },
    }


def test_build_container_options_and_raw_merge():
    props = jd.build_container_properties(
        fargate(
            environment={"DEBUG": True, "COUNT": 3},
            assign_public_ip=True,
            platform_version="1.4.0",
            ephemeral_storage=50,
            runtime_platform={"cpu_architecture": "ARM64", "operating_system_family": None},
            ulimits=[{"name": "nofile", "soft_limit": 1024, "hard_limit": 4096}],
            volumes=[{"name": "data", "host": None, "efs_volume_configuration": {"file_system_id": "fs-1"}}],
            mount_points=[{"container_path": "/data", "source_volume": "data", "read_only": True}],
            linux_parameters={"init_process_enabled": True, "tmpfs": [{"container_path": "/t", "size": 64}]},
            container_properties={
                "logConfiguration": {"options": {"mode": "non-blocking"}},
                "enableExecuteCommand": True,
            },
        )
    )
    assert props["environment"] == [{"name": "COUNT", "value": "3"}, {"name": "DEBUG", "value": "true"}]
    assert props["resourceRequirements"] == [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}]
    assert props["networkConfiguration"] == {"assignPublicIp": "ENABLED"}
    assert props["fargatePlatformConfiguration"] == {"platformVersion": "1.4.0"}
    assert props["ephemeralStorage"] == {"sizeInGiB": 50}
    assert props["runtimePlatform"] == {"cpuArchitecture": "ARM64"}
    assert props["ulimits"] == [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}]
    assert props["volumes"] == [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]
    assert props["mountPoints"] == [{"containerPath": "/data", "sourceVolume": "data", "readOnly": True}]
    assert props["linuxParameters"] == {"initProcessEnabled": True, "tmpfs": [{"containerPath": "/t", "size": 64}]}
    # Raw container_properties merge recursively over the modelled options.
    assert props["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/aws/batch/dev-carbon", "mode": "non-blocking"},
    }
    assert props["enableExecuteCommand"] is True


def test_deep_merge_replaces_lists_and_values():
    assert jd.deep_merge({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}, "d": 2}) == {
        "a": {"b": 1, "c": [2]},
        "d": 2,
    }


# --------------------------------------------------------------------------------------------- normalisation


def test_request_equals_what_aws_describes():
    request = jd.build_request(params())
    assert jd.normalize_definition(request) == jd.normalize_definition(described(request))
    assert not jd.definitions_differ(request, described(request, revision=7, tags={"a": "b"}))


def test_fargate_request_equals_what_aws_describes_either_way():
    request = jd.build_request(fargate(runtime_platform={"cpu_architecture": "ARM64", "operating_system_family": None}))
    assert not jd.definitions_differ(request, described(request))
    # Explicit defaults in the request and an answer without them compare equal too.
    explicit = jd.build_request(fargate(assign_public_ip=False, platform_version="LATEST"))
    bare = described(jd.build_request(fargate()))
    del bare["containerProperties"]["fargatePlatformConfiguration"]
    del bare["containerProperties"]["networkConfiguration"]
    assert not jd.definitions_differ(explicit, bare)
    runtime_default = jd.build_request(
        fargate(runtime_platform={"cpu_architecture": "X86_64", "operating_system_family": "LINUX"})
    )
    assert not jd.definitions_differ(runtime_default, bare)


def test_defaults_on_either_side():
    minimal = {
        "jobDefinitionName": "x",
        "type": "container",
        "containerProperties": {"image": "i", "resourceRequirements": [{"type": "VCPU", "value": "1"}]},
    }
    noisy = {
        "jobDefinitionName": "x",
        "type": "container",
        "parameters": {},
        "propagateTags": False,
        "platformCapabilities": ["EC2"],
        "containerOrchestrationType": "ECS",
        "retryStrategy": {"attempts": 1, "evaluateOnExit": []},
        "timeout": {},
        "containerProperties": {
            "image": "i",
            "vcpus": 1,  # the deprecated field, echoed beside resourceRequirements by some answers
            "resourceRequirements": [{"type": "VCPU", "value": "1.0"}],
            "command": [],
            "environment": [{"name": "EMPTY", "value": ""}],
            "secrets": [],
            "mountPoints": [],
            "volumes": [],
            "ulimits": [],
            "privileged": False,
            "readonlyRootFilesystem": False,
            "linuxParameters": {"devices": [], "tmpfs": []},
            "logConfiguration": {"logDriver": "awslogs", "options": {}, "secretOptions": []},
        },
    }
    minimal["containerProperties"]["logConfiguration"] = {"logDriver": "awslogs"}
    assert jd.normalize_definition(minimal) == jd.normalize_definition(noisy)


def test_efs_and_ephemeral_storage_defaults():
    efs = {"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}
    echoed = {
        "name": "data",
        "efsVolumeConfiguration": {
            "fileSystemId": "fs-1",
            "rootDirectory": "/",
            "transitEncryption": "DISABLED",
            "authorizationConfig": {"iam": "DISABLED"},
        },
    }
    assert not jd.definitions_differ(_seed_with(volumes=[efs]), _seed_with(volumes=[echoed]))
    assert jd.definitions_differ(
        _seed_with(volumes=[efs]),
        _seed_with(
            volumes=[{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/x"}}]
        ),
    )
    bare = jd.build_request(fargate())
    echoed_storage = jd.build_request(fargate())
    echoed_storage["containerProperties"]["ephemeralStorage"] = {"sizeInGiB": 20}
    assert not jd.definitions_differ(bare, echoed_storage)
    assert jd.definitions_differ(bare, jd.build_request(fargate(ephemeral_storage=21)))


def test_legacy_vcpus_and_memory_equal_resource_requirements():
    legacy = {"type": "container", "containerProperties": {"image": "i", "vcpus": 2, "memory": 256}}
    modern = {
        "type": "container",
        "containerProperties": {
            "image": "i",
            "resourceRequirements": [{"type": "MEMORY", "value": "256"}, {"type": "VCPU", "value": "2"}],
        },
    }
    assert not jd.definitions_differ(legacy, modern)


def _seed_with(**container_changes):
    request = jd.build_request(params())
    request["containerProperties"].update(container_changes)
    return request


def test_order_insensitive_where_aws_reorders():
    a = _seed_with(
        environment=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        secrets=[{"name": "S1", "valueFrom": SECRET_ARN}, {"name": "S2", "valueFrom": SECRET_ARN}],
        ulimits=[{"name": "nofile", "softLimit": 1, "hardLimit": 2}, {"name": "core", "softLimit": 0, "hardLimit": 0}],
    )
    b = _seed_with(
        environment=[{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
        secrets=[{"name": "S2", "valueFrom": SECRET_ARN}, {"name": "S1", "valueFrom": SECRET_ARN}],
        ulimits=[{"name": "core", "softLimit": 0, "hardLimit": 0}, {"name": "nofile", "softLimit": 1, "hardLimit": 2}],
    )
    assert not jd.definitions_differ(a, b)


def test_command_order_matters():
    assert jd.definitions_differ(_seed_with(command=["echo", "a", "b"]), _seed_with(command=["echo", "b", "a"]))


def test_evaluate_on_exit_order_matters_and_action_case_does_not():
    first = {"onExitCode": "1", "action": "EXIT"}
    second = {"onReason": "*", "action": "RETRY"}
    a = {"type": "container", "retryStrategy": {"attempts": 3, "evaluateOnExit": [first, second]}}
    b = {"type": "container", "retryStrategy": {"attempts": 3, "evaluateOnExit": [second, first]}}
    lower = {
        "type": "container",
        "retryStrategy": {"attempts": 3, "evaluateOnExit": [dict(first, action="exit"), second]},
    }
    assert jd.definitions_differ(a, b)
    assert not jd.definitions_differ(a, lower)


@pytest.mark.parametrize(
    "change",
    [
        {"image": "public.ecr.aws/amazonlinux/amazonlinux:2023"},
        {"resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "256"}]},
        {"environment": [{"name": "LOG_LEVEL", "value": "DEBUG"}]},
        {"secrets": []},
        {"executionRoleArn": ROLE + "-2"},
        {"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/other"}}},
        {"privileged": True},
    ],
)
def test_real_container_changes_differ(change):
    assert jd.definitions_differ(_seed_with(**change), described(jd.build_request(params())))


@pytest.mark.parametrize(
    "change",
    [
        {"propagateTags": True},
        {"parameters": {"day": "today"}},
        {"timeout": {"attemptDurationSeconds": 120}},
        {"retryStrategy": {"attempts": 2}},
        {"schedulingPriority": 1},
        {"platformCapabilities": ["FARGATE"]},
    ],
)
def test_real_top_level_changes_differ(change):
    request = jd.build_request(params())
    assert jd.definitions_differ(dict(request, **change), described(request))


def test_to_snake_keeps_user_data_at_any_depth():
    result = jd.to_snake(
        {
            "containerProperties": {
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g", "awslogsCamel": "x"}},
                "ephemeralStorage": {"sizeInGiB": 30},
                "environment": [{"name": "LOG_LEVEL", "value": "INFO"}],
            },
            "parameters": {"inputFile": "a"},
            "tags": {"CostCenter": "1"},
        }
    )
    assert result == {
        "container_properties": {
            "log_configuration": {"log_driver": "awslogs", "options": {"awslogs-group": "g", "awslogsCamel": "x"}},
            "ephemeral_storage": {"size_in_gib": 30},
            "environment": [{"name": "LOG_LEVEL", "value": "INFO"}],
        },
        "parameters": {"inputFile": "a"},
        "tags": {"CostCenter": "1"},
    }


# --------------------------------------------------------------------------------------------- ensure


class FakeBatch:
    """Records calls; answers DescribeJobDefinitions from ``definitions`` (paginated by ``page_size``), by
    ``jobDefinitionName`` (+ ``status``) or by ``jobDefinitions`` (names, ``name:revision`` or ARNs, every status)."""

    def __init__(self, definitions=(), page_size=2):
        self.definitions = [copy.deepcopy(d) for d in definitions]
        self.page_size = page_size
        self.calls = []

    def _record(self, name, kwargs):
        assert kwargs.pop("aws_retry") is True, f"{name} without aws_retry=True"
        self.calls.append((name, kwargs))

    def _matches(self, definition, identifier):
        name, _sep, revision = identifier.rsplit("/", 1)[-1].partition(":")
        return definition["jobDefinitionName"] == name and (not revision or str(definition["revision"]) == revision)

    def describe_job_definitions(self, **kwargs):
        self._record("describe_job_definitions", dict(kwargs))
        if "jobDefinitions" in kwargs:
            assert set(kwargs) <= {"jobDefinitions", "nextToken", "aws_retry"}, (
                "jobDefinitions takes no other parameter"
            )
            assert len(kwargs["jobDefinitions"]) <= 100
            found = [d for d in self.definitions if any(self._matches(d, i) for i in kwargs["jobDefinitions"])]
        else:
            found = [
                d
                for d in self.definitions
                if d["jobDefinitionName"] == kwargs.get("jobDefinitionName")
                and (not kwargs.get("status") or d["status"] == kwargs["status"])
            ]
        start = int(kwargs.get("nextToken") or 0)
        page = found[start : start + self.page_size]
        response = {"jobDefinitions": copy.deepcopy(page)}
        if start + self.page_size < len(found):
            response["nextToken"] = str(start + self.page_size)
        return response

    def register_job_definition(self, **kwargs):
        self._record("register_job_definition", dict(kwargs))
        revision = max([d["revision"] for d in self.definitions] or [0]) + 1
        return {
            "jobDefinitionName": kwargs["jobDefinitionName"],
            "revision": revision,
            "jobDefinitionArn": f"{ARN_PREFIX}:{revision}",
        }

    def deregister_job_definition(self, **kwargs):
        self._record("deregister_job_definition", dict(kwargs))

    def tag_resource(self, **kwargs):
        self._record("tag_resource", dict(kwargs))

    def untag_resource(self, **kwargs):
        self._record("untag_resource", dict(kwargs))

    def writes(self):
        return [name for name, _kwargs in self.calls if not name.startswith("describe")]


class Sts:
    def __init__(self):
        self.calls = 0

    def get_caller_identity(self, aws_retry):
        self.calls += 1
        return {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/ci"}


class NoSts:
    def get_caller_identity(self, aws_retry):
        raise AssertionError("STS must not be called when an ARN is known")


class Secrets:
    """Secrets Manager DescribeSecret for the secrets named in ``existing`` (name -> full ARN)."""

    def __init__(self, **existing):
        self.existing = existing
        self.calls = []

    def describe_secret(self, SecretId, aws_retry):
        assert aws_retry is True
        self.calls.append(SecretId)
        name = SecretId.split(":secret:", 1)[-1]
        if name not in self.existing:
            import botocore.exceptions

            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "not found"}}, "DescribeSecret"
            )
        return {"ARN": self.existing[name], "Name": name}


def context(client, check_mode=False, sts=None, secrets=None):
    clients = {"batch": client, "sts": sts or NoSts(), "secretsmanager": secrets or Secrets()}
    return Context(clients, "eu-west-1", check_mode=check_mode)


def present(client, desired, check_mode=False, sts=None, current=MISSING, **settings):
    """ensure_present in the shape the module returns: (changed, job_definition, diff, deregistered)."""
    ctx = context(client, check_mode, sts)
    changed, before, after = jd.ensure_present(ctx, desired["name"], {**desired, **settings}, current)
    result = {k: v for k, v in after.items() if k != "active_revisions"}
    return changed, result, {"before": before, "after": after}, ctx.report["deregistered"]


def absent(client, name, check_mode=False, revision=None):
    ctx = context(client, check_mode)
    changed, before, after = jd.ensure_absent(ctx, name, {"revision": revision})
    return changed, {"before": before, "after": after}, ctx.report["deregistered"]


def test_create_check_mode_predicts_without_writing():
    client = FakeBatch()
    changed, result, diff, deregistered = present(client, params(), check_mode=True, tags={"a": "1"})
    assert changed is True and client.writes() == []
    assert result["revision"] == 1 and result["job_definition_arn"] == f"{ARN_PREFIX}:1"
    assert result["tags"] == {"a": "1"}
    assert diff["before"] == {} and diff["after"]["active_revisions"] == [1]
    assert deregistered == []

    real = FakeBatch()
    changed, real_result, _diff, _deregistered = present(real, params(), tags={"a": "1"})
    assert changed is True and real.writes() == ["register_job_definition"]
    assert real.calls[-1][1]["tags"] == {"a": "1"}
    assert real_result == result


def test_check_mode_create_asks_sts_only_without_a_role_arn():
    sts = Sts()
    no_roles = params(secrets=None, execution_role_arn=None)
    _changed, result, _diff, _deregistered = present(FakeBatch(), no_roles, check_mode=True, sts=sts)
    assert result["job_definition_arn"] == f"{ARN_PREFIX}:1" and sts.calls == 1


def test_unchanged_makes_no_write_and_no_sts_call():
    request = jd.build_request(params())
    client = FakeBatch([described(request, revision=1), described(request, revision=2)])
    for check_mode in (False, True):
        changed, result, _diff, _deregistered = present(client, params(), check_mode=check_mode)
        assert changed is False
        assert result["revision"] == 2
    assert client.writes() == []


def test_tag_change_tags_the_latest_revision_without_registering():
    request = jd.build_request(params())
    client = FakeBatch([described(request, revision=1, tags={"old": "x", "keep": "y"})])
    changed, result, diff, _deregistered = present(client, params(), tags={"keep": "y", "new": "z"})
    assert changed is True
    assert [(n, k["resourceArn"]) for n, k in client.calls if n != "describe_job_definitions"] == [
        ("untag_resource", f"{ARN_PREFIX}:1"),
        ("tag_resource", f"{ARN_PREFIX}:1"),
    ]
    assert result["revision"] == 1 and result["tags"] == {"keep": "y", "new": "z"}
    assert diff["before"]["tags"] == {"old": "x", "keep": "y"}


def test_inherited_aws_tags_are_not_sent():
    old = jd.build_request(params(command=["echo", "old"]))
    client = FakeBatch([described(old, revision=1, tags={"aws:cloudformation:stack-name": "s", "team": "data"})])
    changed, result, _diff, _deregistered = present(client, params())
    assert changed is True
    assert client.calls[-1] == ("register_job_definition", {**jd.build_request(params()), "tags": {"team": "data"}})


def test_change_registers_with_inherited_tags_and_keep_revisions_deregisters_oldest():
    old = jd.build_request(params(command=["echo", "old"]))
    client = FakeBatch([described(old, revision=r, tags={"t": "1"}) for r in (1, 2, 3)], page_size=1)
    changed, result, diff, deregistered = present(client, params(), tags=None, keep_revisions=2)
    assert changed is True
    assert result["revision"] == 4 and result["tags"] == {"t": "1"}
    assert deregistered == [f"{ARN_PREFIX}:2", f"{ARN_PREFIX}:1"]
    assert client.writes() == ["register_job_definition", "deregister_job_definition", "deregister_job_definition"]
    assert diff["before"]["active_revisions"] == [1, 2, 3] and diff["after"]["active_revisions"] == [3, 4]
    # Pagination followed: three pages of one revision each.
    assert [k.get("nextToken") for n, k in client.calls if n == "describe_job_definitions"] == [None, "1", "2"]


def test_check_mode_prediction_counts_inactive_revisions():
    request = jd.build_request(params())
    client = FakeBatch([described(request, revision=r, status="INACTIVE") for r in (1, 2, 3)])
    changed, result, _diff, _deregistered = present(client, params(), check_mode=True)
    assert changed is True and client.writes() == []
    assert result["revision"] == 4 and result["job_definition_arn"] == f"{ARN_PREFIX}:4"


def test_absent_all_or_one_revision():
    request = jd.build_request(params())
    definitions = [described(request, revision=r) for r in (1, 2)] + [described(request, revision=3, status="INACTIVE")]

    client = FakeBatch(definitions)
    changed, diff, deregistered = absent(client, "dev-carbon-jd", check_mode=True)
    assert changed is True and client.writes() == [] and len(deregistered) == 2

    client = FakeBatch(definitions)
    changed, diff, deregistered = absent(client, "dev-carbon-jd", revision=1)
    assert changed is True and deregistered == [f"{ARN_PREFIX}:1"]
    assert diff["after"]["active_revisions"] == [2]

    changed, _diff, deregistered = absent(FakeBatch(definitions), "dev-carbon-jd", revision=3)
    assert changed is False and deregistered == []  # INACTIVE already

    changed, diff, _deregistered = absent(FakeBatch(), "dev-carbon-jd")
    assert changed is False and diff == {"before": {}, "after": {}}


def test_aws_errors_become_batch_errors():
    import botocore.exceptions

    class Failing(FakeBatch):
        def register_job_definition(self, **kwargs):
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ClientException", "Message": "bad"}}, "RegisterJobDefinition"
            )

    with pytest.raises(BatchError, match="Failed to register job definition"):
        present(Failing(), params())


def test_keep_revisions_in_check_mode_predicts_without_writing():
    request = jd.build_request(params())
    client = FakeBatch([described(request, revision=r) for r in (1, 2, 3)])
    changed, result, diff, deregistered = present(client, params(), check_mode=True, keep_revisions=1)
    assert changed is True and client.writes() == []
    assert result["revision"] == 3
    assert deregistered == [f"{ARN_PREFIX}:2", f"{ARN_PREFIX}:1"]
    assert diff["after"]["active_revisions"] == [3]
    # Nothing to deregister: unchanged.
    client = FakeBatch([described(request, revision=3)])
    assert present(client, params(), keep_revisions=1)[0] is False


# --------------------------------------------------------------------------------------------- batched reads


def other(name, revision, status="ACTIVE"):
    definition = described(jd.build_request(params(name=name)), revision=revision, status=status)
    definition["jobDefinitionArn"] = definition["jobDefinitionArn"].replace("dev-carbon-jd", name)
    return definition


def test_read_revisions_by_name_in_batches_of_100_following_next_token():
    definitions = [other(f"jd-{i}", 1) for i in range(150)] + [other("jd-0", 2, "INACTIVE")]
    client = FakeBatch(definitions, page_size=100)
    found = jd.read_revisions(client, [f"jd-{i}" for i in range(150)] + ["jd-missing"])
    calls = [kwargs for name, kwargs in client.calls]
    assert [len(call["jobDefinitions"]) for call in calls] == [100, 100, 51]
    assert [call.get("nextToken") for call in calls] == [None, "100", None]
    assert [d["revision"] for d in found["jd-0"]] == [2, 1]  # every status, newest first
    assert found["jd-missing"] == [] and len(found) == 151


def test_a_chunk_that_finds_nothing_is_read_again_name_by_name():
    """Should Batch ignore bare names in jobDefinitions (its current reference documents name:revision), existing
    definitions must not look new: a chunk that finds nothing is read again with jobDefinitionName."""

    class IgnoresNames(FakeBatch):
        def describe_job_definitions(self, **kwargs):
            if "jobDefinitions" in kwargs:
                self._record("describe_job_definitions", dict(kwargs))
                return {"jobDefinitions": []}
            return super().describe_job_definitions(**kwargs)

    client = IgnoresNames([other("jd-a", 1)])
    found = jd.read_revisions(client, ["jd-a", "jd-b"])
    assert [d["revision"] for d in found["jd-a"]] == [1] and found["jd-b"] == []
    assert [sorted(kwargs) for _name, kwargs in client.calls] == [
        ["jobDefinitions"],
        ["jobDefinitionName"],
        ["jobDefinitionName"],
    ]


def test_a_chunk_refused_by_batch_is_read_name_by_name():
    import botocore.exceptions

    class RefusesNames(FakeBatch):
        def describe_job_definitions(self, **kwargs):
            if "jobDefinitions" in kwargs:
                raise botocore.exceptions.ClientError(
                    {"Error": {"Code": "ClientException", "Message": "bad entry"}}, "DescribeJobDefinitions"
                )
            return super().describe_job_definitions(**kwargs)

    found = jd.read_revisions(RefusesNames([other("jd-a", 2)]), ["jd-a"])
    assert [d["revision"] for d in found["jd-a"]] == [2]


def test_pre_read_revisions_make_no_more_calls_even_to_predict():
    request = jd.build_request(params())
    current = [described(request, revision=2, status="INACTIVE"), described(request, revision=1)]
    client = FakeBatch()
    changed, result, _diff, _deregistered = present(
        client, params(memory=256), check_mode=True, current=jd._newest_first(current)
    )
    assert changed is True and result["revision"] == 3
    assert client.calls == []
    _changed, result, _diff, _deregistered = present(client, params(), current=jd._newest_first(current))
    assert client.calls == [] and result["revision"] == 1  # ACTIVE revision 1 matches; the INACTIVE one is ignored


def test_changed_fields_name_the_options():
    ctx = context(FakeBatch([described(jd.build_request(params()), revision=1)]))
    jd.ensure_present(ctx, "dev-carbon-jd", params(memory=256, environment={"LOG_LEVEL": "DEBUG"}, tags={"a": "b"}))
    assert ctx.report == {"action": "update", "changed_fields": ["environment", "memory"], "deregistered": []}
    ctx = context(FakeBatch())
    jd.ensure_present(ctx, "dev-carbon-jd", params())
    assert ctx.report["action"] == "create"
    assert {"image", "command", "vcpus", "memory", "secrets", "retry_strategy"} <= set(ctx.report["changed_fields"])


# --------------------------------------------------------------------------------------------- partial secret ARNs

PARTIAL = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:dev/carbon/MY_SECRET"


def test_partial_secret_arns_are_resolved_once_before_comparing():
    secrets = Secrets(**{"dev/carbon/MY_SECRET": SECRET_ARN})
    ctx = Context({"secretsmanager": secrets}, "eu-west-1")
    request = jd.build_request(
        params(
            secrets={"MY_SECRET": PARTIAL, "MY_KEY": PARTIAL + ":password::"},
            log_configuration={"log_driver": "splunk", "options": None, "secret_options": {"TOKEN": PARTIAL}},
        )
    )
    resolved = jd.resolve_secret_references(ctx, request)
    container = resolved["containerProperties"]
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == {
        "MY_KEY": SECRET_ARN + ":password::",
        "MY_SECRET": SECRET_ARN,
    }
    assert container["logConfiguration"]["secretOptions"] == [{"name": "TOKEN", "valueFrom": SECRET_ARN}]
    assert secrets.calls == [PARTIAL]  # one DescribeSecret for the three references
    assert request["containerProperties"]["secrets"][0]["valueFrom"].startswith(PARTIAL)  # the input is untouched


def test_full_arns_and_parameter_store_references_are_never_looked_up():
    secrets = Secrets()
    ctx = Context({"secretsmanager": secrets}, "eu-west-1")
    request = jd.build_request(params(secrets={"A": SECRET_ARN, "B": SECRET_ARN + ":key::", "C": "/app/db/password"}))
    assert jd.resolve_secret_references(ctx, request) == request
    assert secrets.calls == []


def test_a_partial_arn_of_a_missing_secret_fails_except_in_check_mode():
    request = jd.build_request(params(secrets={"MY_SECRET": PARTIAL}))
    with pytest.raises(BatchValidationError, match="secrets.MY_SECRET: no Secrets Manager secret .* exists"):
        jd.resolve_secret_references(Context({"secretsmanager": Secrets()}, "eu-west-1"), request)
    ctx = Context({"secretsmanager": Secrets()}, "eu-west-1", check_mode=True)
    assert jd.resolve_secret_references(ctx, request) == request
    assert ctx.warnings == [
        f"secrets.MY_SECRET: no Secrets Manager secret {PARTIAL} exists; check mode keeps this partial ARN and "
        "assumes an earlier task creates the secret"
    ]


def test_a_revision_with_the_full_arn_is_unchanged_when_given_the_partial_one():
    client = FakeBatch([described(jd.build_request(params()), revision=1)])
    ctx = Context({"batch": client, "secretsmanager": Secrets(**{"dev/carbon/MY_SECRET": SECRET_ARN})}, "eu-west-1")
    changed, _before, after = jd.ensure_present(ctx, "dev-carbon-jd", params(secrets={"MY_SECRET": PARTIAL}))
    assert changed is False and client.writes() == []
    assert after["container_properties"]["secrets"] == [{"name": "MY_SECRET", "value_from": SECRET_ARN}]
