# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' own input checks, run by the stack plan on the parameters it will hand to each module.

First the module's argument spec (types, choices, defaults: what AnsibleModule would refuse), then its
validator from module_utils: the very rules the module runs, so the plan and the modules cannot disagree.
"""

import importlib
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ondemand.batch.plugins.module_utils import alert as alert_utils
from ansible_collections.ondemand.batch.plugins.module_utils import compute_environment as ce_utils
from ansible_collections.ondemand.batch.plugins.module_utils import image_repository as ecr_utils
from ansible_collections.ondemand.batch.plugins.module_utils import job_definition as jd_utils
from ansible_collections.ondemand.batch.plugins.module_utils import job_queue as jq_utils
from ansible_collections.ondemand.batch.plugins.module_utils import schedule as schedule_utils
from ansible_collections.ondemand.batch.plugins.module_utils import scheduling_policy as sp_utils
from ansible_collections.ondemand.batch.plugins.module_utils.validation import Problems

_FIELD_RES = (
    re.compile(r"^value of (?P<field>[\w.]+) must be (?P<rule>.*)$", re.S),
    re.compile(r"^argument '(?P<field>[\w.]+)' is of type \S+ and we were unable to convert to (?P<kind>\w+).*$", re.S),
    re.compile(r"^missing required arguments: (?P<field>[\w.]+)(?P<rule>.*)$", re.S),
)
_SPECS = {}


def argument_spec(module):
    """The argument spec of one of this collection's modules (``compute_environment``, ...)."""
    if module not in _SPECS:
        plugin = importlib.import_module(f"ansible_collections.ondemand.batch.plugins.modules.{module}")
        _SPECS[module] = plugin.argument_spec()
    return _SPECS[module]


def spec_problems(module, params):
    """(validated parameters, [(field, rule)]) of ``params`` against the module's argument spec."""
    result = ArgumentSpecValidator(argument_spec(module)).validate(params)
    problems = [_field_and_rule(message) for message in result.error_messages]
    return result.validated_parameters, problems


def _field_and_rule(message):
    # "value of action must be ... found in retry_strategy -> evaluate_on_exit": the field is nested.
    message, _sep, where = message.partition(" found in ")
    field, rule = _top_field_and_rule(message)
    if where and field:
        field = ".".join([*(part.strip() for part in where.split("->")), field])
    return field, rule


def _top_field_and_rule(message):
    for pattern in _FIELD_RES:
        match = pattern.match(message)
        if match:
            groups = match.groupdict()
            if "kind" in groups:
                return groups["field"], f"must be of type {groups['kind']}"
            return groups["field"], ("must be " + groups["rule"]) if "must be" in pattern.pattern else message
    return "", message


def check(module, params):
    """Every problem the module would find in ``params`` before its first write: [(field, rule)].

    ``params`` leaves out what the module should default (the same as ``omit`` in a task).
    """
    validated, problems = spec_problems(module, params)
    if problems:
        return problems
    collected = Problems()
    CHECKS[module](validated, collected)
    return collected.items


def _compute_environment(params, problems):
    options = {k: v for k, v in params.items() if k in ce_utils.ALL_OPTIONS and v is not None}
    ce_utils.validate_options(params["name"], options, problems=problems)


def _job_queue(params, problems):
    desired = {k: params.get(k) for k in ("priority", "compute_environments", "scheduling_policy")}
    desired["job_state_time_limit_actions"] = params.get("job_state_time_limit_actions")
    jq_utils.validate_queue_options(params["name"], desired, creating=True, problems=problems)


def _scheduling_policy(params, problems):
    sp_utils.validate_policy(
        params["name"],
        share_decay_seconds=params.get("share_decay_seconds"),
        compute_reservation=params.get("compute_reservation"),
        share_distribution=params.get("share_distribution"),
        problems=problems,
    )


def _job_definition(params, problems):
    jd_utils.validate_params(params, problems=problems)


def _job_schedule(params, problems):
    schedule_utils.validate_schedule_params(params, problems=problems)


def _job_alert(params, problems):
    alert_utils.validate_alert_params(params, problems=problems)


def _image_repository(params, problems):
    ecr_utils.validate_repository_params(params, problems=problems)


CHECKS = {
    "compute_environment": _compute_environment,
    "job_queue": _job_queue,
    "scheduling_policy": _scheduling_policy,
    "job_definition": _job_definition,
    "job_schedule": _job_schedule,
    "job_alert": _job_alert,
    "image_repository": _image_repository,
}
