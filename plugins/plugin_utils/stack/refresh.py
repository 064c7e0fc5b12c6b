# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only AWS step of the stack plan, and what the plan makes of its answers.

``AwsReader`` makes read calls only (STS, EC2 look-ups, Describe/Get/List of the model's resources and of the
resources tagged as the stack's), several at a time. ``network_facts`` and ``apply_refresh`` are pure: they
turn those answers into facts for the planner, ownership and adoption decisions, the ARNs that exist, the
resources tagged as the stack's that the model no longer has, and check-mode predictions.
"""

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import (
    GLOBAL_KINDS,
    MEMBERSHIP_TAG,
    arn_parts,
    ownership,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import item_path

try:
    from botocore.exceptions import ClientError
except ImportError:  # the action plugin reports the missing SDK
    ClientError = Exception

MISSING_CODES = (
    "NoSuchEntity",
    "ResourceNotFoundException",
    "NotFound",
    "NotFoundException",
    "ResourceNotFound",
    "RepositoryNotFoundException",
    "InvalidSubnetID.NotFound",
    "InvalidGroup.NotFound",
)
# Kind of a resource -> how the plan summary and the messages name it.
KIND_LABELS = {
    "iam_role": "IAM role",
    "iam_instance_profile": "IAM instance profile",
    "secret": "secret",
    "log_group": "log group",
    "compute_environment": "compute environment",
    "scheduling_policy": "scheduling policy",
    "job_queue": "job queue",
    "job_definition": "job definition",
    "schedule": "schedule",
    "alert_topic": "SNS topic",
    "alert_rule": "alert rule",
    "iam_policy": "IAM inline policy",
    "image_repository": "ECR repository",
}


def error_code(error):
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def _tags_dict(tags):
    if tags is None:
        return None
    if isinstance(tags, dict):
        return dict(tags)
    return {t.get("Key", t.get("key")): t.get("Value", t.get("value")) for t in tags}


class AwsReader:
    """Read calls of the plan. ``client(service)`` gives a retrying boto3 client (the action plugin's)."""

    def __init__(self, client, workers=8):
        self.client = client
        self.workers = workers
        # The Describe entries of the Batch listings as AWS returned them: the plan's check-mode pass over the
        # list modules' entries (``precheck``) starts from them instead of reading every resource again.
        self.described = {}

    def _missing_or(self, call):
        try:
            return call()
        except ClientError as error:
            if error_code(error) in MISSING_CODES:
                return None
            raise

    def parallel(self, calls):
        """Run {key: callable} at once; {key: result}. Errors propagate (the first one)."""
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = {key: pool.submit(call) for key, call in calls.items()}
            return {key: future.result() for key, future in futures.items()}

    # --- identity, region, network -----------------------------------------------------------------------
    def caller(self):
        identity = self.client("sts").get_caller_identity()
        return {"account_id": identity["Account"], "arn": identity["Arn"], "partition": identity["Arn"].split(":")[1]}

    def regions(self):
        answer = self.client("ec2").describe_regions(AllRegions=True)
        return sorted(r["RegionName"] for r in answer.get("Regions", []))

    def subnets(self, subnet_ids):
        answer = self._missing_or(lambda: self.client("ec2").describe_subnets(SubnetIds=list(subnet_ids)))
        return None if answer is None else answer.get("Subnets", [])

    def each_subnet(self, subnet_ids):
        """Subnets one by one, when a batched look-up said some do not exist (to name which)."""
        found = {}
        for subnet in subnet_ids:
            answer = self.subnets([subnet])
            if answer:
                found[subnet] = answer[0]
        return found

    def security_groups(self, group_ids):
        answer = self._missing_or(lambda: self.client("ec2").describe_security_groups(GroupIds=list(group_ids)))
        return None if answer is None else answer.get("SecurityGroups", [])

    def each_security_group(self, group_ids):
        found = {}
        for group in group_ids:
            answer = self.security_groups([group])
            if answer:
                found[group] = answer[0]
        return found

    def default_network(self):
        """Default subnets of the default VPC and its default security group; None without a default VPC."""
        ec2 = self.client("ec2")
        subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}]).get("Subnets", [])
        if not subnets:
            return None
        vpc = subnets[0]["VpcId"]
        groups = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
        ).get("SecurityGroups", [])
        return {
            "vpc_id": vpc,
            "subnets": sorted(s["SubnetId"] for s in subnets),
            "security_group_ids": [g["GroupId"] for g in groups],
        }

    # --- the model's resources and the stack's tagged ones -------------------------------------------------
    def role(self, name, with_policies=False):
        """A role with its tags; with ``with_policies`` also what amazon.aws.iam_role and iam_policy compare."""
        iam = self.client("iam")
        answer = self._missing_or(lambda: iam.get_role(RoleName=name))
        if answer is None:
            return None
        role = answer["Role"]
        found = {"arn": role["Arn"], "tags": _tags_dict(role.get("Tags") or [])}
        if with_policies:
            attached = iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", [])
            inline = sorted(iam.list_role_policies(RoleName=name).get("PolicyNames", []))
            found.update(
                path=role.get("Path"),
                description=role.get("Description"),
                trust_policy=role.get("AssumeRolePolicyDocument"),
                max_session_duration=role.get("MaxSessionDuration"),
                boundary=(role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
                managed_policies=sorted(p["PolicyArn"] for p in attached),
                # Inline policies the model does not have are removed (the stack's roles grant what the model says).
                inline_policies=inline,
                inline_documents={
                    policy: iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"] for policy in inline
                },
            )
        return found

    def instance_profile(self, name):
        answer = self._missing_or(lambda: self.client("iam").get_instance_profile(InstanceProfileName=name))
        if answer is None:
            return None
        profile = answer["InstanceProfile"]
        return {
            "path": profile.get("Path"),
            "arn": profile["Arn"],
            "tags": _tags_dict(profile.get("Tags") or []),
            "roles": [r["RoleName"] for r in profile.get("Roles", [])],
        }

    def roles_under(self, path):
        iam = self.client("iam")
        names, marker = [], None
        while True:
            answer = iam.list_roles(PathPrefix=path, **({"Marker": marker} if marker else {}))
            names += [r["RoleName"] for r in answer.get("Roles", []) if r.get("Path") == path]
            marker = answer.get("Marker") if answer.get("IsTruncated") else None
            if not marker:
                return names

    def secret(self, name):
        answer = self._missing_or(lambda: self.client("secretsmanager").describe_secret(SecretId=name))
        if answer is None:
            return None
        return {
            "arn": answer["ARN"],
            "tags": _tags_dict(answer.get("Tags") or []),
            "deleted": bool(answer.get("DeletedDate")),
            "description": answer.get("Description"),
            "kms_key_id": answer.get("KmsKeyId"),
        }

    def log_group(self, name):
        logs = self.client("logs")
        groups = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
        group = next((g for g in groups if g["logGroupName"] == name), None)
        if group is None:
            return None
        tags = logs.list_tags_log_group(logGroupName=name).get("tags", {})
        return {"arn": group["arn"].removesuffix(":*"), "tags": dict(tags), "retention": group.get("retentionInDays")}

    def batch_all(self, operation, key, **kwargs):
        batch = self.client("batch")
        items, token = [], None
        while True:
            answer = getattr(batch, operation)(**kwargs, **({"nextToken": token} if token else {}))
            items += answer.get(key, [])
            token = answer.get("nextToken")
            if not token:
                return items

    def compute_environments(self):
        self.described["compute_environment"] = listed = self.batch_all(
            "describe_compute_environments", "computeEnvironments"
        )
        return {
            ce["computeEnvironmentName"]: {
                "arn": ce["computeEnvironmentArn"],
                "tags": dict(ce.get("tags") or {}),
                "status": ce.get("status"),
            }
            for ce in listed
        }

    def job_queues(self):
        self.described["job_queue"] = listed = self.batch_all("describe_job_queues", "jobQueues")
        return {
            q["jobQueueName"]: {"arn": q["jobQueueArn"], "tags": dict(q.get("tags") or {}), "status": q.get("status")}
            for q in listed
        }

    def scheduling_policies(self):
        arns = [p["arn"] for p in self.batch_all("list_scheduling_policies", "schedulingPolicies")]
        found, described = {}, []
        for start in range(0, len(arns), 100):
            answer = self.client("batch").describe_scheduling_policies(arns=arns[start : start + 100])
            described += answer.get("schedulingPolicies", [])
        self.described["scheduling_policy"] = described
        for policy in described:
            found[policy["name"]] = {"arn": policy["arn"], "tags": dict(policy.get("tags") or {})}
        return found

    def job_definitions(self):
        latest = {}
        self.described["job_definition"] = listed = self.batch_all(
            "describe_job_definitions", "jobDefinitions", status="ACTIVE"
        )
        for definition in listed:
            name = definition["jobDefinitionName"]
            if name not in latest or definition["revision"] > latest[name]["revision"]:
                latest[name] = definition
        return {
            name: {"arn": d["jobDefinitionArn"], "tags": dict(d.get("tags") or {}), "revision": d["revision"]}
            for name, d in latest.items()
        }

    def rule(self, name):
        """The rule's ARN and tags; its targets too, kept with the rule for ``precheck``."""
        events = self.client("events")
        answer = self._missing_or(lambda: events.describe_rule(Name=name))
        if answer is None:
            self.described.setdefault("rule", {})[name] = None
            return None
        targets, token = [], None
        while True:
            page = events.list_targets_by_rule(Rule=name, **({"NextToken": token} if token else {}))
            targets += page.get("Targets", [])
            token = page.get("NextToken")
            if not token:
                break
        tags = _tags_dict(events.list_tags_for_resource(ResourceARN=answer["Arn"]).get("Tags", []))
        self.described.setdefault("rule", {})[name] = {"rule": answer, "targets": targets, "tags": tags}
        return {"arn": answer["Arn"], "tags": tags}

    def schedule(self, name):
        answer = self._missing_or(lambda: self.client("scheduler").get_schedule(Name=name))
        self.described.setdefault("schedule", {})[name] = answer
        if answer is None:
            return None
        # Scheduler schedules carry no tags: their owner cannot be told (see the README).
        return {"arn": answer["Arn"], "tags": None}

    def topic(self, arn):
        """A topic with what community.aws.sns_topic compares: display name, policy, subscriptions, tags."""
        sns = self.client("sns")
        answer = self._missing_or(lambda: sns.list_tags_for_resource(ResourceArn=arn))
        if answer is None:
            return None
        attributes = sns.get_topic_attributes(TopicArn=arn).get("Attributes", {})
        subscriptions = []
        token = None
        while True:
            page = sns.list_subscriptions_by_topic(TopicArn=arn, **({"NextToken": token} if token else {}))
            subscriptions += [(s["Protocol"], s["Endpoint"]) for s in page.get("Subscriptions", [])]
            token = page.get("NextToken")
            if not token:
                break
        return {
            "arn": arn,
            "tags": _tags_dict(answer.get("Tags", [])),
            "display_name": attributes.get("DisplayName"),
            "policy": attributes.get("Policy"),
            "subscriptions": sorted(subscriptions),
        }

    def image_repository(self, name):
        ecr = self.client("ecr")
        answer = self._missing_or(lambda: ecr.describe_repositories(repositoryNames=[name]))
        if answer is None:
            return None
        repository = answer["repositories"][0]
        tags = ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"]).get("tags", [])
        return {"arn": repository["repositoryArn"], "uri": repository["repositoryUri"], "tags": _tags_dict(tags)}

    def image_count(self, name):
        """How many images (digests) a repository holds: a destroy or prune decides on it before any write."""
        ecr = self.client("ecr")
        digests, token = set(), None
        while True:
            answer = self._missing_or(
                lambda t=token: ecr.list_images(repositoryName=name, maxResults=1000, **({"nextToken": t} if t else {}))
            )
            if answer is None:
                return 0
            digests.update(image.get("imageDigest") for image in answer.get("imageIds", []))
            token = answer.get("nextToken")
            if not token:
                return len(digests)

    def tagged(self, stack):
        """Secrets, log groups, EventBridge rules, SNS topics and ECR repositories tagged as members of ``stack``."""
        tagging = self.client("resourcegroupstaggingapi")
        found, token = [], ""
        while True:
            answer = tagging.get_resources(
                TagFilters=[{"Key": MEMBERSHIP_TAG, "Values": [stack]}],
                ResourceTypeFilters=[
                    "secretsmanager:secret",
                    "logs:log-group",
                    "events:rule",
                    "sns:topic",
                    "ecr:repository",
                ],
                PaginationToken=token,
            )
            for mapping in answer.get("ResourceTagMappingList", []):
                found.append({"arn": mapping["ResourceARN"], "tags": _tags_dict(mapping.get("Tags", []))})
            token = answer.get("PaginationToken") or ""
            if not token:
                return found

    def refresh(self, plan):
        """Everything the plan needs to know about what exists: {kind: {name: info or None}}, plus listings."""
        calls = {}
        for role in plan["iam"]["roles"]:
            calls[("iam_role", role["name"])] = lambda n=role["name"]: self.role(n, with_policies=True)
        for profile in plan["iam"]["instance_profiles"]:
            calls[("iam_instance_profile", profile["name"])] = lambda n=profile["name"]: self.instance_profile(n)
        for secret in plan["secrets"]["secrets"] + plan["secrets"]["absent"]:
            calls[("secret", secret["secret_name"])] = lambda n=secret["secret_name"]: self.secret(n)
        log_group = plan["batch"]["log_group"]["log_group_name"]
        calls[("log_group", log_group)] = lambda: self.log_group(log_group)
        eventbridge = plan["eventbridge"]
        for schedule in eventbridge["schedules"] + eventbridge["absent_schedules"]:
            reader = self.schedule if schedule["backend"] == "scheduler" else self.rule
            calls[("schedule", schedule["name"])] = lambda n=schedule["name"], r=reader: r(n)
        for repository in plan["batch"]["image_repositories"]:
            calls[("image_repository", repository["name"])] = lambda n=repository["name"]: self.image_repository(n)
        topic_arn = eventbridge["alerts_topic_arn"]
        calls[("alert_topic", eventbridge["alerts_topic_name"])] = lambda: self.topic(topic_arn)
        calls[("alert_rule", eventbridge["alerts_rule_name"])] = lambda: self.rule(eventbridge["alerts_rule_name"])
        listings = {
            "compute_environment": self.compute_environments,
            "job_queue": self.job_queues,
            "scheduling_policy": self.scheduling_policies,
            "job_definition": self.job_definitions,
            "tagged": lambda: self.tagged(plan["stack"]["name"]),
            "roles_under_path": lambda: self.roles_under(plan["iam"]["path"]),
        }
        answers = self.parallel({**calls, **{("listing", k): v for k, v in listings.items()}})
        found = {}
        for (kind, name), answer in answers.items():
            if kind != "listing":
                found.setdefault(kind, {})[name] = answer
        listed = {name: answers[("listing", name)] for name in listings}
        # Roles under the stack's path that the model does not name: read one by one for their tags
        # (ListRoles returns none).
        wanted = {r["name"] for r in plan["iam"]["roles"]}
        # Only names this stack could have made can be its roles (a path such as "/" holds the whole account's).
        prefixes = tuple({f"{plan['iam']['name_prefix']}-", f"{plan['stack']['name']}-"})
        extra = [n for n in listed["roles_under_path"] if n not in wanted and n.startswith(prefixes)]
        listed["roles_under_path"] = self.parallel({n: lambda n=n: self.role(n) for n in extra}) if extra else {}
        # Repositories a destroy or prune would delete: how many images each holds (images are data).
        deleting = image_repositories_to_delete(plan, found.get("image_repository") or {}, listed["tagged"] or [])
        listed["image_counts"] = (
            self.parallel({n: lambda n=n: self.image_count(n) for n in deleting}) if deleting else {}
        )
        return {"found": found, "listed": listed, "described": dict(self.described)}


# ------------------------------------------------------------------------------------------------ pure part
def repository_name_of(arn):
    """``team/app`` of ``arn:aws:ecr:REGION:ACCOUNT:repository/team/app``; None for another ARN."""
    parts = arn_parts(arn) or {}
    if parts.get("service") != "ecr" or not parts.get("resource", "").startswith("repository/"):
        return None
    return parts["resource"][len("repository/") :]


def image_repositories_to_delete(plan, found, tagged):
    """Names of the repositories this run may delete: with a destroy the model's that exist and every one tagged as
    the stack's; with a prune of the batch role the tagged ones the model no longer has."""
    model = {r["name"] for r in plan["batch"]["image_repositories"]}
    orphans = {n for n in (repository_name_of(item["arn"]) for item in tagged) if n and n not in model}
    if plan["state"] == "absent":
        return sorted({n for n in model if found.get(n) is not None} | orphans)
    return sorted(orphans) if plan["options"]["prune"].get("batch") else []


def region_problems(region, partition_regions, listed_regions=None):
    """Problems of ``stack_region``: unknown to every partition botocore knows, and not listed by EC2."""
    if region in (partition_regions or []):
        return []
    if listed_regions is not None and region in listed_regions:
        return []
    return [("stack_region", f"is not a region of the account's partition (got {region!r}); for example eu-west-1")]


def network_facts(model, answers, problems):
    """The subnets and security groups managed environments get by default, from the read answers.

    ``answers``: {"subnets": {id: subnet}, "security_groups": {id: group}, "default": default_network() or None}.
    """
    subnets = model.get("batch_subnets") or []
    groups = model.get("batch_security_group_ids") or []
    explicit = {"batch_subnets": subnets, "batch_security_group_ids": groups}
    for path, entry in _entries(model, "batch_compute_environments"):
        for field in ("subnets", "security_group_ids"):
            explicit.setdefault(f"{path}.{field}", entry.get(field) or [])
    found_subnets = answers.get("subnets") or {}
    found_groups = answers.get("security_groups") or {}
    vpcs = {}
    for where, ids in explicit.items():
        kind = "security_group_ids" if where.endswith("security_group_ids") else "subnets"
        for value in ids:
            found = (found_groups if kind == "security_group_ids" else found_subnets).get(value)
            if found is None:
                what = "security group" if kind == "security_group_ids" else "subnet"
                problems.add(where, f"{what} {value} does not exist in {model.get('stack_region')}")
            else:
                vpcs.setdefault(found["VpcId"], []).append(f"{where}: {value}")
    if len(vpcs) > 1:
        listing = "; ".join(f"{vpc} ({', '.join(items)})" for vpc, items in sorted(vpcs.items()))
        problems.add("batch_subnets", f"subnets and security groups must share one VPC, found {len(vpcs)}: {listing}")
    facts = {"subnets": sorted(subnets) if subnets else None, "security_group_ids": list(groups) if groups else None}
    default = answers.get("default")
    if facts["subnets"] is None or facts["security_group_ids"] is None:
        needs = answers.get("needs_default")
        if needs and default is None:
            problems.add(
                "batch_subnets",
                f"the region {model.get('stack_region')} has no default VPC, and a managed compute environment sets no "
                "subnets: set batch_subnets and batch_security_group_ids (or subnets and security_group_ids on each "
                "environment)",
            )
        elif default is not None:
            facts["subnets"] = facts["subnets"] or default["subnets"]
            facts["security_group_ids"] = facts["security_group_ids"] or default["security_group_ids"]
    return facts


def needs_default_network(model):
    """Whether a managed compute environment takes its subnets or security groups from the default VPC."""
    for _path, entry in _entries(model, "batch_compute_environments"):
        if (entry.get("type") or "MANAGED") != "MANAGED":
            continue
        if entry.get("subnets") is None and not model.get("batch_subnets"):
            return True
        if entry.get("security_group_ids") is None and not model.get("batch_security_group_ids"):
            return True
    return False


def _entries(model, variable):
    return [(item_path(variable, e, i), e) for i, e in enumerate(model.get(variable) or []) if isinstance(e, dict)]


def resources(plan):
    """Every resource the plan wants: {kind, name, arn, path, adopt}, in deploy order."""
    out = []
    stack = plan["stack"]
    for role in plan["iam"]["roles"]:
        out.append(
            {
                "kind": "iam_role",
                "name": role["name"],
                "arn": f"arn:{stack['partition']}:iam::{stack['account_id']}:role{role['path']}{role['name']}",
                "path": role["path_in_model"],
                "adopt": False,
            }
        )
    for profile in plan["iam"]["instance_profiles"]:
        out.append(
            {
                "kind": "iam_instance_profile",
                "name": profile["name"],
                "arn": plan["iam"]["arns"]["instance_profile"],
                "path": "iam_instance_role_create",
                "adopt": False,
            }
        )
    for secret in plan["secrets"]["secrets"]:
        out.append(
            {
                "kind": "secret",
                "name": secret["secret_name"],
                "arn": secret["arn"] or secret["policy_arn"],
                "path": secret["path_in_model"],
                "adopt": secret["adopt"],
            }
        )
    log_group = plan["batch"]["log_group"]
    out.append(
        {
            "kind": "log_group",
            "name": log_group["log_group_name"],
            "arn": log_group["arn"],
            "path": "batch_log_group_name",
            "adopt": False,
        }
    )
    for kind, key in (
        ("compute_environment", "compute_environments"),
        ("scheduling_policy", "scheduling_policies"),
        ("job_queue", "job_queues"),
        ("job_definition", "job_definitions"),
    ):
        for params in plan["batch"][key]:
            out.append(
                {
                    "kind": kind,
                    "name": params["name"],
                    "arn": _batch_arn(plan, kind, params["name"]),
                    "path": _model_path(plan, key, params["name"]),
                    "adopt": False,
                }
            )
    for repository in plan["batch"].get("image_repository_names", {}).values():
        out.append(
            {
                "kind": "image_repository",
                "name": repository["name"],
                "arn": repository["arn"],
                "path": repository["path"],
                "adopt": False,
            }
        )
    eventbridge = plan["eventbridge"]
    for schedule in eventbridge["schedules"]:
        out.append(
            {
                "kind": "schedule",
                "name": schedule["name"],
                "arn": None,
                "path": _model_path(plan, "schedules", schedule["name"]),
                "adopt": False,
            }
        )
    if eventbridge["alerts"]:
        out.append(
            {
                "kind": "alert_topic",
                "name": eventbridge["alerts"]["topic"]["name"],
                "arn": eventbridge["alerts"]["topic"]["arn"],
                "path": "eventbridge_alerts_topic_name",
                "adopt": False,
            }
        )
        out.append(
            {
                "kind": "alert_rule",
                "name": eventbridge["alerts"]["rule"]["name"],
                "arn": eventbridge["alerts"]["rule_arn"],
                "path": "eventbridge_alerts_rule_name",
                "adopt": False,
            }
        )
    return out


def _batch_arn(plan, kind, name):
    stack = plan["stack"]
    resource = {
        "compute_environment": "compute-environment",
        "scheduling_policy": "scheduling-policy",
        "job_queue": "job-queue",
        "job_definition": "job-definition",
    }[kind]
    return f"arn:{stack['partition']}:batch:{stack['region']}:{stack['account_id']}:{resource}/{name}"


def _model_path(plan, key, name):
    variable = {
        "compute_environments": "batch_compute_environments",
        "scheduling_policies": "batch_scheduling_policies",
        "job_queues": "batch_job_queues",
        "job_definitions": "batch_job_definitions",
        "schedules": "eventbridge_schedules",
    }[key]
    prefix = plan["stack"]["name"] + "-"
    return f"{variable}[{name[len(prefix) :] if name.startswith(prefix) else name}]"


def apply_refresh(plan, refreshed, problems):
    """Ownership and adoption, the ARNs that exist, orphans and predictions: the plan as it will run.

    A resource tagged as another stack's is refused; an untagged one is refused unless adopted (``adopt``, or
    its model path in ``adopt_paths``). Returns the plan with ``resources`` (each with ``exists`` and
    ``action_hint``) and ``orphans`` filled in.
    """
    stack = plan["stack"]["name"]
    adopt, adopt_paths = plan["options"]["adopt"], set(plan["adopt_paths"])
    found = refreshed["found"]
    listed = refreshed["listed"]
    batch_listing = {
        k: listed.get(k) or {} for k in ("compute_environment", "job_queue", "scheduling_policy", "job_definition")
    }
    for kind, listing in batch_listing.items():
        found.setdefault(kind, {})
        for params in plan["batch"][_plural(kind)]:
            found[kind][params["name"]] = listing.get(params["name"])
    rows = []
    for resource in resources(plan):
        current = found.get(resource["kind"], {}).get(resource["name"])
        resource["exists"] = current is not None
        resource["action_hint"] = "create"
        if current is not None:
            resource["arn"] = current.get("arn") or resource["arn"]
            owned, owner = ownership(current, resource["kind"], stack, plan["stack"]["region"])
            label = f"{KIND_LABELS[resource['kind']]} {resource['name']}"
            if owned in ("ours", "unknown"):
                resource["action_hint"] = "update"
            elif owned == "other":
                hint = ""
                if resource["kind"] in GLOBAL_KINDS and owner.startswith(f"stack {stack!r}"):
                    hint = (
                        ": IAM is global, so one stack_name in two regions would share its roles; give this region its "
                        "own iam_name_prefix (for example "
                        f"{stack}-{plan['stack']['region']}) or its own stack_name"
                    )
                else:
                    hint = ": a stack never changes another stack's resources; give this one another name"
                problems.add(resource["path"], f"{label} belongs to {owner}{hint}")
                resource["action_hint"] = "refused"
            elif adopt or resource["adopt"] or resource["path"] in adopt_paths:
                resource["action_hint"] = "adopt"
            elif plan["state"] == "absent":
                resource["action_hint"] = "keep"  # a destroy leaves what is not the stack's (listed as not removed)
            else:
                problems.add(
                    resource["path"],
                    f"{label} exists and is not tagged as a member of any stack: deploy with -e adopt=true (or "
                    "adopt: true on the entry) to take it over and tag it",
                )
                resource["action_hint"] = "refused"
        rows.append(resource)
    plan["resources"] = rows
    _secret_arns(plan, found.get("secret", {}))
    plan["orphans"] = orphans(plan, listed, batch_listing)
    return plan


def _plural(kind):
    return {
        "compute_environment": "compute_environments",
        "job_queue": "job_queues",
        "scheduling_policy": "scheduling_policies",
        "job_definition": "job_definitions",
    }[kind]


def _secret_arns(plan, found_secrets):
    """Full ARNs of the secrets that exist: in the job definitions (a partial ARN stays for a new secret; the
    job_definition module resolves it once the secret exists) and in the outputs."""
    arns = {}
    for secret in plan["secrets"]["secrets"]:
        current = found_secrets.get(secret["secret_name"])
        if current is not None and not current.get("deleted"):
            secret["arn"] = current["arn"]
        arns[secret["name"]] = secret["arn"] or secret["partial_arn"]
    for params in plan["batch"]["job_definitions"]:
        names = plan["batch"]["job_definition_secrets"].get(params["name"], {})
        params["secrets"] = {variable: arns[logical] for variable, logical in names.items() if logical in arns}


def orphans(plan, listed, batch_listing):
    """Resources tagged as members of the stack that the model does not have, by kind (full names)."""
    stack = plan["stack"]["name"]

    def ours(info, kind=None):
        return ownership(info, kind, stack, plan["stack"]["region"])[0] == "ours"

    wanted = {
        "compute_environment": {p["name"] for p in plan["batch"]["compute_environments"]},
        "job_queue": {p["name"] for p in plan["batch"]["job_queues"]},
        "scheduling_policy": {p["name"] for p in plan["batch"]["scheduling_policies"]},
        "job_definition": {p["name"] for p in plan["batch"]["job_definitions"]},
    }
    out = {
        kind: sorted(n for n, info in batch_listing[kind].items() if info and ours(info) and n not in wanted[kind])
        for kind in wanted
    }
    secret_names = {s["secret_name"] for s in plan["secrets"]["secrets"] + plan["secrets"]["absent"]}
    eventbridge = plan["eventbridge"]
    schedule_names = (
        {s["name"] for s in eventbridge["schedules"] + eventbridge["absent_schedules"]}
        if eventbridge["backend"] == "events"
        else set()
    )
    repository_names = {r["name"] for r in plan["batch"]["image_repositories"]}
    out.update(
        {"secret": [], "log_group": [], "schedule": [], "alert_rule": [], "alert_topic": [], "image_repository": []}
    )
    for item in listed.get("tagged") or []:
        parts = arn_parts(item["arn"]) or {}
        service, resource = parts.get("service"), parts.get("resource", "")
        if service == "secretsmanager":
            name = resource.split(":", 1)[-1]
            name = name[:-7] if len(name) > 7 and name[-7] == "-" else name
            if name not in secret_names:
                out["secret"].append(name)
        elif service == "logs":
            name = resource.split(":", 1)[-1].removesuffix(":*")
            if name != plan["batch"]["log_group"]["log_group_name"]:
                out["log_group"].append(name)
        elif service == "events" and resource.startswith("rule/") and resource.count("/") == 1:
            name = resource[len("rule/") :]
            if (item.get("tags") or {}).get("ondemand:component") == "schedule":
                if name not in schedule_names:
                    out["schedule"].append(name)
            elif name != eventbridge["alerts_rule_name"]:
                out["alert_rule"].append(name)
        elif service == "sns" and resource != eventbridge["alerts_topic_name"]:
            out["alert_topic"].append(resource)
        elif service == "ecr" and repository_name_of(item["arn"]) not in (None, *repository_names):
            out["image_repository"].append(repository_name_of(item["arn"]))
    out["iam_role"] = sorted(
        n for n, info in (listed.get("roles_under_path") or {}).items() if info and ours(info, "iam_role")
    )
    return {kind: sorted(set(names)) for kind, names in out.items()}
