#!/usr/bin/env python3
"""Check the stack of inventories/local through boto3, independently of the playbooks that made it.

    check_stack.py present --endpoint URL [--outputs outputs/local.json] [--no-job]
    check_stack.py absent  --endpoint URL

``present`` checks every resource, the exact scope of the IAM policies, the schedule's target, the alert rule,
and runs the job to SUCCEEDED with its log line. ``absent`` checks that nothing of the stack is left.
Prints one line per check; exits 1 listing the failed ones. Also imported by tests/integration/test_stack_*.py.
"""

import argparse
import json
import sys
import time

import boto3
from botocore.exceptions import ClientError

REGION = "eu-west-1"
ACCOUNT = "123456789012"
STACK = "local-carbon"
TAG_KEY = "ondemand:stack"
IAM_PATH = f"/{STACK}/"
SECRET_NAME = f"/{STACK}/MY_SECRET"
SECRET_PATTERN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SECRET_NAME}-??????"
SERVICE_LINKED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
LOG_GROUP = f"/aws/batch/{STACK}"
CE, JQ, JD = f"{STACK}-ce", f"{STACK}-jq", f"{STACK}-jd"
SCHEDULE, ALERT_RULE, TOPIC = f"{STACK}-daily", f"{STACK}-job-failed", f"{STACK}-alerts"
BATCH_ARN = f"arn:aws:batch:{REGION}:{ACCOUNT}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role{IAM_PATH}"
QUEUE_ARN = f"{BATCH_ARN}:job-queue/{JQ}"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC}"


class Checker:
    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.failures = []
        self.passed = 0

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def check(self, what, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"ok: {what}")
        else:
            self.failures.append(f"{what}: {detail}")
            print(f"FAILED: {what}: {detail}")
        return condition


def as_list(value):
    return value if isinstance(value, list) else [value]


def statement_resources(document, sid):
    if isinstance(document, str):
        document = json.loads(document)
    for statement in document["Statement"]:
        if statement.get("Sid") == sid:
            return sorted(as_list(statement["Resource"])), as_list(statement["Action"])
    return None, None


def tags_of(tags):
    if isinstance(tags, list):
        return {t["Key"]: t["Value"] for t in tags}
    return tags or {}


# ------------------------------------------------------------------------------------------- present
def check_iam(c, secret_arn):
    iam = c.client("iam")
    roles = {r["RoleName"]: r for r in iam.list_roles(PathPrefix=IAM_PATH)["Roles"]}
    # The service role is Batch's service-linked role (AWS's own, outside the stack's path).
    expected = {f"{STACK}-ecs-instance", f"{STACK}-job-execution", f"{STACK}-events"}
    c.check("IAM roles of the stack, and no job role", set(roles) == expected, sorted(roles))
    for name in sorted(expected & set(roles)):
        tags = tags_of(iam.list_role_tags(RoleName=name)["Tags"])
        c.check(f"role {name} carries {TAG_KEY}={STACK}", tags.get(TAG_KEY) == STACK, tags)

    attached = [
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=f"{STACK}-job-execution")["AttachedPolicies"]
    ]
    c.check(
        "execution role has no managed policy (AmazonECSTaskExecutionRolePolicy would let it pull any image)",
        attached == [],
        attached,
    )
    document = iam.get_role_policy(RoleName=f"{STACK}-job-execution", PolicyName="task-execution")["PolicyDocument"]
    resources, actions = statement_resources(document, "WriteStackLogs")
    c.check(
        "execution role writes to the stack's log group only",
        resources == [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}:*"]
        and actions == ["logs:CreateLogStream", "logs:PutLogEvents"],
        f"{actions} on {resources}",
    )
    document = iam.get_role_policy(RoleName=f"{STACK}-job-execution", PolicyName="read-stack-secrets")["PolicyDocument"]
    resources, actions = statement_resources(document, "ReadStackSecrets")
    c.check(
        "execution role reads exactly the stack's secret, whatever its random suffix (not *)",
        resources == [SECRET_PATTERN]
        and secret_arn.startswith(SECRET_PATTERN[:-6])
        and actions == ["secretsmanager:GetSecretValue"],
        f"{actions} on {resources}",
    )

    document = iam.get_role_policy(RoleName=f"{STACK}-events", PolicyName="submit-stack-jobs")["PolicyDocument"]
    resources, actions = statement_resources(document, "SubmitStackJobs")
    wanted = sorted(
        [QUEUE_ARN, f"{BATCH_ARN}:job-definition/{JD}", f"{BATCH_ARN}:job-definition/{JD}:*", f"{BATCH_ARN}:job/*"]
    )
    c.check(
        "EventBridge role may SubmitJob on the stack's queue and job definition only",
        resources == wanted and actions == ["batch:SubmitJob"],
        f"{actions} on {resources}",
    )
    trust = iam.get_role(RoleName=f"{STACK}-events")["Role"]["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    principals = [s["Principal"]["Service"] for s in trust["Statement"]]
    c.check("EventBridge role trusts events.amazonaws.com", principals == ["events.amazonaws.com"], principals)
    c.check(
        "EventBridge role trusts only this account's rules of the stack (confused deputy)",
        trust["Statement"][0].get("Condition")
        == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{STACK}-*"},
        },
        trust["Statement"][0].get("Condition"),
    )

    profile = iam.get_instance_profile(InstanceProfileName=f"{STACK}-ecs-instance")["InstanceProfile"]
    c.check(
        "instance profile holds the ECS instance role",
        [r["RoleName"] for r in profile["Roles"]] == [f"{STACK}-ecs-instance"],
        profile["Roles"],
    )


def check_secret(c):
    secret = c.client("secretsmanager").describe_secret(SecretId=SECRET_NAME)
    tags = tags_of(secret.get("Tags", []))
    c.check("secret exists with the membership tag", tags.get(TAG_KEY) == STACK, tags)
    return secret["ARN"]


def check_logs(c):
    groups = c.client("logs").describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"]
    group = next((g for g in groups if g["logGroupName"] == LOG_GROUP), None)
    c.check("log group exists with a 7-day retention", group is not None and group.get("retentionInDays") == 7, group)


def check_batch(c, secret_arn):
    batch = c.client("batch")
    ces = batch.describe_compute_environments(computeEnvironments=[CE])["computeEnvironments"]
    ce = ces[0] if ces else {}
    resources = ce.get("computeResources", {})
    c.check(
        "compute environment VALID, ENABLED, EC2 c4.large 0/0/8",
        ce.get("status") == "VALID"
        and ce.get("state") == "ENABLED"
        and resources.get("type") == "EC2"
        and resources.get("instanceTypes") == ["c4.large"]
        and (resources.get("minvCpus"), resources.get("maxvCpus")) == (0, 8),
        ce,
    )
    c.check(
        "compute environment uses the stack's instance profile and Batch's service-linked role",
        resources.get("instanceRole") == f"arn:aws:iam::{ACCOUNT}:instance-profile{IAM_PATH}{STACK}-ecs-instance"
        and ce.get("serviceRole") in (None, SERVICE_LINKED_ROLE),
        (resources.get("instanceRole"), ce.get("serviceRole")),
    )
    c.check("compute environment carries the membership tag", ce.get("tags", {}).get(TAG_KEY) == STACK, ce.get("tags"))

    queues = batch.describe_job_queues(jobQueues=[JQ])["jobQueues"]
    queue = queues[0] if queues else {}
    order = [
        e["computeEnvironment"] for e in sorted(queue.get("computeEnvironmentOrder", []), key=lambda e: e["order"])
    ]
    c.check(
        "job queue VALID, ENABLED, on the compute environment",
        queue.get("status") == "VALID"
        and queue.get("state") == "ENABLED"
        and order == [f"{BATCH_ARN}:compute-environment/{CE}"],
        queue,
    )
    c.check("job queue carries the membership tag", queue.get("tags", {}).get(TAG_KEY) == STACK, queue.get("tags"))

    definitions = batch.describe_job_definitions(jobDefinitionName=JD, status="ACTIVE")["jobDefinitions"]
    c.check("one ACTIVE revision of the job definition", len(definitions) == 1, [d["revision"] for d in definitions])
    if not definitions:
        return
    definition = max(definitions, key=lambda d: d["revision"])
    container = definition["containerProperties"]
    requirements = {r["type"]: r["value"] for r in container.get("resourceRequirements", [])}
    c.check(
        "job definition runs `echo hello world` on amazonlinux with 1 vCPU and 128 MiB",
        container["image"] == "public.ecr.aws/amazonlinux/amazonlinux:latest"
        and container["command"] == ["echo", "hello", "world"]
        and requirements == {"VCPU": "1", "MEMORY": "128"},
        container,
    )
    c.check(
        "job definition environment and secret by ARN",
        container.get("environment") == [{"name": "LOG_LEVEL", "value": "INFO"}]
        and container.get("secrets") == [{"name": "MY_SECRET", "valueFrom": secret_arn}],
        (container.get("environment"), container.get("secrets")),
    )
    c.check(
        "job definition uses the execution role and no job role",
        container.get("executionRoleArn") == f"{ROLE_ARN}{STACK}-job-execution" and not container.get("jobRoleArn"),
        (container.get("executionRoleArn"), container.get("jobRoleArn")),
    )
    log = container.get("logConfiguration", {})
    c.check(
        "job definition logs to the stack's log group",
        log.get("logDriver") == "awslogs" and log.get("options", {}).get("awslogs-group") == LOG_GROUP,
        log,
    )
    c.check(
        "job definition: 60 s timeout, 3 attempts retrying on any reason",
        definition.get("timeout") == {"attemptDurationSeconds": 60}
        and definition.get("retryStrategy", {}).get("attempts") == 3
        and definition["retryStrategy"].get("evaluateOnExit") == [{"onReason": "*", "action": "RETRY"}],
        (definition.get("timeout"), definition.get("retryStrategy")),
    )


def check_events(c):
    events = c.client("events")
    rule = events.describe_rule(Name=SCHEDULE)
    c.check(
        "schedule rule runs at 04:00 UTC every day",
        rule.get("ScheduleExpression") == "cron(0 4 * * ? *)" and rule.get("State") == "ENABLED",
        rule,
    )
    targets = events.list_targets_by_rule(Rule=SCHEDULE)["Targets"]
    target = targets[0] if len(targets) == 1 else {}
    c.check(
        "schedule target submits the job definition (by name) to the queue with the EventBridge role",
        target.get("Arn") == QUEUE_ARN
        and target.get("RoleArn") == f"{ROLE_ARN}{STACK}-events"
        and target.get("BatchParameters", {}).get("JobDefinition") == JD,
        targets,
    )
    tags = tags_of(events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"])
    c.check("schedule rule carries the membership tag", tags.get(TAG_KEY) == STACK, tags)

    alert = events.describe_rule(Name=ALERT_RULE)
    pattern = json.loads(alert["EventPattern"])
    c.check(
        "alert rule matches FAILED Batch Job State Change events of the stack's queue",
        pattern.get("source") == ["aws.batch"]
        and pattern.get("detail-type") == ["Batch Job State Change"]
        and pattern.get("detail") == {"status": ["FAILED"], "jobQueue": [QUEUE_ARN]},
        pattern,
    )
    targets = events.list_targets_by_rule(Rule=ALERT_RULE)["Targets"]
    c.check("alert rule targets the alerts topic", [t["Arn"] for t in targets] == [TOPIC_ARN], targets)

    sns = c.client("sns")
    attributes = sns.get_topic_attributes(TopicArn=TOPIC_ARN)["Attributes"]
    policy = json.loads(attributes["Policy"])
    statement = next((s for s in policy["Statement"] if s.get("Sid") == "FailureAlertsFromEventBridge"), {})
    c.check(
        "only the alert rule may publish to the topic",
        statement.get("Principal") == {"Service": "events.amazonaws.com"}
        and statement.get("Condition") == {"ArnEquals": {"aws:SourceArn": alert["Arn"]}},
        statement,
    )
    c.check(
        "no e-mail subscription on the local stack",
        sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"] == [],
    )


def check_outputs(c, path, secret_arn):
    with open(path) as handle:
        text = handle.read()
    outputs = json.loads(text)
    c.check(
        "outputs name the resources with their ARNs",
        outputs["secrets"] == {"MY_SECRET": secret_arn}
        and outputs["batch"]["job_queues"] == {JQ: QUEUE_ARN}
        and outputs["eventbridge"]["alerts_topic_arn"] == TOPIC_ARN,
        outputs,
    )
    c.check("outputs carry no secret value", "PLACEHOLDER" not in text and "SecretString" not in text)


def run_job(c):
    batch, logs = c.client("batch"), c.client("logs")
    job_id = batch.submit_job(jobName="molecule-verify", jobQueue=JQ, jobDefinition=JD)["jobId"]
    deadline = time.monotonic() + 180
    job = {}
    while time.monotonic() < deadline:
        job = batch.describe_jobs(jobs=[job_id])["jobs"][0]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            break
        time.sleep(1)
    c.check("a submitted job SUCCEEDED", job.get("status") == "SUCCEEDED", (job.get("status"), job.get("statusReason")))
    stream = job.get("container", {}).get("logStreamName")
    messages = []
    if stream:
        messages = [e["message"] for e in logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream)["events"]]
    c.check("its log line is in the stack's log group", "hello world" in messages, (stream, messages))


def check_present(c, outputs=None, job=True):
    secret_arn = check_secret(c)
    check_iam(c, secret_arn)
    check_logs(c)
    check_batch(c, secret_arn)
    check_events(c)
    if outputs:
        check_outputs(c, outputs, secret_arn)
    if job:
        run_job(c)


# -------------------------------------------------------------------------------------------- absent
def check_absent(c):
    iam = c.client("iam")
    roles = [r["RoleName"] for r in iam.list_roles(PathPrefix=IAM_PATH)["Roles"]]
    c.check("no IAM role of the stack", roles == [], roles)
    profiles = [p["InstanceProfileName"] for p in iam.list_instance_profiles(PathPrefix=IAM_PATH)["InstanceProfiles"]]
    c.check("no instance profile of the stack", profiles == [], profiles)

    try:
        secret = c.client("secretsmanager").describe_secret(SecretId=SECRET_NAME)
        c.check("no secret of the stack", False, secret.get("ARN"))
    except ClientError as error:
        c.check("no secret of the stack", error.response["Error"]["Code"] == "ResourceNotFoundException", error)

    groups = [
        g["logGroupName"] for g in c.client("logs").describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"]
    ]
    c.check("no log group of the stack", LOG_GROUP not in groups, groups)

    batch = c.client("batch")
    ces = [e["computeEnvironmentName"] for e in batch.describe_compute_environments()["computeEnvironments"]]
    c.check("no compute environment of the stack", [n for n in ces if n.startswith(STACK)] == [], ces)
    queues = [q["jobQueueName"] for q in batch.describe_job_queues()["jobQueues"]]
    c.check("no job queue of the stack", [n for n in queues if n.startswith(STACK)] == [], queues)
    active = [d["jobDefinitionName"] for d in batch.describe_job_definitions(status="ACTIVE")["jobDefinitions"]]
    c.check("no ACTIVE job definition of the stack", [n for n in active if n.startswith(STACK)] == [], active)
    policies = [p["arn"] for p in batch.list_scheduling_policies()["schedulingPolicies"]]
    c.check("no scheduling policy of the stack", [p for p in policies if f"/{STACK}-" in p] == [], policies)

    rules = [r["Name"] for r in c.client("events").list_rules(NamePrefix=STACK)["Rules"]]
    c.check("no EventBridge rule of the stack", rules == [], rules)
    topics = [t["TopicArn"] for t in c.client("sns").list_topics()["Topics"]]
    c.check("no SNS topic of the stack", TOPIC_ARN not in topics, topics)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["present", "absent"])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--outputs")
    parser.add_argument("--no-job", action="store_true", help="do not submit a job")
    args = parser.parse_args(argv)
    checker = Checker(args.endpoint)
    if args.mode == "present":
        check_present(checker, args.outputs, job=not args.no_job)
    else:
        check_absent(checker)
    print(f"{checker.passed} checks passed, {len(checker.failures)} failed")
    if checker.failures:
        print("\n".join(["Failed:", *checker.failures]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
