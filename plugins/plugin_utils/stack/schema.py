# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack model's shape: the roles' ``meta/argument_specs.yml`` (one source for every variable's type,
choices, sub-options and plain default) plus the stack-wide ``stack_*`` variables.

``check_model`` converts and checks a model against them, naming each problem by its inventory path, and fills
in the plain defaults. Defaults that depend on other variables (``iam_instance_role_create``, names derived from
``stack_name``) are the planner's.
"""

import functools
import os

import yaml
from ansible.module_utils.common.validation import (
    check_type_bool,
    check_type_dict,
    check_type_float,
    check_type_int,
    check_type_list,
    check_type_raw,
    check_type_str,
)

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import item_path, join

ROLES = ("iam", "secrets", "batch", "eventbridge")
ROLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles")

# Stack-wide variables, read by every role (documented in README "Variables").
STACK_OPTIONS = {
    "stack_name": {"type": "str", "required": True},
    "stack_region": {"type": "str", "required": True},
    "stack_tags": {"type": "dict", "default": {}},
    "stack_account_id": {"type": "str"},
    "stack_outputs_dir": {"type": "str"},
}
# Extra variables of the playbooks (-e prune=true, -e adopt=true).
EXTRA_OPTIONS = {
    "prune": {"type": "bool", "default": False},
    "adopt": {"type": "bool", "default": False},
}

_CHECKERS = {
    "str": check_type_str,
    "int": check_type_int,
    "float": check_type_float,
    "bool": check_type_bool,
    "list": check_type_list,
    "dict": check_type_dict,
    "raw": check_type_raw,
}
_TYPE_WORDS = {
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping",
}


@functools.cache
def role_options(role):
    """The variables of a role's part of the model: the ``model`` entry of its argument spec."""
    path = os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["argument_specs"]["model"]["options"]


@functools.cache
def model_options():
    """Every variable of the model: stack-wide, extra, then each role's, by name (read-only: shared)."""
    options = dict(STACK_OPTIONS)
    options.update(EXTRA_OPTIONS)
    for role in ROLES:
        options.update(role_options(role))
    return options


def check_model(variables, problems, options=None):
    """The model's variables converted to their types, plain defaults filled in.

    ``variables`` holds the variables that are set (templated already); unknown ``<role>_`` variables are
    refused (a misspelt variable would otherwise be ignored silently).
    """
    options = model_options() if options is None else options
    model = {}
    for name, value in variables.items():
        if name in options:
            model[name] = _convert(name, value, options[name], problems)
        elif name.startswith(tuple(f"{role}_" for role in ROLES)) and not name.startswith("batch_default_"):
            problems.add(name, f"is not a variable of the model ({_suggestion(name, options)})")
    for name, spec in options.items():
        if name not in model:
            if spec.get("required"):
                problems.add(name, "is required")
            elif "default" in spec:
                model[name] = _copy(spec["default"])
    return model


def _suggestion(name, options):
    prefix = name.split("_", 1)[0] + "_"
    close = sorted(o for o in options if o.startswith(prefix) and _close(o, name))
    return f"did you mean {', '.join(close)}?" if close else f"see the {prefix[:-1]} role's argument spec"


def _close(a, b):
    if abs(len(a) - len(b)) > 2:
        return False
    common = sum(1 for x, y in zip(a, b) if x == y)  # noqa: B905 - lengths differ by design
    return common >= min(len(a), len(b)) - 2


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _convert(path, value, spec, problems):
    kind = spec.get("type", "raw")
    if value is None:
        return None
    if kind in ("int", "float") and isinstance(value, bool):
        problems.add(path, f"must be {_TYPE_WORDS[kind]} (got {value!r})")
        return None
    if kind == "str" and not isinstance(value, (str, int, float)) or kind == "str" and isinstance(value, bool):
        problems.add(path, f"must be a string (got {type(value).__name__} {_shown(value, spec)})")
        return None
    if kind == "list" and not isinstance(value, (list, tuple)):
        problems.add(path, f"must be a list (got {type(value).__name__} {_shown(value, spec)})")
        return None
    if kind == "dict" and not isinstance(value, dict):
        problems.add(path, f"must be a mapping (got {type(value).__name__} {_shown(value, spec)})")
        return None
    try:
        converted = _CHECKERS.get(kind, check_type_raw)(value)
    except (TypeError, ValueError):
        problems.add(path, f"must be {_TYPE_WORDS.get(kind, kind)} (got {_shown(value, spec)})")
        return None
    if spec.get("choices") is not None and kind != "list" and converted not in spec["choices"]:
        problems.add(path, f"must be one of {', '.join(map(str, spec['choices']))} (got {_shown(converted, spec)})")
        return None
    if kind == "list":
        return _convert_list(path, converted, spec, problems)
    if kind == "dict" and spec.get("options"):
        return _convert_options(path, converted, spec["options"], problems)
    return converted


def _convert_list(path, values, spec, problems):
    element = spec.get("elements")
    if not element:
        return list(values)
    element_spec = {"type": element}
    if spec.get("choices") is not None:  # a list's choices are those of each element
        element_spec["choices"] = spec["choices"]
    if spec.get("options"):
        element_spec["options"] = spec["options"]
    if spec.get("no_log"):
        element_spec["no_log"] = True
    out = []
    for index, value in enumerate(values):
        at = item_path(path, value, index) if element == "dict" else f"{path}[{index}]"
        out.append(_convert(at, value, element_spec, problems))
    return out


def _convert_options(path, value, options, problems):
    out = {}
    for key, item in value.items():
        if key not in options:
            known = ", ".join(sorted(options))
            problems.add(join(path, str(key)), f"is not an option here (known: {known})")
            continue
        out[key] = _convert(join(path, key), item, options[key], problems)
    for key, spec in options.items():
        if key in out:
            continue
        if spec.get("required"):
            problems.add(join(path, key), "is required")
        elif "default" in spec:
            out[key] = _copy(spec["default"])
    return out


def _shown(value, spec):
    """A value as an error message may show it: never a secret's (no_log) value."""
    if spec.get("no_log"):
        return "(value hidden)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
