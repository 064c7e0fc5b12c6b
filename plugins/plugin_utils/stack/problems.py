# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Problems of a stack model, each at an inventory path: ``batch_compute_environments[ce].min_vcpus``."""

import re

# A logical name that can stand in a path as is; anything else is shown as its index.
_PATH_NAME_RE = re.compile(r"^[A-Za-z0-9_.:@+=/-]{1,128}\Z")


def item_path(variable, entry, index):
    """``batch_job_queues[jq]`` for an entry with a usable name, ``batch_job_queues[0]`` otherwise."""
    name = entry.get("name") if isinstance(entry, dict) else None
    if isinstance(name, str) and _PATH_NAME_RE.match(name):
        return f"{variable}[{name}]"
    return f"{variable}[{index}]"


def join(path, field):
    if not field:
        return path
    if not path:
        return field
    return f"{path}{field}" if field.startswith("[") else f"{path}.{field}"


class ModelProblems:
    """Every broken rule of a model: (path, rule) pairs, reported together and sorted by path."""

    def __init__(self):
        self.items = []

    def add(self, path, rule):
        if (path, rule) not in self.items:
            self.items.append((path, rule))

    def extend(self, path, problems, rename=None):
        """Add module-validator problems (field, rule) under ``path``; ``rename`` maps module fields to the
        inventory's names (``compute_resource_type`` -> ``compute_type``)."""
        for field, rule in problems:
            self.add(join(path, _renamed(field, rename or {})), rule)

    def __bool__(self):
        return bool(self.items)

    def __len__(self):
        return len(self.items)

    def sorted(self):
        return sorted(self.items, key=lambda item: (_sort_key(item[0]), item[1]))

    def lines(self):
        return [f"{path}: {rule}" for path, rule in self.sorted()]

    def message(self, header="The stack model has {count} problem{s}; nothing was changed:"):
        count = len(self.items)
        lines = [header.format(count=count, s="" if count == 1 else "s")]
        lines += [f"  - {line}" for line in self.lines()]
        return "\n".join(lines)


def _renamed(field, rename):
    if not field:
        return field
    head, sep, rest = field.partition(".")
    bracket = head.find("[")
    if bracket > 0:
        head, rest, sep = head[:bracket], head[bracket:] + (sep + rest if sep else ""), ""
    name = rename.get(head, head)
    if name is None:  # a field the model does not have (derived by the plan): keep the module's name
        name = head
    if not rest:
        return name
    return f"{name}{rest}" if rest.startswith("[") else f"{name}{sep}{rest}"


def _sort_key(path):
    # Variables in model order (stack, iam, secrets, batch, eventbridge), then the path itself.
    order = ("stack_", "iam_", "secrets_", "batch_", "eventbridge_")
    rank = next((i for i, prefix in enumerate(order) if path.startswith(prefix)), len(order))
    return (rank, path)
