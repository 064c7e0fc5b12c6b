# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error classes: helpers raise these, only ``main()`` turns them into ``fail_json``."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError


class BatchError(AnsibleAWSError):
    """Any failure of this collection's helpers; ``module.fail_json_aws_error`` renders it."""


class BatchValidationError(BatchError):
    """Bad input found before any write call. The message names each parameter and its rule.

    ``problems`` holds every (field, rule) pair found; ``field`` and ``rule`` are the first one's.
    """

    def __init__(self, field, rule, problems=None, **kwargs):
        self.problems = list(problems or [(field, rule)])
        self.field, self.rule = self.problems[0]
        super().__init__(message="; ".join(f"{f}: {r}" for f, r in self.problems), **kwargs)

    @classmethod
    def from_problems(cls, problems):
        return cls(None, None, problems=problems)


class BatchWaitTimeout(BatchError):
    """A resource did not reach the wanted state in time."""


class BatchErrorHandler(AWSErrorHandler):
    """AWSErrorHandler for Batch: wraps botocore errors into BatchError.

    Batch answers a missing resource with an empty Describe result rather than an error, and
    ``ClientException`` for everything else it refuses, so only ResourceNotFoundException (tag and
    scheduling-policy calls) counts as "missing".
    """

    _CUSTOM_EXCEPTION = BatchError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


def fail_on_error(module, error):
    """Fail the module run for a BatchError, with the AWS error details when there are any."""
    module.fail_json_aws_error(error)
