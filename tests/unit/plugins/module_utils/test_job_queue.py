import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import job_queue as jq
from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchValidationError
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context, run_one

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:batch:eu-west-1:{ACCOUNT}"
A, B, C = (f"{PREFIX}:compute-environment/dev-carbon-{n}-ce" for n in "abc")
QUEUE_ARN = f"{PREFIX}:job-queue/dev-carbon-jq"
POLICY = f"{PREFIX}:scheduling-policy/dev-carbon-fair"


def queue(order, **fields):
    """A DescribeJobQueues entry; ``order`` maps order values to ARNs, in any sequence."""
    detail = {
        "jobQueueName": "dev-carbon-jq",
        "jobQueueArn": QUEUE_ARN,
        "state": "ENABLED",
        "status": "VALID",
        "priority": 10,
        "computeEnvironmentOrder": [{"order": n, "computeEnvironment": arn} for n, arn in order],
        "tags": {"Environment": "dev"},
    }
    detail.update(fields)
    return detail


def environment(arn, resource_type="EC2", **fields):
    return {
        "computeEnvironmentName": arn.rsplit("/", 1)[1],
        "computeEnvironmentArn": arn,
        "type": "MANAGED",
        "status": "VALID",
        "computeResources": {"type": resource_type},
        **fields,
    }


def test_order_follows_the_order_values_not_the_list():
    detail = queue([(3, C), (1, B), (2, A)])
    assert jq.ordered_environment_arns(detail) == [B, A, C]
    assert jq.order_request([B, A]) == [{"order": 1, "computeEnvironment": B}, {"order": 2, "computeEnvironment": A}]
    normalized = jq.normalize_job_queue(detail)
    assert [e["compute_environment"] for e in normalized["compute_environment_order"]] == [B, A, C]
    assert normalized["tags"] == {"Environment": "dev"}
    assert normalized["job_queue_arn"] == QUEUE_ARN
    assert jq.normalize_job_queue(None) == {}


@pytest.mark.parametrize(
    "wanted, expected",
    [
        ({"compute_environments": [B, A]}, set()),  # same order as the order values say
        ({"compute_environments": [A, B]}, {"compute_environments"}),
        ({"compute_environments": [B]}, {"compute_environments"}),
        ({"priority": 10, "job_queue_state": "ENABLED"}, set()),
        ({"priority": 5}, {"priority"}),
        ({"job_queue_state": "DISABLED"}, {"job_queue_state"}),
        ({"scheduling_policy": ""}, set()),
        ({"scheduling_policy": POLICY}, {"scheduling_policy"}),
        ({"job_state_time_limit_actions": []}, set()),
        (
            {
                "job_state_time_limit_actions": [
                    {"reason": "r", "state": "RUNNABLE", "max_time_seconds": 600, "action": "CANCEL"}
                ]
            },
            {"job_state_time_limit_actions"},
        ),
    ],
)
def test_queue_differences(wanted, expected):
    current = jq.current_queue_options(queue([(2, A), (1, B)]))
    assert set(jq.queue_differences(current, wanted)) == expected


def test_time_limit_actions_compare_regardless_of_order():
    actions = [
        {"reason": "a", "state": "RUNNABLE", "maxTimeSeconds": 600, "action": "CANCEL"},
        {"reason": "b", "state": "RUNNABLE", "maxTimeSeconds": 900, "action": "CANCEL"},
    ]
    current = jq.current_queue_options(queue([(1, A)], jobStateTimeLimitActions=actions))
    wanted = [
        {"reason": "b", "state": "RUNNABLE", "max_time_seconds": 900, "action": "CANCEL"},
        {"reason": "a", "state": "RUNNABLE", "max_time_seconds": 600, "action": "CANCEL"},
    ]
    assert jq.queue_differences(current, {"job_state_time_limit_actions": wanted}) == {}
    assert jq.time_limit_actions_request(wanted)[0] == {
        "reason": "b",
        "state": "RUNNABLE",
        "maxTimeSeconds": 900,
        "action": "CANCEL",
    }


def test_scheduling_policy_cannot_be_added_or_removed_in_place():
    fifo = jq.current_queue_options(queue([(1, A)]))
    fair = jq.current_queue_options(queue([(1, A)], schedulingPolicyArn=POLICY))
    other = POLICY.replace("fair", "fairer")
    add = jq.queue_differences(fifo, {"scheduling_policy": POLICY})
    assert "cannot get a fair-share policy" in jq.queue_replacement_reasons(add)["scheduling_policy"]
    remove = jq.queue_differences(fair, {"scheduling_policy": ""})
    assert "can be replaced but not removed" in jq.queue_replacement_reasons(remove)["scheduling_policy"]
    assert jq.queue_replacement_reasons(jq.queue_differences(fair, {"scheduling_policy": other})) == {}


def test_update_and_create_requests():
    current = jq.current_queue_options(queue([(1, A)]))
    diffs = jq.queue_differences(
        current, {"compute_environments": [B, A], "priority": 3, "job_queue_state": "DISABLED"}
    )
    assert jq.update_queue_request(QUEUE_ARN, diffs) == {
        "jobQueue": QUEUE_ARN,
        "priority": 3,
        "state": "DISABLED",
        "computeEnvironmentOrder": jq.order_request([B, A]),
    }
    request = jq.create_queue_request(
        "dev-carbon-jq",
        {"priority": 1, "compute_environments": [A], "scheduling_policy": "", "job_state_time_limit_actions": None},
        {"t": "v"},
    )
    assert request == {
        "jobQueueName": "dev-carbon-jq",
        "priority": 1,
        "state": "ENABLED",
        "computeEnvironmentOrder": jq.order_request([A]),
        "tags": {"t": "v"},
    }


def test_predicted_queue():
    predicted = jq.predicted_queue_detail(
        "dev-carbon-jq", QUEUE_ARN, {"priority": 2, "compute_environments": [A, B], "scheduling_policy": POLICY}, {}
    )
    assert predicted["computeEnvironmentOrder"] == jq.order_request([A, B])
    assert predicted["schedulingPolicyArn"] == POLICY
    assert predicted["status"] == "VALID"
    assert jq.job_queue_arn(*jq.arn_parts(A), "dev-carbon-jq") == QUEUE_ARN


@pytest.mark.parametrize(
    "name, wanted, creating, message",
    [
        ("dev carbon", {"priority": 1, "compute_environments": ["a"]}, True, "name: must be 1-128"),
        ("dev-carbon-jq", {"compute_environments": ["a"]}, True, "priority: required to create a job queue"),
        ("dev-carbon-jq", {"priority": 1}, True, "compute_environments: required (1 to 3 items)"),
        ("dev-carbon-jq", {"priority": -1}, False, "priority: must be at least 0"),
        ("dev-carbon-jq", {"compute_environments": []}, False, "compute_environments: must have at least one item"),
        ("dev-carbon-jq", {"compute_environments": ["a", "b", "c", "d"]}, False, "takes at most 3 items (got 4)"),
        (
            "dev-carbon-jq",
            {"compute_environments": ["a", A.replace("dev-carbon-a-ce", "a")]},
            False,
            "lists a more than once",
        ),
        ("dev-carbon-jq", {"compute_environments": ["bad name"]}, False, "compute_environments: must be 1-128"),
        ("dev-carbon-jq", {"scheduling_policy": "bad name"}, False, "scheduling_policy: must be 1-128"),
        (
            "dev-carbon-jq",
            {"job_state_time_limit_actions": [{"max_time_seconds": 86401}]},
            False,
            "job_state_time_limit_actions[0].max_time_seconds: must be at most 86400",
        ),
    ],
)
def test_invalid_queue_options(name, wanted, creating, message):
    with pytest.raises(BatchValidationError) as info:
        jq.validate_queue_options(name, wanted, creating)
    assert message in str(info.value)


def test_valid_queue_options():
    jq.validate_queue_options("dev-carbon-jq", {"priority": 0, "compute_environments": ["dev-carbon-ce", A]}, True)
    jq.validate_queue_options("dev-carbon-jq", {"scheduling_policy": ""}, False)


def test_mixing_ec2_and_fargate_is_refused():
    jq.validate_same_platform([environment(A), environment(B, "SPOT"), environment(C, type="UNMANAGED")])
    jq.validate_same_platform([environment(A, "FARGATE"), environment(B, "FARGATE_SPOT")])
    with pytest.raises(BatchValidationError) as info:
        jq.validate_same_platform([environment(A), environment(B, "FARGATE")])
    assert "EC2/SPOT environments (dev-carbon-a-ce) with FARGATE/FARGATE_SPOT environments (dev-carbon-b-ce)" in str(
        info.value
    )


class Batch:
    def __init__(self, environments=(), queues=(), policies=()):
        self.environments = list(environments)
        self.queues = list(queues)
        self.policies = list(policies)
        self.calls = []

    def describe_compute_environments(self, computeEnvironments, aws_retry):
        assert aws_retry is True
        self.calls.append(("describe_compute_environments", computeEnvironments))
        return {
            "computeEnvironments": [
                e
                for e in self.environments
                if {e["computeEnvironmentName"], e["computeEnvironmentArn"]} & set(computeEnvironments)
            ]
        }

    def update_job_queue(self, aws_retry, **kwargs):
        assert aws_retry is True
        self.calls.append(("update_job_queue", kwargs))

    def describe_job_queues(self, jobQueues, aws_retry):
        assert aws_retry is True
        self.calls.append(("describe_job_queues", jobQueues))
        return {"jobQueues": [q for q in self.queues if q["jobQueueArn"] in jobQueues]}

    def get_paginator(self, operation):
        assert operation == "list_scheduling_policies"
        self.calls.append((operation, None))
        policies = self.policies

        class Paginator:
            def paginate(self):
                return self

            def build_full_result(self):
                return {"schedulingPolicies": [{"arn": arn} for arn in policies]}

        return Paginator()


def test_resolve_compute_environments_in_one_call_and_in_order():
    client = Batch([environment(A), environment(B), environment(C, "FARGATE")])
    assert [d["computeEnvironmentArn"] for d in jq.resolve_compute_environments(client, ["dev-carbon-b-ce", A])] == [
        B,
        A,
    ]
    assert client.calls == [("describe_compute_environments", ["dev-carbon-b-ce", A])]
    with pytest.raises(BatchValidationError, match="compute_environments: no compute environment named missing-ce"):
        jq.resolve_compute_environments(client, ["dev-carbon-a-ce", "missing-ce"])
    with pytest.raises(BatchValidationError, match="cannot mix"):
        jq.resolve_compute_environments(client, [A, C])
    deleting = Batch([environment(A, status="DELETING")])
    with pytest.raises(BatchValidationError, match="no compute environment named dev-carbon-a-ce"):
        jq.resolve_compute_environments(deleting, ["dev-carbon-a-ce"])


def test_resolve_scheduling_policy():
    client = Batch(policies=[POLICY, POLICY + "er"])
    assert jq.resolve_scheduling_policy(client, "dev-carbon-fairer") == POLICY + "er"
    assert jq.resolve_scheduling_policy(client, POLICY) == POLICY
    assert jq.resolve_scheduling_policy(client, "") == ""
    assert jq.resolve_scheduling_policy(client, None) is None
    assert len(client.calls) == 1  # ARNs, "" and None need no call
    with pytest.raises(BatchValidationError, match="scheduling_policy: no scheduling policy named 'nope' exists"):
        jq.resolve_scheduling_policy(client, "nope")


def test_repointed_order_keeps_the_position():
    detail = queue([(1, A), (2, B), (3, C)])
    new = A.replace("dev-carbon-a-ce", "dev-carbon-a-ce-1234abcd")
    assert jq.repointed_order(detail, B, new) == [A, new, C]
    assert jq.repointed_order(queue([(1, A), (2, new)]), A, new) == [new]  # already there: old one dropped


def test_wait_for_queue_fails_on_invalid(fake_clock):
    client = Batch(queues=[queue([(1, A)], status="INVALID", statusReason="CE is INVALID")])
    ctx = Context({"batch": client}, "eu-west-1", wait_options={"sleep": fake_clock.sleep, "clock": fake_clock})

    def step():
        return (yield jq.queue_poll(ctx, QUEUE_ARN, "dev-carbon-jq", "valid"))

    with pytest.raises(BatchError, match="Job queue dev-carbon-jq is INVALID: CE is INVALID"):
        run_one(ctx, step())


def test_mixed_platform_queues():
    fargate = C
    client = Batch([environment(B), environment(fargate, "FARGATE")])
    queues = [
        queue([(1, A), (2, B)]),
        queue([(1, A)], jobQueueName="lone-jq"),
        queue([(1, fargate)], jobQueueName="f-jq"),
    ]
    assert jq.mixed_platform_queues(client, queues, A, "FARGATE") == ["dev-carbon-jq"]
    assert jq.mixed_platform_queues(client, queues, A, "EC2") == []


def test_every_broken_rule_of_a_queue_is_collected():
    from ansible_collections.ondemand.batch.plugins.module_utils.validation import Problems

    problems = Problems()
    desired = {
        "priority": 10000,
        "compute_environments": ["a", "a", "b/c"],
        "job_state_time_limit_actions": [{"max_time_seconds": 10}],
    }
    jq.validate_queue_options("q", desired, creating=True, problems=problems)
    assert [field for field, _rule in problems.items] == [
        "priority",
        "compute_environments",
        "compute_environments",
        "job_state_time_limit_actions[0].max_time_seconds",
    ]
    assert problems.items[0] == ("priority", "must be at most 1000 (got 10000)")
