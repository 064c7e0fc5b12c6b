# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of M(ondemand.batch.job_definition) (``DOCUMENTATION``) and of each entry of
M(ondemand.batch.job_definitions) (``LIST``): written once."""

from ansible_collections.ondemand.batch.plugins.module_utils.doc_options import nest_options


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the job definition.
      - 1 to 128 letters, digits, hyphens and underscores.
    type: str
    required: true
    aliases: ["job_definition_name"]
  state:
    description:
      - With V(present), the latest C(ACTIVE) revision matches the options (a revision is registered when needed).
      - With V(absent), every C(ACTIVE) revision is deregistered, or only O(revision) when it is set.
    type: str
    choices: ["present", "absent"]
    default: present
  revision:
    description:
      - With O(state=absent), deregister only this revision.
      - Not used with O(state=present).
    type: int
  type:
    description:
      - V(container) for a single-container job (built from the container options below, or taken from
        O(ecs_properties)), V(multinode) for a multi-node parallel job described by O(node_properties).
    type: str
    choices: ["container", "multinode"]
    default: container
  platform:
    description:
      - Platform capability the jobs run on.
      - V(FARGATE) requires O(execution_role_arn) and a vCPU/memory combination Fargate supports
        (for example 0.25 vCPU with 512, 1024 or 2048 MiB; 1 vCPU with 2048 to 8192 MiB in steps of 1024).
    type: str
    choices: ["EC2", "FARGATE"]
    default: EC2
    aliases: ["platform_capability"]
  image:
    description:
      - The container image, for example V(public.ecr.aws/amazonlinux/amazonlinux:latest).
      - Required with O(type=container) unless O(ecs_properties) is used.
    type: str
  command:
    description:
      - The command the container runs (the order matters). Without it the image's C(CMD) runs.
    type: list
    elements: str
  vcpus:
    description:
      - Number of vCPUs reserved for the container (a C(VCPU) resource requirement).
      - At least 1 on EC2; one of 0.25, 0.5, 1, 2, 4, 8, 16 or 32 on Fargate.
      - Required with O(type=container) unless given in O(container_properties) or O(ecs_properties).
    type: float
  memory:
    description:
      - Hard memory limit of the container in MiB (a C(MEMORY) resource requirement).
      - At least 4 on EC2; on Fargate one of the values supported for O(vcpus).
      - Required with O(type=container) unless given in O(container_properties) or O(ecs_properties).
    type: int
  gpus:
    description:
      - Number of GPUs reserved for the container (a C(GPU) resource requirement). Not available on Fargate.
    type: int
  environment:
    description:
      - Environment variables of the container, as a dictionary of names to values.
      - Values are sent as strings (booleans as V(true) and V(false)). Variables with an empty value are
        dropped by AWS and ignored in the comparison. Names must not start with C(AWS_BATCH).
      - Do not put secrets here; use O(secrets).
    type: dict
  secrets:
    description:
      - Environment variables whose values AWS Batch reads from Secrets Manager or Parameter Store when
        the job starts, as a dictionary of variable names to the secret's reference.
      - A reference is a Secrets Manager secret ARN (optionally with the C(:json-key:version-stage:version-id)
        suffix), a Parameter Store parameter ARN, or the full path of a Parameter Store parameter of the same
        region (starting with C(/)). Anything else is refused, so a secret value can never be stored by mistake.
      - A Secrets Manager ARN without the 6-character random suffix Secrets Manager adds to the name (a partial
        ARN, C(arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/MY_SECRET)) is resolved to the secret's full
        ARN with one C(secretsmanager:DescribeSecret) before comparing and registering, so the definition names
        the secret exactly and a re-run with the same partial ARN changes nothing. A full ARN is never looked up;
        a partial ARN of a secret that does not exist fails the task, except in check mode, where it is kept and a
        warning says that an earlier task is assumed to create the secret. A secret whose name itself ends with a
        hyphen and 6 letters or digits cannot be told apart from a full ARN (as AWS documents); give its full ARN.
      - Requires O(execution_role_arn).
    type: dict
  job_role_arn:
    description:
      - ARN of the IAM role the job's container assumes for its own AWS calls.
    type: str
    aliases: ["job_role"]
  execution_role_arn:
    description:
      - ARN of the IAM role AWS Batch (ECS) uses to pull the image, write logs and read O(secrets).
      - Required on Fargate and whenever O(secrets) or O(log_configuration.secret_options) are set.
    type: str
    aliases: ["execution_role"]
  log_configuration:
    description:
      - Log driver of the container and its options.
    type: dict
    suboptions:
      log_driver:
        description:
          - The log driver. Fargate supports V(awslogs), V(splunk) and V(awsfirelens).
        type: str
        required: true
        choices: ["awsfirelens", "awslogs", "fluentd", "gelf", "journald", "json-file", "splunk", "syslog"]
      options:
        description:
          - Options of the log driver, for example C(awslogs-group), C(awslogs-region), C(awslogs-stream-prefix).
          - Keys are kept exactly as written.
        type: dict
      secret_options:
        description:
          - Log driver options whose values are secrets, as a dictionary of option names to secret references
            (same rules as O(secrets), partial Secrets Manager ARNs included). Requires O(execution_role_arn).
        type: dict
  timeout:
    description:
      - Attempt duration in seconds after which AWS Batch terminates a job attempt. At least 60.
    type: int
    aliases: ["attempt_duration_seconds"]
  retry_strategy:
    description:
      - How often and on which failures a job is retried.
    type: dict
    aliases: ["retry"]
    suboptions:
      attempts:
        description:
          - Number of attempts, 1 to 10. AWS's default is 1.
        type: int
      evaluate_on_exit:
        description:
          - Up to 5 rules deciding, in order, whether a failed attempt is retried or the job fails.
        type: list
        elements: dict
        suboptions:
          on_status_reason:
            description:
              - Glob pattern matched against the status reason of the job (may end with C(*)).
            type: str
          on_reason:
            description:
              - Glob pattern matched against the reason of the job (may end with C(*)); V(*) matches any reason.
            type: str
          on_exit_code:
            description:
              - Glob pattern matched against the exit code of the job (digits, may end with C(*)).
            type: str
          action:
            description:
              - What to do when all the conditions of the rule match.
            type: str
            required: true
            choices: ["RETRY", "EXIT"]
  parameters:
    description:
      - Default parameter substitution placeholders (C(Ref::name) in O(command)), as a dictionary.
    type: dict
  propagate_tags:
    description:
      - Whether the tags of the job definition (and of the job) are propagated to the ECS task.
    type: bool
    default: false
  scheduling_priority:
    description:
      - Scheduling priority of jobs using this definition in fair-share job queues, 0 to 9999.
    type: int
  ephemeral_storage:
    description:
      - Ephemeral storage of the task in GiB, 21 to 200. Fargate only.
    type: int
  runtime_platform:
    description:
      - Operating system and CPU architecture of the task. Fargate only.
    type: dict
    suboptions:
      cpu_architecture:
        description:
          - CPU architecture. AWS's default is V(X86_64).
        type: str
        choices: ["X86_64", "ARM64"]
      operating_system_family:
        description:
          - Operating system family, for example V(LINUX) (AWS's default) or V(WINDOWS_SERVER_2022_CORE).
        type: str
  assign_public_ip:
    description:
      - Whether the Fargate task gets a public IP address (needed to pull images without a NAT gateway).
      - AWS's default is no public IP. Fargate only.
    type: bool
  platform_version:
    description:
      - Fargate platform version, for example V(1.4.0). AWS's default is V(LATEST). Fargate only.
    type: str
  privileged:
    description:
      - Whether the container has elevated privileges on the host. Not supported on Fargate.
    type: bool
  readonly_root_filesystem:
    description:
      - Whether the container's root file system is read-only.
    type: bool
  user:
    description:
      - User name (or UID) the container runs as.
    type: str
  ulimits:
    description:
      - Ulimits of the container.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the ulimit, for example V(nofile).
        type: str
        required: true
      soft_limit:
        description:
          - Soft limit.
        type: int
        required: true
      hard_limit:
        description:
          - Hard limit.
        type: int
        required: true
  volumes:
    description:
      - Volumes the container can mount with O(mount_points).
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the volume, referenced by O(mount_points[].source_volume).
        type: str
        required: true
      host:
        description:
          - A path on the host (EC2 only).
        type: dict
        suboptions:
          source_path:
            description:
              - Path on the host instance.
            type: str
      efs_volume_configuration:
        description:
          - An Amazon EFS file system.
        type: dict
        suboptions:
          file_system_id:
            description:
              - ID of the EFS file system.
            type: str
            required: true
          root_directory:
            description:
              - Directory of the file system mounted as the root of the volume.
            type: str
          transit_encryption:
            description:
              - Whether data in transit is encrypted.
            type: str
            choices: ["ENABLED", "DISABLED"]
          transit_encryption_port:
            description:
              - Port used for encrypted transit.
            type: int
          authorization_config:
            description:
              - Access point and IAM authorization.
            type: dict
            suboptions:
              access_point_id:
                description:
                  - ID of the EFS access point.
                type: str
              iam:
                description:
                  - Whether the job role is used to authorize the mount.
                type: str
                choices: ["ENABLED", "DISABLED"]
  mount_points:
    description:
      - Where the O(volumes) are mounted in the container.
    type: list
    elements: dict
    suboptions:
      container_path:
        description:
          - Path in the container.
        type: str
        required: true
      source_volume:
        description:
          - Name of a volume of O(volumes).
        type: str
        required: true
      read_only:
        description:
          - Whether the mount is read-only.
        type: bool
        default: false
  linux_parameters:
    description:
      - Linux-specific container settings.
    type: dict
    suboptions:
      init_process_enabled:
        description:
          - Run an init process in the container that forwards signals and reaps processes.
        type: bool
      shared_memory_size:
        description:
          - Size of C(/dev/shm) in MiB.
        type: int
      max_swap:
        description:
          - Total swap memory in MiB the container can use (EC2 only).
        type: int
      swappiness:
        description:
          - Swappiness of the container, 0 to 100 (EC2 only).
        type: int
      devices:
        description:
          - Host devices exposed to the container (EC2 only).
        type: list
        elements: dict
        suboptions:
          host_path:
            description:
              - Path of the device on the host.
            type: str
            required: true
          container_path:
            description:
              - Path of the device in the container.
            type: str
          permissions:
            description:
              - Permissions of the container on the device.
            type: list
            elements: str
            choices: ["READ", "WRITE", "MKNOD"]
      tmpfs:
        description:
          - tmpfs mounts of the container (EC2 only).
        type: list
        elements: dict
        suboptions:
          container_path:
            description:
              - Mount point in the container.
            type: str
            required: true
          size:
            description:
              - Size in MiB.
            type: int
            required: true
          mount_options:
            description:
              - Mount options, for example V(noexec).
            type: list
            elements: str
  container_properties:
    description:
      - Raw C(containerProperties) of the RegisterJobDefinition API (camelCase keys), merged over what the
        options above build (dictionaries merge recursively, lists and values replace). For fields this
        module does not model, for example C(repositoryCredentials) or C(enableExecuteCommand).
    type: dict
  ecs_properties:
    description:
      - Raw C(ecsProperties) of the RegisterJobDefinition API (camelCase keys), for jobs made of several
        ECS containers. Used instead of the container options above, with O(type=container).
    type: dict
  node_properties:
    description:
      - Raw C(nodeProperties) of the RegisterJobDefinition API (camelCase keys). Required with O(type=multinode).
    type: dict
  keep_revisions:
    description:
      - Keep only this many of the newest C(ACTIVE) revisions (the current one included) and deregister
        the older ones. By default every revision is kept.
    type: int
"""


# Outside the class: ansible-test's yamllint reads the class's literal strings only.
ModuleDocFragment.LIST = nest_options(
    ModuleDocFragment.DOCUMENTATION, "job_definitions", "ondemand.batch.job_definition"
)
