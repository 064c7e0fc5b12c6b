"""The plan's check-mode pass over the list modules' entries (plugin_utils/stack/precheck.py)."""

import pytest

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import Context
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import precheck

ARN = "arn:aws:batch:eu-west-1:123456789012"


def test_references_name_what_an_entry_depends_on_by_name_or_arn():
    queue = {
        "name": "q",
        "compute_environments": ["ce-a", f"{ARN}:compute-environment/ce-b"],
        "scheduling_policy": f"{ARN}:scheduling-policy/fair",
    }
    assert precheck.references("job_queue", queue) == {
        ("compute_environment", "ce-a"),
        ("compute_environment", "ce-b"),
        ("scheduling_policy", "fair"),
    }
    schedule = {"name": "s", "job_queue": f"{ARN}:job-queue/q", "job_definition": "jd:3"}
    assert precheck.references("schedule", schedule) == {("job_queue", "q"), ("job_definition", "jd")}
    alert = {"name": "a", "job_queues": [f"{ARN}:job-queue/q1", "q2"]}
    assert precheck.references("alert_rule", alert) == {("job_queue", "q1"), ("job_queue", "q2")}
    assert precheck.references("job_definition", {"name": "jd"}) == set()


def test_currents_take_the_refresh_listings_in_the_form_each_kind_reads():
    jd = [
        {"jobDefinitionName": "jd", "revision": 1, "jobDefinitionArn": f"{ARN}:job-definition/jd:1"},
        {"jobDefinitionName": "jd", "revision": 3, "jobDefinitionArn": f"{ARN}:job-definition/jd:3"},
        {"jobDefinitionName": "other", "revision": 1, "jobDefinitionArn": f"{ARN}:job-definition/other:1"},
    ]
    found = precheck.currents("job_definition", [{"name": "jd"}, {"name": "new"}], {"job_definition": jd})
    assert [d["revision"] for d in found["jd"]] == [3, 1]
    assert found["new"] == []
    ce = {"computeEnvironmentName": "ce", "computeEnvironmentArn": f"{ARN}:compute-environment/ce"}
    assert precheck.currents("compute_environment", [{"name": "ce"}], {"compute_environment": [ce]}) == {
        "ce": (ce, None)
    }
    # Not described by the refresh: the kind reads for itself.
    assert precheck.currents("job_queue", [{"name": "q"}], {}) is None


def test_a_rule_current_is_what_read_rule_gives_with_the_entry_target():
    rule = {"Name": "r", "Arn": "arn:aws:events:eu-west-1:123456789012:rule/r"}
    described = {
        "rule": {
            "r": {"rule": rule, "targets": [{"Id": "ondemand-batch-job"}, {"Id": "theirs"}], "tags": {"a": "b"}},
            "gone": None,
        }
    }
    found = precheck.currents("schedule", [{"name": "r"}, {"name": "gone"}], described)
    assert found["r"] == (rule, {"Id": "ondemand-batch-job"}, ["theirs"], {"a": "b"})
    assert found["gone"] == (None, None, [], {})
    # A schedule the refresh did not read: the kind reads all of them itself.
    assert precheck.currents("schedule", [{"name": "r"}, {"name": "unread"}], described) is None


class FakeKind:
    """A kind whose steps decide what the test says: ``outcomes[name]`` is an action, "warn" or "fail"."""

    list_key = "things"

    def __init__(self, outcomes):
        self.outcomes = outcomes
        self.stepped = []

    def read(self, ctx, entries):
        return {entry["name"]: None for entry in entries}

    def step(self, ctx, entry, current=None):
        name = entry["name"]
        self.stepped.append(name)
        outcome = self.outcomes[name]
        if outcome == "fail":
            raise BatchError(message="refused")
        if outcome == "warn":
            ctx.warn("something to say")
            outcome = "none"
        ctx.plan(outcome)
        return outcome != "none", {}, {}
        yield  # a generator, like every kind's steps


@pytest.fixture
def ctx(monkeypatch):
    monkeypatch.setattr(precheck, "normalized", lambda module, key, entries: entries)
    return Context({}, region="eu-west-1", check_mode=True)


def test_only_entries_the_module_would_leave_alone_are_unchanged(ctx):
    kind = FakeKind({"same": "none", "grows": "update", "new": "create", "broken": "fail", "noisy": "warn"})
    entries = [{"name": n} for n in kind.outcomes]
    assert precheck._unchanged_names(ctx, "job_definition", kind, "m", entries, {}, set()) == {"same"}


def test_an_entry_naming_a_resource_that_changes_in_this_run_is_left_to_its_module(ctx):
    kind = FakeKind({"q1": "none", "q2": "none"})
    entries = [
        {"name": "q1", "compute_environments": ["ce-replaced"]},
        {"name": "q2", "compute_environments": ["ce-same"]},
    ]
    changing = {("compute_environment", "ce-replaced")}
    assert precheck._unchanged_names(ctx, "job_queue", kind, "m", entries, {}, changing) == {"q2"}
    assert kind.stepped == ["q2"]


def test_skip_unchanged_drops_entries_from_the_run_lists_and_lists_them_as_unchanged(monkeypatch):
    decided = {"compute_environments": {"ce": "update"}, "job_queues": {"q": "none"}, "job_definitions": {"jd": "none"}}

    def unchanged(ctx, kind_name, kind, module, entries, described, changing):
        outcome = decided.get(module, {})
        free = [e for e in entries if not precheck.references(kind_name, e) & changing]
        return {e["name"] for e in free if outcome.get(e["name"]) == "none"}

    monkeypatch.setattr(precheck, "_unchanged_names", unchanged)
    plan = {
        "batch": {
            "run": {
                "compute_environments": [{"name": "ce"}],
                "scheduling_policies": [],
                "job_queues": [{"name": "q", "compute_environments": ["other"]}, {"name": "old", "state": "absent"}],
                "job_definitions": [{"name": "jd"}],
            }
        },
        "eventbridge": {
            "run": {"schedules": [{"name": "s", "job_queue": "q", "job_definition": "jd"}], "alert_rules": []}
        },
        "unchanged": [{"kind": "secret", "name": "x"}],
    }
    assert precheck.skip_unchanged(plan, {}, {}, "eu-west-1") == 2
    run = plan["batch"]["run"]
    assert run["compute_environments"] == [{"name": "ce"}]
    assert run["job_queues"] == [{"name": "old", "state": "absent"}]  # deletions always go to the module
    assert run["job_definitions"] == []
    assert plan["eventbridge"]["run"]["schedules"] == [{"name": "s", "job_queue": "q", "job_definition": "jd"}]
    assert plan["unchanged"] == [
        {"kind": "secret", "name": "x"},
        {"kind": "job_queue", "name": "q"},
        {"kind": "job_definition", "name": "jd"},
    ]
