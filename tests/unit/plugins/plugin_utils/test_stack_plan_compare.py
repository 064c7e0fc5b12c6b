"""What the plan tells apart without a module: an amazon.aws / community.aws resource as wanted, or not."""

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import compare

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ROLE = {
    "name": "r",
    "path": "/s/",
    "description": "d",
    "assume_role_policy_document": TRUST,
    "managed_policies": ["arn:aws:iam::aws:policy/b", "arn:aws:iam::aws:policy/a"],
    "boundary": None,
    "max_session_duration": None,
    "tags": {"ondemand:stack": "s"},
}
FOUND = {
    "path": "/s/",
    "description": "d",
    "trust_policy": {
        "Statement": [
            {"Action": ["sts:AssumeRole"], "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Effect": "Allow"}
        ],
        "Version": "2012-10-17",
    },
    "managed_policies": ["arn:aws:iam::aws:policy/a", "arn:aws:iam::aws:policy/b"],
    "boundary": None,
    "max_session_duration": 3600,
    "tags": {"ondemand:stack": "s"},
}


def test_a_role_as_wanted_has_no_change_whatever_the_json_form():
    assert compare.role_changes(ROLE, FOUND) == []


def test_each_role_field_that_differs_is_named():
    found = dict(FOUND, description="other", managed_policies=["arn:aws:iam::aws:policy/a"], tags={}, path="/")
    found["trust_policy"] = {
        "Version": "2012-10-17",
        "Statement": [{**TRUST["Statement"][0], "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}],
    }
    assert compare.role_changes(dict(ROLE, max_session_duration=7200), found) == [
        "path",
        "description",
        "assume_role_policy_document",
        "managed_policies",
        "max_session_duration",
        "tags",
    ]


def test_inline_policies_compare_their_documents_and_their_absence():
    wanted = {
        "iam_name": "r",
        "policy_name": "p",
        "policy_json": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": ["b", "a"]}],
        },
        "state": "present",
    }
    same = {
        "p": {"Statement": [{"Resource": ["a", "b"], "Action": "s3:Get*", "Effect": "Allow"}], "Version": "2012-10-17"}
    }
    assert compare.policy_changes(wanted, same) == []
    assert compare.policy_changes(wanted, {}) == ["policy"]
    assert compare.policy_changes(dict(wanted, state="absent"), same) == ["policy"]
    assert compare.policy_changes(dict(wanted, state="absent"), {}) == []


def test_a_secret_with_a_value_always_goes_to_its_module():
    secret = {"description": "d", "kms_key_id": None, "tags": {"a": "1"}, "has_value": False}
    found = {"description": "d", "kms_key_id": None, "tags": {"a": "1"}}
    assert compare.secret_changes(secret, found) == []
    assert compare.secret_changes(dict(secret, has_value=True), found) == ["value"]
    assert compare.secret_changes(dict(secret, kms_key_id="alias/k"), found) == ["kms_key_id"]


def test_topic_subscriptions_policy_and_display_name():
    topic = {
        "display_name": "x",
        "policy": {"Version": "2012-10-17", "Statement": []},
        "subscriptions": [{"protocol": "email", "endpoint": "a@b.c"}],
        "tags": {},
    }
    found = {
        "display_name": "x",
        "policy": '{"Statement": [], "Version": "2012-10-17"}',
        "subscriptions": [("email", "a@b.c")],
        "tags": {},
    }
    assert compare.topic_changes(topic, found) == []
    assert compare.topic_changes(dict(topic, subscriptions=[]), found) == ["subscriptions"]


def test_log_group_retention_and_tags():
    assert compare.log_group_changes({"retention": 7, "tags": {}}, {"retention": 7, "tags": {}}) == []
    assert compare.log_group_changes({"retention": 7, "tags": {"a": "1"}}, {"retention": 30, "tags": {}}) == [
        "retention",
        "tags",
    ]
