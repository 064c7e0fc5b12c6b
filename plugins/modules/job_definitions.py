#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: job_definitions
short_description: Register and deregister many AWS Batch job definitions in one task
version_added: 0.1.0
description:
  - "Creates, updates and deletes AWS Batch job definitions in one module run: O(job_definitions) lists them, each
    entry with exactly the options of M(ondemand.batch.job_definition), and each resource is reconciled by the same
    code as that module, with the same rules, results and check mode."
  - "Why a list-form module and not a list option of M(ondemand.batch.job_definition): the per-resource module keeps
    its flat options and its result for playbook authors, while a deployment of many job definitions needs one task
    and one module process for all of them (a loop launches one per item), reads with batched calls, and every entry
    checked before anything is written."
  - "Every entry is validated before any AWS call and every problem of every entry is reported together, each prefixed
    with C(job_definitions[<name>].<option>). What needs AWS to check (the existing resources, names to resolve) is
    checked after the reads and still before the first write: when any entry fails then, nothing is written."
  - "C(DescribeJobDefinitions) with C(jobDefinitions) (up to 100 names a call, C(nextToken) followed) reads every
    revision of every entry at once: a no-change run of N definitions makes about N/100 reads (more when names have
    many revisions, since that call cannot filter on status: it returns INACTIVE revisions too, which tell check mode
    the next revision number without another call) and no write. A hundred names of which none exists yet (a first
    deploy) are read again one by one with C(jobDefinitionName), so that a Batch that takes only C(name:revision)
    entries there can never make existing definitions look new. Partial Secrets Manager ARNs are resolved once
    each, see O(job_definitions[].secrets)."
  - Only what differs is written. Registrations, tag changes and deregistrations are issued per entry, with no waiting
    (job definitions have no status to wait for).
  - Once writing, an entry that fails does not stop the others; the task then fails with a message naming each failed
    entry and returns every entry's result in RV(job_definitions).
  - Check mode makes no write call and predicts, per entry, the action, the fields and the result a real run gives,
    creation included. Diff mode returns one before/after pair per entry.
author:
  - ondemand.batch contributors (@ondemand)
notes:
  - Entries are reconciled in the order AWS requires within the kind; the order across kinds (environments before the
    queues that use them, queues before their schedules) is the playbook's, one task per kind.
  - Needs the permissions of M(ondemand.batch.job_definition).
seealso:
  - module: ondemand.batch.job_definition
extends_documentation_fragment:
  - ondemand.batch.job_definition.list
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's job definitions, in one task
  ondemand.batch.job_definitions:
    job_definitions:
      - name: dev-carbon-jd
        image: public.ecr.aws/amazonlinux/amazonlinux:latest
        command: [echo, hello world]
        vcpus: 1
        memory: 2048
        environment:
          LOG_LEVEL: INFO
        secrets:
          # A partial ARN (no 6-character suffix): resolved to the secret's full ARN.
          MY_SECRET: arn:aws:secretsmanager:eu-west-1:123456789012:secret:/carbon/dev/MY_SECRET
        execution_role_arn: arn:aws:iam::123456789012:role/dev-carbon-execution-role
        keep_revisions: 5
        tags:
          ondemand:stack: dev-carbon
      - name: dev-carbon-report-jd
        platform: FARGATE
        image: public.ecr.aws/amazonlinux/amazonlinux:latest
        command: [echo, report]
        vcpus: 0.25
        memory: 512
        execution_role_arn: arn:aws:iam::123456789012:role/dev-carbon-execution-role
      - name: dev-carbon-old-jd
        state: absent
"""

RETURN = r"""
job_definitions:
  description: One item per entry of O(job_definitions), in the same order.
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
        - "What the run does (or would do, in check mode): V(create) (the first revision), V(update) (a new revision,
          tags, or old revisions deregistered), V(delete) or V(none)."
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
    job_definition:
      description:
        - The latest C(ACTIVE) revision as M(ondemand.batch.job_definition) returns it in
          RV(ondemand.batch.job_definition#module:job_definition) (the prediction in check mode; empty after
          O(job_definitions[].state=absent)).
      type: dict
      returned: unless the entry failed
    deregistered:
      description: ARNs of the revisions deregistered (or that would be, in check mode).
      type: list
      elements: str
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
      description: The resource before the run (the form of RV(job_definitions[].job_definition)).
      type: dict
    after:
      description: The resource after the run (predicted in check mode).
      type: dict
    before_header:
      description: C(job_definition <name>).
      type: str
    after_header:
      description: C(job_definition <name>).
      type: str
"""

from ansible_collections.ondemand.batch.plugins.module_utils.args_common import (  # noqa: E402
    JOB_DEFINITION_OPTIONS,
    list_argument_spec,
)
from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.job_definition import (  # noqa: E402
    KIND,
    unreferenced_secret_values,
)
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_list_module  # noqa: E402


def argument_spec():
    return list_argument_spec("job_definitions", JOB_DEFINITION_OPTIONS)


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True)
    # A value where a secret reference belongs may be a pasted secret: mask it in every output.
    for entry in module.params["job_definitions"]:
        for value in unreferenced_secret_values(entry):
            module.no_log_values.add(value)
    run_list_module(module, KIND)


if __name__ == "__main__":
    main()
