# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ondemand.batch.stack_plan: compile the stack model into the plan, on the controller.

Thin on purpose: the model's variables are read (secret values raw, never templated), checked
(``plugin_utils.stack.schema``), the read-only AWS step is made (``refresh.AwsReader``), and the plan is
compiled (``planner``) and completed (``refresh.apply_refresh``, ``work.prepare``). Every problem is reported
at once, before any write, and the plan is returned as the ``stack_plan`` fact the roles loop over.
"""

import functools

from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.ondemand.batch.plugins.plugin_utils import aws
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import (
    planner,
    precheck,
    refresh,
    schema,
    secret_values,
    work,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import SecretValue
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import ModelProblems

display = Display()

SERVICES = (
    "sts",
    "ec2",
    "iam",
    "secretsmanager",
    "logs",
    "batch",
    "events",
    "scheduler",
    "sns",
    "ecr",
    "resourcegroupstaggingapi",
)
ROLE_PREFIXES = tuple(f"{role}_" for role in schema.ROLES)


class AlwaysRetry:
    """A RetryingBotoClientWrapper whose every call retries throttling and server errors."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return functools.partial(getattr(self._client, name), aws_retry=True)


def model_variables(task_vars, templar):
    """The model's variables that are set, templated, with each secret value replaced by what the plan may know."""
    options = schema.model_options()
    variables = {}
    for name in task_vars:
        if name not in options and not name.startswith(ROLE_PREFIXES):
            continue
        if name == "secrets_secrets":
            variables[name] = _secret_entries(task_vars, templar)
        else:
            variables[name] = templar.template(task_vars[name])
    return variables


def _secret_entries(task_vars, templar):
    raw = secret_values.entries(task_vars.get("secrets_secrets"), task_vars)
    if isinstance(raw, str):  # a computed list: templated as a whole (its values then come templated too)
        raw = templar.template(raw)
    if not isinstance(raw, (list, tuple)):
        return templar.template(raw)
    out = []
    for entry in raw:
        if not isinstance(entry, dict):
            out.append(templar.template(entry))
            continue
        converted = {}
        for key, value in entry.items():
            if key == "value":
                converted[key] = SecretValue(secret_values.follow(value, task_vars))
            else:
                converted[key] = templar.template(value)
        out.append(converted)
    return out


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        state = args.pop("state", "present")
        read_aws = boolean(args.pop("read_aws", True), strict=False)
        confirmed = boolean(args.pop("confirmed", True), strict=False)
        confirmation = args.pop("confirmation", None)
        if state not in ("present", "absent"):
            return dict(result, failed=True, msg=f"state must be present or absent (got {state!r})")
        if state == "absent" and not confirmed:
            stack = self._templar.template(task_vars.get("stack_name"))
            if str(confirmation or "").strip() != str(stack):
                return dict(
                    result,
                    failed=True,
                    msg="Not confirmed, nothing was deleted. Type the stack name at the prompt, or pass "
                    "-e confirm=true.",
                )
        check_mode = bool(self._task.check_mode)

        problems = ModelProblems()
        model = schema.check_model(model_variables(task_vars, self._templar), problems)
        facts = {}
        reader = None
        if read_aws and model.get("stack_name") and model.get("stack_region"):
            try:
                reader, facts = self._read_facts(model, args, task_vars, problems)
            except AnsibleError as error:
                return dict(result, failed=True, msg=f"{error}; nothing was changed.")
        plan, compiled = planner.compile_plan(model, facts, state=state, check_mode=check_mode, prior=problems.items)
        problems.items.extend(p for p in compiled.items if p not in problems.items)
        if reader is not None and not _blocks_refresh(problems):
            try:
                refreshed = reader.refresh(plan)
            except Exception as error:  # noqa: BLE001 - any SDK failure is reported as such, nothing was written
                return dict(
                    result,
                    failed=True,
                    msg=f"Could not read the stack's resources from AWS: {error}; nothing was changed.",
                )
            refresh.apply_refresh(plan, refreshed, problems)
            work.prepare(plan, refreshed, check_mode=check_mode, problems=problems)
            if state == "present" and not problems:
                # What the list modules would leave unchanged leaves their run lists: no process for it.
                precheck.skip_unchanged(plan, refreshed["described"], self._clients, model["stack_region"])
        if problems:
            return dict(result, failed=True, msg=problems.message(), problems=problems.lines())
        for warning in plan.get("warnings", []):
            display.warning(warning)
        result.update(changed=False, stack_plan=plan, ansible_facts={"stack_plan": plan})
        return result

    def _read_facts(self, model, args, task_vars, problems):
        """Account, partition, region and network: what the plan must know before it names anything."""
        region = model["stack_region"]
        partition_regions = _botocore_regions(region)
        if partition_regions is None:
            problems.add(
                "stack_region", f"is not a region of any AWS partition (got {region!r}); for example eu-west-1"
            )
            return None, {}
        args.setdefault("region", region)
        task_environment = {}
        self._compute_environment_string(task_environment)
        if region not in partition_regions:
            # Newer than this botocore, or no region at all: ask EC2 in a region the partition surely has (a call
            # in a region that does not exist cannot even be sent).
            _home, home_clients = aws.session_clients(
                dict(args, region=_home_region(partition_regions)),
                task_environment,
                ("ec2",),
                purpose="compile the stack plan",
            )
            listed = refresh.AwsReader(lambda service: AlwaysRetry(home_clients[service])).regions()
            found = refresh.region_problems(region, partition_regions, listed)
            for path, rule in found:
                problems.add(path, rule)
            if found:
                return None, {}
        _region, clients = aws.session_clients(args, task_environment, SERVICES, purpose="compile the stack plan")
        self._clients = clients
        reader = refresh.AwsReader(lambda service: AlwaysRetry(clients[service]))
        try:
            caller = reader.caller()
        except Exception as error:  # noqa: BLE001 - credentials, endpoint, network: the message says which
            raise AnsibleError(
                f"Could not read the account of the credentials (STS GetCallerIdentity) in {region}: {error}"
            ) from error
        expected = model.get("stack_account_id")
        if expected and str(expected) != caller["account_id"]:
            problems.add(
                "stack_account_id",
                f"is {expected}, but the credentials belong to account {caller['account_id']} ({caller['arn']}): use "
                "the credentials of the right account",
            )
        facts = {"account_id": caller["account_id"], "partition": caller["partition"], "caller_arn": caller["arn"]}
        facts["network"] = self._network(reader, model, problems)
        return reader, facts

    @staticmethod
    def _network(reader, model, problems):
        subnet_ids, group_ids = set(model.get("batch_subnets") or []), set(model.get("batch_security_group_ids") or [])
        for entry in model.get("batch_compute_environments") or []:
            if isinstance(entry, dict):
                subnet_ids.update(entry.get("subnets") or [])
                group_ids.update(entry.get("security_group_ids") or [])
        needs_default = refresh.needs_default_network(model)
        calls = {}
        if subnet_ids:
            calls["subnets"] = lambda: reader.subnets(sorted(subnet_ids))
        if group_ids:
            calls["security_groups"] = lambda: reader.security_groups(sorted(group_ids))
        if needs_default:
            calls["default"] = reader.default_network
        answers = reader.parallel(calls) if calls else {}
        subnets = answers.get("subnets")
        if subnet_ids and subnets is None:  # one of them does not exist: name which
            subnets = list(reader.each_subnet(sorted(subnet_ids)).values())
        groups = answers.get("security_groups")
        if group_ids and groups is None:
            groups = list(reader.each_security_group(sorted(group_ids)).values())
        found = {
            "subnets": {s["SubnetId"]: s for s in subnets or []},
            "security_groups": {g["GroupId"]: g for g in groups or []},
            "default": answers.get("default"),
            "needs_default": needs_default,
        }
        return refresh.network_facts(model, found, problems)


def _blocks_refresh(problems):
    """Whether the model is too broken to name its resources (then only the model's problems are reported)."""
    return any(path in ("stack_name", "stack_region", "stack_account_id") for path, _rule in problems.items)


def _home_region(partition_regions):
    """A region every account of the partition has (not an opt-in one)."""
    for home in ("us-east-1", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1"):
        if home in partition_regions:
            return home
    return partition_regions[0]


@functools.cache
def _botocore_regions(region):
    """The regions botocore knows in ``region``'s partition; None when no partition claims the name."""
    import botocore.exceptions  # noqa: PLC0415
    import botocore.session  # noqa: PLC0415

    session = botocore.session.get_session()
    try:
        partition = session.get_partition_for_region(region)
    except botocore.exceptions.UnknownRegionError:
        return None
    return tuple(session.get_available_regions("ec2", partition_name=partition))
