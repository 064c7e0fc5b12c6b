"""ECR as a stack uses it: repositories, lifecycle policies, (fake) image pushes, tags, tokens, the Tagging API."""

import base64
import datetime
import hashlib
import json

import boto3
import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "keep the last 10 images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
            "action": {"type": "expire"},
        }
    ]
}


def manifest(size):
    """A Docker image manifest a test can push with PutImage (no layers are uploaded)."""
    config = {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": size,
        "digest": "sha256:" + "a" * 64,
    }
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": config,
            "layers": [],
        }
    )


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def ecr(aws):
    return aws.client("ecr")


def test_repositories_lifecycle_policies_images_and_deletion(ecr):
    created = ecr.create_repository(
        repositoryName="team/app",
        tags=[{"Key": "ondemand:stack", "Value": "dev"}],
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
    )["repository"]
    assert created["repositoryArn"] == f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/team/app"
    assert created["repositoryUri"] == f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/app"
    assert created["imageScanningConfiguration"] == {"scanOnPush": True}
    assert created["imageTagMutability"] == "IMMUTABLE"
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(repositoryName="team/app")
    assert code(excinfo) == "RepositoryAlreadyExistsException"
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(repositoryName="Team/App")
    assert code(excinfo) == "InvalidParameterException"
    [described] = ecr.describe_repositories(repositoryNames=["team/app"])["repositories"]
    assert described == created
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_repositories(repositoryNames=["missing"])
    assert code(excinfo) == "RepositoryNotFoundException"

    with pytest.raises(ClientError) as excinfo:
        ecr.get_lifecycle_policy(repositoryName="team/app")
    assert code(excinfo) == "LifecyclePolicyNotFoundException"
    ecr.put_lifecycle_policy(repositoryName="team/app", lifecyclePolicyText=json.dumps(LIFECYCLE))
    policy = ecr.get_lifecycle_policy(repositoryName="team/app")
    assert json.loads(policy["lifecyclePolicyText"]) == LIFECYCLE and policy["registryId"] == ACCOUNT

    # PutImage with a fake manifest: the digest is the SHA-256 of the manifest, as AWS computes it.
    first, second = manifest(7023), manifest(8192)
    pushed = ecr.put_image(repositoryName="team/app", imageManifest=first, imageTag="v1")["image"]
    digest = "sha256:" + hashlib.sha256(first.encode()).hexdigest()
    assert pushed["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    with pytest.raises(ClientError) as excinfo:  # same manifest, same tag
        ecr.put_image(repositoryName="team/app", imageManifest=first, imageTag="v1")
    assert code(excinfo) == "ImageAlreadyExistsException"
    with pytest.raises(ClientError) as excinfo:  # another image under an immutable tag
        ecr.put_image(repositoryName="team/app", imageManifest=second, imageTag="v1")
    assert code(excinfo) == "ImageTagAlreadyExistsException"
    assert "cannot be overwritten because the repository is immutable" in excinfo.value.response["Error"]["Message"]
    ecr.put_image(repositoryName="team/app", imageManifest=second, imageTag="v2")
    assert sorted(image["imageTag"] for image in ecr.list_images(repositoryName="team/app")["imageIds"]) == ["v1", "v2"]
    details = ecr.describe_images(repositoryName="team/app", imageIds=[{"imageTag": "v1"}])["imageDetails"]
    assert [(detail["imageDigest"], detail["imageTags"]) for detail in details] == [(digest, ["v1"])]
    for bad in (
        {"repositoryName": "missing", "imageManifest": first},
        {"repositoryName": "team/app", "imageManifest": "{"},
    ):
        with pytest.raises(ClientError) as excinfo:
            ecr.put_image(imageTag="v3", **bad)
        assert code(excinfo) in ("RepositoryNotFoundException", "InvalidParameterException"), bad

    # A repository with images is only deleted with force.
    with pytest.raises(ClientError) as excinfo:
        ecr.delete_repository(repositoryName="team/app")
    assert code(excinfo) == "RepositoryNotEmptyException"
    assert ecr.delete_repository(repositoryName="team/app", force=True)["repository"]["repositoryName"] == "team/app"
    assert ecr.describe_repositories()["repositories"] == []
    with pytest.raises(ClientError) as excinfo:
        ecr.delete_repository(repositoryName="team/app")
    assert code(excinfo) == "RepositoryNotFoundException"


def test_tags_token_and_the_tagging_api(aws, ecr):
    arn = ecr.create_repository(repositoryName="app", tags=[{"Key": "ondemand:stack", "Value": "dev"}])["repository"][
        "repositoryArn"
    ]
    ecr.create_repository(repositoryName="untagged")
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "data"}])
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"Key": "ondemand:stack", "Value": "dev"},
        {"Key": "team", "Value": "data"},
    ]
    ecr.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "ondemand:stack", "Value": "dev"}]

    tagging = aws.client("resourcegroupstaggingapi")
    listed = tagging.get_resources(ResourceTypeFilters=["ecr:repository"])["ResourceTagMappingList"]
    assert listed == [{"ResourceARN": arn, "Tags": [{"Key": "ondemand:stack", "Value": "dev"}]}]
    by_tag = tagging.get_resources(TagFilters=[{"Key": "ondemand:stack", "Values": ["dev"]}])["ResourceTagMappingList"]
    assert [item["ResourceARN"] for item in by_tag] == [arn]
    tagging.tag_resources(ResourceARNList=[arn], Tags={"owner": "ops"})
    assert {"Key": "owner", "Value": "ops"} in ecr.list_tags_for_resource(resourceArn=arn)["tags"]

    [token] = ecr.get_authorization_token()["authorizationData"]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    assert user == "AWS" and password
    assert token["proxyEndpoint"] == f"https://{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
    now = datetime.datetime.now(datetime.UTC)
    assert now + datetime.timedelta(hours=11) < token["expiresAt"] <= now + datetime.timedelta(hours=12, minutes=1)


def test_ecr_in_the_china_partition(aws):
    client = boto3.client(
        "ecr",
        endpoint_url=aws.url,
        region_name="cn-north-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    repository = client.create_repository(repositoryName="app")["repository"]
    assert repository["repositoryArn"] == f"arn:aws-cn:ecr:cn-north-1:{ACCOUNT}:repository/app"
    assert repository["repositoryUri"] == f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/app"
    endpoint = client.get_authorization_token()["authorizationData"][0]["proxyEndpoint"]
    assert endpoint == f"https://{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn"
