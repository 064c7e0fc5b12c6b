#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: scheduling_policy
version_added: 0.1.0
short_description: Manage AWS Batch fair-share scheduling policies
description:
  - Creates, updates in place (UpdateSchedulingPolicy) and deletes AWS Batch fair-share scheduling policies.
  - The fair-share settings are declarative. An option left unset takes AWS's default (the minimum share
    decay window, no compute reservation, no share identifiers), also when the policy is updated.
  - AWS refuses to delete a scheduling policy a job queue uses; the module checks first and fails naming
    those job queues, before any write call.
author:
  - ondemand.batch contributors (@ondemand)
notes:
  - Check mode makes no write call and predicts the result a real run would return (STS GetCallerIdentity
    is called to predict the ARN of a policy that does not exist yet).
extends_documentation_fragment:
  - ondemand.batch.scheduling_policy
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Fair-share policy of the dev environment
  ondemand.batch.scheduling_policy:
    name: dev-carbon-sp
    share_decay_seconds: 3600
    compute_reservation: 10
    share_distribution:
      - share_identifier: carbon
        weight_factor: 0.5
      - share_identifier: adhoc*
        weight_factor: 2
    tags:
      Environment: dev
  register: policy

- name: Use it in a job queue
  ansible.builtin.debug:
    msg: "{{ policy.scheduling_policy.arn }}"

- name: Delete it (fails, naming them, while job queues use it)
  ondemand.batch.scheduling_policy:
    name: dev-carbon-sp
    state: absent
"""

RETURN = r"""
scheduling_policy:
  description:
    - The scheduling policy after the run (predicted in check mode), AWS's defaults filled in and share
      identifiers sorted. Empty with O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the policy.
      returned: when state=present
      type: str
      sample: dev-carbon-sp
    arn:
      description: ARN of the policy.
      returned: when state=present
      type: str
      sample: arn:aws:batch:eu-west-1:123456789012:scheduling-policy/dev-carbon-sp
    fairshare_policy:
      description: The fair-share settings.
      returned: when state=present
      type: dict
      contains:
        share_decay_seconds:
          description: Share decay window in seconds.
          returned: when state=present
          type: int
          sample: 3600
        compute_reservation:
          description: Reserved percentage of the maximum vCPUs.
          returned: when state=present
          type: int
          sample: 10
        share_distribution:
          description: Share identifiers and their weight factors, sorted by identifier.
          returned: when state=present
          type: list
          elements: dict
          sample: [{"share_identifier": "carbon", "weight_factor": 0.5}]
    tags:
      description: Tags of the policy.
      returned: when state=present
      type: dict
      sample: {"Environment": "dev"}
diff:
  description: The policy before and after the run, in the form of RV(scheduling_policy). Returned in diff mode.
  returned: when diff mode is enabled
  type: dict
  contains:
    before:
      description: Before the run (empty when the policy did not exist).
      returned: when diff mode is enabled
      type: dict
    after:
      description: After the run (empty when the policy is deleted).
      returned: when diff mode is enabled
      type: dict
"""

import copy  # noqa: E402

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import SCHEDULING_POLICY_OPTIONS  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_module  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.scheduling_policy import KIND  # noqa: E402


def argument_spec():
    return copy.deepcopy(SCHEDULING_POLICY_OPTIONS)


def main():
    run_module(BatchModule(argument_spec=argument_spec(), supports_check_mode=True), KIND)


if __name__ == "__main__":
    main()
