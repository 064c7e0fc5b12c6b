"""image_repository: ECR's rules before any call, and the ensure functions against an in-memory ECR."""

import copy
import json

import pytest
from botocore.exceptions import ClientError

from ansible_collections.ondemand.batch.plugins.module_utils import image_repository as ecr
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError

ACCOUNT = "123456789012"
NAME = "dev-carbon-app"
ARN = f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{NAME}"
URI = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/{NAME}"
POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "untagged images expire after a day",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "keep the newest 10 images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
            "action": {"type": "expire"},
        },
    ]
}
DESIRED = {
    "image_tag_mutability": "IMMUTABLE",
    "scan_on_push": True,
    "lifecycle_policy": POLICY,
    "tags": {"ondemand:stack": "dev-carbon"},
    "purge_tags": True,
}


def error(code):
    return ClientError({"Error": {"Code": code, "Message": code}}, "call")


class FakeEcr:
    """ECR with one account's repositories in memory; records every call by its API name."""

    def __init__(self):
        self.repositories, self.policies, self.tags, self.images = {}, {}, {}, {}
        self.calls = []

    def _repository(self, name):
        if name not in self.repositories:
            raise error("RepositoryNotFoundException")
        return self.repositories[name]

    def describe_repositories(self, repositoryNames, aws_retry):
        self.calls.append("DescribeRepositories")
        return {"repositories": [copy.deepcopy(self._repository(n)) for n in repositoryNames]}

    def get_lifecycle_policy(self, repositoryName, aws_retry):
        self.calls.append("GetLifecyclePolicy")
        self._repository(repositoryName)
        if repositoryName not in self.policies:
            raise error("LifecyclePolicyNotFoundException")
        return {"lifecyclePolicyText": self.policies[repositoryName]}

    def list_tags_for_resource(self, resourceArn, aws_retry):
        self.calls.append("ListTagsForResource")
        return {"tags": [{"Key": k, "Value": v} for k, v in self.tags.get(resourceArn, {}).items()]}

    def list_images(self, repositoryName, maxResults, aws_retry):
        self.calls.append("ListImages")
        return {"imageIds": list(self.images.get(repositoryName, []))}

    def create_repository(self, repositoryName, imageTagMutability, imageScanningConfiguration, tags, aws_retry):
        self.calls.append("CreateRepository")
        arn = f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{repositoryName}"
        self.repositories[repositoryName] = {
            "repositoryName": repositoryName,
            "repositoryArn": arn,
            "repositoryUri": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/{repositoryName}",
            "registryId": ACCOUNT,
            "imageTagMutability": imageTagMutability,
            "imageScanningConfiguration": dict(imageScanningConfiguration),
            "encryptionConfiguration": {"encryptionType": "AES256"},
        }
        self.tags[arn] = {t["Key"]: t["Value"] for t in tags}
        return {"repository": copy.deepcopy(self.repositories[repositoryName])}

    def put_image_tag_mutability(self, repositoryName, imageTagMutability, aws_retry):
        self.calls.append("PutImageTagMutability")
        self._repository(repositoryName)["imageTagMutability"] = imageTagMutability

    def put_image_scanning_configuration(self, repositoryName, imageScanningConfiguration, aws_retry):
        self.calls.append("PutImageScanningConfiguration")
        self._repository(repositoryName)["imageScanningConfiguration"] = dict(imageScanningConfiguration)

    def put_lifecycle_policy(self, repositoryName, lifecyclePolicyText, aws_retry):
        self.calls.append("PutLifecyclePolicy")
        self._repository(repositoryName)
        self.policies[repositoryName] = lifecyclePolicyText

    def delete_lifecycle_policy(self, repositoryName, aws_retry):
        self.calls.append("DeleteLifecyclePolicy")
        del self.policies[repositoryName]

    def tag_resource(self, resourceArn, tags, aws_retry):
        self.calls.append("TagResource")
        self.tags.setdefault(resourceArn, {}).update({t["Key"]: t["Value"] for t in tags})

    def untag_resource(self, resourceArn, tagKeys, aws_retry):
        self.calls.append("UntagResource")
        for key in tagKeys:
            self.tags.get(resourceArn, {}).pop(key, None)

    def delete_repository(self, repositoryName, force, aws_retry):
        self.calls.append("DeleteRepository")
        if self.images.get(repositoryName) and not force:
            raise error("RepositoryNotEmptyException")
        del self.repositories[repositoryName]


def identity(partition="aws"):
    return lambda: {"Account": ACCOUNT, "Arn": f"arn:{partition}:iam::{ACCOUNT}:user/ci"}


def writes(client):
    return [call for call in client.calls if not call.startswith(("Describe", "Get", "List"))]


# ------------------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "params, field, rule",
    [
        ({"name": "Dev-Carbon-App"}, "name", "lowercase"),
        ({"name": "a"}, "name", "2-256"),
        ({"name": "app-"}, "name", "ECR's repository name pattern"),
        ({"name": NAME, "lifecycle_policy": {"rules": []}}, "lifecycle_policy.rules", "non-empty list"),
        (
            {
                "name": NAME,
                "lifecycle_policy": {"rules": [POLICY["rules"][0], {**POLICY["rules"][1], "rulePriority": 1}]},
            },
            "lifecycle_policy.rules[1].rulePriority",
            "also the priority of rules[0]",
        ),
        (
            {
                "name": NAME,
                "lifecycle_policy": {
                    "rules": [{**POLICY["rules"][1], "rulePriority": 1}, {**POLICY["rules"][0], "rulePriority": 2}]
                },
            },
            "lifecycle_policy.rules",
            "tagStatus any must have the highest rulePriority",
        ),
        (
            {"name": NAME, "lifecycle_policy": POLICY, "purge_lifecycle_policy": True},
            "purge_lifecycle_policy",
            "cannot be combined",
        ),
        ({"name": NAME, "tags": {"aws:owner": "x"}}, "tags", "reserved by AWS"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_rule(params, field, rule):
    with pytest.raises(BatchValidationError) as info:
        ecr.validate_repository_params(params)
    assert any(f == field and rule in r for f, r in info.value.problems), info.value.problems


def test_the_registry_domain_follows_the_partition():
    assert ecr.repository_uri(ACCOUNT, "eu-west-1", "aws", NAME) == URI
    assert ecr.repository_uri(ACCOUNT, "cn-north-1", "aws-cn", NAME) == (
        f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/{NAME}"
    )


# ------------------------------------------------------------------------------------------------ ensure_present
def test_check_mode_predicts_the_creation_without_a_write():
    client = FakeEcr()
    changed, before, after = ecr.ensure_present(client, NAME, DESIRED, True, identity(), "eu-west-1")
    assert (changed, before, writes(client)) == (True, None, [])
    assert after == {
        "repository_name": NAME,
        "repository_arn": ARN,
        "repository_uri": URI,
        "registry_id": ACCOUNT,
        "image_tag_mutability": "IMMUTABLE",
        "scan_on_push": True,
        "encryption_type": "AES256",
        "lifecycle_policy": POLICY,
        "tags": {"ondemand:stack": "dev-carbon"},
    }
    real = FakeEcr()
    assert ecr.ensure_present(real, NAME, DESIRED, False, identity(), "eu-west-1") == (True, None, after)
    assert writes(real) == ["CreateRepository", "PutLifecyclePolicy"]  # tags and scanning at creation


def test_a_second_run_changes_nothing_in_three_reads():
    client = FakeEcr()
    ecr.ensure_present(client, NAME, DESIRED, False, identity(), "eu-west-1")
    client.calls.clear()
    changed, before, after = ecr.ensure_present(client, NAME, DESIRED, False, identity(), "eu-west-1")
    assert (changed, before == after) == (False, True)
    assert client.calls == ["DescribeRepositories", "GetLifecyclePolicy", "ListTagsForResource"]


def test_each_setting_that_differs_is_written_once_and_predicted_the_same_in_check_mode():
    client = FakeEcr()
    ecr.ensure_present(client, NAME, DESIRED, False, identity(), "eu-west-1")
    client.tags[ARN]["added-by-hand"] = "x"
    keep_five = json.loads(json.dumps(POLICY))
    keep_five["rules"][1]["selection"]["countNumber"] = 5
    desired = dict(DESIRED, image_tag_mutability="MUTABLE", lifecycle_policy=keep_five)
    client.calls.clear()
    predicted = ecr.ensure_present(client, NAME, desired, True, identity(), "eu-west-1")
    assert writes(client) == []
    changed, before, after = ecr.ensure_present(client, NAME, desired, False, identity(), "eu-west-1")
    assert (changed, before, after) == predicted
    assert ecr.changed_fields(before, after) == ["image_tag_mutability", "lifecycle_policy", "tags"]
    assert writes(client) == ["PutImageTagMutability", "PutLifecyclePolicy", "UntagResource"]
    assert after["tags"] == {"ondemand:stack": "dev-carbon"}


def test_unset_settings_are_left_as_they_are():
    client = FakeEcr()
    ecr.ensure_present(client, NAME, DESIRED, False, identity(), "eu-west-1")
    client.calls.clear()
    changed, _before, after = ecr.ensure_present(client, NAME, {"tags": None}, False, identity(), "eu-west-1")
    assert (changed, writes(client)) == (False, [])
    assert after["lifecycle_policy"] == POLICY and after["image_tag_mutability"] == "IMMUTABLE"
    changed, _before, after = ecr.ensure_present(
        client, NAME, {"purge_lifecycle_policy": True}, False, identity(), "eu-west-1"
    )
    assert (changed, after["lifecycle_policy"], writes(client)) == (True, None, ["DeleteLifecyclePolicy"])


# ------------------------------------------------------------------------------------------------ ensure_absent
def test_a_repository_with_images_is_only_deleted_with_force():
    client = FakeEcr()
    ecr.ensure_present(client, NAME, DESIRED, False, identity(), "eu-west-1")
    client.images[NAME] = [{"imageDigest": "sha256:1", "imageTag": "v1"}, {"imageDigest": "sha256:1", "imageTag": "v2"}]
    for check_mode in (True, False):
        with pytest.raises(BatchError) as info:
            ecr.ensure_absent(client, NAME, force=False, check_mode=check_mode)
        assert "still holds 1 image(s)" in str(info.value) and "force_delete" in str(info.value)
    assert "DeleteRepository" not in client.calls
    changed, before, after = ecr.ensure_absent(client, NAME, force=True)
    assert (changed, before["repository_name"], after) == (True, NAME, None)
    assert ecr.ensure_absent(client, NAME, force=True) == (False, None, None)


def test_an_empty_repository_is_deleted_and_check_mode_only_predicts_it():
    client = FakeEcr()
    ecr.ensure_present(client, NAME, DESIRED, False, identity(), "eu-west-1")
    assert ecr.ensure_absent(client, NAME, check_mode=True)[0] is True
    assert NAME in client.repositories
    assert ecr.ensure_absent(client, NAME)[0] is True
    assert NAME not in client.repositories
