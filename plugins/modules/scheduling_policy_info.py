#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: scheduling_policy_info
version_added: 0.1.0
short_description: Describe AWS Batch scheduling policies
description:
  - Describes AWS Batch fair-share scheduling policies by name or ARN, or every policy of the region.
author:
  - ondemand.batch contributors (@ondemand)
options:
  names:
    description:
      - Names or ARNs of the scheduling policies. Without it, every scheduling policy is described.
      - Names that do not exist are left out of the result.
    type: list
    elements: str
    default: []
    aliases: ["name"]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One scheduling policy
  ondemand.batch.scheduling_policy_info:
    names: [dev-carbon-sp]
  register: found

- name: Every scheduling policy of the region
  ondemand.batch.scheduling_policy_info:
"""

RETURN = r"""
scheduling_policies:
  description: The scheduling policies found, sorted by name, AWS's defaults filled in.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the policy.
      returned: always
      type: str
      sample: dev-carbon-sp
    arn:
      description: ARN of the policy.
      returned: always
      type: str
      sample: arn:aws:batch:eu-west-1:123456789012:scheduling-policy/dev-carbon-sp
    fairshare_policy:
      description: The fair-share settings.
      returned: always
      type: dict
      contains:
        share_decay_seconds:
          description: Share decay window in seconds.
          returned: always
          type: int
          sample: 3600
        compute_reservation:
          description: Reserved percentage of the maximum vCPUs.
          returned: always
          type: int
          sample: 10
        share_distribution:
          description: Share identifiers and their weight factors, sorted by identifier.
          returned: always
          type: list
          elements: dict
          sample: [{"share_identifier": "carbon", "weight_factor": 0.5}]
    tags:
      description: Tags of the policy.
      returned: always
      type: dict
      sample: {"Environment": "dev"}
"""

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.scheduling_policy import (  # noqa: E402
    describe_result,
    find_policies,
)


def argument_spec():
    return {"names": {"type": "list", "elements": "str", "default": [], "aliases": ["name"]}}


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        policies = find_policies(module.batch_client(), module.params["names"])
    except BatchError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, scheduling_policies=[describe_result(p) for p in policies])


if __name__ == "__main__":
    main()
