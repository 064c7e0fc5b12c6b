#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_plan
version_added: 0.2.0
short_description: Compile an ondemand.batch stack model into the plan the roles run
description:
  - Runs on the controller (an action plugin). Reads the whole stack model from the host's variables - C(stack_*),
    C(iam_*), C(secrets_*), C(batch_*), C(eventbridge_*), and the extra variables C(prune) and C(adopt) - and compiles
    it once, before anything is written, into the stack plan the roles of this collection loop over.
  - Checks every variable against the roles' argument specs (types, choices, sub-options; a misspelt option or
    variable is refused), applies the defaults, resolves each logical name to its AWS name and predictable ARN,
    and runs every rule of the model - the modules' own validators on the very parameters each module will get,
    and the rules between resources (references, one platform per queue, share identifiers against fair-share
    queues, secrets against environment variables, the reserved C(ondemand:) tags).
  - Then checks read-only what needs AWS, in one step with parallel reads - the credentials' account
    (C(stack_account_id)) and partition, the region, that subnets and security groups exist and share a VPC (or
    that a default VPC exists), that ARNs given in the inventory are in the partition, account and region AWS
    requires - and reads which of the stack's resources exist and who owns them (the C(ondemand:stack) tag). A
    resource of another stack is refused; an untagged one is refused unless adopted (C(-e adopt=true), or
    C(adopt=true) on the entry).
  - "Every problem is reported at once, sorted by inventory path, as C(path: rule (got value)), and the task fails
    before any write call. Secret values are read raw (never templated) and never shown."
  - Last, it decides which resources need a module at all. IAM roles, policies, instance profiles, secrets, the log
    group and the alert topic are compared with what was read; every Batch and EventBridge entry goes through its
    list module's own reconciliation (the code the module runs) in check mode, starting from what was read. What
    would stay as it is leaves the C(run) lists and is listed in C(unchanged); what would change, fails or warns
    there, or names a resource that changes in the same run stays for its module to decide.
  - The plan holds no secret value. It is returned as the fact C(stack_plan).
author:
  - ondemand.batch contributors (@ondemand)
options:
  state:
    description:
      - V(present) plans a deploy (with C(-e prune=true), also the removal of what carries the stack's tag but is
        no longer in the model); V(absent) plans a destroy (the model's resources and everything tagged as the
        stack's, in reverse order).
    type: str
    choices: [present, absent]
    default: present
  confirmed:
    description:
      - With O(state=absent), whether the destroy is confirmed already (C(-e confirm=true)). When V(false), the
        plan fails before any call unless O(confirmation) is the stack's name.
    type: bool
    default: true
  confirmation:
    description: With O(state=absent) and O(confirmed=false), what the user typed at the prompt.
    type: str
  read_aws:
    description:
      - Make the read-only AWS step. V(false) compiles the model without any AWS call (the account is then
        C(000000000000) and nothing is known to exist), to validate an inventory offline.
    type: bool
    default: true
notes:
  - Supports check mode (it never writes) and runs on the controller; connection options come from
    C(module_defaults) like those of every module of this collection.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Compile the stack plan (every problem of the model is reported here, before any write)
  ondemand.batch.stack_plan:

- name: Plan the destroy of the stack
  ondemand.batch.stack_plan:
    state: absent

- name: Validate an inventory without AWS
  ondemand.batch.stack_plan:
    read_aws: false
"""

RETURN = r"""
stack_plan:
  description:
    - The plan, also set as the fact C(stack_plan). Per part of the stack, the parameters each module gets.
  returned: success
  type: dict
  contains:
    stack:
      description: Name, region, account id and partition of the stack, and its membership tag.
      type: dict
      returned: always
      sample: {"name": "dev-carbon", "region": "eu-west-1", "account_id": "123456789012", "partition": "aws"}
    iam:
      description: IAM roles, instance profiles and inline policies to ensure, and what to remove.
      type: dict
      returned: always
    secrets:
      description: Secrets to ensure (names, ARNs, tags; never a value) and to delete.
      type: dict
      returned: always
    batch:
      description: Log group, compute environments, scheduling policies, job queues and job definitions.
      type: dict
      returned: always
    eventbridge:
      description: Schedules, the alert topic and rule, and what to remove.
      type: dict
      returned: always
    resources:
      description: Every resource of the model with its kind, name, ARN, whether it exists, and the expected action.
      type: list
      elements: dict
      returned: when AWS was read
    orphans:
      description: Resources tagged as members of the stack that the model no longer has, by kind.
      type: dict
      returned: when AWS was read
    unchanged:
      description:
        - Resources found as the model wants them (kind and name), left out of the C(run) lists the roles hand to
          the modules; the plan summary shows them with the action C(none).
      type: list
      elements: dict
      returned: when AWS was read
      sample: [{"kind": "job_definition", "name": "dev-carbon-jd"}]
problems:
  description: "Every problem of the model, C(path: rule), sorted by path."
  returned: failure
  type: list
  elements: str
  sample: ["batch_compute_environments[ce].min_vcpus: must be at least 0 (got -2)"]
"""

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402


def argument_spec():
    return {
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "read_aws": {"type": "bool", "default": True},
        "confirmed": {"type": "bool", "default": True},
        "confirmation": {"type": "str"},
    }


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.fail_json(
        msg="ondemand.batch.stack_plan runs on the controller as an action plugin; call it from a playbook"
    )


if __name__ == "__main__":
    main()
