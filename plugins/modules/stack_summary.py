#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_summary
version_added: 0.2.0
short_description: Print the plan summary of an ondemand.batch deploy or destroy, and write its outputs
description:
  - Runs on the controller (an action plugin), at the end of C(playbooks/deploy.yml) and C(playbooks/destroy.yml).
  - "Prints one table - every resource of the stack with its kind, name, action (C(create), C(adopt), C(update),
    C(replace), C(delete), C(none)) and, for updates, the fields that change - then the totals, for example
    C(Plan: 2 to add, 0 to adopt, 1 to change, 0 to replace, 0 to destroy.) in check mode and
    C(Apply complete: 2 added, 0 adopted, 1 changed, 0 replaced, 0 destroyed.) otherwise."
  - Built from the fact C(stack_plan) (M(ondemand.batch.stack_plan)) and the results the roles of this collection
    registered; in check mode the actions are the predicted ones.
  - Outside check mode, writes the names and ARNs of the stack's resources and the summary (never a secret value)
    as JSON to C(<outputs_dir>/<inventory name>.json).
author:
  - ondemand.batch contributors (@ondemand)
options:
  write_outputs:
    description: Write the outputs file (never in check mode).
    type: bool
    default: true
  outputs_dir:
    description:
      - Directory of the outputs file. Defaults to C(stack_outputs_dir), else C(./outputs) in the directory the
        command runs from (never inside the collection).
    type: str
notes:
  - Supports check mode; makes no AWS call.
"""

EXAMPLES = r"""
- name: Summarise the deploy and write the outputs
  ondemand.batch.stack_summary:

- name: Summarise a destroy (no outputs file)
  ondemand.batch.stack_summary:
    write_outputs: false
"""

RETURN = r"""
summary:
  description: The rows of the table, the totals per action, and whether they are predictions (check mode).
  returned: always
  type: dict
  sample:
    rows:
      - {kind: compute_environment, name: dev-carbon-ce, action: update, changed_fields: [max_vcpus], arn: "arn:..."}
    totals: {create: 0, adopt: 0, update: 1, replace: 0, delete: 0, none: 14}
    check_mode: false
outputs:
  description: Names and ARNs of the stack's resources by part of the stack, and the summary.
  returned: always
  type: dict
outputs_file:
  description: Path of the outputs file written.
  returned: when written
  type: str
  sample: /home/me/batch/outputs/dev.json
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


def argument_spec():
    return {"write_outputs": {"type": "bool", "default": True}, "outputs_dir": {"type": "str"}}


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.fail_json(
        msg="ondemand.batch.stack_summary runs on the controller as an action plugin; call it from a playbook"
    )


if __name__ == "__main__":
    main()
