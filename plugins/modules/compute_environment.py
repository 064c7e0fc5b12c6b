#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: compute_environment
short_description: Manage AWS Batch compute environments
version_added: 0.1.0
description:
  - Create, update, replace and delete AWS Batch compute environments, managed (EC2, SPOT, FARGATE,
    FARGATE_SPOT) or unmanaged.
  - Changes that AWS can make in place are applied with C(UpdateComputeEnvironment). Which ones those are
    depends on the environment, see the AWS Batch User Guide, "Updating compute environments".
    For an EC2 or SPOT environment whose allocation strategy is C(BEST_FIT), or whose service role is not
    the Batch service-linked role, only O(min_vcpus), O(max_vcpus) and O(desired_vcpus) can change in place.
    With any other allocation strategy and the service-linked role, every compute resource setting except
    O(spot_iam_fleet_role) can change in place (an infrastructure update); O(allocation_strategy) cannot become
    C(BEST_FIT) and O(compute_resource_type) can only switch between C(EC2) and C(SPOT).
    For C(FARGATE) and C(FARGATE_SPOT) only O(max_vcpus), O(subnets) and O(security_group_ids) can change.
    O(compute_environment_state), O(update_policy), O(unmanaged_vcpus) and a service role other than the
    service-linked one can always change.
  - Any other change fails, before anything is written, with a message that lists the settings, unless
    O(replace=true).
  - Options that are not set are left as they are on an existing environment.
author:
  - ondemand.batch contributors (@ondemand)
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
        a deletion. An environment that turns INVALID fails the task with the reason AWS gives.
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
notes:
  - Check mode makes no change and reports what a real run would, creation included (the ARN is predicted,
    which may need C(sts:GetCallerIdentity)). An instance profile or role name that does not exist yet is only a
    warning in check mode (an earlier task that check mode skipped may create it); a real run fails on it.
  - Needs C(batch:DescribeComputeEnvironments), C(batch:CreateComputeEnvironment), C(batch:UpdateComputeEnvironment),
    C(batch:DeleteComputeEnvironment), C(batch:TagResource), C(batch:UntagResource); C(batch:DescribeJobQueues) and
    C(batch:UpdateJobQueue) to replace or force-delete; C(iam:GetInstanceProfile) and C(iam:GetRole) for names;
    C(iam:PassRole) for the roles.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create an EC2 compute environment that scales to zero
  ondemand.batch.compute_environment:
    name: dev-carbon-ce
    compute_resource_type: EC2
    allocation_strategy: BEST_FIT_PROGRESSIVE
    min_vcpus: 0
    max_vcpus: 16
    instance_types:
      - optimal
    subnets:
      - subnet-0a1b2c3d4e5f60001
      - subnet-0a1b2c3d4e5f60002
    security_group_ids:
      - sg-0a1b2c3d4e5f60003
    instance_role: ecsInstanceRole
    instance_tags:
      Name: dev-carbon-batch
    update_policy:
      terminate_jobs_on_update: false
      job_execution_timeout_minutes: 30
    tags:
      stack: dev-carbon

- name: Create a Fargate Spot compute environment
  ondemand.batch.compute_environment:
    name: dev-carbon-fargate-ce
    compute_resource_type: FARGATE_SPOT
    max_vcpus: 8
    subnets:
      - subnet-0a1b2c3d4e5f60001
    security_group_ids:
      - sg-0a1b2c3d4e5f60003

- name: Change the instance types of a BEST_FIT environment, replacing it (the queues keep their order)
  ondemand.batch.compute_environment:
    name: dev-carbon-ce
    compute_resource_type: EC2
    max_vcpus: 16
    instance_types:
      - m6i
      - c6i
    subnets:
      - subnet-0a1b2c3d4e5f60001
    security_group_ids:
      - sg-0a1b2c3d4e5f60003
    instance_role: arn:aws:iam::123456789012:instance-profile/ecsInstanceRole
    replace: true

- name: Disable a compute environment
  ondemand.batch.compute_environment:
    name: dev-carbon-ce
    compute_environment_state: DISABLED

- name: Delete a compute environment, taking it out of the queues that use it
  ondemand.batch.compute_environment:
    name: dev-carbon-ce
    state: absent
    force: true
"""

RETURN = r"""
compute_environment:
  description:
    - The compute environment as DescribeComputeEnvironments reports it, in snake_case.
    - In check mode, the predicted environment. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    compute_environment_name:
      description: Name of the environment.
      type: str
      returned: when the environment exists
      sample: dev-carbon-ce
    compute_environment_arn:
      description: ARN of the environment.
      type: str
      returned: when the environment exists
      sample: arn:aws:batch:eu-west-1:123456789012:compute-environment/dev-carbon-ce
    ecs_cluster_arn:
      description: ARN of the ECS cluster the environment uses.
      type: str
      returned: when AWS reports it (not in check mode on creation)
      sample: arn:aws:ecs:eu-west-1:123456789012:cluster/AWSBatch-dev-carbon-ce-1a2b3c4d
    type:
      description: V(MANAGED) or V(UNMANAGED).
      type: str
      returned: when the environment exists
      sample: MANAGED
    state:
      description: V(ENABLED) or V(DISABLED).
      type: str
      returned: when the environment exists
      sample: ENABLED
    status:
      description: Status, for example V(CREATING), V(UPDATING) or V(VALID).
      type: str
      returned: when the environment exists
      sample: VALID
    status_reason:
      description: Details about the status.
      type: str
      returned: when AWS reports it
      sample: ComputeEnvironment Healthy
    service_role:
      description: ARN of the service role.
      type: str
      returned: when the environment exists
      sample: arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch
    unmanaged_vcpus:
      description: vCPUs reserved for fair-share scheduling (UNMANAGED environments).
      type: int
      returned: when set
      sample: 4
    update_policy:
      description: Infrastructure update policy.
      type: dict
      returned: when the environment exists
      contains:
        terminate_jobs_on_update:
          description: Whether running jobs are terminated by infrastructure updates.
          type: bool
          sample: false
        job_execution_timeout_minutes:
          description: Minutes jobs may keep running during an infrastructure update.
          type: int
          sample: 30
    compute_resources:
      description: Compute resources of a MANAGED environment; keys as in the options of this module.
      type: dict
      returned: for MANAGED environments
      contains:
        type:
          description: V(EC2), V(SPOT), V(FARGATE) or V(FARGATE_SPOT).
          type: str
          sample: EC2
        allocation_strategy:
          description: Allocation strategy.
          type: str
          returned: EC2 and SPOT
          sample: BEST_FIT_PROGRESSIVE
        min_vcpus:
          description: Minimum vCPUs.
          type: int
          returned: EC2 and SPOT
          sample: 0
        max_vcpus:
          description: Maximum vCPUs.
          type: int
          sample: 16
        desired_vcpus:
          description: Desired vCPUs, as Batch currently sets them.
          type: int
          returned: EC2 and SPOT
          sample: 0
        instance_types:
          description: Instance types.
          type: list
          elements: str
          returned: EC2 and SPOT
          sample: [optimal]
        subnets:
          description: Subnet IDs.
          type: list
          elements: str
          sample: [subnet-0a1b2c3d4e5f60001]
        security_group_ids:
          description: Security group IDs.
          type: list
          elements: str
          sample: [sg-0a1b2c3d4e5f60003]
        instance_role:
          description: ARN of the instance profile.
          type: str
          returned: EC2 and SPOT
          sample: arn:aws:iam::123456789012:instance-profile/ecsInstanceRole
        ec2_key_pair:
          description: EC2 key pair.
          type: str
          returned: when set
          sample: batch-debug
        image_id:
          description: AMI ID.
          type: str
          returned: when set
          sample: ami-0123456789abcdef0
        launch_template:
          description: Launch template (C(launch_template_id) or C(launch_template_name), C(version)).
          type: dict
          returned: when set
          sample: {launch_template_name: dev-carbon-lt, version: $Latest}
        ec2_configuration:
          description: AMI selection (C(image_type), C(image_id_override), C(image_kubernetes_version)).
          type: list
          elements: dict
          returned: EC2 and SPOT, when AWS reports it
          sample: [{image_type: ECS_AL2023}]
        bid_percentage:
          description: Maximum Spot price percentage.
          type: int
          returned: when set
          sample: 60
        spot_iam_fleet_role:
          description: ARN of the Spot Fleet role.
          type: str
          returned: when set
          sample: arn:aws:iam::123456789012:role/AmazonEC2SpotFleetTaggingRole
        placement_group:
          description: Placement group.
          type: str
          returned: when set
          sample: dev-carbon-pg
        tags:
          description: Tags of the launched instances (the O(instance_tags) option), keys unchanged.
          type: dict
          returned: when set
          sample: {Name: dev-carbon-batch}
    container_orchestration_type:
      description: V(ECS) or V(EKS).
      type: str
      returned: when AWS reports it
      sample: ECS
    uuid:
      description: Unique identifier of the environment.
      type: str
      returned: when AWS reports it
      sample: 0c2d8a5e-8a1e-3c8f-9c54-5d3a1b7e4f21
    tags:
      description: Tags of the environment, keys unchanged.
      type: dict
      returned: always
      sample: {stack: dev-carbon}
"""

import copy  # noqa: E402

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import COMPUTE_ENVIRONMENT_OPTIONS  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment_ensure import KIND  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_module  # noqa: E402


def argument_spec():
    return copy.deepcopy(COMPUTE_ENVIRONMENT_OPTIONS)


def main():
    run_module(BatchModule(argument_spec=argument_spec(), supports_check_mode=True), KIND)


if __name__ == "__main__":
    main()
