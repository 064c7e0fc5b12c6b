# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compile a stack model into the stack plan: every AWS name, predictable ARN and module parameter.

Pure: no AWS call. ``compile_plan(model, facts)`` takes the model checked by ``schema.check_model`` and what
the read-only AWS step found (``facts``: account, partition, network), applies the defaults that depend on
other variables, runs every rule (the modules' own validators included) and returns the plan and the
problems. ``refresh.apply_refresh`` then adds what exists in AWS (ownership, secret ARNs, orphans).
One part per role: ``plan_iam``, ``plan_secrets``, ``plan_batch`` (with ``plan_images``), ``plan_eventbridge``.
"""

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import (
    MEMBERSHIP_TAG,
    ROLES,
    PlannerBase,
    _first_set,
    _set_only,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_batch import BatchPart
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_eventbridge import EventBridgePart
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_iam import IamPart
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_images import ImagesPart
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_secrets import SecretsPart


class Planner(IamPart, SecretsPart, ImagesPart, BatchPart, EventBridgePart, PlannerBase):
    """One compilation of one model. ``plan()`` returns the plan; ``problems`` holds every broken rule."""

    def plan(self):
        self.check_stack()
        if any(path in ("stack_name", "stack_region") for path in [p for p, _r in self.problems.items] + self.prior):
            # Every name derives from these two: the rest of the model is checked once they are right.
            return {
                "version": 1,
                "state": self.state,
                "incomplete": True,
                "stack": {"name": self.stack, "region": self.region},
            }
        secrets = self.secrets()
        images = self.image_repositories()
        targets = self.eventbridge_targets()
        # IAM names are known before the Batch and EventBridge parts need their ARNs.
        backend = self.model.get("eventbridge_backend") or "events"
        provisional_batch = {
            "compute_environments": [
                {"compute_resource_type": e.get("compute_type"), "type": e.get("type") or "MANAGED"}
                for _p, e in self.entries("batch_compute_environments")
            ]
        }
        iam = self.iam(provisional_batch, {"scheduled": targets, "backend": backend}, secrets, images)
        batch = self.batch(iam["arns"], secrets, images)
        eventbridge = self.eventbridge(batch, iam["arns"]["events_role"])
        for key in (
            "compute_environments",
            "scheduling_policies",
            "job_queues",
            "job_definitions",
            "image_repositories",
        ):
            batch[key] = [_set_only(params) for params in batch[key]]
        eventbridge["schedules"] = [_set_only(params) for params in eventbridge["schedules"]]
        # Without the read-only AWS step every resource goes to its module (work.prepare narrows this down).
        iam["run"] = {key: list(iam[key]) for key in ("roles", "instance_profiles", "policies")}
        secrets["run"] = list(secrets["secrets"])
        batch["log_group"]["run"] = True
        return {
            "version": 1,
            "state": self.state,
            "check_mode": self.check_mode,
            "stack": {
                "name": self.stack,
                "region": self.region,
                "account_id": self.account,
                "partition": self.partition,
                "membership_tag": {"key": MEMBERSHIP_TAG, "value": self.stack},
            },
            "options": {
                # iam_prune, secrets_prune, ... when set, else -e prune=true.
                "prune": {
                    role: bool(_first_set(self.model.get(f"{role}_prune"), self.model.get("prune"))) for role in ROLES
                },
                "adopt": bool(self.model.get("adopt")),
            },
            "adopt_paths": sorted(self.adopt_paths),
            "warnings": list(self.warnings),
            "iam": iam,
            "secrets": secrets,
            "batch": batch,
            "eventbridge": eventbridge,
        }


def compile_plan(model, facts, state="present", check_mode=False, prior=()):
    """(plan, ModelProblems) of a checked model; ``prior`` holds the schema's problems (path, rule)."""
    planner = Planner(model, facts, state=state, check_mode=check_mode, prior=prior)
    plan = planner.plan()
    return plan, planner.problems
