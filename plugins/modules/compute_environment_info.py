#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: compute_environment_info
short_description: Describe AWS Batch compute environments
version_added: 0.1.0
description:
  - Describe AWS Batch compute environments by name or ARN, or all of them (every page).
author:
  - ondemand.batch contributors (@ondemand)
options:
  names:
    description:
      - Names or ARNs of the compute environments to describe. Those that do not exist are left out of the result.
      - All compute environments of the account and region when not set.
    type: list
    elements: str
    aliases: [name]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe one compute environment
  ondemand.batch.compute_environment_info:
    names:
      - dev-carbon-ce
  register: dev_carbon_ce

- name: Fail unless it is VALID
  ansible.builtin.assert:
    that:
      - dev_carbon_ce.compute_environments | length == 1
      - dev_carbon_ce.compute_environments[0].status == "VALID"

- name: Describe every compute environment
  ondemand.batch.compute_environment_info:
  register: all_compute_environments
"""

RETURN = r"""
compute_environments:
  description:
    - The compute environments as DescribeComputeEnvironments reports them, in snake_case, tags as a dict.
    - The keys are those of RV(ondemand.batch.compute_environment#module:compute_environment).
  returned: always
  type: list
  elements: dict
  contains:
    compute_environment_name:
      description: Name of the environment.
      type: str
      sample: dev-carbon-ce
    compute_environment_arn:
      description: ARN of the environment.
      type: str
      sample: arn:aws:batch:eu-west-1:123456789012:compute-environment/dev-carbon-ce
    ecs_cluster_arn:
      description: ARN of the ECS cluster the environment uses.
      type: str
      sample: arn:aws:ecs:eu-west-1:123456789012:cluster/AWSBatch-dev-carbon-ce-1a2b3c4d
    type:
      description: V(MANAGED) or V(UNMANAGED).
      type: str
      sample: MANAGED
    state:
      description: V(ENABLED) or V(DISABLED).
      type: str
      sample: ENABLED
    status:
      description: Status, for example V(CREATING), V(UPDATING), V(VALID) or V(INVALID).
      type: str
      sample: VALID
    status_reason:
      description: Details about the status.
      type: str
      returned: when AWS reports it
      sample: ComputeEnvironment Healthy
    service_role:
      description: ARN of the service role.
      type: str
      sample: arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch
    unmanaged_vcpus:
      description: vCPUs reserved for fair-share scheduling (UNMANAGED environments).
      type: int
      returned: when set
      sample: 4
    update_policy:
      description: Infrastructure update policy (C(terminate_jobs_on_update), C(job_execution_timeout_minutes)).
      type: dict
      returned: when AWS reports it
      sample: {terminate_jobs_on_update: false, job_execution_timeout_minutes: 30}
    compute_resources:
      description:
        - Compute resources (C(type), C(allocation_strategy), C(min_vcpus), C(max_vcpus), C(desired_vcpus),
          C(instance_types), C(subnets), C(security_group_ids), C(instance_role), C(ec2_key_pair), C(image_id),
          C(launch_template), C(ec2_configuration), C(bid_percentage), C(spot_iam_fleet_role), C(placement_group),
          and C(tags) for the instances, keys unchanged).
      type: dict
      returned: for MANAGED environments
      sample: {type: EC2, min_vcpus: 0, max_vcpus: 16, desired_vcpus: 0, instance_types: [optimal]}
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
      sample: {stack: dev-carbon}
"""

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment import (  # noqa: E402
    describe_compute_environments,
    normalize_compute_environment,
)
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.validation import is_arn, validate_name  # noqa: E402


def list_compute_environments(client, names=None):
    """Normalised environments: the named ones in the order given (missing ones left out), or all."""
    for name in names or []:
        if not is_arn(name):
            validate_name("names", name)
    details = describe_compute_environments(client, names or None)
    return [normalize_compute_environment(detail) for detail in details]


def main():
    module = BatchModule(
        argument_spec={"names": {"type": "list", "elements": "str", "aliases": ["name"]}},
        supports_check_mode=True,
    )
    try:
        environments = list_compute_environments(module.batch_client(), module.params["names"])
    except BatchError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, compute_environments=environments)


if __name__ == "__main__":
    main()
