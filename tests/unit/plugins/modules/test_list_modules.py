"""The list-form modules' run (``reconcile.run_list_module``) against the in-memory Batch: every entry checked
before any call, reads batched, writes only what differs, waits together, results and diffs per entry."""

import copy

import pytest

from ansible_collections.ondemand.batch.plugins.module_utils import job_definition
from ansible_collections.ondemand.batch.plugins.module_utils.compute_environment_ensure import KIND as CE
from ansible_collections.ondemand.batch.plugins.module_utils.job_queue_ensure import KIND as JQ
from ansible_collections.ondemand.batch.plugins.module_utils.reconcile import run_list_module
from ansible_collections.ondemand.batch.plugins.modules import compute_environments, job_definitions, job_queues
from tests.unit.plugins.modules.test_compute_environment_fakes import ACCOUNT, FakeBatch, FakeIAM, FakeSTS
from tests.unit.plugins.modules.test_job_queue_module import SettlingBatch


class Exit(Exception):
    def __init__(self, result, failed):
        super().__init__(result.get("msg"))
        self.result, self.failed = result, failed


class FakeModule:
    """What run_list_module uses of an AnsibleAWSModule: params (with the spec's defaults), clients, exits."""

    def __init__(self, module, entries, clients, check_mode=False, diff=False, fake_clock=None):
        key = next(iter(module.argument_spec()))
        options = module.argument_spec()[key]["options"]
        self.params = {key: [{**{n: spec.get("default") for n, spec in options.items()}, **e} for e in entries]}
        self.clients = clients
        self.check_mode = check_mode
        self._diff = diff
        self.region = "eu-west-1"
        self.warnings = []
        if fake_clock is not None:  # the run's context takes sleep and clock from wait_options
            for entry in self.params[key]:
                entry.setdefault("wait_timeout", 60)

    def retrying_client(self, service):
        return self.clients[service]

    def warn(self, message):
        self.warnings.append(message)

    def exit_json(self, **result):
        raise Exit(result, failed=False)

    def fail_json(self, **result):
        raise Exit(result, failed=True)

    def fail_json_aws_error(self, error):
        raise Exit({"msg": error.message}, failed=True)


def run(module, kind, entries, clients, **options):
    fake = FakeModule(module, entries, clients, **options)
    with pytest.raises(Exit) as info:
        run_list_module(fake, kind)
    return info.value


def ec2(name, **values):
    entry = {
        "name": name,
        "compute_resource_type": "EC2",
        "max_vcpus": 8,
        "instance_types": ["optimal"],
        "subnets": ["subnet-1"],
        "security_group_ids": ["sg-1"],
        "instance_role": "ecsInstanceRole",
    }
    entry.update(values)
    return entry


@pytest.fixture
def clients():
    return {"batch": FakeBatch(), "iam": FakeIAM(profiles=["ecsInstanceRole"]), "sts": FakeSTS()}


def test_every_problem_of_every_entry_is_reported_before_any_call(clients):
    entries = [
        ec2("a-ce", min_vcpus=9, max_vcpus=4),
        ec2("b-ce", bid_percentage=150, compute_resource_type="SPOT"),
        ec2("a-ce"),
        {"name": "bad name"},
        ec2(
            "bad name too",
            compute_resource_type="FARGATE",
            instance_types=None,
            instance_role=None,
            update_to_latest_image_version=True,
        ),
    ]
    outcome = run(compute_environments, CE, entries, clients)
    assert outcome.failed
    fields = [field for field, _rule in outcome.result["problems"]]
    assert fields == [
        "compute_environments[a-ce].min_vcpus",
        "compute_environments[b-ce].bid_percentage",
        "compute_environments[a-ce]",
        "compute_environments[bad name].name",
        "compute_environments[bad name too].name",
        "compute_environments[bad name too].update_to_latest_image_version",
    ]
    assert "compute_environments[a-ce].min_vcpus: must not exceed max_vcpus (9 > 4)" in outcome.result["msg"]
    assert clients["batch"].calls == [] and clients["iam"].calls == []


def test_problems_that_need_the_reads_are_reported_together_before_any_write(clients):
    batch = clients["batch"]
    batch.add_environment("old-ce", {"allocationStrategy": "BEST_FIT"})
    entries = [
        ec2("old-ce", instance_types=["m5"]),  # not updatable in place: needs replace
        {"name": "new-ce", "max_vcpus": 4},  # a creation needs compute_resource_type...
        ec2("ok-ce"),
    ]
    outcome = run(compute_environments, CE, entries, clients)
    assert outcome.failed and batch.writes == []
    fields = [field for field, _rule in outcome.result["problems"]]
    assert fields == ["compute_environments[old-ce].replace", "compute_environments[new-ce].compute_resource_type"]


def test_creations_are_issued_then_waited_for_together(fake_clock):
    batch = SettlingBatch()
    clients = {"batch": batch, "iam": FakeIAM(profiles=["ecsInstanceRole"]), "sts": FakeSTS()}
    original = batch.create_compute_environment

    def create(**kwargs):
        response = original(**kwargs)
        batch.in_transition(kwargs["computeEnvironmentName"], "CREATING", describes=2)
        return response

    batch.create_compute_environment = create
    entries = [ec2(f"{letter}-ce") for letter in "abc"]
    fake = FakeModule(compute_environments, entries, clients)
    from ansible_collections.ondemand.batch.plugins.module_utils import reconcile

    original_from_module = reconcile.Context.from_module

    def from_module(module, wait=True, wait_timeout=None):
        ctx = original_from_module(module, wait, wait_timeout)
        ctx.wait_options.update(sleep=fake_clock.sleep, clock=fake_clock)
        return ctx

    reconcile.Context.from_module = from_module
    try:
        with pytest.raises(Exit) as info:
            run_list_module(fake, CE)
    finally:
        reconcile.Context.from_module = original_from_module
    result = info.value.result
    assert not info.value.failed, result
    operations = [op for op, _kwargs in batch.calls if op != "get_instance_profile"]
    # One read of all three (with their temporary names), three creations, then polls of all three at once.
    assert operations[:4] == ["describe_compute_environments"] + ["create_compute_environment"] * 3
    polls = [kwargs["computeEnvironments"] for op, kwargs in batch.calls[4:] if op == "describe_compute_environments"]
    assert polls[0] == [f"arn:aws:batch:eu-west-1:{ACCOUNT}:compute-environment/{x}-ce" for x in "abc"]
    assert all(poll == polls[0] for poll in polls) and len(polls) == 3  # every poll: all three
    assert fake_clock.sleeps == [0.2, 0.3, 0.45]
    assert [(e["name"], e["action"], e["compute_environment"]["status"]) for e in result["compute_environments"]] == [
        ("a-ce", "create", "VALID"),
        ("b-ce", "create", "VALID"),
        ("c-ce", "create", "VALID"),
    ]
    assert clients["iam"].calls == [("get_instance_profile", {"InstanceProfileName": "ecsInstanceRole"})]  # once


def test_environments_iam_has_not_reached_yet_back_off_and_are_validated_together(fake_clock, monkeypatch):
    """Issue 14: each environment INVALID for IAM propagation pauses, and the pauses and polls of all run together."""
    not_yet = "CLIENT_ERROR - Invalid IamInstanceProfile: ecsInstanceRole"
    batch = FakeBatch(invalid={"a-ce": [not_yet, not_yet], "b-ce": [not_yet]})
    clients = {"batch": batch, "iam": FakeIAM(profiles=["ecsInstanceRole"]), "sts": FakeSTS()}
    from ansible_collections.ondemand.batch.plugins.module_utils import reconcile

    original_from_module = reconcile.Context.from_module

    def from_module(module, wait=True, wait_timeout=None):
        ctx = original_from_module(module, wait, wait_timeout)
        ctx.wait_options.update(sleep=fake_clock.sleep, clock=fake_clock)
        return ctx

    monkeypatch.setattr(reconcile.Context, "from_module", from_module)
    fake = FakeModule(compute_environments, [ec2("a-ce"), ec2("b-ce"), ec2("c-ce")], clients, fake_clock=fake_clock)
    with pytest.raises(Exit) as info:
        run_list_module(fake, CE)
    outcome = info.value
    assert not outcome.failed, outcome.result
    assert [e["compute_environment"]["status"] for e in outcome.result["compute_environments"]] == ["VALID"] * 3
    arn = f"arn:aws:batch:eu-west-1:{ACCOUNT}:compute-environment/"
    assert [(op, kwargs.get("computeEnvironment")) for op, kwargs in batch.writes if op.startswith("update")] == [
        ("update_compute_environment", arn + "a-ce"),
        ("update_compute_environment", arn + "b-ce"),
        ("update_compute_environment", arn + "a-ce"),
    ]
    polls = [kwargs["computeEnvironments"] for op, kwargs in batch.calls[4:] if op == "describe_compute_environments"]
    assert polls == [[arn + "a-ce", arn + "b-ce", arn + "c-ce"], [arn + "a-ce", arn + "b-ce"], [arn + "a-ce"]]
    # Both paused 1 s at once; then a-ce alone 2 s: the run takes what the slowest environment needs.
    assert fake_clock.sleeps == [0.2, 1, 0.2, 2, 0.2]
    assert [warning.split(":", 1)[0] for warning in fake.warnings] == [
        "compute_environments[a-ce]",
        "compute_environments[b-ce]",
        "compute_environments[a-ce]",
    ]


def test_check_mode_predicts_the_run_and_diff_is_per_entry(clients):
    batch = clients["batch"]
    batch.add_environment("a-ce", {"allocationStrategy": "BEST_FIT_PROGRESSIVE"}, tags={"t": "1"})
    entries = [ec2("a-ce", max_vcpus=16, tags={"t": "2"}), ec2("b-ce"), {"name": "gone-ce", "state": "absent"}]
    checked = run(compute_environments, CE, entries, clients, check_mode=True, diff=True).result
    assert batch.writes == []
    real = run(compute_environments, CE, copy.deepcopy(entries), clients, diff=True).result
    for result in (checked, real):
        assert [(e["name"], e["action"], e["changed"], e["changed_fields"][:2]) for e in result[CE.list_key]] == [
            ("a-ce", "update", True, ["max_vcpus", "tags"]),
            ("b-ce", "create", True, ["compute_environment_state", "compute_resource_type"]),
            ("gone-ce", "none", False, []),
        ]
        assert [d["before_header"] for d in result["diff"]] == [
            "compute_environment a-ce",
            "compute_environment b-ce",
            "compute_environment gone-ce",
        ]
    assert checked["compute_environments"][0] == real["compute_environments"][0]
    assert checked["diff"][0] == real["diff"][0]
    again = run(compute_environments, CE, copy.deepcopy(entries), clients).result
    assert again["changed"] is False
    assert [e["action"] for e in again["compute_environments"]] == ["none", "none", "none"]


def test_queues_look_their_environments_up_in_one_call(clients):
    batch = clients["batch"]
    arns = [batch.add_environment(name)["computeEnvironmentArn"] for name in ("a-ce", "b-ce")]
    batch.add_queue("same-jq", arns, priority=1)
    entries = [
        {"name": "new-jq", "priority": 1, "compute_environments": ["a-ce"]},
        {"name": "other-jq", "priority": 1, "compute_environments": ["b-ce", "a-ce"]},
        {"name": "same-jq", "priority": 1, "compute_environments": ["a-ce", "b-ce"]},
    ]
    result = run(job_queues, JQ, entries, clients, check_mode=True).result
    assert batch.calls == [
        ("describe_job_queues", {"jobQueues": ["new-jq", "other-jq", "same-jq"]}),
        ("describe_compute_environments", {"computeEnvironments": ["a-ce", "b-ce"]}),
    ]
    assert [e["action"] for e in result["job_queues"]] == ["create", "create", "none"]


def test_an_entry_that_fails_while_writing_does_not_stop_the_others(clients, fake_clock):
    batch = clients["batch"]
    failing = batch.create_job_queue
    batch.add_environment("a-ce")

    def create(**kwargs):
        if kwargs["jobQueueName"] == "bad-jq":
            from tests.unit.plugins.modules.test_compute_environment_fakes import client_error

            raise client_error("ClientException", "no")
        return failing(**kwargs)

    batch.create_job_queue = create
    entries = [
        {"name": "bad-jq", "priority": 1, "compute_environments": ["a-ce"]},
        {"name": "good-jq", "priority": 1, "compute_environments": ["a-ce"]},
    ]
    outcome = run(job_queues, JQ, entries, clients)
    assert outcome.failed
    assert outcome.result["msg"].startswith("job_queues[bad-jq]: Failed to create job queue")
    items = {item["name"]: item for item in outcome.result["job_queues"]}
    assert items["bad-jq"]["failed"] is True and items["good-jq"]["job_queue"]["status"] == "VALID"
    assert batch._queue("good-jq") is not None


class ManyDefinitions:
    """DescribeJobDefinitions by ``jobDefinitions`` (pages of 100, as AWS) over ``definitions``."""

    def __init__(self, definitions):
        self.definitions = definitions
        self.calls = []

    def describe_job_definitions(self, aws_retry, jobDefinitions=None, nextToken=None, **kwargs):
        assert aws_retry is True and not kwargs and jobDefinitions
        self.calls.append(("describe_job_definitions", len(jobDefinitions), nextToken))
        found = [d for d in self.definitions if d["jobDefinitionName"] in jobDefinitions]
        start = int(nextToken or 0)
        page = {"jobDefinitions": copy.deepcopy(found[start : start + 100])}
        if start + 100 < len(found):
            page["nextToken"] = str(start + 100)
        return page


@pytest.mark.parametrize("count, reads", [(1, 1), (100, 1), (150, 2), (200, 2), (250, 3)])
def test_a_no_change_run_of_n_definitions_reads_by_100_and_writes_nothing(count, reads):
    entries = [
        {
            "name": f"jd-{index}",
            "image": "busybox",
            "command": ["echo", str(index)],
            "vcpus": 1,
            "memory": 128,
            "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/exec",
        }
        for index in range(count)
    ]
    defaults = {n: s.get("default") for n, s in job_definitions.argument_spec()["job_definitions"]["options"].items()}
    described = []
    for entry in entries:
        request = job_definition.build_request({**defaults, **entry})
        described.append(
            {
                **request,
                "revision": 1,
                "status": "ACTIVE",
                "jobDefinitionArn": f"arn:aws:batch:eu-west-1:{ACCOUNT}:job-definition/{entry['name']}:1",
                "tags": {},
            }
        )
    batch = ManyDefinitions(described)
    result = run(job_definitions, job_definition.KIND, entries, {"batch": batch}).result
    assert result["changed"] is False
    assert {item["action"] for item in result["job_definitions"]} == {"none"}
    assert len(batch.calls) == reads  # ceil(N / 100): one page per 100 names, one revision each
