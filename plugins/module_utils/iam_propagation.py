# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM eventual consistency: how AWS says a role or instance profile it was given has not reached it yet, and the
bounded retry that outlasts that.

IAM changes reach the services that use them after a while (IAM User Guide, "Changes that I make are not always
immediately visible": a role or instance profile just created, or a role just added to a profile, may not be
usable yet; AWS's advice is to expect that and retry what depends on it, not to wait a fixed time). Where this
stack meets it (sources in emulator/README.md, "IAM eventual consistency"):

- a Batch compute environment created or updated with such a role or profile settles INVALID, with one of the
  ``statusReason`` texts in ``COMPUTE_ENVIRONMENT_PATTERNS``, and stays INVALID until UpdateComputeEnvironment
  validates it again;
- EventBridge Scheduler CreateSchedule/UpdateSchedule refuse such an execution role with a ValidationException
  (``SCHEDULER_ROLE_MESSAGE``); nothing is created or changed.

EventBridge PutTargets does not check a target's RoleArn (a role that cannot be assumed shows as failed
invocations later), and the other writes of the stack take roles by ARN without using them: nothing else needs
this. The texts are the same as those of a role that will never work (one that does not trust the service, a
profile without a role): the retry is bounded by ``DEFAULT_TIMEOUT`` (the modules' ``iam_propagation_timeout``)
and then fails with AWS's reason.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.ondemand.batch.plugins.module_utils.constants import IAM_PROPAGATION_TIMEOUT
from ansible_collections.ondemand.batch.plugins.module_utils.waiters import backoff_delays

# statusReason of an INVALID compute environment -> the option whose role or profile Batch could not use (yet).
COMPUTE_ENVIRONMENT_PATTERNS = (
    # "CLIENT_ERROR - User: batch.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: <role>"
    ("service_role", re.compile(r"is not authorized to perform: sts:AssumeRole\b")),
    # "CLIENT_ERROR - Invalid IamInstanceProfile: <instanceRole>" (EC2 cannot see the profile yet)
    ("instance_role", re.compile(r"\bInvalid IamInstanceProfile\b")),
    # 'CLIENT_ERROR - IAM Instance Profile "<arn>" has no associated IAM Roles' (the role just added to it)
    ("instance_role", re.compile(r"\bIAM Instance Profile\b.*\bhas no associated IAM Roles\b")),
    # "CLIENT_ERROR - Parameter: SpotFleetRequestConfig.IamFleetRole is invalid."
    ("spot_iam_fleet_role", re.compile(r"\bIamFleetRole is invalid\b")),
)
# The message of Scheduler's ValidationException (CreateSchedule, UpdateSchedule) for a role it cannot assume (yet).
SCHEDULER_ROLE_MESSAGE = "The execution role you provide must allow AWS EventBridge Scheduler to assume the role"

# Seconds of retrying, from the first refusal, before the reason is reported (the modules' default).
DEFAULT_TIMEOUT = IAM_PROPAGATION_TIMEOUT
# The waits between two attempts: 1, 2, 4, 8, 16, then every 30 seconds.
BACKOFF = {"initial": 1.0, "factor": 2.0, "maximum": 30.0}


def compute_environment_propagation(reason):
    """The option (``service_role``, ``instance_role`` or ``spot_iam_fleet_role``) whose role or instance profile an
    INVALID compute environment's ``statusReason`` says Batch could not use, or None for any other reason."""
    for option, pattern in COMPUTE_ENVIRONMENT_PATTERNS:
        if reason and pattern.search(reason):
            return option
    return None


def is_scheduler_propagation_error(error):
    """Whether a failed CreateSchedule/UpdateSchedule (an AnsibleAWSError over botocore's ClientError, or that
    ClientError) is Scheduler refusing an execution role it cannot assume (yet)."""
    exception = error.exception if isinstance(error, AnsibleAWSError) else error
    response = getattr(exception, "response", None)
    if not isinstance(response, dict):
        return False
    details = response.get("Error") or {}
    return details.get("Code") == "ValidationException" and SCHEDULER_ROLE_MESSAGE in (details.get("Message") or "")


def timeout_of(ctx):
    """The ``iam_propagation_timeout`` of one resource of a module run (``reconcile.Context``); 0: no retry."""
    return ctx.wait_options.get("iam_propagation_timeout", DEFAULT_TIMEOUT)


class Retry:
    """The rounds of one bounded retry, measured with ``clock`` from the first refusal.

    ``next_delay()`` is the backoff before the next attempt (``BACKOFF``, cut so that the last attempt comes when
    ``timeout`` seconds have passed), or None once they have: then the caller reports the refusal.
    """

    def __init__(self, timeout, clock):
        self.timeout = timeout
        self.clock = clock
        self.started = clock()
        self.rounds = 0
        self._delays = backoff_delays(BACKOFF["initial"], BACKOFF["factor"], BACKOFF["maximum"])

    @classmethod
    def of(cls, ctx):
        """The retry of one resource of a module run (``reconcile.Context``), starting now."""
        return cls(timeout_of(ctx), ctx.now)

    @property
    def elapsed(self):
        return self.clock() - self.started

    def next_delay(self):
        remaining = self.timeout - self.elapsed
        if remaining <= 0:
            return None
        self.rounds += 1
        return min(next(self._delays), remaining)

    def progress(self, delay):
        """``again in 4s (attempt 3, 7s of 120s)``: for the warning of a round."""
        return f"again in {delay:g}s (attempt {self.rounds + 1}, {self.elapsed:.0f}s of {self.timeout}s)"

    def summary(self):
        """``still after 7 attempts over 121s``: for the failure once the bound is reached."""
        return f"still after {self.rounds + 1} attempts over {self.elapsed:.0f}s"
