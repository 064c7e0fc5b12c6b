"""Compute environments and job queues with AWS's status lifecycle and rules.

Status changes are lazy: an operation starts a transition (CREATING, UPDATING, DELETING) due after the
configured ``transition_delay``; every read settles the transitions that are due. No thread is involved.
"""

import contextlib
import copy
import re
import time
import uuid

from moto.batch.exceptions import ClientException
from moto.batch.utils import make_arn_for_compute_env, make_arn_for_job_queue
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models.instance_types import INSTANCE_FAMILIES, INSTANCE_TYPES
from moto.iam.exceptions import NotFoundException as IAMNotFoundException

from emulator import runtime

NAME_REGEX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
TRANSITIONAL = ("CREATING", "UPDATING", "DELETING")
FARGATE_TYPES = ("FARGATE", "FARGATE_SPOT")
EC2_TYPES = ("EC2", "SPOT")
ALLOCATION_STRATEGIES = ("BEST_FIT", "BEST_FIT_PROGRESSIVE", "SPOT_CAPACITY_OPTIMIZED", "SPOT_PRICE_CAPACITY_OPTIMIZED")
# Allocation strategies under which AWS performs infrastructure updates (BEST_FIT cannot be updated in place).
PROGRESSIVE_STRATEGIES = ("BEST_FIT_PROGRESSIVE", "SPOT_CAPACITY_OPTIMIZED", "SPOT_PRICE_CAPACITY_OPTIMIZED")
SLR_PATH = "aws-service-role/batch.amazonaws.com/"
SLR_NAME = "AWSServiceRoleForBatch"
# Fields of ComputeResource that AWS rejects for Fargate compute environments.
NOT_FOR_FARGATE = (
    "minvCpus",
    "desiredvCpus",
    "instanceTypes",
    "imageId",
    "ec2KeyPair",
    "instanceRole",
    "tags",
    "placementGroup",
    "bidPercentage",
    "spotIamFleetRole",
    "launchTemplate",
    "ec2Configuration",
    "allocationStrategy",
)
SCALING_FIELDS = ("minvCpus", "maxvCpus", "desiredvCpus", "scalingPolicy")
EC2_UPDATABLE = (
    "minvCpus",
    "maxvCpus",
    "desiredvCpus",
    "subnets",
    "securityGroupIds",
    "allocationStrategy",
    "instanceTypes",
    "ec2KeyPair",
    "instanceRole",
    "tags",
    "placementGroup",
    "bidPercentage",
    "launchTemplate",
    "ec2Configuration",
    "updateToLatestImageVersion",
    "type",
    "imageId",
    "scalingPolicy",
)
FARGATE_UPDATABLE = ("maxvCpus", "subnets", "securityGroupIds")
# Fields an empty string removes (AWS: "set this value to an empty string" to go back to the default).
REMOVABLE_WITH_EMPTY_STRING = ("ec2KeyPair", "imageId", "placementGroup")
# List fields where an empty list means "no change" (AWS: handled as if the parameter wasn't specified).
UNCHANGED_WHEN_EMPTY = ("subnets", "securityGroupIds", "instanceTypes")


def now_ms():
    return int(time.time() * 1000)


class Lifecycle:
    """A ``status`` that moves from a transitional value to its outcome once ``transition_delay`` passed."""

    def _start_transition(self, transitional, outcome):
        self.status = transitional
        self.status_reason = None
        self._due = time.monotonic() + runtime.controls.transition_delay
        self._outcome = outcome

    @property
    def transitional(self):
        return self._outcome is not None

    def settle(self, now=None):
        """Apply the pending transition if it is due; returns True when the resource is gone (DELETED)."""
        if self._outcome is not None and (now if now is not None else time.monotonic()) >= self._due:
            outcome, self._outcome = self._outcome, None
            outcome()
        return self.status == "DELETED"


class ComputeEnvironment(Lifecycle):
    def __init__(self, backend, request):
        self.backend = backend
        self.name = request["computeEnvironmentName"]
        self.arn = make_arn_for_compute_env(backend.account_id, self.name, backend.region_name)
        self.type = request["type"]
        self.state = request.get("state") or "ENABLED"
        self.unmanaged_vcpus = request.get("unmanagedvCpus")
        self.compute_resources = copy.deepcopy(request.get("computeResources")) if self.type == "MANAGED" else None
        self.update_policy = request.get("updatePolicy")
        self.context = request.get("context")
        # ComputeResourceUpdate only: the API has no such member in CreateComputeEnvironment's ComputeResource nor
        # in DescribeComputeEnvironments' answer, so it is kept here, outside computeResources.
        self.update_to_latest_image_version = False
        if self.compute_resources is not None and "updateToLatestImageVersion" in self.compute_resources:
            self.update_to_latest_image_version = bool(self.compute_resources.pop("updateToLatestImageVersion"))
        self.uuid = str(uuid.uuid4())
        self.service_role = backend.resolve_service_role(request.get("serviceRole"))
        if self.compute_resources is not None and self.compute_resources.get("type") in EC2_TYPES:
            self.compute_resources.setdefault("minvCpus", 0)
            self.compute_resources.setdefault("desiredvCpus", self.compute_resources["minvCpus"])
        cluster = backend.ecs_backend.create_cluster(f"{self.name}_Batch_{uuid.uuid4()}")
        self.ecs_cluster_arn = cluster.arn
        self.ecs_cluster_name = cluster.name
        self._outcome = None
        self._start_transition("CREATING", self._validated)

    # --- what AWS checks asynchronously: missing roles, profiles, subnets and groups make it INVALID -----
    def _validated(self):
        reason = self.backend.invalid_reason(self)
        if reason:
            self.status, self.status_reason = "INVALID", reason
        else:
            self.status, self.status_reason = "VALID", "ComputeEnvironment Healthy"

    def _deleted(self):
        self.status = "DELETED"
        with contextlib.suppress(Exception):  # the cluster may already be gone
            self.backend.ecs_backend.delete_cluster(self.ecs_cluster_name)

    @property
    def resource_type(self):
        return (self.compute_resources or {}).get("type", "EC2")

    @property
    def is_fargate(self):
        return self.resource_type in FARGATE_TYPES

    @property
    def uses_service_linked_role(self):
        return self.service_role.endswith(f":role/{SLR_PATH}{SLR_NAME}")

    @property
    def ready(self):
        """AWS places jobs only on ENABLED environments whose status is VALID."""
        return self.state == "ENABLED" and self.status == "VALID"

    def describe(self):
        detail = {
            "computeEnvironmentName": self.name,
            "computeEnvironmentArn": self.arn,
            "ecsClusterArn": self.ecs_cluster_arn,
            "tags": self.backend.list_tags_for_resource(self.arn),
            "type": self.type,
            "state": self.state,
            "status": self.status,
            "serviceRole": self.service_role,
            "containerOrchestrationType": "ECS",
            "uuid": self.uuid,
        }
        if self.status_reason:
            detail["statusReason"] = self.status_reason
        if self.compute_resources is not None:
            detail["computeResources"] = copy.deepcopy(self.compute_resources)
        if self.unmanaged_vcpus is not None:
            detail["unmanagedvCpus"] = self.unmanaged_vcpus
        if self.update_policy:
            detail["updatePolicy"] = copy.deepcopy(self.update_policy)
        if self.context:
            detail["context"] = self.context
        return detail

    # --- UpdateComputeEnvironment ----------------------------------------------------------------------
    def update(self, request):
        if self.transitional:
            raise ClientException(f"Cannot update, compute environment {self.name} is in {self.status} status")
        state = request.get("state")
        if state is not None and state not in ("ENABLED", "DISABLED"):
            raise ClientException(f"state {state} must be one of ENABLED | DISABLED")
        if request.get("unmanagedvCpus") is not None and self.type != "UNMANAGED":
            raise ClientException("unmanagedvCpus can only be specified for UNMANAGED compute environments")
        service_role = None
        if request.get("serviceRole"):
            service_role = self.backend.resolve_service_role(request["serviceRole"])
            linked = service_role.endswith(f":role/{SLR_PATH}{SLR_NAME}")
            if linked != self.uses_service_linked_role:
                raise ClientException(
                    "Cannot update the service role between the AWSServiceRoleForBatch service-linked role "
                    "and a regular IAM role"
                )
        resources = None
        if request.get("computeResources"):
            if self.type != "MANAGED":
                raise ClientException("computeResources can only be updated for MANAGED compute environments")
            resources = self._updated_resources(request["computeResources"], service_role or self.service_role)

        if state is not None:
            self.state = state
        if request.get("unmanagedvCpus") is not None:
            self.unmanaged_vcpus = request["unmanagedvCpus"]
        if service_role is not None:
            self.service_role = service_role
        if resources is not None:
            self.compute_resources = resources
            if request["computeResources"].get("updateToLatestImageVersion") is not None:
                self.update_to_latest_image_version = bool(request["computeResources"]["updateToLatestImageVersion"])
        if request.get("updatePolicy"):
            self.update_policy = {**(self.update_policy or {}), **request["updatePolicy"]}
        if request.get("context") is not None:
            self.context = request["context"]
        self._start_transition("UPDATING", self._validated)

    def _updated_resources(self, update, service_role):
        current = self.compute_resources
        allowed = FARGATE_UPDATABLE if self.is_fargate else EC2_UPDATABLE
        refused = sorted(key for key, value in update.items() if key not in allowed and value is not None)
        if refused:
            kind = "Fargate" if self.is_fargate else "EC2/SPOT"
            raise ClientException(
                f"Cannot update {', '.join(refused)} of {kind} compute environment {self.name}; "
                f"updatable fields: {', '.join(allowed)}"
            )
        infrastructure = sorted(
            key
            for key, value in update.items()
            if key not in SCALING_FIELDS and value is not None and not (key in UNCHANGED_WHEN_EMPTY and value == [])
        )
        if infrastructure and not self.is_fargate:
            linked = service_role.endswith(f":role/{SLR_PATH}{SLR_NAME}")
            strategy = current.get("allocationStrategy", "BEST_FIT")
            if not linked or strategy not in PROGRESSIVE_STRATEGIES:
                raise ClientException(
                    f"Cannot update {', '.join(infrastructure)}: infrastructure updates require the "
                    "AWSServiceRoleForBatch service role and the BEST_FIT_PROGRESSIVE, SPOT_CAPACITY_OPTIMIZED or "
                    f"SPOT_PRICE_CAPACITY_OPTIMIZED allocation strategy (compute environment {self.name} uses "
                    f"{strategy})"
                )
        new = copy.deepcopy(current)
        for key, value in update.items():
            if value is None or key == "updateToLatestImageVersion":
                continue
            if key in UNCHANGED_WHEN_EMPTY and value == []:
                continue
            if key in REMOVABLE_WITH_EMPTY_STRING and value == "":
                new.pop(key, None)
                continue
            if key == "launchTemplate" and not (value.get("launchTemplateId") or value.get("launchTemplateName")):
                new.pop(key, None)
                continue
            new[key] = copy.deepcopy(value)
        if new.get("type") != current.get("type") and {new.get("type"), current.get("type")} != set(EC2_TYPES):
            raise ClientException(f"Cannot update the type of compute environment {self.name} to {new.get('type')}")
        if update.get("allocationStrategy") is not None and update["allocationStrategy"] not in PROGRESSIVE_STRATEGIES:
            raise ClientException(
                f"allocationStrategy {update['allocationStrategy']} cannot be set by an update; use one of "
                f"{', '.join(PROGRESSIVE_STRATEGIES)}"
            )
        if new.get("allocationStrategy", "").startswith("SPOT_") and new.get("type") != "SPOT":
            raise ClientException(f"allocationStrategy {new['allocationStrategy']} is only valid for SPOT")
        if not self.is_fargate:
            old_desired = current.get("desiredvCpus", 0)
            if update.get("desiredvCpus") is not None:
                if update["desiredvCpus"] < old_desired:
                    raise ClientException(
                        "Manually scaling down compute environment is not supported. Disconnecting job queues "
                        "from compute environment will cause it to scale-down to minvCpus."
                    )
            elif new.get("maxvCpus", 0) >= new.get("minvCpus", 0):
                # Batch itself moves desiredvCpus into the new [minvCpus, maxvCpus] range.
                new["desiredvCpus"] = min(max(old_desired, new.get("minvCpus", 0)), new["maxvCpus"])
        _check_vcpus(new, self.is_fargate)
        _check_instance_types(new)
        return new


def validate_compute_environment_request(request):
    """Synchronous checks AWS makes on CreateComputeEnvironment (ClientException on failure)."""
    name = request.get("computeEnvironmentName")
    if not name or not NAME_REGEX.match(name):
        raise ClientException(
            "computeEnvironmentName must be 1-128 letters, numbers, hyphens and underscores, starting with a "
            "letter or number"
        )
    ce_type = request.get("type")
    if ce_type not in ("MANAGED", "UNMANAGED"):
        raise ClientException(f"type {ce_type} must be one of MANAGED | UNMANAGED")
    state = request.get("state")
    if state is not None and state not in ("ENABLED", "DISABLED"):
        raise ClientException(f"state {state} must be one of ENABLED | DISABLED")
    resources = request.get("computeResources")
    if ce_type == "UNMANAGED":
        if resources:
            raise ClientException("computeResources cannot be specified for an UNMANAGED compute environment")
        return
    if not resources:
        raise ClientException("computeResources must be provided for a MANAGED compute environment")
    cr_type = resources.get("type")
    if cr_type not in EC2_TYPES + FARGATE_TYPES:
        raise ClientException("computeResources.type must be one of EC2 | SPOT | FARGATE | FARGATE_SPOT")
    if resources.get("maxvCpus") is None:
        raise ClientException("computeResources.maxvCpus must be provided")
    if not resources.get("subnets"):
        raise ClientException("computeResources.subnets must contain at least one subnet")
    fargate = cr_type in FARGATE_TYPES
    if fargate:
        given = [key for key in NOT_FOR_FARGATE if resources.get(key) is not None]
        if given:
            raise ClientException(
                f"Error executing request, Exception : {', '.join(given)} not applicable for Fargate compute "
                "environments"
            )
        if not resources.get("securityGroupIds"):
            raise ClientException("computeResources.securityGroupIds must be provided for Fargate resources")
    else:
        if not resources.get("instanceRole"):
            raise ClientException("Error executing request, Exception : Instance role is required.")
        if not resources.get("instanceTypes"):
            raise ClientException("Error executing request, Exception : Instance types are required.")
        strategy = resources.get("allocationStrategy", "BEST_FIT")
        if strategy not in ALLOCATION_STRATEGIES:
            raise ClientException(f"allocationStrategy must be one of {', '.join(ALLOCATION_STRATEGIES)}")
        if strategy.startswith("SPOT_") and cr_type != "SPOT":
            raise ClientException(f"allocationStrategy {strategy} is only valid for SPOT compute resources")
        if cr_type == "SPOT" and strategy == "BEST_FIT" and not resources.get("spotIamFleetRole"):
            raise ClientException("spotIamFleetRole is required for SPOT compute resources with BEST_FIT allocation")
        _check_instance_types(resources)
    _check_vcpus({"minvCpus": 0, **resources} if not fargate else resources, fargate)


def _check_vcpus(resources, fargate):
    maximum = resources.get("maxvCpus")
    if maximum is None or maximum < 0:
        raise ClientException("maxvCpus must be >= 0")
    if fargate:
        return
    minimum = resources.get("minvCpus", 0)
    if minimum < 0:
        raise ClientException("minvCpus must be >= 0")
    if minimum > maximum:
        raise ClientException(f"minvCpus ({minimum}) cannot be greater than maxvCpus ({maximum})")
    desired = resources.get("desiredvCpus")
    if desired is not None and not minimum <= desired <= maximum:
        raise ClientException(f"desiredvCpus ({desired}) must be between minvCpus ({minimum}) and maxvCpus ({maximum})")


def _check_instance_types(resources):
    for instance_type in resources.get("instanceTypes") or []:
        if instance_type in ("optimal", "default_x86_64", "default_arm64"):
            continue
        if instance_type not in INSTANCE_TYPES and instance_type not in INSTANCE_FAMILIES:
            raise ClientException(f"Instance type {instance_type} does not exist")


class JobQueue(Lifecycle):
    def __init__(self, backend, request, environments):
        self.backend = backend
        self.name = request["jobQueueName"]
        self.arn = make_arn_for_job_queue(backend.account_id, self.name, backend.region_name)
        self.state = request.get("state") or "ENABLED"
        self.priority = request["priority"]
        self.scheduling_policy_arn = request.get("schedulingPolicyArn")
        self.time_limit_actions = check_time_limit_actions(request.get("jobStateTimeLimitActions"))
        self.environments = environments
        self.jobs = []
        self._outcome = None
        self._start_transition("CREATING", self._valid)

    def _valid(self):
        self.status, self.status_reason = "VALID", "JobQueue Healthy"

    def _deleted(self):
        self.status = "DELETED"

    @property
    def ready(self):
        return self.state == "ENABLED" and self.status == "VALID"

    def environment_order(self):
        return [{"order": order, "computeEnvironment": ce.arn} for order, ce in self.environments]

    def describe(self):
        detail = {
            "jobQueueName": self.name,
            "jobQueueArn": self.arn,
            "state": self.state,
            "status": self.status,
            "priority": self.priority,
            "computeEnvironmentOrder": self.environment_order(),
            "tags": self.backend.list_tags_for_resource(self.arn),
        }
        if self.status_reason:
            detail["statusReason"] = self.status_reason
        if self.scheduling_policy_arn:
            detail["schedulingPolicyArn"] = self.scheduling_policy_arn
        if self.time_limit_actions:
            detail["jobStateTimeLimitActions"] = copy.deepcopy(self.time_limit_actions)
        return detail

    def update(self, request, environments):
        if self.transitional:
            raise ClientException(f"Cannot update, job queue {self.name} is in {self.status} status")
        state = request.get("state")
        if state is not None and state not in ("ENABLED", "DISABLED"):
            raise ClientException(f"state {state} must be one of ENABLED | DISABLED")
        actions = check_time_limit_actions(request.get("jobStateTimeLimitActions"))
        if state is not None:
            self.state = state
        if request.get("priority") is not None:
            self.priority = request["priority"]
        if environments is not None:
            self.environments = environments
        if request.get("schedulingPolicyArn"):
            self.scheduling_policy_arn = request["schedulingPolicyArn"]
        if actions is not None:
            self.time_limit_actions = actions
        self._start_transition("UPDATING", self._valid)


def check_time_limit_actions(actions):
    """jobStateTimeLimitActions as the API reference (JobStateTimeLimitAction) allows them, or ClientException."""
    if actions is None:
        return None
    for action in actions:
        if not action.get("reason"):
            raise ClientException("jobStateTimeLimitActions.reason must be provided")
        if action.get("state") != "RUNNABLE":
            raise ClientException(f"jobStateTimeLimitActions.state {action.get('state')} must be RUNNABLE")
        if action.get("action") != "CANCEL":
            raise ClientException(
                f"jobStateTimeLimitActions.action {action.get('action')} must be CANCEL for a job queue of compute "
                "environments (TERMINATE is for SAGEMAKER_TRAINING service environments)"
            )
        seconds = action.get("maxTimeSeconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 600 <= seconds <= 86400:
            raise ClientException(
                f"jobStateTimeLimitActions.maxTimeSeconds must be between 600 and 86400 seconds, got {seconds}"
            )
    return copy.deepcopy(actions)


def check_role_exists(iam, role):
    """Raise IAMNotFoundException unless ``role`` (ARN or [path/]name) exists in IAM."""
    if role.startswith("arn:"):
        iam.get_role_by_arn(role)
    else:
        iam.get_role(role.rsplit("/", 1)[-1])


def find_instance_profile(iam, profile):
    try:
        if profile.startswith("arn:"):
            return iam.get_instance_profile_by_arn(profile)
        return iam.get_instance_profile(profile.rsplit("/", 1)[-1])
    except IAMNotFoundException:
        return None


def missing_subnet(ec2, subnet_ids):
    for subnet_id in subnet_ids or []:
        try:
            ec2.get_subnet(subnet_id)
        except InvalidSubnetIdError:
            return subnet_id
    return None
