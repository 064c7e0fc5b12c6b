"""The local inventory as the stack plan's action would read it, and one call to compile a model the same way."""

import copy
from pathlib import Path

import jinja2
import yaml

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import plan_base, planner, refresh, schema, work
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import ModelProblems

ROOT = Path(__file__).resolve().parents[4]
ACCOUNT = "123456789012"
REGION = "eu-west-1"
FACTS = {
    "account_id": ACCOUNT,
    "partition": "aws",
    "network": {"subnets": ["subnet-a", "subnet-b"], "security_group_ids": ["sg-default"]},
}


def inventory(name="local"):
    """The inventory's group_vars, templates rendered (like the action's templar: "{{ stack_name }}-jq")."""
    variables = {}
    for path in sorted((ROOT / "inventories" / name / "group_vars" / "all").glob("*.yml")):
        variables.update(yaml.safe_load(path.read_text()) or {})
    for key in ("stack_aws_endpoint_url", "stack_aws_access_key", "stack_aws_secret_key", "stack_aws_profile"):
        variables.pop(key, None)

    def render(value):
        if isinstance(value, str) and "{{" in value:
            return jinja2.Template(value).render(**variables)
        if isinstance(value, dict):
            return {k: render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [render(v) for v in value]
        return value

    return {key: render(value) for key, value in variables.items()}


def with_secret_values(variables):
    """Secret values as the action passes them: what the plan may know, not the value."""
    out = copy.deepcopy(variables)
    for entry in out.get("secrets_secrets") or []:
        if isinstance(entry, dict) and "value" in entry:
            entry["value"] = plan_base.SecretValue(entry["value"])
    return out


def compile_model(variables, facts=None, state="present", check_mode=False, refreshed=None):
    """(plan, problem lines) of ``variables`` - the schema, the planner and, given AWS answers, the refresh."""
    problems = ModelProblems()
    model = schema.check_model(with_secret_values(variables), problems)
    plan, compiled = planner.compile_plan(
        model, FACTS if facts is None else facts, state=state, check_mode=check_mode, prior=problems.items
    )
    problems.items.extend(p for p in compiled.items if p not in problems.items)
    if refreshed is not None:
        refresh.apply_refresh(plan, refreshed, problems)
        work.prepare(plan, refreshed, check_mode=check_mode, problems=problems)
    return plan, problems.lines()


def empty_account():
    """What the refresh finds in an account that holds nothing."""
    return {"found": {}, "listed": {"tagged": [], "roles_under_path": {}}}


def entry(variables, variable, index=0):
    return variables[variable][index]
