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
  - An environment that AWS reports INVALID (a wrong subnet, a missing role...) is repaired by the next run that
    changes it, even without O(replace=true), since nothing can run on an INVALID environment and replacing it is
    safe.
    Changes AWS can make in place are made in place; otherwise the environment is replaced as O(replace) does
    (its queues keep their order). A warning gives AWS's C(statusReason). An INVALID environment that the run
    would not change fails the task with that reason, unless the reason is a role or instance profile IAM had not
    propagated yet, which is validated again (see O(iam_propagation_timeout)).
  - "First deploys: IAM is eventually consistent, so an environment created or updated with a role or instance
    profile made a moment ago may turn INVALID until IAM has propagated it. With O(wait=true) such an environment is
    validated again after a backoff, within O(iam_propagation_timeout) seconds, instead of failing; nothing needs to
    pause after creating the roles, and a run that finds the environment VALID waits for nothing."
  - Options that are not set are left as they are on an existing environment.
author:
  - ondemand.batch contributors (@ondemand)
notes:
  - Check mode makes no change and reports what a real run would, creation included (the ARN is predicted,
    which may need C(sts:GetCallerIdentity)). An instance profile or role name that does not exist yet is only a
    warning in check mode (an earlier task that check mode skipped may create it); a real run fails on it.
  - Needs C(batch:DescribeComputeEnvironments), C(batch:CreateComputeEnvironment), C(batch:UpdateComputeEnvironment),
    C(batch:DeleteComputeEnvironment), C(batch:TagResource), C(batch:UntagResource); C(batch:DescribeJobQueues) and
    C(batch:UpdateJobQueue) to replace or force-delete; C(iam:GetInstanceProfile) and C(iam:GetRole) for names;
    C(iam:PassRole) for the roles.
extends_documentation_fragment:
  - ondemand.batch.compute_environment
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
