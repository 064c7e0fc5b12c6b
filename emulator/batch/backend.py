"""moto's Batch backend with AWS's behaviour where moto 5.2.5 differs (measured), and a Docker-free job runner."""

import base64
import contextlib
import copy
import json
import re

from moto.batch.exceptions import ClientException
from moto.batch.models import BatchBackend as MotoBatchBackend
from moto.batch.models import JobDefinition
from moto.iam.exceptions import NotFoundException as IAMNotFoundException

from emulator import iam
from emulator.batch import resources
from emulator.batch.jobs import SCHEDULER, STATUSES, TERMINAL, Job
from emulator.batch.resources import (
    NAME_REGEX,
    SLR_NAME,
    SLR_PATH,
    ComputeEnvironment,
    JobQueue,
    check_role_exists,
    find_instance_profile,
    missing_subnet,
)

JOB_NAME_REGEX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
FILTERS = ("JOB_NAME", "JOB_DEFINITION", "BEFORE_CREATED_AT", "AFTER_CREATED_AT")


def _encode_token(offset):
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token):
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError(offset)
        return offset
    except Exception:  # any malformed token is the client's error
        raise ClientException(f"Invalid nextToken: {token}") from None


def paginate(items, max_results, next_token, maximum):
    start = _decode_token(next_token) if next_token else 0
    if max_results is not None and not 1 <= int(max_results) <= maximum:
        raise ClientException(f"maxResults must be between 1 and {maximum}")
    size = int(max_results or maximum)
    page = items[start : start + size]
    token = _encode_token(start + size) if start + size < len(items) else None
    return page, token


def _drop_none(data):
    return {key: value for key, value in data.items() if value is not None}


class EmulatorBatchBackend(MotoBatchBackend):
    """Compute environments, queues and jobs are the emulator's own models; job definitions, scheduling
    policies and tags stay moto's (job definition registration is fixed: every revision is independent)."""

    def __init__(self, region_name, account_id):
        super().__init__(region_name, account_id)
        self.environments = {}
        self.queues = {}
        self.jobs = {}

    @property
    def _url_module(self):
        from emulator.batch import responses

        return responses.URLS

    def reset(self):
        SCHEDULER.clear(self)
        super().reset()

    # --- helpers ----------------------------------------------------------------------------------
    def settle(self):
        for arn, ce in list(self.environments.items()):
            if ce.settle():
                del self.environments[arn]
        for arn, queue in list(self.queues.items()):
            if queue.settle():
                del self.queues[arn]

    def find_environment(self, identifier):
        ce = self.environments.get(identifier)
        if ce is None:
            ce = next((each for each in self.environments.values() if each.name == identifier), None)
        return ce

    def find_queue(self, identifier):
        queue = self.queues.get(identifier)
        if queue is None:
            queue = next((each for each in self.queues.values() if each.name == identifier), None)
        return queue

    def resolve_service_role(self, role):
        if not role:
            return self._service_linked_role()
        if role.startswith("arn:"):
            return role
        try:
            return self.iam_backend.get_role(role.rsplit("/", 1)[-1]).arn
        except IAMNotFoundException:
            return f"arn:{self.partition}:iam::{self.account_id}:role/{role}"

    def _service_linked_role(self):
        """AWS creates the Batch service-linked role when a compute environment needs it."""
        iam = self.iam_backend
        try:
            return iam.get_role(SLR_NAME).arn
        except IAMNotFoundException:
            pass
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        role = iam.create_role(
            SLR_NAME,
            json.dumps(document),
            f"/{SLR_PATH}",
            permissions_boundary=None,
            description="Allows Batch to create and manage AWS resources on your behalf.",
            tags=[],
            max_session_duration="3600",
            linked_service="batch.amazonaws.com",
        )
        # Managed policies may be unavailable; the role is what matters.
        with contextlib.suppress(Exception):
            iam.attach_role_policy(
                f"arn:{self.partition}:iam::aws:policy/aws-service-role/BatchServiceRolePolicy", SLR_NAME
            )
        return role.arn

    def invalid_reason(self, ce):
        """Why AWS would report this compute environment INVALID, or None."""
        if not ce.uses_service_linked_role:
            try:
                check_role_exists(self.iam_backend, ce.service_role)
            except IAMNotFoundException:
                return f"CLIENT_ERROR - The service role {ce.service_role} does not exist in IAM"
            if iam.role_propagating(self.iam_backend, ce.service_role):
                return iam.BATCH_SERVICE_ROLE.format(arn=ce.service_role, request_id=iam.request_id())
        resources_ = ce.compute_resources
        if resources_ is None:
            return None
        if not ce.is_fargate:
            # The spot fleet request (its role) comes before any instance is launched (with the profile).
            fleet_role = resources_.get("spotIamFleetRole")
            if fleet_role:
                found = iam.find_role(self.iam_backend, fleet_role)
                if found is None or iam.propagating(found):
                    return iam.BATCH_SPOT_FLEET_ROLE
            profile = find_instance_profile(self.iam_backend, resources_["instanceRole"])
            if profile is None:
                return (
                    f"CLIENT_ERROR - Instance profile {resources_['instanceRole']} does not exist "
                    "(Service: AmazonIdentityManagement; Status Code: 404; Error Code: NoSuchEntity)"
                )
            if iam.propagating(profile):
                return iam.BATCH_INSTANCE_PROFILE.format(profile=resources_["instanceRole"])
            if iam.propagating(profile, iam.ROLE_ADDED):
                return iam.BATCH_PROFILE_WITHOUT_ROLE.format(arn=profile.arn)
        subnet = missing_subnet(self.ec2_backend, resources_.get("subnets"))
        if subnet:
            return (
                f"CLIENT_ERROR - The subnet ID '{subnet}' does not exist "
                "(Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)"
            )
        for group in resources_.get("securityGroupIds") or []:
            if self.ec2_backend.get_security_group_from_id(group) is None:
                return (
                    f"CLIENT_ERROR - The security group '{group}' does not exist "
                    "(Service: AmazonEC2; Status Code: 400; Error Code: InvalidGroup.NotFound)"
                )
        return None

    def _tag(self, arn, tags):
        if tags:
            tag_list = self.tagger.convert_dict_to_tags_input(tags)
            error = self.tagger.validate_tags(tag_list, 50)
            if error:
                raise ClientException(error)
            self.tagger.tag_resource(arn, tag_list)

    # --- compute environments ---------------------------------------------------------------------
    def api_create_compute_environment(self, request):
        self.settle()
        resources.validate_compute_environment_request(request)
        if self.find_environment(request["computeEnvironmentName"]) is not None:
            raise ClientException("Object already exists")
        ce = ComputeEnvironment(self, request)
        self._tag(ce.arn, request.get("tags"))
        self.environments[ce.arn] = ce
        return {"computeEnvironmentName": ce.name, "computeEnvironmentArn": ce.arn}

    def api_describe_compute_environments(self, request):
        self.settle()
        wanted = request.get("computeEnvironments") or []
        if len(wanted) > 100:
            raise ClientException("computeEnvironments can list at most 100 compute environments")
        items = [ce for ce in self.environments.values() if not wanted or ce.name in wanted or ce.arn in wanted]
        page, token = paginate(items, request.get("maxResults"), request.get("nextToken"), 100)
        return _drop_none({"computeEnvironments": [ce.describe() for ce in page], "nextToken": token})

    def api_update_compute_environment(self, request):
        self.settle()
        identifier = request.get("computeEnvironment")
        ce = self.find_environment(identifier or "")
        if ce is None:
            raise ClientException(f"Compute environment {identifier} does not exist")
        ce.update(request)
        return {"computeEnvironmentName": ce.name, "computeEnvironmentArn": ce.arn}

    def api_delete_compute_environment(self, request):
        self.settle()
        identifier = request.get("computeEnvironment")
        ce = self.find_environment(identifier or "")
        if ce is None:
            raise ClientException(f"Compute environment {identifier} does not exist")
        if ce.transitional:
            raise ClientException(f"Cannot delete, compute environment {ce.name} is in {ce.status} status")
        if ce.state != "DISABLED":
            raise ClientException(
                f"Cannot delete, compute environment {ce.name} is {ce.state}; update its state to DISABLED first"
            )
        if any(ce is each for queue in self.queues.values() for _order, each in queue.environments):
            raise ClientException("Cannot delete, found existing JobQueue relationship")
        ce._start_transition("DELETING", ce._deleted)
        return {}

    # --- job queues -------------------------------------------------------------------------------
    def _environment_order(self, order, associated=()):
        """[(order, compute environment)] of a request; ``associated``: the queue's environments already."""
        if not order:
            raise ClientException("computeEnvironmentOrder must contain at least 1 compute environment")
        if len(order) > 3:
            raise ClientException(
                f"computeEnvironmentOrder contains {len(order)} compute environments; a job queue can have at most 3"
            )
        environments = []
        for item in order:
            identifier = item.get("computeEnvironment")
            ce = self.find_environment(identifier or "")
            if ce is None or ce.status == "DELETING":
                raise ClientException(f"computeEnvironment {identifier} does not exist")
            if item.get("order") is None:
                raise ClientException("computeEnvironmentOrder.order must be provided")
            if ce.status != "VALID" and not any(ce is each for each in associated):
                # AWS: "Compute environments must be in the VALID state before you can associate them with a
                # job queue" (CreateJobQueue and UpdateJobQueue, computeEnvironmentOrder).
                raise ClientException(
                    f"computeEnvironment {ce.arn} is {ce.status}; only a VALID compute environment can be "
                    "associated with a job queue"
                )
            environments.append((item["order"], ce))
        if len({ce.is_fargate for _order, ce in environments}) > 1:
            raise ClientException(
                "A job queue cannot mix FARGATE/FARGATE_SPOT compute environments with EC2/SPOT compute environments"
            )
        return environments

    def api_create_job_queue(self, request):
        self.settle()
        name = request.get("jobQueueName")
        if not name or not NAME_REGEX.match(name):
            raise ClientException(
                "jobQueueName must be 1-128 letters, numbers, hyphens and underscores, starting with a letter or number"
            )
        if request.get("priority") is None:
            raise ClientException("priority must be provided")
        state = request.get("state")
        if state is not None and state not in ("ENABLED", "DISABLED"):
            raise ClientException(f"state {state} must be one of ENABLED | DISABLED")
        if self.find_queue(name) is not None:
            raise ClientException("Object already exists")
        if request.get("serviceEnvironmentOrder"):
            raise ClientException("serviceEnvironmentOrder (SageMaker service environments) is not supported")
        environments = self._environment_order(request.get("computeEnvironmentOrder"))
        self._check_scheduling_policy(request.get("schedulingPolicyArn"))
        queue = JobQueue(self, request, environments)
        self._tag(queue.arn, request.get("tags"))
        self.queues[queue.arn] = queue
        return {"jobQueueName": queue.name, "jobQueueArn": queue.arn}

    def _check_scheduling_policy(self, arn):
        if arn and arn not in self._scheduling_policies:
            raise ClientException(f"Scheduling policy {arn} does not exist")

    def api_describe_job_queues(self, request):
        self.settle()
        wanted = request.get("jobQueues") or []
        if len(wanted) > 100:
            raise ClientException("jobQueues can list at most 100 job queues")
        items = [queue for queue in self.queues.values() if not wanted or queue.name in wanted or queue.arn in wanted]
        page, token = paginate(items, request.get("maxResults"), request.get("nextToken"), 100)
        return _drop_none({"jobQueues": [queue.describe() for queue in page], "nextToken": token})

    def api_update_job_queue(self, request):
        self.settle()
        identifier = request.get("jobQueue")
        queue = self.find_queue(identifier or "")
        if queue is None:
            raise ClientException(f"Job queue {identifier} does not exist")
        order = request.get("computeEnvironmentOrder")
        associated = [ce for _order, ce in queue.environments]
        environments = self._environment_order(order, associated) if order is not None else None
        self._check_scheduling_policy(request.get("schedulingPolicyArn"))
        queue.update(request, environments)
        return {"jobQueueName": queue.name, "jobQueueArn": queue.arn}

    def api_delete_job_queue(self, request):
        self.settle()
        identifier = request.get("jobQueue")
        queue = self.find_queue(identifier or "")
        if queue is None:
            raise ClientException(f"Job queue {identifier} does not exist")
        if queue.transitional:
            raise ClientException(f"Cannot delete, job queue {queue.name} is in {queue.status} status")
        if queue.state != "DISABLED":
            raise ClientException(
                f"Cannot delete, job queue {queue.name} is {queue.state}; update its state to DISABLED first"
            )
        for job in queue.jobs:
            if job.status not in TERMINAL:
                SCHEDULER.terminate(job, "Job queue deleted")
        queue._start_transition("DELETING", queue._deleted)
        return {}

    # --- job definitions --------------------------------------------------------------------------
    def api_register_job_definition(self, request):
        name = request.get("jobDefinitionName")
        if not name or not JOB_NAME_REGEX.match(name):
            raise ClientException(
                "jobDefinitionName must be 1-128 letters, numbers, hyphens and underscores, starting with a letter "
                "or number"
            )
        _validate_retry_strategy(request.get("retryStrategy"))
        timeout = request.get("timeout")
        if timeout and (timeout.get("attemptDurationSeconds") or 0) < 1:
            raise ClientException("timeout.attemptDurationSeconds must be a positive number of seconds")
        revision = max((jd.revision for jd in self._job_definitions.values() if jd.name == name), default=0)
        job_def = JobDefinition(
            name,
            copy.deepcopy(request.get("parameters")),
            request.get("type"),
            copy.deepcopy(request.get("containerProperties")),
            node_properties=copy.deepcopy(request.get("nodeProperties")),
            eks_properties=copy.deepcopy(request.get("eksProperties")),
            tags=request.get("tags") or {},
            retry_strategy=copy.deepcopy(request.get("retryStrategy")),
            timeout=copy.deepcopy(timeout),
            backend=self,
            platform_capabilities=request.get("platformCapabilities"),
            propagate_tags=request.get("propagateTags"),
            revision=revision,
        )
        job_def.scheduling_priority = request.get("schedulingPriority")
        self._job_definitions[job_def.arn] = job_def
        return {"jobDefinitionName": job_def.name, "jobDefinitionArn": job_def.arn, "revision": job_def.revision}

    def _find_job_definitions(self, identifier):
        if identifier.startswith("arn:"):
            found = self._job_definitions.get(identifier)
            return [found] if found else []
        name, _sep, revision = identifier.partition(":")
        return [
            jd
            for jd in self._job_definitions.values()
            if jd.name == name and (not revision or str(jd.revision) == revision)
        ]

    def api_describe_job_definitions(self, request):
        definitions = list(self._job_definitions.values())
        if request.get("jobDefinitions"):
            wanted = request["jobDefinitions"]
            # The API reference: jobDefinitions "can't be used with other parameters" (the filters; pagination
            # stays possible).
            others = [key for key in ("jobDefinitionName", "status") if request.get(key)]
            if others:
                raise ClientException(f"jobDefinitions can't be used with other parameters: {', '.join(others)}")
            if len(wanted) > 100:
                raise ClientException("jobDefinitions can list at most 100 job definitions")
            found = {}
            for identifier in wanted:
                for jd in self._find_job_definitions(identifier):
                    found[jd.arn] = jd
            definitions = list(found.values())
        if request.get("jobDefinitionName"):
            definitions = [jd for jd in definitions if jd.name == request["jobDefinitionName"]]
        if request.get("status"):
            definitions = [jd for jd in definitions if jd.status == request["status"]]
        definitions.sort(key=lambda jd: (jd.name, jd.revision))
        # maxResults between 1 and 100, and 100 results a page without it (the API reference), as AWS pages.
        page, token = paginate(definitions, request.get("maxResults"), request.get("nextToken"), 100)
        return _drop_none({"jobDefinitions": [self._describe_job_definition(jd) for jd in page], "nextToken": token})

    @staticmethod
    def _describe_job_definition(jd):
        detail = _drop_none(jd.describe())
        detail["containerOrchestrationType"] = "EKS" if jd.eks_properties is not None else "ECS"
        if jd.node_properties is not None:
            detail["nodeProperties"] = jd.node_properties
        if getattr(jd, "scheduling_priority", None) is not None:
            detail["schedulingPriority"] = jd.scheduling_priority
        return detail

    def api_deregister_job_definition(self, request):
        identifier = request.get("jobDefinition") or ""
        found = self._find_job_definitions(identifier) if identifier.startswith("arn:") or ":" in identifier else []
        if not found:
            raise ClientException(f"Job definition {identifier} does not exist; give name:revision or the ARN")
        for jd in found:
            jd.deregister()
        return {}

    def _job_definition_for_submit(self, identifier):
        if identifier.startswith("arn:") or ":" in identifier:
            found = self._find_job_definitions(identifier)
            job_def = found[0] if found else None
            if job_def is not None and job_def.status != "ACTIVE":
                raise ClientException(f"Job definition {identifier} is INACTIVE")
        else:
            active = [jd for jd in self._find_job_definitions(identifier) if jd.status == "ACTIVE"]
            job_def = max(active, key=lambda jd: jd.revision) if active else None
        if job_def is None:
            raise ClientException(f"Job definition {identifier} does not exist")
        if job_def.container_properties is None or job_def.eks_properties is not None:
            raise ClientException(
                f"Job definition {identifier}: the emulator runs container jobs only (no multi-node or EKS jobs)"
            )
        return job_def

    # --- jobs -------------------------------------------------------------------------------------
    def api_submit_job(self, request):
        self.settle()
        name = request.get("jobName") or ""
        if not JOB_NAME_REGEX.match(name):
            raise ClientException(
                "jobName must be 1-128 letters, numbers, hyphens and underscores, starting with a letter or number"
            )
        queue = self.find_queue(request.get("jobQueue") or "")
        if queue is None or queue.status == "DELETING":
            raise ClientException(f"Job queue {request.get('jobQueue')} does not exist")
        if queue.state != "ENABLED":
            raise ClientException(f"Job queue {queue.arn} is DISABLED and does not accept new jobs")
        job_def = self._job_definition_for_submit(request.get("jobDefinition") or "")
        _validate_retry_strategy(request.get("retryStrategy"))
        size = (request.get("arrayProperties") or {}).get("size")
        if size is not None and not 2 <= size <= 10000:
            raise ClientException("arrayProperties.size must be between 2 and 10000")
        dependencies = request.get("dependsOn") or []
        if len(dependencies) > 20:
            raise ClientException("A job can depend on at most 20 jobs")
        resolved = []
        for dependency in dependencies:
            dep_type = dependency.get("type")
            if dep_type == "SEQUENTIAL":
                if size is None or dependency.get("jobId"):
                    raise ClientException("A SEQUENTIAL dependency takes no jobId and is only valid for array jobs")
                resolved.append((dep_type, None))
                continue
            dep = self.jobs.get(dependency.get("jobId") or "")
            if dep is None:
                raise ClientException(f"Dependent job {dependency.get('jobId')} does not exist")
            if dep_type == "N_TO_N" and (size is None or dep.size != size):
                raise ClientException(
                    f"An N_TO_N dependency needs two array jobs of the same size ({dependency.get('jobId')})"
                )
            resolved.append((dep_type, dep))

        job = Job(self, request, job_def, queue)
        self._tag(job.arn, request.get("tags"))
        if size is not None:
            job.children = [Job(self, request, job_def, queue, parent=job, index=index) for index in range(size)]
            job.summary = dict.fromkeys(STATUSES, 0)
            job.summary["PENDING"] = size
            for child in job.children:
                child.depends_on = []
                for dep_type, dep in resolved:
                    if dep_type == "SEQUENTIAL":
                        dep = job.children[child.index - 1] if child.index > 0 else None
                    elif dep_type == "N_TO_N":
                        dep = dep.children[child.index]
                    if dep is not None:
                        child.deps.append(dep)
                        child.depends_on.append({"jobId": dep.id, **({"type": dep_type} if dep_type else {})})
                self.jobs[child.id] = child
        else:
            job.deps = [dep for _type, dep in resolved]
        self.jobs[job.id] = job
        queue.jobs.append(job)
        SCHEDULER.add(job)
        return {"jobArn": job.arn, "jobName": job.name, "jobId": job.id}

    def api_describe_jobs(self, request):
        wanted = request.get("jobs") or []
        if len(wanted) > 100:
            raise ClientException(f"DescribeJobs takes at most 100 job IDs, got {len(wanted)}")
        found = []
        seen = set()
        for identifier in wanted:
            job = self.jobs.get(identifier.rsplit("/", 1)[-1] if identifier.startswith("arn:") else identifier)
            if job is not None and job.id not in seen:
                seen.add(job.id)
                found.append(job.detail_shape())
        return {"jobs": found}

    def api_list_jobs(self, request):
        self.settle()
        queue_id, array_id = request.get("jobQueue"), request.get("arrayJobId")
        if request.get("multiNodeJobId"):
            return {"jobSummaryList": []}
        if queue_id:
            queue = self.find_queue(queue_id)
            if queue is None:
                raise ClientException(f"Job queue {queue_id} does not exist")
            candidates = list(queue.jobs)
        elif array_id:
            parent = self.jobs.get(array_id)
            if parent is None or parent.children is None:
                raise ClientException(f"Array job {array_id} does not exist")
            candidates = list(parent.children)
        else:
            raise ClientException("One of jobQueue, arrayJobId or multiNodeJobId must be provided")
        filters = request.get("filters") or []
        status = request.get("jobStatus")
        if status is not None and status not in STATUSES:
            raise ClientException(f"jobStatus must be one of {' | '.join(STATUSES)}")
        if filters:
            if len(filters) > 1:
                raise ClientException("Only one filter can be used at a time")
            candidates = [job for job in candidates if _matches_filter(job, filters[0])]
        else:
            candidates = [job for job in candidates if job.status == (status or "RUNNING")]
        if array_id:
            candidates.sort(key=lambda job: job.index)
        else:
            candidates.sort(key=lambda job: job.created_at, reverse=True)
        page, token = paginate(candidates, request.get("maxResults"), request.get("nextToken"), 1000)
        return _drop_none({"jobSummaryList": [job.summary_shape() for job in page], "nextToken": token})

    def _job_for_stop(self, request, operation):
        job_id, reason = request.get("jobId"), request.get("reason")
        if not job_id:
            raise ClientException(f"'jobId' is a required field for {operation} (cannot be an empty string)")
        if not reason:
            raise ClientException(f"'reason' is a required field for {operation} (cannot be an empty string)")
        return self.jobs.get(job_id), reason

    def api_cancel_job(self, request):
        job, reason = self._job_for_stop(request, "CancelJob")
        if job is not None:
            SCHEDULER.cancel(job, reason)
        return {}

    def api_terminate_job(self, request):
        job, reason = self._job_for_stop(request, "TerminateJob")
        if job is not None:
            SCHEDULER.terminate(job, reason)
        return {}


def _validate_retry_strategy(strategy):
    if not strategy:
        return
    attempts = strategy.get("attempts")
    if attempts is not None and not 1 <= attempts <= 10:
        raise ClientException("retryStrategy.attempts must be between 1 and 10")
    rules = strategy.get("evaluateOnExit") or []
    if len(rules) > 5:
        raise ClientException("retryStrategy.evaluateOnExit can have at most 5 entries")
    for rule in rules:
        if str(rule.get("action", "")).upper() not in ("RETRY", "EXIT"):
            raise ClientException("retryStrategy.evaluateOnExit.action must be RETRY or EXIT")
        exit_code = rule.get("onExitCode")
        if exit_code is not None and not re.fullmatch(r"[0-9]*\*?", str(exit_code)):
            raise ClientException("onExitCode can contain only numbers and may end with an asterisk (*)")


def _matches_filter(job, job_filter):
    name, values = job_filter.get("name"), job_filter.get("values") or []
    if name not in FILTERS:
        raise ClientException(f"filters.name must be one of {', '.join(FILTERS)}")
    if len(values) != 1:
        raise ClientException("filters.values must contain exactly one value")
    value = values[0]
    if name == "JOB_NAME":
        wanted, actual = value.lower(), job.name.lower()
        return actual.startswith(wanted[:-1]) if wanted.endswith("*") else actual == wanted
    if name == "JOB_DEFINITION":
        candidates = (job.job_def.name, f"{job.job_def.name}:{job.job_def.revision}", job.job_def.arn)
        if value.endswith("*"):
            return any(candidate.startswith(value[:-1]) for candidate in candidates)
        return value in candidates
    try:
        stamp = int(value)
    except ValueError:
        raise ClientException(f"{name} takes milliseconds since the epoch, got {value}") from None
    if name == "BEFORE_CREATED_AT":
        return job.created_at <= stamp
    return job.created_at >= stamp
