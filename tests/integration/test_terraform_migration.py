"""Moving off the Terraform project: the seed's dev stack, untagged, in cn-north-1 (aws-cn), taken over by
inventories/seed-dev as the README's "Moving from the Terraform project" says.

The seed's resources are made as its Terraform made them, defects included: "*" grants on the execution and
EventBridge roles, a compute environment with BEST_FIT and an instance profile that no longer exists. Then: the
deploy refuses them unadopted, ``--check -e adopt=true`` lists the adoption without a write, the deploy takes them
over, and a re-run changes nothing, with least-privilege grants and the stack's tags everywhere.
"""

import json

import boto3
import pytest

from tests.integration.support.playbook import run_playbook
from tests.integration.test_faults import FAST, PLAYBOOKS, ROOT, writes

pytestmark = pytest.mark.slow

INVENTORY = ROOT / "inventories" / "seed-dev"
REGION = "cn-north-1"
ACCOUNT = "123456789012"
STACK = "dev-helloworld"
SECRET = "/HELLOWORLD/DEV/CN-NORTH-1/MY_SECRET"
ROLES = {
    "helloworld-batch-execution-role": "ecs-tasks.amazonaws.com",
    "helloworld-batch-instance-role": "ec2.amazonaws.com",
    "helloworld-cw-event-trigger-batch-role": "events.amazonaws.com",
}
PLAN_TASK = "Compile the stack plan (every rule checked, what exists read; nothing written)"


def clients(aws):
    def client(service):
        return boto3.client(
            service,
            endpoint_url=aws.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client


def trust(service):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def star(action):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


def make_the_seed(aws):
    """The seed's dev stack as its Terraform made it: untagged, in cn-north-1."""
    client = clients(aws)
    iam, sm, batch, ec2, events = (
        client("iam"),
        client("secretsmanager"),
        client("batch"),
        client("ec2"),
        client("events"),
    )
    managed = "arn:aws-cn:iam::aws:policy/service-role"
    for name, service in ROLES.items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service))
    iam.attach_role_policy(
        RoleName="helloworld-batch-execution-role", PolicyArn=f"{managed}/AmazonECSTaskExecutionRolePolicy"
    )
    iam.put_role_policy(
        RoleName="helloworld-batch-execution-role",
        PolicyName="secrets",
        PolicyDocument=star("secretsmanager:GetSecretValue"),
    )
    iam.attach_role_policy(
        RoleName="helloworld-batch-instance-role", PolicyArn=f"{managed}/AmazonEC2ContainerServiceforEC2Role"
    )
    iam.put_role_policy(
        RoleName="helloworld-cw-event-trigger-batch-role", PolicyName="batch", PolicyDocument=star("batch:SubmitJob")
    )
    secret = sm.create_secret(Name=SECRET, SecretString="the seed's value")["ARN"]
    profile = iam.create_instance_profile(InstanceProfileName="helloworld-batch-instance-profile")["InstanceProfile"][
        "Arn"
    ]
    iam.add_role_to_instance_profile(
        InstanceProfileName="helloworld-batch-instance-profile", RoleName="helloworld-batch-instance-role"
    )
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    group = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    batch.create_compute_environment(
        computeEnvironmentName=f"{STACK}-ce",
        type="MANAGED",
        computeResources={
            "type": "EC2",
            "allocationStrategy": "BEST_FIT",
            "minvCpus": 0,
            "maxvCpus": 8,
            "desiredvCpus": 0,
            "instanceTypes": ["c4.large"],
            "subnets": subnets,
            "securityGroupIds": [group],
            "instanceRole": profile,
        },
    )
    for _attempt in range(200):
        if (
            batch.describe_compute_environments(computeEnvironments=[f"{STACK}-ce"])["computeEnvironments"][0]["status"]
            == "VALID"
        ):
            break
    batch.create_job_queue(
        jobQueueName=f"{STACK}-jq",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": f"{STACK}-ce"}],
    )
    # The defect: the instance profile the environment names is gone.
    iam.remove_role_from_instance_profile(
        InstanceProfileName="helloworld-batch-instance-profile", RoleName="helloworld-batch-instance-role"
    )
    iam.delete_instance_profile(InstanceProfileName="helloworld-batch-instance-profile")
    execution = f"arn:aws-cn:iam::{ACCOUNT}:role/helloworld-batch-execution-role"
    batch.register_job_definition(
        jobDefinitionName=f"{STACK}-jd",
        type="container",
        containerProperties={
            "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
            "command": ["echo", "hello", "world"],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "128"}],
            "executionRoleArn": execution,
            "secrets": [{"name": "MY_SECRET", "valueFrom": secret}],
        },
    )
    events.put_rule(Name=f"{STACK}-cw-event-rule", ScheduleExpression="cron(0 4 * * ? *)")
    return secret


def deploy(aws, tmp_path, check=False, **extra):
    variables = {
        "stack_aws_endpoint_url": aws.url,
        "stack_aws_access_key": "testing",
        "stack_aws_secret_key": "testing",
        "stack_account_id": ACCOUNT,
        "stack_outputs_dir": str(tmp_path / "outputs"),
        **extra,
    }
    return run_playbook(aws, PLAYBOOKS / "deploy.yml", extra_vars=variables, inventory=INVENTORY, check=check, env=FAST)


def plan_message(result):
    return str(result.task(PLAN_TASK).get("msg", ""))


def test_the_seeds_stack_is_adopted_and_ends_least_privilege(aws, tmp_path):
    secret_arn = make_the_seed(aws)
    client = clients(aws)

    aws.reset_stats()
    refused = deploy(aws, tmp_path, check=True)
    assert refused.rc != 0
    message = plan_message(refused)
    for name in (*ROLES, SECRET, f"{STACK}-ce", f"{STACK}-jq", f"{STACK}-jd", f"{STACK}-cw-event-rule"):
        assert f"{name} exists and is not tagged as a member of any stack" in message, (name, message)
    assert writes(aws.stats()) == {}

    preview = deploy(aws, tmp_path, check=True, adopt=True)
    assert preview.rc == 0, preview.stdout[-4000:]
    assert writes(aws.stats()) == {}
    rows = {
        (r["kind"], r["name"]): r["action"]
        for r in preview.task("Summarise the deploy and write the outputs")["summary"]["rows"]
    }
    assert rows[("iam_role", "helloworld-batch-execution-role")] == "adopt"
    assert rows[("secret", SECRET)] == "adopt"
    assert rows[("compute_environment", f"{STACK}-ce")] == "replace"
    assert rows[("job_queue", f"{STACK}-jq")] in ("adopt", "update")

    adopted = deploy(aws, tmp_path, adopt=True)
    assert adopted.rc == 0 and adopted.failed == 0, adopted.stdout[-6000:]

    aws.reset_stats()
    again = deploy(aws, tmp_path)
    assert again.rc == 0, again.stdout[-4000:]
    assert writes(aws.stats()) == {}, writes(aws.stats())

    iam = client("iam")
    execution = {
        p: iam.get_role_policy(RoleName="helloworld-batch-execution-role", PolicyName=p)["PolicyDocument"]
        for p in iam.list_role_policies(RoleName="helloworld-batch-execution-role")["PolicyNames"]
    }
    assert sorted(execution) == ["read-stack-secrets", "task-execution"]
    # The seed's AmazonECSTaskExecutionRolePolicy (logs and ECR on every resource) is gone: the stack's log group only.
    attached = iam.list_attached_role_policies(RoleName="helloworld-batch-execution-role")["AttachedPolicies"]
    assert attached == []
    (statement,) = execution["task-execution"]["Statement"]  # no image repository in this model: no ECR grant
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    resource = statement["Resource"]
    assert resource.startswith(f"arn:aws-cn:logs:{REGION}:{ACCOUNT}:log-group:/aws/batch/"), resource
    assert resource.endswith(":*") and "*" not in resource[:-2], resource
    assert execution["read-stack-secrets"]["Statement"][0]["Resource"] == [
        f"arn:aws-cn:secretsmanager:{REGION}:{ACCOUNT}:secret:{SECRET}-??????"
    ]
    events_role = iam.list_role_policies(RoleName="helloworld-cw-event-trigger-batch-role")["PolicyNames"]
    assert events_role == ["submit-stack-jobs"]
    for name in ROLES:
        role = iam.get_role(RoleName=name)["Role"]
        assert {t["Key"]: t["Value"] for t in role["Tags"]}["ondemand:stack"] == STACK
    assert client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"] == "the seed's value"
    definition = client("batch").describe_job_definitions(jobDefinitionName=f"{STACK}-jd", status="ACTIVE")[
        "jobDefinitions"
    ]
    latest = max(definition, key=lambda d: d["revision"])
    assert latest["containerProperties"]["secrets"] == [{"name": "MY_SECRET", "valueFrom": secret_arn}]
    assert latest["tags"]["ondemand:stack"] == STACK
