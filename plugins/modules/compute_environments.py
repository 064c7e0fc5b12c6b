#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: compute_environments
short_description: Manage many AWS Batch compute environments in one task
version_added: 0.1.0
description:
  - "Creates, updates and deletes AWS Batch compute environments in one module run: O(compute_environments) lists
    them, each entry with exactly the options of M(ondemand.batch.compute_environment), and each resource is
    reconciled by the same code as that module, with the same rules, results and check mode."
  - "Why a list-form module and not a list option of M(ondemand.batch.compute_environment): the per-resource module
    keeps its flat options and its result for playbook authors, while a deployment of many compute environments needs
    one task and one module process for all of them (a loop launches one per item), reads with batched calls, and
    every entry checked before anything is written."
  - "Every entry is validated before any AWS call and every problem of every entry is reported together, each prefixed
    with C(compute_environments[<name>].<option>). What needs AWS to check (the existing resources, names to resolve)
    is checked after the reads and still before the first write: when any entry fails then, nothing is written."
  - One C(DescribeComputeEnvironments) per 50 entries reads them all (each name is read with the name of its temporary
    replacement, see O(compute_environments[].replace)); IAM names are looked up once each, and only for settings that
    change.
  - Only what differs is written. Every change is issued first; then the environments that settle (CREATING, UPDATING,
    DELETING) are waited for together, in one polling loop with one C(DescribeComputeEnvironments) per poll for all of
    them. Steps that must follow one another for one environment (disable before delete, the replacement steps) keep
    their order; different environments go on side by side.
  - Once writing, an entry that fails does not stop the others; the task then fails with a message naming each failed
    entry and returns every entry's result in RV(compute_environments).
  - Check mode makes no write call and predicts, per entry, the action, the fields and the result a real run gives,
    creation included. Diff mode returns one before/after pair per entry.
author:
  - ondemand.batch contributors (@ondemand)
notes:
  - Entries are reconciled in the order AWS requires within the kind; the order across kinds (environments before the
    queues that use them, queues before their schedules) is the playbook's, one task per kind.
  - Needs the permissions of M(ondemand.batch.compute_environment).
seealso:
  - module: ondemand.batch.compute_environment
extends_documentation_fragment:
  - ondemand.batch.compute_environment.list
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's compute environments, in one task
  ondemand.batch.compute_environments:
    compute_environments:
      - name: dev-carbon-ce
        compute_resource_type: EC2
        allocation_strategy: BEST_FIT_PROGRESSIVE
        max_vcpus: 16
        instance_types: [optimal]
        subnets: [subnet-0a1b2c3d4e5f60001]
        security_group_ids: [sg-0a1b2c3d4e5f60003]
        instance_role: ecsInstanceRole
        update_to_latest_image_version: true
        tags:
          ondemand:stack: dev-carbon
      - name: dev-carbon-fargate-ce
        compute_resource_type: FARGATE_SPOT
        max_vcpus: 8
        subnets: [subnet-0a1b2c3d4e5f60001]
        security_group_ids: [sg-0a1b2c3d4e5f60003]
        wait_timeout: 600
      - name: dev-carbon-old-ce
        state: absent
        force: true
  register: environments

- name: What would change, without changing it
  ondemand.batch.compute_environments:
    compute_environments: "{{ batch_plan.compute_environments }}"
  check_mode: true
  diff: true
  register: preview

- name: The environments that change
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.action }} {{ item.changed_fields | join(', ') }}"
  loop: "{{ preview.compute_environments | selectattr('changed') }}"
"""

RETURN = r"""
compute_environments:
  description: One item per entry of O(compute_environments), in the same order.
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
        - "What the run does (or would do, in check mode): V(create), V(update) (in place), V(replace) (a new
          environment under the same name and ARN, its queues moved), V(delete) or V(none)."
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
    reason:
      description:
        - Why the resource is replaced though O(compute_environments[].replace) is not set, or updated though no
          option differs (an environment an earlier run left INVALID while IAM propagated, validated again).
      type: str
      returned: when an INVALID compute environment is repaired
      sample: "INVALID: CLIENT_ERROR - The subnet ID 'subnet-1' does not exist"
    compute_environment:
      description:
        - The environment as M(ondemand.batch.compute_environment) returns it in
          RV(ondemand.batch.compute_environment#module:compute_environment) (snake_case DescribeComputeEnvironments
          entry; the prediction in check mode; empty once deleted).
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
      description: The resource before the run (the form of RV(compute_environments[].compute_environment)).
      type: dict
    after:
      description: The resource after the run (predicted in check mode).
      type: dict
    before_header:
      description: C(compute_environment <name>).
      type: str
    after_header:
      description: C(compute_environment <name>).
      type: str
"""

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import (  # noqa: E402
    COMPUTE_ENVIRONMENT_OPTIONS,
    list_argument_spec,
)
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment_ensure import KIND  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_list_module  # noqa: E402


def argument_spec():
    return list_argument_spec("compute_environments", COMPUTE_ENVIRONMENT_OPTIONS)


def main():
    run_list_module(BatchModule(argument_spec=argument_spec(), supports_check_mode=True), KIND)


if __name__ == "__main__":
    main()
