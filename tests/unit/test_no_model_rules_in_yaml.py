"""The stack model's rules live in Python (the stack plan), never again in YAML: no role or playbook checks the model
with assert/fail, and the roles hold no glue (set_fact, include_tasks per item, defaults/ or vars/ read across
roles)."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE_TASK_FILES = sorted((ROOT / "roles").glob("*/tasks/*.yml"))
PLAYBOOKS = sorted((ROOT / "playbooks").glob("**/*.yml"))
CHECKS = {"assert", "ansible.builtin.assert", "ansible.legacy.assert", "fail", "ansible.builtin.fail"}
GLUE = {"set_fact", "ansible.builtin.set_fact", "include_tasks", "ansible.builtin.include_tasks"}
MODEL_VARIABLE = re.compile(r"\b(?:stack|iam|secrets|batch|eventbridge)_\w+")


def tasks_of(data):
    """Every task of a task file or a playbook, blocks and handlers included."""
    if isinstance(data, dict):
        data = [data]
    for item in data or []:
        if not isinstance(item, dict):
            continue
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            if isinstance(item.get(key), list):
                yield from tasks_of(item[key])
        if not any(key in item for key in ("hosts", "block", "import_playbook")):
            yield item


def module_of(task):
    return next((key for key in task if key in CHECKS | GLUE), None)


def test_the_scan_sees_tasks():
    assert len(ROLE_TASK_FILES) >= 8 and len(PLAYBOOKS) >= 3
    assert any(module_of(t) for path in PLAYBOOKS for t in tasks_of(yaml.safe_load(path.read_text())))


@pytest.mark.parametrize("path", ROLE_TASK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_roles_neither_check_the_model_nor_reshape_it(path):
    found = [(t.get("name"), module_of(t)) for t in tasks_of(yaml.safe_load(path.read_text())) if module_of(t)]
    assert not found, f"{path}: the stack plan checks and shapes the model, not the roles: {found}"


def test_roles_have_no_defaults_or_vars():
    leftovers = [str(p.relative_to(ROOT)) for p in (ROOT / "roles").glob("*/*") if p.name in ("defaults", "vars")]
    assert not leftovers, f"the roles' model is their argument spec (entry point model), read by the plan: {leftovers}"


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_playbook_checks_are_about_their_own_inputs_never_the_model(path):
    for task in tasks_of(yaml.safe_load(path.read_text())):
        module = module_of(task)
        if module not in CHECKS:
            continue
        arguments = task[module] if isinstance(task[module], dict) else {}
        conditions = " ".join(str(c) for c in (arguments.get("that") or [])) + " " + str(task.get("when", ""))
        assert not MODEL_VARIABLE.findall(conditions), (
            f"{path}: task {task.get('name')!r} checks the stack model in YAML; that rule belongs in the stack plan"
        )
