# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon ECR repositories: validation, names and URIs, one wrapper per ECR call, and the ensure functions.

``ensure_present(client, name, desired, ...)`` and ``ensure_absent(client, name, ...)`` return
``(changed, before, after)``; check mode makes no write call and predicts ``after`` (creation included).
"""

import copy
import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError
from ansible_collections.ondemand.batch.plugins.module_utils.tagging import resulting_tags, tag_changes
from ansible_collections.ondemand.batch.plugins.module_utils.validation import collects_problems

# ECR's repository name pattern (botocore's service model), 2 to 256 characters.
REPOSITORY_NAME_RE = re.compile(
    r"^(?=.{2,256}\Z)[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*\Z"
)
REPOSITORY_NAME_RULE = (
    "must be 2-256 lowercase letters and digits, separated by '.', '_', '__' or '-' and grouped by '/' "
    "(ECR's repository name pattern)"
)
TAG_MUTABILITY = ("MUTABLE", "IMMUTABLE")
TAG_STATUSES = ("tagged", "untagged", "any")
# The registry's domain in each partition: <account>.dkr.ecr.<region>.<domain>.
DNS_SUFFIXES = {
    "aws": "amazonaws.com",
    "aws-us-gov": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
}


class EcrErrorHandler(AWSErrorHandler):
    """AWSErrorHandler for ECR: a missing repository, lifecycle policy or tag target counts as missing."""

    _CUSTOM_EXCEPTION = BatchError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["RepositoryNotFoundException", "LifecyclePolicyNotFoundException"])


# ---------------------------------------------------------------------------------------------- names
def registry_domain(account, region, partition="aws"):
    """``<account>.dkr.ecr.<region>.amazonaws.com`` (``.amazonaws.com.cn`` in aws-cn)."""
    return f"{account}.dkr.ecr.{region}.{DNS_SUFFIXES.get(partition, 'amazonaws.com')}"


def repository_uri(account, region, partition, name):
    return f"{registry_domain(account, region, partition)}/{name}"


def repository_arn(account, region, partition, name):
    return f"arn:{partition}:ecr:{region}:{account}:repository/{name}"


# ---------------------------------------------------------------------------------------------- validation
@collects_problems
def validate_repository_params(params, problems=None):
    """Every rule of the module's parameters that needs no AWS call, added to ``problems`` (raised without)."""
    name = params.get("name")
    if not isinstance(name, str) or not REPOSITORY_NAME_RE.match(name):
        problems.add("name", f"{REPOSITORY_NAME_RULE} (got {name!r})")
    if (params.get("state") or "present") == "absent":
        return
    if params.get("lifecycle_policy") is not None and params.get("purge_lifecycle_policy"):
        problems.add("purge_lifecycle_policy", "cannot be combined with lifecycle_policy")
    policy = params.get("lifecycle_policy")
    if policy is not None:
        validate_lifecycle_policy(policy, problems=problems)
    for key in params.get("tags") or {}:
        if str(key).lower().startswith("aws:"):
            problems.add("tags", f"keys starting with 'aws:' are reserved by AWS (got {key!r})")


@collects_problems
def validate_lifecycle_policy(policy, problems=None):
    """The lifecycle policy rules ECR checks on PutLifecyclePolicy that can be checked here."""
    rules = policy.get("rules") if isinstance(policy, dict) else None
    if not isinstance(rules, list) or not rules:
        problems.add("lifecycle_policy.rules", "must be a non-empty list of rules")
        return
    priorities = {}
    for index, rule in enumerate(rules):
        field = f"lifecycle_policy.rules[{index}]"
        if not isinstance(rule, dict):
            problems.add(field, "must be a mapping")
            continue
        priority = rule.get("rulePriority")
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
            problems.add(f"{field}.rulePriority", f"must be a positive whole number (got {priority!r})")
        elif priority in priorities:
            problems.add(f"{field}.rulePriority", f"{priority} is also the priority of rules[{priorities[priority]}]")
        else:
            priorities[priority] = index
        selection = rule.get("selection") or {}
        status = selection.get("tagStatus")
        if status not in TAG_STATUSES:
            problems.add(f"{field}.selection.tagStatus", f"must be one of {', '.join(TAG_STATUSES)} (got {status!r})")
        count = selection.get("countNumber")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            problems.add(f"{field}.selection.countNumber", f"must be a positive whole number (got {count!r})")
    any_rules = [r for r in rules if isinstance(r, dict) and (r.get("selection") or {}).get("tagStatus") == "any"]
    highest = max(priorities, default=None)
    for rule in any_rules:
        if isinstance(rule.get("rulePriority"), int) and rule["rulePriority"] != highest:
            problems.add(
                "lifecycle_policy.rules",
                f"a rule with tagStatus any must have the highest rulePriority (ECR evaluates it last; got "
                f"{rule['rulePriority']}, highest {highest})",
            )


def normalize_lifecycle_policy(policy):
    """A lifecycle policy as compared: parsed, rules in priority order (ECR keeps them as given)."""
    if policy is None:
        return None
    if isinstance(policy, str):
        policy = json.loads(policy)
    policy = copy.deepcopy(policy)
    if isinstance(policy.get("rules"), list):
        policy["rules"] = sorted(policy["rules"], key=lambda rule: rule.get("rulePriority") or 0)
    return policy


# ---------------------------------------------------------------------------------------------- ECR calls
@EcrErrorHandler.list_error_handler("describe the repository")
def describe_repository(client, name):
    return client.describe_repositories(repositoryNames=[name], aws_retry=True)["repositories"][0]


@EcrErrorHandler.list_error_handler("get the lifecycle policy")
def get_lifecycle_policy(client, name):
    return json.loads(client.get_lifecycle_policy(repositoryName=name, aws_retry=True)["lifecyclePolicyText"])


@EcrErrorHandler.common_error_handler("list the repository's tags")
def list_tags(client, arn):
    tags = client.list_tags_for_resource(resourceArn=arn, aws_retry=True).get("tags") or []
    return {tag["Key"]: tag["Value"] for tag in tags}


@EcrErrorHandler.list_error_handler("list the repository's images", default_value=[])
def list_image_ids(client, name):
    images, token = [], None
    while True:
        answer = client.list_images(
            repositoryName=name, maxResults=1000, aws_retry=True, **({"nextToken": token} if token else {})
        )
        images += answer.get("imageIds") or []
        token = answer.get("nextToken")
        if not token:
            return images


@EcrErrorHandler.common_error_handler("create the repository")
def create_repository(client, name, mutability, scan_on_push, tags):
    return client.create_repository(
        repositoryName=name,
        imageTagMutability=mutability,
        imageScanningConfiguration={"scanOnPush": scan_on_push},
        tags=[{"Key": key, "Value": value} for key, value in sorted(tags.items())],
        aws_retry=True,
    )["repository"]


@EcrErrorHandler.common_error_handler("set the repository's tag mutability")
def put_image_tag_mutability(client, name, mutability):
    client.put_image_tag_mutability(repositoryName=name, imageTagMutability=mutability, aws_retry=True)


@EcrErrorHandler.common_error_handler("set the repository's scan on push")
def put_image_scanning_configuration(client, name, scan_on_push):
    client.put_image_scanning_configuration(
        repositoryName=name, imageScanningConfiguration={"scanOnPush": scan_on_push}, aws_retry=True
    )


@EcrErrorHandler.common_error_handler("put the lifecycle policy")
def put_lifecycle_policy(client, name, policy):
    client.put_lifecycle_policy(
        repositoryName=name, lifecyclePolicyText=json.dumps(policy, sort_keys=True), aws_retry=True
    )


@EcrErrorHandler.deletion_error_handler("delete the lifecycle policy")
def delete_lifecycle_policy(client, name):
    client.delete_lifecycle_policy(repositoryName=name, aws_retry=True)
    return True


@EcrErrorHandler.common_error_handler("update the repository's tags")
def update_tags(client, arn, to_set, to_unset):
    if to_unset:
        client.untag_resource(resourceArn=arn, tagKeys=to_unset, aws_retry=True)
    if to_set:
        tags = [{"Key": key, "Value": value} for key, value in sorted(to_set.items())]
        client.tag_resource(resourceArn=arn, tags=tags, aws_retry=True)


@EcrErrorHandler.deletion_error_handler("delete the repository")
def delete_repository(client, name, force):
    client.delete_repository(repositoryName=name, force=force, aws_retry=True)
    return True


# ---------------------------------------------------------------------------------------------- results
def to_result(repository, lifecycle_policy, tags):
    """The repository as this module returns it: snake_case keys, tags as a dict, the lifecycle policy parsed."""
    return {
        "repository_name": repository["repositoryName"],
        "repository_arn": repository["repositoryArn"],
        "repository_uri": repository["repositoryUri"],
        "registry_id": repository.get("registryId"),
        "image_tag_mutability": repository.get("imageTagMutability") or "MUTABLE",
        "scan_on_push": bool((repository.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        "encryption_type": (repository.get("encryptionConfiguration") or {}).get("encryptionType") or "AES256",
        "lifecycle_policy": normalize_lifecycle_policy(lifecycle_policy),
        "tags": dict(tags or {}),
    }


COMPARED_FIELDS = ("image_tag_mutability", "scan_on_push", "lifecycle_policy", "tags")


def changed_fields(before, after):
    """The settings that differ, for an update (a creation or deletion changes the whole repository)."""
    if not before or not after:
        return []
    return [field for field in COMPARED_FIELDS if before.get(field) != after.get(field)]


# ---------------------------------------------------------------------------------------------- ensure
def ensure_present(client, name, desired, check_mode=False, caller_identity=None, region=None):
    """Create the repository or bring its settings to ``desired``; ``(changed, before, after)``.

    ``desired``: ``image_tag_mutability`` and ``scan_on_push`` (None leaves them as they are; AWS's defaults on
    creation), ``lifecycle_policy`` (a dict; None leaves it), ``purge_lifecycle_policy``, ``tags`` (None leaves
    them) and ``purge_tags``. ``caller_identity()`` gives STS's answer, for the ARN and URI check mode predicts.
    """
    mutability = desired.get("image_tag_mutability")
    scan = desired.get("scan_on_push")
    policy = normalize_lifecycle_policy(desired.get("lifecycle_policy"))
    purge_policy = bool(desired.get("purge_lifecycle_policy"))
    current = describe_repository(client, name)
    if current is None:
        tags = resulting_tags({}, desired.get("tags"), desired.get("purge_tags", True))
        if check_mode:
            identity = caller_identity()
            partition = identity["Arn"].split(":")[1]
            repository = {
                "repositoryName": name,
                "repositoryArn": repository_arn(identity["Account"], region, partition, name),
                "repositoryUri": repository_uri(identity["Account"], region, partition, name),
                "registryId": identity["Account"],
                "imageTagMutability": mutability or "MUTABLE",
                "imageScanningConfiguration": {"scanOnPush": bool(scan)},
                "encryptionConfiguration": {"encryptionType": "AES256"},
            }
        else:
            repository = create_repository(client, name, mutability or "MUTABLE", bool(scan), tags)
            if policy is not None:
                put_lifecycle_policy(client, name, policy)
        return True, None, to_result(repository, policy, tags)

    current_policy = get_lifecycle_policy(client, name)
    current_tags = list_tags(client, current["repositoryArn"])
    before = to_result(current, current_policy, current_tags)
    after = copy.deepcopy(before)
    if mutability is not None:
        after["image_tag_mutability"] = mutability
    if scan is not None:
        after["scan_on_push"] = bool(scan)
    if policy is not None:
        after["lifecycle_policy"] = policy
    elif purge_policy:
        after["lifecycle_policy"] = None
    to_set, to_unset = tag_changes(current_tags, desired.get("tags"), desired.get("purge_tags", True))
    after["tags"] = resulting_tags(current_tags, desired.get("tags"), desired.get("purge_tags", True))
    changed = before != after
    if changed and not check_mode:
        if after["image_tag_mutability"] != before["image_tag_mutability"]:
            put_image_tag_mutability(client, name, after["image_tag_mutability"])
        if after["scan_on_push"] != before["scan_on_push"]:
            put_image_scanning_configuration(client, name, after["scan_on_push"])
        if after["lifecycle_policy"] != before["lifecycle_policy"]:
            if after["lifecycle_policy"] is None:
                delete_lifecycle_policy(client, name)
            else:
                put_lifecycle_policy(client, name, after["lifecycle_policy"])
        if to_set or to_unset:
            update_tags(client, current["repositoryArn"], to_set, to_unset)
    return changed, before, after


def ensure_absent(client, name, force=False, check_mode=False):
    """Delete the repository; one that holds images only with ``force`` (images are data). ``(changed, before,
    None)``; check mode reports the same refusal without a write."""
    current = describe_repository(client, name)
    if current is None:
        return False, None, None
    before = to_result(current, get_lifecycle_policy(client, name), list_tags(client, current["repositoryArn"]))
    if not force:
        images = {image.get("imageDigest") for image in list_image_ids(client, name)}
        if images:
            raise BatchError(
                message=(
                    f"Repository {name} still holds {len(images)} image(s); they would be deleted with it. Delete them "
                    "first, or set force_delete to delete the repository with its images."
                )
            )
    if not check_mode:
        delete_repository(client, name, force)
    return True, before, None
