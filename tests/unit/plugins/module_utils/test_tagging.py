import pytest

from ansible_collections.ondemand.batch.plugins.module_utils.tagging import ensure_tags, resulting_tags, tag_changes

ARN = "arn:aws:batch:eu-west-1:123456789012:job-queue/dev-carbon-jq"


class RecordingClient:
    def __init__(self):
        self.calls = []

    def tag_resource(self, **kwargs):
        self.calls.append(("tag_resource", kwargs))

    def untag_resource(self, **kwargs):
        self.calls.append(("untag_resource", kwargs))


@pytest.mark.parametrize(
    "current, desired, purge, expected",
    [
        ({"a": "1"}, None, True, ({}, [])),
        ({"a": "1"}, {"a": "1"}, True, ({}, [])),
        ({"a": "1", "b": "2"}, {"a": "1"}, True, ({}, ["b"])),
        ({"a": "1", "b": "2"}, {"a": "1"}, False, ({}, [])),
        ({"a": "1"}, {"a": "2", "c": "3"}, True, ({"a": "2", "c": "3"}, [])),
        ({"aws:cloudformation:stack": "x"}, {}, True, ({}, [])),
    ],
)
def test_tag_changes(current, desired, purge, expected):
    assert tag_changes(current, desired, purge) == expected


def test_resulting_tags():
    assert resulting_tags({"a": "1", "b": "2"}, {"a": "9", "c": "3"}, purge_tags=True) == {"a": "9", "c": "3"}
    assert resulting_tags({"a": "1", "b": "2"}, {"c": "3"}, purge_tags=False) == {"a": "1", "b": "2", "c": "3"}
    assert resulting_tags({"a": "1"}, None) == {"a": "1"}


def test_ensure_tags_writes_only_differences():
    client = RecordingClient()
    changed = ensure_tags(client, ARN, {"a": "1", "old": "x"}, {"a": "1", "new": "y"}, purge_tags=True)
    assert changed is True
    assert client.calls == [
        ("untag_resource", {"resourceArn": ARN, "tagKeys": ["old"], "aws_retry": True}),
        ("tag_resource", {"resourceArn": ARN, "tags": {"new": "y"}, "aws_retry": True}),
    ]


def test_ensure_tags_no_change_makes_no_call():
    client = RecordingClient()
    assert ensure_tags(client, ARN, {"a": "1"}, {"a": "1"}) is False
    assert client.calls == []


def test_ensure_tags_check_mode_predicts_without_writing():
    client = RecordingClient()
    assert ensure_tags(client, ARN, {}, {"a": "1"}, check_mode=True) is True
    assert client.calls == []
