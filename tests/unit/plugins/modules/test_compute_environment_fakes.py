"""In-memory Batch and IAM clients for the module unit tests (and tests of the fakes themselves).

The fake follows the AWS rules the modules depend on: names are unique, DeleteComputeEnvironment
needs a DISABLED environment that no queue uses, DeleteJobQueue a DISABLED queue, queues cannot
mix EC2 and Fargate environments. Every call must pass ``aws_retry=True`` and is recorded.
Resources settle at once unless ``statuses`` says otherwise (e.g. ``{"create": "INVALID"}``), or ``invalid`` does:
``invalid[name]`` lists the statusReasons of that environment's next validations (its creation, then each update),
each of them INVALID, as when IAM has not propagated a role yet; once they are used up it is VALID again.
"""

import copy

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "eu-west-1"
SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
READS = ("describe", "list", "get")


def client_error(code, message="refused"):
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


class Recorder:
    def __init__(self):
        self.calls = []

    def record(self, operation, kwargs):
        assert kwargs.pop("aws_retry", False) is True, f"{operation} called without aws_retry=True"
        self.calls.append((operation, copy.deepcopy(kwargs)))

    @property
    def writes(self):
        return [call for call in self.calls if not call[0].startswith(READS)]

    def operations(self, writes_only=True):
        return [operation for operation, _kwargs in (self.writes if writes_only else self.calls)]


class FakePaginator:
    def __init__(self, result):
        self.result = result

    def paginate(self, **kwargs):
        return self

    def build_full_result(self):
        return self.result


class FakeBatch(Recorder):
    def __init__(self, statuses=None, invalid=None):
        super().__init__()
        self.environments = {}
        self.queues = {}
        self.policies = []
        self.statuses = statuses or {}
        self.invalid = {name: list(reasons) for name, reasons in (invalid or {}).items()}

    def _validate(self, detail, operation):
        """Status (and reason) after a creation or an update: ``invalid``'s next reason, else ``statuses``."""
        name = detail["computeEnvironmentName"]
        if name in self.invalid:
            reasons = self.invalid[name]
            if reasons:
                detail.update(status="INVALID", statusReason=reasons.pop(0))
            else:
                detail.update(status="VALID", statusReason="ComputeEnvironment Healthy")
            return
        detail["status"] = self.statuses.get(operation, "VALID")
        if operation == "create":
            detail["statusReason"] = "CLIENT_ERROR - boom" if detail["status"] == "INVALID" else "ok"

    # --- compute environments ---------------------------------------------------------------------
    def _environment(self, identifier):
        for detail in self.environments.values():
            if identifier in (detail["computeEnvironmentName"], detail["computeEnvironmentArn"]):
                return detail
        return None

    def add_environment(self, name, resources=None, **fields):
        """Put an environment straight into the fake (test set-up, not recorded)."""
        arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:compute-environment/{name}"
        detail = {
            "computeEnvironmentName": name,
            "computeEnvironmentArn": arn,
            "type": "MANAGED",
            "state": "ENABLED",
            "status": "VALID",
            "serviceRole": SLR,
            "tags": {},
            "computeResources": {
                "type": "EC2",
                "minvCpus": 0,
                "maxvCpus": 8,
                "desiredvCpus": 0,
                "instanceTypes": ["optimal"],
                "subnets": ["subnet-1"],
                "securityGroupIds": ["sg-1"],
                "instanceRole": f"arn:aws:iam::{ACCOUNT}:instance-profile/ecsInstanceRole",
                **(resources or {}),
            },
            **fields,
        }
        if detail["type"] == "UNMANAGED":
            detail.pop("computeResources")
        self.environments[arn] = detail
        return detail

    def describe_compute_environments(self, **kwargs):
        self.record("describe_compute_environments", kwargs)
        wanted = kwargs.get("computeEnvironments")
        found = [
            d
            for d in self.environments.values()
            if not wanted or {d["computeEnvironmentName"], d["computeEnvironmentArn"]} & set(wanted)
        ]
        return {"computeEnvironments": copy.deepcopy(found)}

    def create_compute_environment(self, **kwargs):
        self.record("create_compute_environment", kwargs)
        name = kwargs["computeEnvironmentName"]
        if self._environment(name):
            raise client_error("ClientException", "Object already exists")
        resources = copy.deepcopy(kwargs.get("computeResources"))
        if resources and resources["type"] in ("EC2", "SPOT"):
            resources.setdefault("desiredvCpus", resources.get("minvCpus", 0))
        detail = self.add_environment(
            name,
            type=kwargs["type"],
            state=kwargs.get("state", "ENABLED"),
            serviceRole=kwargs.get("serviceRole") or SLR,
            tags=dict(kwargs.get("tags") or {}),
        )
        self._validate(detail, "create")
        if resources is not None:
            detail["computeResources"] = resources
        return {"computeEnvironmentName": name, "computeEnvironmentArn": detail["computeEnvironmentArn"]}

    def update_compute_environment(self, **kwargs):
        self.record("update_compute_environment", kwargs)
        detail = self._environment(kwargs["computeEnvironment"])
        if detail is None:
            raise client_error("ClientException", "does not exist")
        for key in ("state", "serviceRole", "unmanagedvCpus"):
            if key in kwargs:
                detail[key] = kwargs[key]
        # An update is validated again (an INVALID environment whose cause is fixed becomes VALID).
        self._validate(detail, "update")
        if "updatePolicy" in kwargs:
            detail["updatePolicy"] = {**detail.get("updatePolicy", {}), **kwargs["updatePolicy"]}
        update = {k: v for k, v in (kwargs.get("computeResources") or {}).items() if k != "updateToLatestImageVersion"}
        resources = detail.setdefault("computeResources", {})
        resources.update(copy.deepcopy(update))
        if (kwargs.get("computeResources") or {}).get("updateToLatestImageVersion"):
            for item in resources.get("ec2Configuration") or []:
                if "batchImageStatus" in item:
                    item["batchImageStatus"] = "LATEST"
        if update and resources.get("type") in ("EC2", "SPOT") and "desiredvCpus" not in update:
            # Batch moves the desired vCPUs into the new range by itself.
            minimum = resources.get("minvCpus", 0)
            resources["desiredvCpus"] = min(max(resources.get("desiredvCpus", 0), minimum), resources["maxvCpus"])
        if detail["type"] == "UNMANAGED":
            detail.pop("computeResources")
        return {}

    def delete_compute_environment(self, **kwargs):
        self.record("delete_compute_environment", kwargs)
        detail = self._environment(kwargs["computeEnvironment"])
        if detail["state"] != "DISABLED":
            raise client_error("ClientException", "Cannot delete, compute environment is ENABLED")
        if any(
            detail["computeEnvironmentArn"] == e["computeEnvironment"]
            for q in self.queues.values()
            for e in q["computeEnvironmentOrder"]
        ):
            raise client_error("ClientException", "Cannot delete, found existing JobQueue relationship")
        del self.environments[detail["computeEnvironmentArn"]]
        return {}

    # --- job queues -------------------------------------------------------------------------------
    def _queue(self, identifier):
        for detail in self.queues.values():
            if identifier in (detail["jobQueueName"], detail["jobQueueArn"]):
                return detail
        return None

    def _check_order(self, order):
        platforms = set()
        for item in order:
            environment = self._environment(item["computeEnvironment"])
            if environment is None:
                raise client_error("ClientException", f"{item['computeEnvironment']} does not exist")
            platforms.add("FARGATE" in environment.get("computeResources", {}).get("type", "EC2"))
        if len(platforms) > 1:
            raise client_error("ClientException", "cannot mix")

    def add_queue(self, name, environment_arns, **fields):
        arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/{name}"
        self.queues[arn] = {
            "jobQueueName": name,
            "jobQueueArn": arn,
            "state": "ENABLED",
            "status": "VALID",
            "priority": 1,
            "computeEnvironmentOrder": [
                {"order": i, "computeEnvironment": a} for i, a in enumerate(environment_arns, 1)
            ],
            "tags": {},
            **fields,
        }
        return self.queues[arn]

    def describe_job_queues(self, **kwargs):
        self.record("describe_job_queues", kwargs)
        wanted = kwargs.get("jobQueues")
        found = [q for q in self.queues.values() if not wanted or {q["jobQueueName"], q["jobQueueArn"]} & set(wanted)]
        return {"jobQueues": copy.deepcopy(found)}

    def create_job_queue(self, **kwargs):
        self.record("create_job_queue", kwargs)
        if self._queue(kwargs["jobQueueName"]):
            raise client_error("ClientException", "Object already exists")
        self._check_order(kwargs["computeEnvironmentOrder"])
        extra = {
            k: copy.deepcopy(kwargs[k]) for k in ("schedulingPolicyArn", "jobStateTimeLimitActions") if k in kwargs
        }
        queue = self.add_queue(
            kwargs["jobQueueName"],
            [],
            state=kwargs.get("state", "ENABLED"),
            priority=kwargs["priority"],
            tags=dict(kwargs.get("tags") or {}),
            **extra,
        )
        queue["computeEnvironmentOrder"] = copy.deepcopy(kwargs["computeEnvironmentOrder"])
        return {"jobQueueName": queue["jobQueueName"], "jobQueueArn": queue["jobQueueArn"]}

    def update_job_queue(self, **kwargs):
        self.record("update_job_queue", kwargs)
        queue = self._queue(kwargs["jobQueue"])
        if "computeEnvironmentOrder" in kwargs:
            self._check_order(kwargs["computeEnvironmentOrder"])
        for key in ("state", "priority", "computeEnvironmentOrder", "schedulingPolicyArn", "jobStateTimeLimitActions"):
            if key in kwargs:
                queue[key] = copy.deepcopy(kwargs[key])
        return {}

    def delete_job_queue(self, **kwargs):
        self.record("delete_job_queue", kwargs)
        queue = self._queue(kwargs["jobQueue"])
        if queue["state"] != "DISABLED":
            raise client_error("ClientException", "Cannot delete, job queue is ENABLED")
        del self.queues[queue["jobQueueArn"]]
        return {}

    # --- tags, scheduling policies, paginators -------------------------------------------------------
    def _tagged(self, arn):
        return self.environments.get(arn) or self.queues.get(arn)

    def tag_resource(self, **kwargs):
        self.record("tag_resource", kwargs)
        self._tagged(kwargs["resourceArn"])["tags"].update(kwargs["tags"])

    def untag_resource(self, **kwargs):
        self.record("untag_resource", kwargs)
        tags = self._tagged(kwargs["resourceArn"])["tags"]
        for key in kwargs["tagKeys"]:
            tags.pop(key, None)

    def get_paginator(self, operation):
        self.calls.append((f"{operation} (paginated)", {}))
        if operation == "describe_compute_environments":
            return FakePaginator({"computeEnvironments": copy.deepcopy(list(self.environments.values()))})
        if operation == "describe_job_queues":
            return FakePaginator({"jobQueues": copy.deepcopy(list(self.queues.values()))})
        if operation == "list_scheduling_policies":
            return FakePaginator({"schedulingPolicies": [{"arn": arn} for arn in self.policies]})
        raise AssertionError(f"unexpected paginator {operation}")


class FakeIAM(Recorder):
    def __init__(self, profiles=(), roles=()):
        super().__init__()
        self.profiles = set(profiles)
        self.roles = set(roles)

    def get_instance_profile(self, **kwargs):
        self.record("get_instance_profile", kwargs)
        name = kwargs["InstanceProfileName"]
        if name not in self.profiles:
            raise client_error("NoSuchEntity")
        return {"InstanceProfile": {"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}"}}

    def get_role(self, **kwargs):
        self.record("get_role", kwargs)
        name = kwargs["RoleName"]
        if name not in self.roles:
            raise client_error("NoSuchEntity")
        return {"Role": {"Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}"}}


class FakeSTS(Recorder):
    def get_caller_identity(self, **kwargs):
        self.record("get_caller_identity", kwargs)
        return {"Account": ACCOUNT, "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/session"}


@pytest.fixture
def batch():
    return FakeBatch()


def test_fake_refuses_calls_without_retry(batch):
    with pytest.raises(AssertionError, match="aws_retry"):
        batch.describe_compute_environments()


def test_fake_enforces_delete_rules(batch):
    environment = batch.add_environment("dev-carbon-ce")
    batch.add_queue("dev-carbon-jq", [environment["computeEnvironmentArn"]])
    with pytest.raises(ClientError, match="ENABLED"):
        batch.delete_compute_environment(computeEnvironment="dev-carbon-ce", aws_retry=True)
    environment["state"] = "DISABLED"
    with pytest.raises(ClientError, match="JobQueue relationship"):
        batch.delete_compute_environment(computeEnvironment="dev-carbon-ce", aws_retry=True)
