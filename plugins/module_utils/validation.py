# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules checked before any write call. Each raises BatchValidationError(field, rule)."""

import re

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchValidationError

# Batch names: compute environments, job queues, job definitions, scheduling policies, jobs.
BATCH_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
BATCH_NAME_RULE = "must be 1-128 characters: letters, digits, hyphens and underscores"


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
