#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: scheduling_policies
short_description: Manage many AWS Batch fair-share scheduling policies in one task
version_added: 0.1.0
description:
  - "Creates, updates and deletes AWS Batch fair-share scheduling policies in one module run: O(scheduling_policies)
    lists them, each entry with exactly the options of M(ondemand.batch.scheduling_policy), and each resource is
    reconciled by the same code as that module, with the same rules, results and check mode."
  - "Why a list-form module and not a list option of M(ondemand.batch.scheduling_policy): the per-resource module
    keeps its flat options and its result for playbook authors, while a deployment of many fair-share scheduling
    policies needs one task and one module process for all of them (a loop launches one per item), reads with batched
    calls, and every entry checked before anything is written."
  - "Every entry is validated before any AWS call and every problem of every entry is reported together, each prefixed
    with C(scheduling_policies[<name>].<option>). What needs AWS to check (the existing resources, names to resolve)
    is checked after the reads and still before the first write: when any entry fails then, nothing is written."
  - One paginated C(ListSchedulingPolicies), then one C(DescribeSchedulingPolicies) per 100 policies found, read them
    all; deleting looks the job queues up once (a policy a queue uses is not deleted).
  - Only what differs is written. Creations, updates and deletions are issued per entry, with no waiting.
  - Once writing, an entry that fails does not stop the others; the task then fails with a message naming each failed
    entry and returns every entry's result in RV(scheduling_policies).
  - Check mode makes no write call and predicts, per entry, the action, the fields and the result a real run gives,
    creation included. Diff mode returns one before/after pair per entry.
author:
  - ondemand.batch contributors (@ondemand)
notes:
  - Entries are reconciled in the order AWS requires within the kind; the order across kinds (environments before the
    queues that use them, queues before their schedules) is the playbook's, one task per kind.
  - Needs the permissions of M(ondemand.batch.scheduling_policy).
seealso:
  - module: ondemand.batch.scheduling_policy
extends_documentation_fragment:
  - ondemand.batch.scheduling_policy.list
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's fair-share policies, in one task
  ondemand.batch.scheduling_policies:
    scheduling_policies:
      - name: dev-carbon-fair-share
        share_decay_seconds: 3600
        share_distribution:
          - share_identifier: carbon
            weight_factor: 1
          - share_identifier: reports*
            weight_factor: 2
        tags:
          ondemand:stack: dev-carbon
      - name: dev-carbon-old-sp
        state: absent
"""

RETURN = r"""
scheduling_policies:
  description: One item per entry of O(scheduling_policies), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the entry.
      type: str
      returned: always
    action:
      description:
        - "What the run does (or would do, in check mode): V(create), V(update), V(delete) or V(none)."
      type: str
      returned: always
      sample: update
    changed:
      description: Whether the resource changed (or would change, in check mode).
      type: bool
      returned: always
    changed_fields:
      description:
        - The options that differ (for V(create) and V(delete), the options the resource has), the same in check mode
          and in a real run.
      type: list
      elements: str
      returned: always
      sample: [max_vcpus, tags]
    scheduling_policy:
      description:
        - The policy as M(ondemand.batch.scheduling_policy) returns it in
          RV(ondemand.batch.scheduling_policy#module:scheduling_policy) (empty once deleted).
      type: dict
      returned: unless the entry failed
    failed:
      description: Whether this entry failed (the task then fails).
      type: bool
      returned: when the entry failed
    msg:
      description: Why the entry failed, each problem prefixed with the entry.
      type: str
      returned: when the entry failed
diff:
  description: One before/after pair per entry, with headers naming the resource.
  returned: in diff mode
  type: list
  elements: dict
  contains:
    before:
      description: The resource before the run (the form of RV(scheduling_policies[].scheduling_policy)).
      type: dict
    after:
      description: The resource after the run (predicted in check mode).
      type: dict
    before_header:
      description: C(scheduling_policy <name>).
      type: str
    after_header:
      description: C(scheduling_policy <name>).
      type: str
"""

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import (  # noqa: E402
    SCHEDULING_POLICY_OPTIONS,
    list_argument_spec,
)
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_list_module  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.scheduling_policy import KIND  # noqa: E402


def argument_spec():
    return list_argument_spec("scheduling_policies", SCHEDULING_POLICY_OPTIONS)


def main():
    run_list_module(BatchModule(argument_spec=argument_spec(), supports_check_mode=True), KIND)


if __name__ == "__main__":
    main()
