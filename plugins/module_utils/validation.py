# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules checked before any write call.

A rule breaks with BatchValidationError(field, rule). Validators of a whole resource take a ``Problems``
collector so that the stack plan can report every problem of a model at once; a module calls them
without one, and they then raise every problem they found together.
"""

import functools
import re
from contextlib import contextmanager

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchValidationError

# Batch names: compute environments, job queues, job definitions, scheduling policies, jobs.
BATCH_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
BATCH_NAME_RULE = "must be 1-128 characters: letters, digits, hyphens and underscores"


class Problems:
    """Every (field, rule) a value breaks, in the order found."""

    def __init__(self):
        self.items = []

    def add(self, field, rule):
        self.items.append((field, rule))

    @contextmanager
    def rule(self):
        """Records a BatchValidationError raised inside the block, and carries on after it."""
        try:
            yield
        except BatchValidationError as error:
            self.items.extend(error.problems)

    def __bool__(self):
        return bool(self.items)

    def __len__(self):
        return len(self.items)

    def raise_if_any(self):
        if self.items:
            raise BatchValidationError.from_problems(self.items)


def collects_problems(validator):
    """Lets ``validator(..., problems)`` add to a caller's Problems, or raise what it found when given none."""

    @functools.wraps(validator)
    def wrapper(*args, problems=None, **kwargs):
        own = problems is None
        found = Problems() if own else problems
        result = validator(*args, problems=found, **kwargs)
        if own:
            found.raise_if_any()
        return result

    return wrapper


def validate_name(field, value):
    if value is None or not isinstance(value, str) or not BATCH_NAME_RE.fullmatch(value):
        raise BatchValidationError(field, f"{BATCH_NAME_RULE} (got {value!r})")
    return value


def validate_range(field, value, minimum=None, maximum=None):
    """None is allowed (unset); otherwise minimum <= value <= maximum."""
    if value is None:
        return value
    if minimum is not None and value < minimum:
        raise BatchValidationError(field, f"must be at least {minimum} (got {value})")
    if maximum is not None and value > maximum:
        raise BatchValidationError(field, f"must be at most {maximum} (got {value})")
    return value


def validate_max_items(field, values, maximum):
    if values is not None and len(values) > maximum:
        raise BatchValidationError(field, f"takes at most {maximum} items (got {len(values)})")
    return values


def is_arn(value):
    return isinstance(value, str) and value.startswith("arn:")
