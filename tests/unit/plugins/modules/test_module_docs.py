"""DOCUMENTATION (with this collection's doc fragments) in lockstep with the argument spec, for every Batch
resource module and its list-form twin; EXAMPLES and RETURN parse and name modules by their full names."""

import importlib

import pytest
import yaml

from ansible_collections.ondemand.batch.plugins.modules import (
    compute_environment,
    compute_environments,
    job_alert,
    job_alerts,
    job_definition,
    job_definition_info,
    job_definitions,
    job_queue,
    job_queues,
    job_schedule,
    job_schedules,
    scheduling_policies,
    scheduling_policy,
    scheduling_policy_info,
)

# Options documented by amazon.aws.tags rather than by the module or this collection's fragments.
AMAZON_TAG_OPTIONS = {
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}
PAIRS = [
    (compute_environment, compute_environments, "compute_environments"),
    (job_queue, job_queues, "job_queues"),
    (job_definition, job_definitions, "job_definitions"),
    (scheduling_policy, scheduling_policies, "scheduling_policies"),
    (job_schedule, job_schedules, "job_schedules"),
    (job_alert, job_alerts, "job_alerts"),
]
MODULES = [module for pair in PAIRS for module in pair[:2]] + [job_definition_info, scheduling_policy_info]


def documented_options(module):
    """The module's options as ansible-doc shows them: its own and those of the fragments it extends."""
    documentation = yaml.safe_load(module.DOCUMENTATION)
    options = dict(documentation.get("options") or {})
    for fragment in documentation.get("extends_documentation_fragment") or []:
        if fragment == "amazon.aws.tags":
            options.update(AMAZON_TAG_OPTIONS)
        elif fragment.startswith("ondemand.batch."):
            name, _sep, variable = fragment[len("ondemand.batch.") :].partition(".")
            loaded = importlib.import_module(f"ansible_collections.ondemand.batch.plugins.doc_fragments.{name}")
            options.update(
                yaml.safe_load(getattr(loaded.ModuleDocFragment, variable.upper() or "DOCUMENTATION"))["options"]
            )
    return documentation, options


def compare_options(documented, spec, path=""):
    """Problems between documented options and an argument spec, recursively."""
    problems = []
    for name in sorted(set(documented) | set(spec)):
        where = f"{path}{name}"
        if name not in spec or name not in documented:
            problems.append(f"{where}: only in {'the docs' if name in documented else 'the argument spec'}")
            continue
        doc, arg = documented[name], spec[name]
        for key, default in (("type", "str"), ("elements", None), ("choices", None), ("default", None)):
            if doc.get(key, default) != arg.get(key, default):
                problems.append(f"{where}: {key} is {doc.get(key, default)!r} in the docs, {arg.get(key, default)!r}")
        if bool(doc.get("required")) != bool(arg.get("required")):
            problems.append(f"{where}: required differs")
        if sorted(doc.get("aliases") or []) != sorted(arg.get("aliases") or []):
            problems.append(f"{where}: aliases differ")
        if "suboptions" in doc or "options" in arg:
            problems += compare_options(doc.get("suboptions") or {}, arg.get("options") or {}, f"{where}.")
    return problems


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_documentation_in_lockstep_with_argument_spec(module):
    documentation, options = documented_options(module)
    assert compare_options(options, module.argument_spec()) == []
    assert documentation["version_added"] == "0.1.0"
    for example in yaml.safe_load(module.EXAMPLES):
        task = next(key for key in example if key not in ("name", "register", "check_mode", "diff", "loop"))
        assert task.count(".") == 2, task  # full module names
    assert yaml.safe_load(module.RETURN)


@pytest.mark.parametrize("singular, plural, key", PAIRS, ids=[key for _s, _p, key in PAIRS])
def test_a_list_entry_takes_exactly_the_options_of_the_per_resource_module(singular, plural, key):
    spec = plural.argument_spec()
    assert list(spec) == [key] and spec[key]["type"] == "list" and spec[key]["elements"] == "dict"
    assert spec[key]["options"] == singular.argument_spec()
    _documentation, single = documented_options(singular)
    _documentation, listed = documented_options(plural)
    entry = {name: dict(option) for name, option in listed[key]["suboptions"].items()}
    # Same options, same descriptions, except that references point into the list.
    assert sorted(entry) == sorted(single)
    for name, option in single.items():
        if name in AMAZON_TAG_OPTIONS:
            continue
        expected = [
            " ".join(item.split()).replace("O(", f"O({key}[].").replace(f"O({key}[].ondemand.", "O(ondemand.")
            for item in option["description"]
        ]
        assert [" ".join(item.split()) for item in entry[name]["description"]] == expected, name
    returned = yaml.safe_load(plural.RETURN)[key]["contains"]
    assert {"name", "action", "changed", "changed_fields"} <= set(returned)


def test_the_list_modules_are_in_the_action_group():
    import pathlib

    runtime = yaml.safe_load((pathlib.Path(__file__).parents[4] / "meta" / "runtime.yml").read_text())
    group = runtime["action_groups"]["batch"]
    assert {key for _s, _p, key in PAIRS} <= set(group)
    assert group == sorted(group)
