import copy

import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import scheduling_policy as sp
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context

ACCOUNT = "123456789012"
NAME = "dev-carbon-sp"
ARN = f"arn:aws:batch:eu-west-1:{ACCOUNT}:scheduling-policy/{NAME}"
SHARES = [{"share_identifier": "carbon", "weight_factor": 0.5}, {"share_identifier": "adhoc*", "weight_factor": None}]


def test_build_and_normalise():
    policy = sp.build_fairshare_policy(3600, None, SHARES)
    assert policy == {
        "shareDecaySeconds": 3600,
        "computeReservation": 0,
        "shareDistribution": [{"shareIdentifier": "carbon", "weightFactor": 0.5}, {"shareIdentifier": "adhoc*"}],
    }
    assert sp.normalize_fairshare_policy(policy) == {
        "shareDecaySeconds": 3600,
        "computeReservation": 0,
        "shareDistribution": [
            {"shareIdentifier": "adhoc*", "weightFactor": 1.0},
            {"shareIdentifier": "carbon", "weightFactor": 0.5},
        ],
    }


@pytest.mark.parametrize(
    "a, b",
    [
        ({}, {"shareDecaySeconds": 0, "computeReservation": 0, "shareDistribution": []}),
        (
            {"shareDistribution": [{"shareIdentifier": "x"}]},
            {"shareDistribution": [{"shareIdentifier": "x", "weightFactor": 1}]},
        ),
        (
            {"shareDistribution": [{"shareIdentifier": "a"}, {"shareIdentifier": "b", "weightFactor": 2}]},
            {"shareDistribution": [{"shareIdentifier": "b", "weightFactor": 2.0}, {"shareIdentifier": "a"}]},
        ),
    ],
)
def test_defaults_and_order_compare_equal(a, b):
    assert sp.normalize_fairshare_policy(a) == sp.normalize_fairshare_policy(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ({"computeReservation": 1}, {}),
        ({"shareDecaySeconds": 600}, {}),
        (
            {"shareDistribution": [{"shareIdentifier": "x", "weightFactor": 0.5}]},
            {"shareDistribution": [{"shareIdentifier": "x"}]},
        ),
        ({"shareDistribution": [{"shareIdentifier": "x"}]}, {}),
    ],
)
def test_real_changes_differ(a, b):
    assert sp.normalize_fairshare_policy(a) != sp.normalize_fairshare_policy(b)


@pytest.mark.parametrize(
    "kwargs, field, rule",
    [
        ({"name": "dev carbon"}, "name", "must be 1-128 characters"),
        ({"share_decay_seconds": -1}, "share_decay_seconds", "at least 0"),
        ({"share_decay_seconds": 604801}, "share_decay_seconds", "at most 604800"),
        ({"compute_reservation": 100}, "compute_reservation", "at most 99"),
        (
            {"share_distribution": [{"share_identifier": "a", "weight_factor": 0}]},
            "share_distribution[0].weight_factor",
            "at least 0.0001",
        ),
        (
            {"share_distribution": [{"share_identifier": "a", "weight_factor": 1000}]},
            "share_distribution[0].weight_factor",
            "at most 999.9999",
        ),
        (
            {"share_distribution": [{"share_identifier": "a-b"}]},
            "share_distribution[0].share_identifier",
            "letters and digits",
        ),
        ({"share_distribution": [{"share_identifier": "x" * 256}]}, "share_distribution[0].share_identifier", "1-255"),
        (
            {"share_distribution": [{"share_identifier": "a"}, {"share_identifier": "a"}]},
            "share_distribution[1].share_identifier",
            "more than once",
        ),
        (
            {"share_distribution": [{"share_identifier": "team*"}, {"share_identifier": "team1"}]},
            "share_distribution",
            "overlap",
        ),
        (
            {"share_distribution": [{"share_identifier": "team*"}, {"share_identifier": "teamA*"}]},
            "share_distribution",
            "overlap",
        ),
        (
            {"share_distribution": [{"share_identifier": f"s{i}"} for i in range(501)]},
            "share_distribution",
            "at most 500",
        ),
    ],
)
def test_validation_names_the_parameter(kwargs, field, rule):
    arguments = {"name": NAME, **kwargs}
    with pytest.raises(BatchValidationError) as info:
        sp.validate_policy(**arguments)
    assert info.value.field == field
    assert rule in info.value.rule


def test_valid_policy():
    sp.validate_policy(NAME, 604800, 99, SHARES + [{"share_identifier": "other", "weight_factor": 999.9999}])


class FakeBatch:
    def __init__(self, policies=(), queues=()):
        self.policies = {p["arn"]: copy.deepcopy(p) for p in policies}
        self.queues = list(queues)
        self.calls = []

    def _record(self, name, kwargs):
        assert kwargs.pop("aws_retry") is True, f"{name} without aws_retry=True"
        self.calls.append((name, kwargs))

    def list_scheduling_policies(self, **kwargs):
        self._record("list_scheduling_policies", dict(kwargs))
        arns = sorted(self.policies)
        start = int(kwargs.get("nextToken") or 0)
        response = {"schedulingPolicies": [{"arn": a} for a in arns[start : start + 1]]}
        if start + 1 < len(arns):
            response["nextToken"] = str(start + 1)
        return response

    def describe_scheduling_policies(self, **kwargs):
        self._record("describe_scheduling_policies", dict(kwargs))
        return {"schedulingPolicies": [copy.deepcopy(self.policies[a]) for a in kwargs["arns"] if a in self.policies]}

    def describe_job_queues(self, **kwargs):
        self._record("describe_job_queues", dict(kwargs))
        return {"jobQueues": self.queues}

    def create_scheduling_policy(self, **kwargs):
        self._record("create_scheduling_policy", dict(kwargs))
        return {"name": kwargs["name"], "arn": ARN}

    def update_scheduling_policy(self, **kwargs):
        self._record("update_scheduling_policy", dict(kwargs))

    def delete_scheduling_policy(self, **kwargs):
        self._record("delete_scheduling_policy", dict(kwargs))

    def tag_resource(self, **kwargs):
        self._record("tag_resource", dict(kwargs))

    def untag_resource(self, **kwargs):
        self._record("untag_resource", dict(kwargs))

    def writes(self):
        return [n for n, _kwargs in self.calls if not n.startswith(("describe", "list"))]


def existing(**fairshare):
    policy = {"shareDecaySeconds": 3600, "computeReservation": 0, "shareDistribution": []}
    policy.update(fairshare)
    other = f"arn:aws:batch:eu-west-1:{ACCOUNT}:scheduling-policy/other-sp"
    return [
        {"name": NAME, "arn": ARN, "fairsharePolicy": policy, "tags": {"a": "1"}},
        {"name": "other-sp", "arn": other, "fairsharePolicy": {}, "tags": {}},
    ]


class Sts:
    def get_caller_identity(self, aws_retry):
        return {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/ci"}


def context(client, check_mode=False):
    return Context({"batch": client, "sts": Sts()}, "eu-west-1", check_mode=check_mode)


def fairshare(share_decay_seconds=None, compute_reservation=None, share_distribution=None, **settings):
    """The policy options of an entry, with its other settings (tags, purge_tags)."""
    return {
        "share_decay_seconds": share_decay_seconds,
        "compute_reservation": compute_reservation,
        "share_distribution": share_distribution,
        **settings,
    }


def test_create_check_mode_matches_real_run():
    desired = fairshare(3600, 10, SHARES, tags={"a": "1"})
    client = FakeBatch()
    changed, before, predicted = sp.ensure_present(context(client, check_mode=True), NAME, desired)
    assert changed is True and client.writes() == [] and before is None
    client = FakeBatch()
    ctx = context(client)
    changed, _before, result = sp.ensure_present(ctx, NAME, desired)
    assert changed is True and result == predicted
    assert client.writes() == ["create_scheduling_policy"]
    assert client.calls[-1][1]["tags"] == {"a": "1"}
    assert ctx.report["action"] == "create"


def test_unchanged_update_and_tags():
    unchanged = fairshare(3600, 0, [], tags={"a": "1"})
    client = FakeBatch(existing())
    ctx = context(client)
    assert sp.ensure_present(ctx, NAME, unchanged)[0] is False
    assert client.writes() == [] and ctx.report == {"action": "none", "changed_fields": []}

    client = FakeBatch(existing())
    ctx = context(client)
    changed, before, result = sp.ensure_present(ctx, NAME, fairshare(3600, 5, []))
    assert changed is True and client.writes() == ["update_scheduling_policy"]
    assert before["fairshare_policy"]["compute_reservation"] == 0
    assert result["fairshare_policy"]["compute_reservation"] == 5 and result["tags"] == {"a": "1"}
    assert ctx.report == {"action": "update", "changed_fields": ["compute_reservation"]}

    client = FakeBatch(existing())
    changed, _before, result = sp.ensure_present(context(client), NAME, fairshare(3600, 0, [], tags={"b": "2"}))
    assert changed is True and client.writes() == ["untag_resource", "tag_resource"]
    assert result["tags"] == {"b": "2"}

    client = FakeBatch(existing())
    assert sp.ensure_present(context(client, True), NAME, fairshare(0, 5, [], tags={"b": "2"}))[0] is True
    assert client.writes() == []


def test_a_pre_read_policy_needs_no_call():
    client = FakeBatch()
    current = existing()[0]
    assert sp.ensure_present(context(client), NAME, fairshare(3600, 0, [], tags={"a": "1"}), current)[0] is False
    assert client.calls == []


def test_read_policies_lists_once_and_describes_in_batches():
    client = FakeBatch(existing())
    found = sp.read_policies(context(client), [NAME, "missing-sp"])
    assert found[NAME]["arn"] == ARN and found["missing-sp"] is None
    assert [n for n, _kwargs in client.calls] == [
        "list_scheduling_policies",
        "list_scheduling_policies",
        "describe_scheduling_policies",
    ]


def test_absent_refuses_while_queues_use_it():
    queues = [
        {"jobQueueName": "dev-carbon-jq", "schedulingPolicyArn": ARN},
        {"jobQueueName": "other-jq", "schedulingPolicyArn": "arn:other"},
        {"jobQueueName": "dev-carbon-batch-jq", "schedulingPolicyArn": ARN},
    ]
    for check_mode in (True, False):
        client = FakeBatch(existing(), queues)
        with pytest.raises(BatchError, match="job queue\\(s\\) dev-carbon-batch-jq, dev-carbon-jq still use it"):
            sp.ensure_absent(context(client, check_mode), NAME)
        assert client.writes() == []


def test_absent():
    client = FakeBatch(existing())
    assert sp.ensure_absent(context(client, True), NAME)[0] is True
    assert client.writes() == []
    changed, before, after = sp.ensure_absent(context(client), NAME)
    assert changed is True and before["arn"] == ARN and after is None
    assert client.writes() == ["delete_scheduling_policy"]
    assert sp.ensure_absent(context(FakeBatch()), NAME) == (False, None, None)


def test_find_policies_by_name_arn_or_all_follows_pages():
    client = FakeBatch(existing())
    assert [p["name"] for p in sp.find_policies(client)] == ["dev-carbon-sp", "other-sp"]
    assert [p["name"] for p in sp.find_policies(client, ["other-sp", "missing"])] == ["other-sp"]
    client.calls.clear()
    assert [p["name"] for p in sp.find_policies(client, [ARN])] == [NAME]
    assert [n for n, _kwargs in client.calls] == ["describe_scheduling_policies"]  # an ARN needs no listing


def test_every_broken_rule_of_a_policy_is_collected():
    from ansible_collections.ondemand.batch.plugins.module_utils.validation import Problems

    problems = Problems()
    sp.validate_policy(
        "fair",
        share_decay_seconds=-1,
        compute_reservation=150,
        share_distribution=[{"share_identifier": "a b"}, {"share_identifier": "x", "weight_factor": 0}],
        problems=problems,
    )
    assert [field for field, _rule in problems.items] == [
        "share_decay_seconds",
        "compute_reservation",
        "share_distribution[0].share_identifier",
        "share_distribution[1].weight_factor",
    ]
