import pytest

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.tagged_resources import (
    describe_resource,
    find_tagged_resources,
    get_resources,
    matches_tags,
    parse_arn,
    tag_filters,
    validate_params,
)

PREFIX = "arn:aws:{service}:eu-west-1:123456789012:"
MEMBER = {"ondemand:stack": "dev-carbon"}


def arn(service, resource):
    return PREFIX.format(service=service) + resource


@pytest.mark.parametrize(
    "given, expected",
    [
        # Secrets Manager appends "-" and six random characters to the name.
        (
            arn("secretsmanager", "secret:/carbon/dev/eu-west-1/MY_SECRET-AbC123"),
            ("secretsmanager:secret", "/carbon/dev/eu-west-1/MY_SECRET"),
        ),
        (arn("secretsmanager", "secret:plain-name-x1y2z3"), ("secretsmanager:secret", "plain-name")),
        # Only the last "-XXXXXX" goes: a name with hyphens keeps them.
        (arn("secretsmanager", "secret:a-b-c-d-e-f-g-h-Qwerty"), ("secretsmanager:secret", "a-b-c-d-e-f-g-h")),
        (arn("events", "rule/dev-carbon-daily"), ("events:rule", "dev-carbon-daily")),
        # A rule that is not on the default event bus: rule/<bus>/<name>.
        (arn("events", "rule/my-bus/dev-carbon-daily"), ("events:rule", "dev-carbon-daily")),
        (arn("events", "event-bus/my-bus"), ("events:event-bus", "my-bus")),
        (arn("logs", "log-group:/aws/batch/dev-carbon"), ("logs:log-group", "/aws/batch/dev-carbon")),
        (arn("logs", "log-group:/aws/batch/dev-carbon:*"), ("logs:log-group", "/aws/batch/dev-carbon")),
        (arn("sns", "dev-carbon-alerts"), ("sns:topic", "dev-carbon-alerts")),
        (
            arn("sns", "dev-carbon-alerts:0f5c1b9e-1c1e-4d1c-9f0e-3c3a0c4d5e6f"),
            ("sns:subscription", "dev-carbon-alerts:0f5c1b9e-1c1e-4d1c-9f0e-3c3a0c4d5e6f"),
        ),
        (arn("batch", "job-queue/dev-carbon-jq"), ("batch:job-queue", "dev-carbon-jq")),
        (arn("sqs", "dev-carbon-dlq"), ("sqs", "dev-carbon-dlq")),
        ("arn:aws:s3:::dev-carbon-bucket", ("s3", "dev-carbon-bucket")),
        ("arn:aws-cn:logs:cn-north-1:123456789012:log-group:/x", ("logs:log-group", "/x")),
        ("not-an-arn", ("", "not-an-arn")),
        ("", ("", "")),
    ],
)
def test_parse_arn(given, expected):
    assert parse_arn(given) == expected


def test_tag_filters_value_or_any_value():
    assert tag_filters({"ondemand:stack": "dev-carbon", "project": None, "n": 1}) == [
        {"Key": "n", "Values": ["1"]},
        {"Key": "ondemand:stack", "Values": ["dev-carbon"]},
        {"Key": "project"},
    ]
    assert tag_filters({}) == []
    assert tag_filters(None) == []


@pytest.mark.parametrize(
    "resource_tags, wanted, expected",
    [
        (MEMBER, MEMBER, True),
        ({**MEMBER, "project": "carbon"}, MEMBER, True),
        ({"ondemand:stack": "other"}, MEMBER, False),
        # AWS also lists resources that once had the tag and lost it.
        ({}, MEMBER, False),
        (None, MEMBER, False),
        ({"ondemand:stack": "anything"}, {"ondemand:stack": None}, True),
        ({"project": "carbon"}, {"ondemand:stack": None}, False),
        ({"ondemand:stack": ""}, {"ondemand:stack": ""}, True),
        ({}, {}, True),
    ],
)
def test_matches_tags(resource_tags, wanted, expected):
    assert matches_tags(resource_tags, wanted) is expected


def test_describe_resource():
    mapping = {
        "ResourceARN": arn("secretsmanager", "secret:/carbon/dev/X-AbC123"),
        "Tags": [{"Key": "ondemand:stack", "Value": "dev-carbon"}, {"Key": "project", "Value": "carbon"}],
        "ComplianceDetails": {},
    }
    assert describe_resource(mapping) == {
        "arn": arn("secretsmanager", "secret:/carbon/dev/X-AbC123"),
        "resource_type": "secretsmanager:secret",
        "name": "/carbon/dev/X",
        "tags": {"ondemand:stack": "dev-carbon", "project": "carbon"},
    }
    assert describe_resource({"ResourceARN": arn("sns", "t")})["tags"] == {}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags"),
        ({"tags": {"": "v"}}, "tags"),
        ({"tags": {"k" * 129: "v"}}, "tags"),
        ({"resource_types": ["secrets manager"]}, "resource_types"),
        ({"resource_types": ["events:rule:extra"]}, "resource_types"),
        ({"resource_types": ["sns"] * 101}, "resource_types"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
    ],
)
def test_validate_params_names_the_parameter(params, field):
    with pytest.raises(BatchValidationError) as info:
        validate_params({"tags": {}, "resource_types": [], "page_size": 100, **params})
    assert info.value.field == field


def test_validate_params_accepts_the_documented_forms():
    validate_params(
        {
            "tags": {"ondemand:stack": "dev-carbon", "any": None},
            "resource_types": ["secretsmanager:secret", "events:rule", "sns", "logs:log-group", "logs"],
            "page_size": 1,
        }
    )


class FakeTagging:
    """GetResources over ``pages`` (lists of mappings); ``last_token`` is what the last page carries."""

    def __init__(self, pages, last_token=""):
        self.pages = pages
        self.last_token = last_token
        self.requests = []

    def get_resources(self, aws_retry, **request):
        assert aws_retry is True
        self.requests.append(request)
        index = int(request.get("PaginationToken", "0") or 0)
        token = str(index + 1) if index + 1 < len(self.pages) else self.last_token
        response = {"ResourceTagMappingList": self.pages[index]}
        if token is not None:
            response["PaginationToken"] = token
        return response


def mapping(resource_arn, tags):
    return {"ResourceARN": resource_arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


@pytest.mark.parametrize("last_token", ["", None])
def test_get_resources_follows_the_pagination_token(last_token):
    pages = [[mapping(arn("sns", f"t{page}{i}"), MEMBER) for i in range(2)] for page in range(3)]
    client = FakeTagging(pages, last_token)
    found = get_resources(client, MEMBER, ["sns"], page_size=2)
    assert [m["ResourceARN"] for m in found] == [arn("sns", f"t{p}{i}") for p in range(3) for i in range(2)]
    assert client.requests == [
        {
            "ResourcesPerPage": 2,
            "TagFilters": [{"Key": "ondemand:stack", "Values": ["dev-carbon"]}],
            "ResourceTypeFilters": ["sns"],
        },
        {
            "ResourcesPerPage": 2,
            "TagFilters": [{"Key": "ondemand:stack", "Values": ["dev-carbon"]}],
            "ResourceTypeFilters": ["sns"],
            "PaginationToken": "1",
        },
        {
            "ResourcesPerPage": 2,
            "TagFilters": [{"Key": "ondemand:stack", "Values": ["dev-carbon"]}],
            "ResourceTypeFilters": ["sns"],
            "PaginationToken": "2",
        },
    ]


def test_get_resources_without_filters_sends_none():
    client = FakeTagging([[]])
    assert get_resources(client, {}, []) == []
    assert client.requests == [{"ResourcesPerPage": 100}]


def test_find_tagged_resources_keeps_only_what_still_carries_the_tags_sorted():
    pages = [
        [
            mapping(arn("sns", "dev-carbon-alerts"), {**MEMBER, "project": "carbon"}),
            # Once tagged, tags since removed: AWS still lists it.
            mapping(arn("secretsmanager", "secret:/carbon/dev/GONE-AbC123"), {}),
            mapping(arn("secretsmanager", "secret:/carbon/dev/B-AbC123"), MEMBER),
        ],
        [
            mapping(arn("events", "rule/dev-carbon-daily"), MEMBER),
            mapping(arn("secretsmanager", "secret:/carbon/dev/A-XyZ789"), MEMBER),
            mapping(arn("logs", "log-group:/aws/batch/dev-carbon:*"), {"ondemand:stack": "other"}),
            # The same resource on two pages is listed once.
            mapping(arn("sns", "dev-carbon-alerts"), {**MEMBER, "project": "carbon"}),
        ],
    ]
    found = find_tagged_resources(FakeTagging(pages), MEMBER, page_size=3)
    assert [(r["resource_type"], r["name"]) for r in found] == [
        ("events:rule", "dev-carbon-daily"),
        ("secretsmanager:secret", "/carbon/dev/A"),
        ("secretsmanager:secret", "/carbon/dev/B"),
        ("sns:topic", "dev-carbon-alerts"),
    ]
    assert found[-1]["tags"] == {**MEMBER, "project": "carbon"}
