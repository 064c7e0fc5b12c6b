#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_definition
version_added: 0.1.0
short_description: Register and deregister AWS Batch job definitions
description:
  - Registers an AWS Batch job definition, or deregisters its revisions.
  - Job definitions are immutable in AWS Batch. The module compares the desired definition with the
    latest C(ACTIVE) revision and registers a new revision only when they differ. Before comparing,
    both sides are normalised with the defaults AWS applies (empty lists and maps, O(propagate_tags=false),
    platform C(EC2), Fargate platform version C(LATEST), no public IP, a retry strategy of one attempt,
    the order AWS gives to resource requirements, environment variables and secrets), so a re-run with
    the same parameters changes nothing.
  - Tags are not part of the comparison. When only O(tags) differ, the tags of the latest revision are
    changed with TagResource and no revision is registered. A new revision is registered with the tags
    the latest revision would have after the change (with O(tags) unset, it inherits the latest revision's tags).
  - O(keep_revisions) deregisters older C(ACTIVE) revisions beyond the newest ones.
  - Secrets are only ever referenced by ARN (or Parameter Store path); their values never appear in the
    definition, the module's arguments or its results.
author:
  - ondemand.batch contributors (@ondemand)
notes:
  - Bad input fails before any write call, with a message naming the parameter and the rule broken.
  - Check mode makes no write call and predicts the revision and ARN a real run would register
    (STS GetCallerIdentity is called only when the name has never been registered and the definition has no
    execution or job role ARN to tell the account).
  - Needs C(batch:DescribeJobDefinitions), C(batch:RegisterJobDefinition), C(batch:DeregisterJobDefinition),
    C(batch:TagResource), C(batch:UntagResource), and C(secretsmanager:DescribeSecret) for partial secret ARNs.
  - The returned definition is the normalised one the module compares (AWS's defaults applied), which is
    also what check mode predicts; use M(ondemand.batch.job_definition_info) for the raw AWS description.
extends_documentation_fragment:
  - ondemand.batch.job_definition
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Register the job definition of the dev environment (EC2)
  ondemand.batch.job_definition:
    name: dev-carbon-jd
    image: public.ecr.aws/amazonlinux/amazonlinux:latest
    command: ["echo", "hello world"]
    vcpus: 1
    memory: 128
    platform: EC2
    environment:
      LOG_LEVEL: INFO
    secrets:
      MY_SECRET: arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev-carbon-my-secret-AbCdEf
    job_role_arn: arn:aws:iam::123456789012:role/dev-carbon-job-role
    execution_role_arn: arn:aws:iam::123456789012:role/dev-carbon-execution-role
    log_configuration:
      log_driver: awslogs
      options:
        awslogs-group: /aws/batch/dev-carbon
        awslogs-region: eu-west-1
        awslogs-stream-prefix: dev-carbon-jd
    timeout: 60
    retry_strategy:
      attempts: 3
      evaluate_on_exit:
        - on_reason: "*"
          action: RETRY
    keep_revisions: 5
    tags:
      Environment: dev
      Project: carbon
  register: job_definition

- name: Show the revision now in use
  ansible.builtin.debug:
    msg: "{{ job_definition.job_definition.job_definition_arn }}"

- name: A Fargate job definition on ARM64 with a public IP and more disk
  ondemand.batch.job_definition:
    name: dev-carbon-fargate-jd
    platform: FARGATE
    image: public.ecr.aws/amazonlinux/amazonlinux:latest
    command: ["python3", "-m", "report", "Ref::day"]
    parameters:
      day: today
    vcpus: 0.5
    memory: 2048
    execution_role_arn: arn:aws:iam::123456789012:role/dev-carbon-execution-role
    assign_public_ip: true
    runtime_platform:
      cpu_architecture: ARM64
    ephemeral_storage: 50
    log_configuration:
      log_driver: awslogs
      options:
        awslogs-group: /aws/batch/dev-carbon

- name: A field the module does not model, passed through container_properties
  ondemand.batch.job_definition:
    name: dev-carbon-private-image-jd
    image: registry.example.com/team/job:1.2.3
    vcpus: 2
    memory: 4096
    execution_role_arn: arn:aws:iam::123456789012:role/dev-carbon-execution-role
    container_properties:
      repositoryCredentials:
        credentialsParameter: arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf

- name: Deregister one revision
  ondemand.batch.job_definition:
    name: dev-carbon-jd
    state: absent
    revision: 3

- name: Deregister every revision
  ondemand.batch.job_definition:
    name: dev-carbon-jd
    state: absent
"""

RETURN = r"""
job_definition:
  description:
    - The latest C(ACTIVE) revision after the run (predicted in check mode), normalised with AWS's
      defaults. Keys are snake_case, except below C(tags), C(parameters) and log C(options), which are
      returned as written.
    - Empty with O(state=absent).
  returned: always
  type: dict
  contains:
    job_definition_name:
      description: Name of the job definition.
      returned: when state=present
      type: str
      sample: dev-carbon-jd
    job_definition_arn:
      description: ARN of the revision.
      returned: when state=present
      type: str
      sample: arn:aws:batch:eu-west-1:123456789012:job-definition/dev-carbon-jd:3
    revision:
      description: Revision number.
      returned: when state=present
      type: int
      sample: 3
    status:
      description: Status of the revision.
      returned: when state=present
      type: str
      sample: ACTIVE
    type:
      description: V(container) or V(multinode).
      returned: when state=present
      type: str
      sample: container
    platform_capabilities:
      description: Platforms the jobs run on.
      returned: when state=present
      type: list
      elements: str
      sample: ["EC2"]
    container_orchestration_type:
      description: Orchestration type (V(ECS) for every definition this module registers).
      returned: when state=present
      type: str
      sample: ECS
    propagate_tags:
      description: Whether tags are propagated to the ECS task.
      returned: when state=present
      type: bool
      sample: false
    parameters:
      description: Default parameter substitutions.
      returned: when set
      type: dict
      sample: {"day": "today"}
    scheduling_priority:
      description: Scheduling priority in fair-share queues.
      returned: when set
      type: int
      sample: 10
    timeout:
      description: Attempt timeout.
      returned: when set
      type: dict
      sample: {"attempt_duration_seconds": 60}
    retry_strategy:
      description: Retry strategy (one attempt when none is set).
      returned: when state=present
      type: dict
      sample: {"attempts": 3, "evaluate_on_exit": [{"on_reason": "*", "action": "RETRY"}]}
    container_properties:
      description:
        - The container of a V(container) job, normalised (resource requirements, environment and secrets sorted,
          empty values dropped).
      returned: when the definition has containerProperties
      type: dict
      sample:
        image: public.ecr.aws/amazonlinux/amazonlinux:latest
        command: ["echo", "hello world"]
        resource_requirements: [{"type": "MEMORY", "value": "128"}, {"type": "VCPU", "value": "1"}]
        environment: [{"name": "LOG_LEVEL", "value": "INFO"}]
        secrets: [{"name": "MY_SECRET", "value_from": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf"}]
        execution_role_arn: arn:aws:iam::123456789012:role/dev-carbon-execution-role
        log_configuration: {"log_driver": "awslogs", "options": {"awslogs-group": "/aws/batch/dev-carbon"}}
    ecs_properties:
      description: The ECS task properties (snake_case keys) when O(ecs_properties) is used.
      returned: when the definition has ecsProperties
      type: dict
    node_properties:
      description: The multi-node properties (snake_case keys) of a V(multinode) job.
      returned: when the definition has nodeProperties
      type: dict
    tags:
      description: Tags of the revision.
      returned: when state=present
      type: dict
      sample: {"Environment": "dev"}
deregistered:
  description: ARNs of the revisions deregistered by this run (that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["arn:aws:batch:eu-west-1:123456789012:job-definition/dev-carbon-jd:1"]
diff:
  description:
    - The latest C(ACTIVE) revision before and after the run in the form of RV(job_definition), plus
      C(active_revisions), the revision numbers still C(ACTIVE). Returned in diff mode.
  returned: when diff mode is enabled
  type: dict
  contains:
    before:
      description: Before the run (empty when no revision was C(ACTIVE)).
      returned: when diff mode is enabled
      type: dict
    after:
      description: After the run (empty when no revision is left C(ACTIVE)).
      returned: when diff mode is enabled
      type: dict
"""

import copy  # noqa: E402

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import JOB_DEFINITION_OPTIONS  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.job_definition import (  # noqa: E402
    KIND,
    unreferenced_secret_values,
)
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_module  # noqa: E402


def argument_spec():
    return copy.deepcopy(JOB_DEFINITION_OPTIONS)


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True)
    # A value where a secret reference belongs may be a pasted secret: mask it in every output.
    for value in unreferenced_secret_values(module.params):
        module.no_log_values.add(value)
    run_module(module, KIND)


if __name__ == "__main__":
    main()
