#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: image_repository
version_added: 0.1.0
short_description: Manage Amazon ECR repositories for AWS Batch jobs
description:
  - Creates, updates and deletes a private Amazon ECR repository in the account's default registry, with its tag
    mutability, scan on push, lifecycle policy and tags.
  - Updates are made in place (PutImageTagMutability, PutImageScanningConfiguration, PutLifecyclePolicy, TagResource,
    UntagResource), each only when its setting differs.
  - A repository that still holds images is deleted only with O(force_delete=true) (its images go with it); without it
    the module fails before any write, naming how many images it holds.
  - Written because M(community.aws.ecs_ecr) cannot tag a repository, fails in check mode when it would create one
    with a lifecycle policy, and reports the changes it would make in check mode as C(skipped).
author:
  - ondemand.batch contributors (@ondemand)
options:
  name:
    description:
      - Name of the repository, 2 to 256 lowercase letters and digits, separated by C(.), C(_), C(__) or C(-) and
        grouped by C(/) (for example V(dev-carbon-app) or V(team/app)).
    type: str
    required: true
    aliases: ["repository_name"]
  state:
    description:
      - Whether the repository exists.
    type: str
    choices: ["present", "absent"]
    default: present
  image_tag_mutability:
    description:
      - V(IMMUTABLE) refuses to push an image under a tag another image already has.
      - Unset leaves an existing repository's setting as it is; a new repository is V(MUTABLE) (AWS's default).
    type: str
    choices: ["MUTABLE", "IMMUTABLE"]
  scan_on_push:
    description:
      - Scan each image for known vulnerabilities when it is pushed (basic scanning).
      - Unset leaves an existing repository's setting as it is; a new repository does not scan (AWS's default).
    type: bool
  lifecycle_policy:
    description:
      - The repository's lifecycle policy document, as a mapping (C(rules) of C(rulePriority), C(description),
        C(selection) and C(action)); compared as data, the order of the rules aside.
      - Checked before any write call for what ECR refuses (empty rules, priorities that are not unique positive
        numbers, a C(tagStatus) other than C(tagged), C(untagged) or C(any), a C(tagStatus=any) rule that is not
        evaluated last).
      - Unset leaves the repository's lifecycle policy as it is.
    type: dict
  purge_lifecycle_policy:
    description:
      - Remove the repository's lifecycle policy. Cannot be combined with O(lifecycle_policy).
    type: bool
    default: false
  force_delete:
    description:
      - With O(state=absent), delete the repository with the images it holds.
    type: bool
    default: false
notes:
  - Check mode makes no write call and predicts the result a real run would return, creation included (STS
    GetCallerIdentity is called for the ARN and URI of a repository that does not exist yet).
  - Repositories are encrypted with AES-256, ECR's default; a KMS key is not supported by this module.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The repository of the dev environment's job image
  ondemand.batch.image_repository:
    name: dev-carbon-app
    image_tag_mutability: IMMUTABLE
    scan_on_push: true
    lifecycle_policy:
      rules:
        - rulePriority: 1
          description: Untagged images expire after a day
          selection: {tagStatus: untagged, countType: sinceImagePushed, countUnit: days, countNumber: 1}
          action: {type: expire}
        - rulePriority: 2
          description: Keep the newest 10 images
          selection: {tagStatus: any, countType: imageCountMoreThan, countNumber: 10}
          action: {type: expire}
    tags:
      Environment: dev
  register: repository

- name: Show where to push
  ansible.builtin.debug:
    msg: "docker push {{ repository.repository.repository_uri }}:v3"

- name: Delete the repository with its images
  ondemand.batch.image_repository:
    name: dev-carbon-app
    state: absent
    force_delete: true
"""

RETURN = r"""
repository:
  description: The repository after the run (predicted in check mode); empty with O(state=absent).
  returned: always
  type: dict
  contains:
    repository_name:
      description: Name of the repository.
      returned: when state=present
      type: str
      sample: dev-carbon-app
    repository_arn:
      description: ARN of the repository.
      returned: when state=present
      type: str
      sample: arn:aws:ecr:eu-west-1:123456789012:repository/dev-carbon-app
    repository_uri:
      description: URI to tag, push and pull images with (C(<uri>:<tag>)).
      returned: when state=present
      type: str
      sample: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/dev-carbon-app
    registry_id:
      description: Account of the registry.
      returned: when state=present
      type: str
      sample: "123456789012"
    image_tag_mutability:
      description: V(MUTABLE) or V(IMMUTABLE).
      returned: when state=present
      type: str
      sample: IMMUTABLE
    scan_on_push:
      description: Whether images are scanned when pushed.
      returned: when state=present
      type: bool
      sample: true
    encryption_type:
      description: Encryption of the repository.
      returned: when state=present
      type: str
      sample: AES256
    lifecycle_policy:
      description: The lifecycle policy (rules in priority order), or null without one.
      returned: when state=present
      type: dict
    tags:
      description: Tags of the repository.
      returned: when state=present
      type: dict
      sample: {"Environment": "dev"}
changed_fields:
  description: The settings the run changed (would change, in check mode); empty for a creation or deletion.
  returned: always
  type: list
  elements: str
  sample: ["lifecycle_policy", "tags"]
diff:
  description: The repository before and after the run, in the form of RV(repository). Returned in diff mode.
  returned: when diff mode is enabled
  type: dict
  contains:
    before:
      description: Before the run (empty when it did not exist).
      returned: when diff mode is enabled
      type: dict
    after:
      description: After the run (empty when it is deleted).
      returned: when diff mode is enabled
      type: dict
"""

from ansible_collections.ondemand.batch.plugins.module_utils.common import BatchModule, get_caller_identity  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError  # noqa: E402
from ansible_collections.ondemand.batch.plugins.module_utils.image_repository import (  # noqa: E402
    changed_fields,
    ensure_absent,
    ensure_present,
    validate_repository_params,
)


def argument_spec():
    return {
        "name": {"type": "str", "required": True, "aliases": ["repository_name"]},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "image_tag_mutability": {"type": "str", "choices": ["MUTABLE", "IMMUTABLE"]},
        "scan_on_push": {"type": "bool"},
        "lifecycle_policy": {"type": "dict"},
        "purge_lifecycle_policy": {"type": "bool", "default": False},
        "force_delete": {"type": "bool", "default": False},
        "tags": {"type": "dict", "aliases": ["resource_tags"]},
        "purge_tags": {"type": "bool", "default": True},
    }


def main():
    module = BatchModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        validate_repository_params(params)
        client = module.retrying_client("ecr")
        if params["state"] == "absent":
            changed, before, after = ensure_absent(client, params["name"], params["force_delete"], module.check_mode)
        else:
            changed, before, after = ensure_present(
                client,
                params["name"],
                {key: params[key] for key in argument_spec() if key not in ("name", "state", "force_delete")},
                check_mode=module.check_mode,
                caller_identity=lambda: get_caller_identity(module.retrying_client("sts")),
                region=module.region,
            )
    except BatchError as e:
        module.fail_json_aws_error(e)

    output = {"changed": changed, "repository": after or {}, "changed_fields": changed_fields(before, after or {})}
    if module._diff:
        output["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**output)


if __name__ == "__main__":
    main()
