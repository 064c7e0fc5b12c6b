#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: tagged_resources_info
version_added: 0.1.0
short_description: List the AWS resources that carry given tags
description:
  - Lists the resources of the region that carry every tag of O(tags), with the Resource Groups Tagging API
    (C(tag:GetResources)), following its pagination. It is how the roles of this collection find the resources of
    a stack (tag C(ondemand:stack=<stack name>)) that the inventory no longer has, without a state file.
  - Each resource comes with its ARN, a resource type and a name derived from the ARN, and its tags. The name is the
    one the service's own modules take, for example the secret name without the six random characters Secrets
    Manager appends in the ARN, the rule name without its event bus, the log group name without a trailing C(:*).
  - AWS also lists resources that once carried a tag and lost it; only resources that carry the tags asked for are
    returned.
  - Only services that the Resource Groups Tagging API supports are listed (not AWS Batch nor IAM, for example; the
    C(_info) modules of this collection and M(amazon.aws.iam_role_info) list those with their tags).
  - Never changes anything; supports check mode.
author:
  - ondemand.batch contributors (@ondemand)
options:
  tags:
    description:
      - Tags every listed resource carries. A key whose value is C(null) matches any value of that key.
      - Without tags, every resource of O(resource_types) that carries (or once carried) a tag is listed.
      - At most 50 keys.
    type: dict
    default: {}
  resource_types:
    description:
      - Resource types to list, as C(service) (every type of the service) or C(service:type), for example
        V(secretsmanager:secret), V(events:rule), V(sns) or V(logs). Without it, every type.
      - AWS matches these; the RV(resources[].resource_type) of a result is derived from its ARN.
    type: list
    elements: str
    default: []
  page_size:
    description:
      - Resources per C(GetResources) call (1 to 100); the module asks for the next page until there is none.
    type: int
    default: 100
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Secrets of stack dev-carbon
  ondemand.batch.tagged_resources_info:
    tags:
      ondemand:stack: dev-carbon
    resource_types:
      - secretsmanager:secret
  register: stack_secrets

- name: Names of those secrets
  ansible.builtin.debug:
    msg: "{{ stack_secrets.resources | map(attribute='name') | list }}"

- name: EventBridge rules and SNS topics of stack dev-carbon
  ondemand.batch.tagged_resources_info:
    tags:
      ondemand:stack: dev-carbon
    resource_types:
      - events:rule
      - sns
  register: stack_rules_and_topics

- name: Everything that belongs to any ondemand.batch stack (any value of the tag)
  ondemand.batch.tagged_resources_info:
    tags:
      ondemand:stack: ~
  register: every_stack
"""

RETURN = r"""
resources:
  description: The resources that carry the tags, sorted by resource type, name and ARN.
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: ARN of the resource, as the Resource Groups Tagging API returns it.
      returned: always
      type: str
      sample: arn:aws:secretsmanager:eu-west-1:123456789012:secret:/carbon/dev/eu-west-1/MY_SECRET-AbC123
    resource_type:
      description:
        - C(service:type) derived from the ARN, for example V(secretsmanager:secret), V(events:rule),
          V(logs:log-group) or V(sns:topic); C(service) alone when the ARN names no type.
      returned: always
      type: str
      sample: secretsmanager:secret
    name:
      description:
        - Name of the resource derived from the ARN, as the service's modules take it. Without the six random
          characters of a secret ARN, the event bus of a rule ARN or the trailing C(:*) of a log group ARN.
      returned: always
      type: str
      sample: /carbon/dev/eu-west-1/MY_SECRET
    tags:
      description: Every tag of the resource.
      returned: always
      type: dict
      sample: {"ondemand:stack": "dev-carbon", "project": "carbon"}
"""

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.tagged_resources import (  # noqa: E402
    MAX_PAGE_SIZE,
    find_tagged_resources,
    validate_params,
)


def argument_spec():
    return {
        "tags": {"type": "dict", "default": {}},
        "resource_types": {"type": "list", "elements": "str", "default": []},
        "page_size": {"type": "int", "default": MAX_PAGE_SIZE},
    }


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        validate_params(params)
        client = module.retrying_client("resourcegroupstaggingapi")
        resources = find_tagged_resources(client, params["tags"], params["resource_types"], params["page_size"])
    except BatchError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, resources=resources)


if __name__ == "__main__":
    main()
