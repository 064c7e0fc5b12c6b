"""Helpers for tests that drive Batch on the emulator with boto3 (used by tests/integration/test_emulator_*)."""

import json
import time

TERMINAL = ("SUCCEEDED", "FAILED")


class BatchWorld:
    """Builds compute environments, queues and job definitions in the emulator's account and waits on them.

    ``emulator`` is anything with ``client(service)`` (the ``aws`` fixture of tests/integration).
    """

    def __init__(self, emulator, timeout=30.0):
        self.emulator = emulator
        self.timeout = timeout
        self.batch = emulator.client("batch")
        self.ec2 = emulator.client("ec2")
        self.iam = emulator.client("iam")
        self.logs = emulator.client("logs")
        vpc = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = self.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        self.subnets = sorted(subnet["SubnetId"] for subnet in subnets)
        groups = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
        self.security_group = groups[0]["GroupId"]

    # --- IAM ----------------------------------------------------------------------------------------
    def role(self, name, service="batch.amazonaws.com"):
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
        return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"]

    def instance_profile(self, name):
        self.role(name, "ec2.amazonaws.com")
        arn = self.iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"]
        self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return arn

    # --- compute environments and queues --------------------------------------------------------------
    def fargate_resources(self, **overrides):
        return {
            "type": "FARGATE",
            "maxvCpus": 4,
            "subnets": self.subnets[:1],
            "securityGroupIds": [self.security_group],
            **overrides,
        }

    def ec2_resources(self, instance_role, **overrides):
        return {
            "type": "EC2",
            "minvCpus": 0,
            "maxvCpus": 16,
            "instanceTypes": ["optimal"],
            "subnets": self.subnets[:1],
            "securityGroupIds": [self.security_group],
            "instanceRole": instance_role,
            **overrides,
        }

    def compute_environment(self, name, resources=None, wait="VALID", **kwargs):
        resources = resources if resources is not None else self.fargate_resources()
        arn = self.batch.create_compute_environment(
            computeEnvironmentName=name, type="MANAGED", computeResources=resources, **kwargs
        )["computeEnvironmentArn"]
        if wait:
            self.wait_compute_environment(name, wait)
        return arn

    def queue(self, name, environments, wait="VALID", **kwargs):
        order = [{"order": index + 1, "computeEnvironment": ce} for index, ce in enumerate(environments)]
        kwargs.setdefault("priority", 1)
        arn = self.batch.create_job_queue(jobQueueName=name, computeEnvironmentOrder=order, **kwargs)["jobQueueArn"]
        if wait:
            self.wait_queue(name, wait)
        return arn

    def describe_compute_environment(self, name):
        found = self.batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"]
        return found[0] if found else None

    def describe_queue(self, name):
        found = self.batch.describe_job_queues(jobQueues=[name])["jobQueues"]
        return found[0] if found else None

    def wait_compute_environment(self, name, status="VALID"):
        return self._wait(lambda: self.describe_compute_environment(name), status)

    def wait_queue(self, name, status="VALID"):
        return self._wait(lambda: self.describe_queue(name), status)

    def _wait(self, describe, status):
        deadline = time.monotonic() + self.timeout
        while True:
            found = describe()
            current = found["status"] if found else "GONE"
            if current == status or (status == "SETTLED" and current not in ("CREATING", "UPDATING", "DELETING")):
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"still {current} after {self.timeout}s, waiting for {status}: {found}")
            time.sleep(0.02)

    def fargate_queue(self, name="queue", **kwargs):
        ce = self.compute_environment(f"{name}-ce", wait=None)
        self.wait_compute_environment(f"{name}-ce")
        return self.queue(name, [ce], **kwargs)

    # --- job definitions and jobs ------------------------------------------------------------------
    def job_definition(self, name, command, fargate=True, container=None, **kwargs):
        """Register a container job definition; ``container`` adds to (or replaces) containerProperties."""
        properties = {
            "image": "public.ecr.aws/docker/library/busybox:latest",
            "command": command,
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
            **(container or {}),
        }
        return self.batch.register_job_definition(
            jobDefinitionName=name,
            type="container",
            platformCapabilities=["FARGATE"] if fargate else ["EC2"],
            containerProperties=properties,
            **kwargs,
        )["jobDefinitionArn"]

    def submit(self, name, definition, queue="queue", **kwargs):
        return self.batch.submit_job(jobName=name, jobQueue=queue, jobDefinition=definition, **kwargs)["jobId"]

    def describe_job(self, job_id):
        found = self.batch.describe_jobs(jobs=[job_id])["jobs"]
        return found[0] if found else None

    def wait_job(self, job_id, statuses=TERMINAL, timeout=None):
        """Poll until the job reaches one of ``statuses``; returns (detail, statuses seen in order)."""
        statuses = (statuses,) if isinstance(statuses, str) else tuple(statuses)
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = []
        while True:
            detail = self.describe_job(job_id)
            if not seen or seen[-1] != detail["status"]:
                seen.append(detail["status"])
            if detail["status"] in statuses:
                return detail, seen
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {detail['status']}, waiting for {statuses}: {detail}")
            time.sleep(0.02)

    def log_messages(self, detail, group="/aws/batch/job"):
        stream = detail["container"]["logStreamName"]
        events = self.logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
        return [event["message"] for event in events]
