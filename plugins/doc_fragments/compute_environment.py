# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of M(ondemand.batch.compute_environment) (``DOCUMENTATION``) and of each entry of
M(ondemand.batch.compute_environments) (``LIST``): written once."""

from ansible_collections.ondemand.batch.plugins.module_utils.doc_options import nest_options


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the compute environment, 1 to 128 letters, digits, hyphens and underscores.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the environment, V(absent) deletes it.
      - Deleting disables the environment, waits for that, deletes it and waits until it is gone.
        An environment still used by job queues is not deleted unless O(force=true).
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - V(MANAGED) (AWS provisions the compute resources) or V(UNMANAGED) (you manage the ECS instances).
      - V(MANAGED) when creating and not set. Switching an existing environment between the two needs
        O(replace=true).
    type: str
    choices: [MANAGED, UNMANAGED]
  compute_environment_state:
    description:
      - Whether the environment accepts jobs from its queues (V(ENABLED)) or not (V(DISABLED)).
      - AWS creates environments enabled; a new environment that should be V(DISABLED) is disabled right
        after it has become VALID.
    type: str
    choices: [ENABLED, DISABLED]
    default: ENABLED
  compute_resource_type:
    description:
      - Type of the compute resources of a V(MANAGED) environment. Required to create one.
    type: str
    choices: [EC2, SPOT, FARGATE, FARGATE_SPOT]
  allocation_strategy:
    description:
      - How Batch picks instance types when the best fitting one is not available (EC2 and SPOT only).
      - AWS uses V(BEST_FIT) when not set at creation. V(BEST_FIT) environments cannot be updated in place except
        for their vCPU counts.
      - V(SPOT_CAPACITY_OPTIMIZED), V(SPOT_PRICE_CAPACITY_OPTIMIZED) and V(SPOT_CAPACITY_OPTIMIZED_PRIORITIZED) are
        only for V(SPOT), V(BEST_FIT_PROGRESSIVE_ORDERED) only for V(EC2). With the last one and
        V(SPOT_CAPACITY_OPTIMIZED_PRIORITIZED) the order of O(instance_types) matters.
    type: str
    choices:
      - BEST_FIT
      - BEST_FIT_PROGRESSIVE
      - BEST_FIT_PROGRESSIVE_ORDERED
      - SPOT_CAPACITY_OPTIMIZED
      - SPOT_PRICE_CAPACITY_OPTIMIZED
      - SPOT_CAPACITY_OPTIMIZED_PRIORITIZED
  min_vcpus:
    description:
      - Minimum number of vCPUs the environment keeps, even when disabled (EC2 and SPOT only).
      - V(0) when creating an EC2 or SPOT environment and not set.
    type: int
  max_vcpus:
    description:
      - Maximum number of vCPUs of the environment. Required to create a V(MANAGED) environment.
    type: int
  desired_vcpus:
    description:
      - Desired number of vCPUs (EC2 and SPOT only). Used when creating the environment.
      - Batch moves this value between O(min_vcpus) and O(max_vcpus) by itself, so an existing environment's
        value is only compared and updated when O(enforce_desired_vcpus=true). AWS only lets an update raise it.
    type: int
  enforce_desired_vcpus:
    description:
      - Update the desired vCPUs of an existing environment to O(desired_vcpus) when they differ.
    type: bool
    default: false
  update_to_latest_image_version:
    description:
      - Keep the instances on the latest Amazon ECS-optimized AMI that Batch supports for the environment's image
        type (AMI patching; EC2 and SPOT only).
      - When Batch reports a newer AMI for the environment (C(batchImageStatus) V(UPDATE_AVAILABLE) in its
        O(ec2_configuration)), the run updates the environment with C(updateToLatestImageVersion) (an
        infrastructure update, listed as C(update_to_latest_image_version) among the changed fields); an
        infrastructure update made for another reason asks for the latest AMI too. Otherwise nothing is written, as
        AWS does not store this setting and there is nothing else to compare.
      - A new environment starts on the latest AMI, so a creation needs no request for it (C(CreateComputeEnvironment)
        has no such field).
      - Like other infrastructure updates it needs an allocation strategy other than V(BEST_FIT) and the Batch
        service-linked role (see the module's description); otherwise an available AMI update is refused, listing
        this option, unless O(replace=true), which replaces the environment (a blue/green update).
      - An AMI given by O(image_id), O(ec2_configuration[].image_id_override) or a O(launch_template) is kept (AWS
        ignores the request then).
    type: bool
    default: false
  instance_types:
    description:
      - Instance types or families that may be launched, for example V(optimal), V(default_x86_64),
        V(m6i) or V(c6i.large). Required to create an EC2 or SPOT environment.
    type: list
    elements: str
  subnets:
    description:
      - VPC subnet IDs the compute resources are launched in. Required to create a V(MANAGED) environment.
      - Compared regardless of order.
    type: list
    elements: str
  security_group_ids:
    description:
      - Security group IDs of the compute resources. Required to create a Fargate environment; for EC2 and SPOT
        either this or a O(launch_template) that sets security groups is required.
      - Compared regardless of order.
    type: list
    elements: str
  instance_role:
    description:
      - ECS instance profile of the EC2 instances, as an instance profile ARN or a name.
        A name is resolved to its ARN with IAM C(GetInstanceProfile).
      - Required to create an EC2 or SPOT environment.
    type: str
  ec2_key_pair:
    description:
      - EC2 key pair of the instances (EC2 and SPOT only).
    type: str
  image_id:
    description:
      - AMI ID of the instances (EC2 and SPOT only). Prefer O(ec2_configuration[].image_id_override).
    type: str
  launch_template:
    description:
      - Launch template of the instances (EC2 and SPOT only), by ID or by name.
    type: dict
    suboptions:
      launch_template_id:
        description: ID of the launch template.
        type: str
      launch_template_name:
        description: Name of the launch template.
        type: str
      version:
        description:
          - Version number, V($Default) or V($Latest). AWS uses V($Default) when not set.
        type: str
  ec2_configuration:
    description:
      - How AMIs are chosen for the instances (EC2 and SPOT only), one or two items.
      - When not set at creation AWS picks the image type (for example V(ECS_AL2023)).
    type: list
    elements: dict
    suboptions:
      image_type:
        description: Image type, for example V(ECS_AL2023) or V(ECS_AL2023_NVIDIA).
        type: str
        required: true
      image_id_override:
        description: AMI ID used for instances that match O(ec2_configuration[].image_type).
        type: str
      image_kubernetes_version:
        description: Kubernetes version, for EKS image types.
        type: str
  bid_percentage:
    description:
      - Maximum Spot price as a percentage (0 to 100) of the On-Demand price (SPOT only).
    type: int
  spot_iam_fleet_role:
    description:
      - ARN or name of the EC2 Spot Fleet role (SPOT only). A name is resolved with IAM C(GetRole).
      - Required to create a SPOT environment with allocation strategy V(BEST_FIT).
        It cannot be changed in place.
    type: str
  placement_group:
    description:
      - EC2 placement group of the instances (EC2 and SPOT only).
    type: str
  instance_tags:
    description:
      - Tags applied to the EC2 instances the environment launches (EC2 and SPOT only).
      - These are not the environment's own tags (see O(tags)); changing them is an infrastructure update.
    type: dict
  service_role:
    description:
      - ARN or name of the IAM role Batch uses to call other AWS services. A name is resolved with IAM C(GetRole).
      - When not set at creation AWS uses the Batch service-linked role
        (C(arn:aws:iam::<account>:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch)).
        When not set for an existing environment the role is left as it is.
      - Required to create an V(UNMANAGED) environment. An environment cannot switch between the
        service-linked role and another role in place.
    type: str
  unmanaged_vcpus:
    description:
      - vCPUs reserved for fair-share scheduling in an V(UNMANAGED) environment.
    type: int
  update_policy:
    description:
      - How infrastructure updates treat running jobs. Settings that are not given are left as they are
        (AWS defaults are V(false) and V(30) minutes).
    type: dict
    suboptions:
      terminate_jobs_on_update:
        description: Terminate running jobs when the infrastructure is updated.
        type: bool
      job_execution_timeout_minutes:
        description: Minutes (1 to 7200) jobs may keep running during an infrastructure update.
        type: int
  replace:
    description:
      - Replace the environment when a change cannot be made in place, instead of failing.
      - An environment AWS reports INVALID is replaced so without it (nothing can run on it); a healthy one needs it.
      - The environment keeps its name and ARN. A temporary environment named C(<name>-<hash>)
        (the first 8 hex digits of the SHA-1 of the name; the name is shortened to keep 128 characters)
        and tagged C(ondemand.batch:replacement-for=<name>) is created with the new settings, every job queue that
        used the environment is pointed at it in the same position, the old environment is disabled and deleted,
        a new one is created under the original name, the queues are pointed back, and the temporary
        environment is deleted. Queues always keep a compute environment and their order.
      - Jobs still running on the deleted environments' instances are affected as when deleting them.
      - Replacing always waits for each step, whatever O(wait) says.
      - If a run stops half-way, the next run finds the temporary environment by its name and tag and completes
        the work (also without O(replace)).
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), take the environment out of the job queues that still use it first.
        Queues that would be left without any compute environment are disabled and deleted, as AWS does
        not allow a queue without one.
      - Without it, deleting an environment that queues still use fails and names those queues.
    type: bool
    default: false
  wait:
    description:
      - Wait until the environment is VALID after a creation or an update, and until it is gone after
        a deletion. An environment that turns INVALID fails the task with the reason AWS gives, unless that reason
        is a role or instance profile IAM has not propagated yet (see O(iam_propagation_timeout)).
      - Disabling before a deletion, replacing, and finishing a creation with O(compute_environment_state=DISABLED)
        or an O(update_policy) always wait.
      - Waiting polls C(DescribeComputeEnvironments) first 0.2 seconds after the write, then 1.5 times later each
        time, at most every 15 seconds.
      - With V(false) the environment is returned while still CREATING or UPDATING; M(ondemand.batch.job_queue)
        waits for it before associating it with a queue.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each step.
    type: int
    default: 900
  iam_propagation_timeout:
    description:
      - "IAM is eventually consistent: a role or instance profile created a moment ago may not be usable by Batch yet,
        and an environment created or updated with it turns INVALID with a C(statusReason) such as C(CLIENT_ERROR -
        User: batch.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: ...), C(CLIENT_ERROR -
        Invalid IamInstanceProfile: ...), C(CLIENT_ERROR - IAM Instance Profile \"...\" has no associated IAM Roles)
        or C(CLIENT_ERROR - Parameter: SpotFleetRequestConfig.IamFleetRole is invalid.)."
      - "While waiting for VALID (O(wait=true)), such an environment is validated again with
        C(UpdateComputeEnvironment), which changes nothing (it re-sends the state, a regular service role, and the
        instance profile when AWS allows an infrastructure update), after 1, 2, 4, 8, 16, then every 30 seconds,
        until it is VALID or this many seconds have passed since it first was INVALID; then the task fails with
        AWS's reason. Each round is a warning. Any other INVALID reason fails at once."
      - An environment an earlier run left INVALID for one of these reasons, with nothing else to change, is
        validated again the same way.
      - V(0) turns the retry off.
    type: int
    default: 120
"""


# Outside the class: ansible-test's yamllint reads the class's literal strings only.
ModuleDocFragment.LIST = nest_options(
    ModuleDocFragment.DOCUMENTATION, "compute_environments", "ondemand.batch.compute_environment"
)
