"""Trust policies with confused-deputy conditions (aws:SourceAccount, aws:SourceArn) are kept verbatim and
every service that assumes such a role keeps working (the emulator does not evaluate conditions)."""

import json
import urllib.parse

import pytest

from emulator.testing import BatchWorld

ACCOUNT = "123456789012"
REGION = "eu-west-1"


def trust(service, source_arn):
    """The trust policy AWS recommends against the confused deputy (e.g. Batch, EventBridge, Scheduler guides)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": source_arn},
                },
            }
        ],
    }


@pytest.fixture
def world(aws):
    before = aws._request("GET", "/_emulator/config")
    aws.configure(transition_delay=0.02, executor="local")
    yield BatchWorld(aws)
    aws.configure(**before)


def create_role(world, name, document):
    raw = json.dumps(document, indent=1)  # the exact text must come back, not a reformatted copy
    arn = world.iam.create_role(RoleName=name, AssumeRolePolicyDocument=raw)["Role"]["Arn"]
    bodies = []

    def keep(http_response, **_kwargs):
        bodies.append(http_response.text)

    world.iam.meta.events.register("after-call.iam.GetRole", keep)
    try:
        role = world.iam.get_role(RoleName=name)["Role"]
    finally:
        world.iam.meta.events.unregister("after-call.iam.GetRole", keep)
    assert role["AssumeRolePolicyDocument"] == document
    assert f"<AssumeRolePolicyDocument>{urllib.parse.quote(raw)}</AssumeRolePolicyDocument>" in bodies[0]
    return arn


def test_roles_with_conditions_work_for_batch_ecs_events_and_scheduler(world):
    prefix = f"arn:aws:{{}}:{REGION}:{ACCOUNT}"
    batch_role = create_role(
        world, "batch-service", trust("batch.amazonaws.com", prefix.format("batch") + ":compute-environment/*")
    )
    task_role = create_role(world, "job", trust("ecs-tasks.amazonaws.com", prefix.format("ecs") + ":*"))
    events_role = create_role(world, "events", trust("events.amazonaws.com", prefix.format("events") + ":rule/nightly"))
    scheduler_role = create_role(
        world, "scheduler", trust("scheduler.amazonaws.com", prefix.format("scheduler") + ":schedule-group/default")
    )
    # Conditions with several values, and an update of the trust policy, are kept as well.
    several = trust(["batch.amazonaws.com", "events.amazonaws.com"], [prefix.format("events") + ":rule/*"])
    several["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] = [ACCOUNT]
    world.iam.update_assume_role_policy(RoleName="events", PolicyDocument=json.dumps(several))
    assert world.iam.get_role(RoleName="events")["Role"]["AssumeRolePolicyDocument"] == several

    # Batch: a custom service role with conditions, a job with task and execution roles with conditions.
    ce = world.compute_environment("ce", serviceRole=batch_role)
    assert world.describe_compute_environment("ce")["serviceRole"] == batch_role
    world.queue("queue", [ce])
    definition = world.job_definition(
        "with-roles", ["echo", "ran"], container={"jobRoleArn": task_role, "executionRoleArn": task_role}
    )
    job = world.wait_job(world.submit("with-roles", definition))[0]
    assert job["status"] == "SUCCEEDED" and world.log_messages(job) == ["ran"]
    assert job["container"]["jobRoleArn"] == job["container"]["executionRoleArn"] == task_role

    # ECS task definitions keep the roles.
    ecs = world.emulator.client("ecs")
    ecs.register_task_definition(
        family="task",
        taskRoleArn=task_role,
        executionRoleArn=task_role,
        containerDefinitions=[{"name": "main", "image": "busybox", "memory": 128}],
    )
    described = ecs.describe_task_definition(taskDefinition="task")["taskDefinition"]
    assert (described["taskRoleArn"], described["executionRoleArn"]) == (task_role, task_role)

    # EventBridge: a Batch target that assumes the role; an event matching the rule is accepted.
    events = world.emulator.client("events")
    events.put_rule(Name="nightly", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_targets(
        Rule="nightly",
        Targets=[
            {
                "Id": "batch",
                "Arn": world.describe_queue("queue")["jobQueueArn"],
                "RoleArn": events_role,
                "BatchParameters": {"JobDefinition": definition, "JobName": "from-events"},
            }
        ],
    )
    assert events.list_targets_by_rule(Rule="nightly")["Targets"][0]["RoleArn"] == events_role
    sent = events.put_events(Entries=[{"Source": "my.app", "DetailType": "tick", "Detail": "{}"}])
    assert sent["FailedEntryCount"] == 0
    submitted = world.batch.list_jobs(jobQueue="queue", filters=[{"name": "JOB_NAME", "values": ["from-events"]}])
    assert world.wait_job(submitted["jobSummaryList"][0]["jobId"])[0]["status"] == "SUCCEEDED"

    # Scheduler: the universal Batch SubmitJob target with the conditioned role.
    scheduler = world.emulator.client("scheduler")
    target = {
        "Arn": "arn:aws:scheduler:::aws-sdk:batch:submitJob",
        "RoleArn": scheduler_role,
        "Input": json.dumps({"JobName": "scheduled", "JobQueue": "queue", "JobDefinition": definition}),
    }
    scheduler.create_schedule(
        Name="nightly", ScheduleExpression="cron(0 2 * * ? *)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target
    )
    assert scheduler.get_schedule(Name="nightly")["Target"]["RoleArn"] == scheduler_role

    # STS assumes them (no condition is evaluated).
    assumed = world.emulator.client("sts").assume_role(RoleArn=scheduler_role, RoleSessionName="check")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/scheduler/check"


def test_rule_targets_moto_does_not_deliver_to(world):
    """SNS topics get the event, Batch job queues a job with the input's Parameters and ContainerOverrides, and
    a target the emulator does not invoke (Lambda) does not make PutEvents fail (moto answered 500)."""
    world.fargate_queue("queue")
    definition = world.job_definition("echo", ["echo", "Ref::greeting"], parameters={"greeting": "default"})
    sqs, sns, events = (world.emulator.client(name) for name in ("sqs", "sns", "events"))
    queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    events.put_rule(Name="fan-out", EventPattern=json.dumps({"source": ["my.app"]}))
    job_input = {
        "Parameters": {"greeting": "from-event"},
        "ContainerOverrides": {"Environment": [{"Name": "FROM", "Value": "events"}]},
    }
    events.put_targets(
        Rule="fan-out",
        Targets=[
            {"Id": "lambda", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nothing"},
            {"Id": "sns", "Arn": topic},
            {
                "Id": "batch",
                "Arn": world.describe_queue("queue")["jobQueueArn"],
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events",
                "BatchParameters": {"JobDefinition": "echo", "JobName": "from-rule", "ArrayProperties": {"Size": 2}},
                "Input": json.dumps(job_input),
            },
        ],
    )
    sent = events.put_events(Entries=[{"Source": "my.app", "DetailType": "tick", "Detail": json.dumps({"n": 1})}])
    assert sent["FailedEntryCount"] == 0

    [message] = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == ("my.app", "tick", {"n": 1})

    [summary] = world.batch.list_jobs(jobQueue="queue", filters=[{"name": "JOB_NAME", "values": ["from-rule"]}])[
        "jobSummaryList"
    ]
    parent = world.wait_job(summary["jobId"])[0]
    assert parent["status"] == "SUCCEEDED" and parent["arrayProperties"]["size"] == 2
    assert parent["jobDefinition"] == definition and parent["parameters"] == {"greeting": "from-event"}
    child = world.describe_job(f"{summary['jobId']}:0")
    assert world.log_messages(child) == ["from-event"]
    assert {"name": "FROM", "value": "events"} in child["container"]["environment"]
