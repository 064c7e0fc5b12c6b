#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_definition_info
version_added: 0.1.0
short_description: Describe AWS Batch job definitions
description:
  - Lists AWS Batch job definitions by name, C(name:revision) or ARN, or every job definition of the
    region, as AWS describes them.
author:
  - ondemand.batch contributors (@ondemand)
options:
  names:
    description:
      - Job definitions to describe. Each entry is a name (every revision of that name), a
        C(name:revision) or a revision ARN.
      - Without O(names), every job definition of the region is described.
    type: list
    elements: str
    default: []
    aliases: ["name", "job_definition_names"]
  status:
    description:
      - Only revisions with this status. V(ANY) returns both C(ACTIVE) and C(INACTIVE) revisions.
    type: str
    choices: ["ACTIVE", "INACTIVE", "ANY"]
    default: ACTIVE
  latest_only:
    description:
      - Return only the highest revision of each name (among those matching O(status)).
      - With O(status=ACTIVE), that is the revision C(submit_job) uses when given the bare name.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The revision a job submitted with the bare name would use
  ondemand.batch.job_definition_info:
    names: [dev-carbon-jd]
    latest_only: true
  register: latest

- name: Its ARN
  ansible.builtin.debug:
    msg: "{{ latest.job_definitions[0].job_definition_arn }}"

- name: Two given revisions
  ondemand.batch.job_definition_info:
    names:
      - dev-carbon-jd:3
      - arn:aws:batch:eu-west-1:123456789012:job-definition/dev-carbon-jd:4
    status: ANY

- name: Every deregistered revision of the region
  ondemand.batch.job_definition_info:
    status: INACTIVE
"""

RETURN = r"""
job_definitions:
  description:
    - The job definitions found, sorted by name and newest revision first, as DescribeJobDefinitions returns
      them with snake_case keys (except below C(tags), C(parameters) and log C(options), returned as written).
  returned: always
  type: list
  elements: dict
  contains:
    job_definition_name:
      description: Name of the job definition.
      returned: always
      type: str
      sample: dev-carbon-jd
    job_definition_arn:
      description: ARN of the revision.
      returned: always
      type: str
      sample: arn:aws:batch:eu-west-1:123456789012:job-definition/dev-carbon-jd:3
    revision:
      description: Revision number.
      returned: always
      type: int
      sample: 3
    status:
      description: V(ACTIVE) or V(INACTIVE).
      returned: always
      type: str
      sample: ACTIVE
    type:
      description: V(container) or V(multinode).
      returned: always
      type: str
      sample: container
    platform_capabilities:
      description: Platforms the jobs run on.
      returned: when AWS returns it
      type: list
      elements: str
      sample: ["EC2"]
    container_properties:
      description: The container of a container job.
      returned: when the definition has one
      type: dict
      sample: {"image": "public.ecr.aws/amazonlinux/amazonlinux:latest", "command": ["echo", "hello world"]}
    retry_strategy:
      description: The retry strategy.
      returned: when AWS returns it
      type: dict
      sample: {"attempts": 3, "evaluate_on_exit": [{"on_reason": "*", "action": "RETRY"}]}
    timeout:
      description: The attempt timeout.
      returned: when set
      type: dict
      sample: {"attempt_duration_seconds": 60}
    parameters:
      description: Default parameter substitutions.
      returned: when AWS returns it
      type: dict
      sample: {}
    propagate_tags:
      description: Whether tags are propagated to the ECS task.
      returned: when AWS returns it
      type: bool
      sample: false
    tags:
      description: Tags of the revision.
      returned: always
      type: dict
      sample: {"Environment": "dev"}
"""

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.job_definition import (  # noqa: E402
    describe_job_definitions,
    describe_result,
)


def select(definitions, latest_only=False):
    """Sort by name then newest revision; keep only the newest revision per name when asked."""
    ordered = sorted(definitions, key=lambda d: (d["jobDefinitionName"], -d["revision"]))
    if not latest_only:
        return ordered
    seen = set()
    latest = []
    for definition in ordered:
        if definition["jobDefinitionName"] not in seen:
            seen.add(definition["jobDefinitionName"])
            latest.append(definition)
    return latest


def argument_spec():
    return {
        "names": {"type": "list", "elements": "str", "default": [], "aliases": ["name", "job_definition_names"]},
        "status": {"type": "str", "default": "ACTIVE", "choices": ["ACTIVE", "INACTIVE", "ANY"]},
        "latest_only": {"type": "bool", "default": False},
    }


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True)
    status = None if module.params["status"] == "ANY" else module.params["status"]
    try:
        found = describe_job_definitions(module.batch_client(), module.params["names"], status)
    except BatchError as e:
        module.fail_json_aws_error(e)
    definitions = [describe_result(d) for d in select(found, module.params["latest_only"])]
    module.exit_json(changed=False, job_definitions=definitions)


if __name__ == "__main__":
    main()
