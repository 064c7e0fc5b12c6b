# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module class and AWS clients shared by every module of ondemand.batch."""

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchErrorHandler

COLLECTION_NAME = "ondemand.batch"
# Kept equal to galaxy.yml's version (a unit test checks it); sent in the AWS user agent.
COLLECTION_VERSION = "0.1.0"

# Throttling codes that amazon.aws's default retry list lacks: EventBridge, Scheduler, Logs and
# Secrets Manager answer ThrottlingException; SNS/SQS RequestThrottled; Batch sometimes
# LimitExceededException for rate limits.
# ThrottledException: the Resource Groups Tagging API's (the stack plan lists the stack's members with it).
EXTRA_RETRY_CODES = [
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
]


def retry_decorator():
    """Jittered exponential backoff for every call made with ``aws_retry=True``.

    Starts at 1 s (not amazon.aws's 3 s) because Batch control-plane throttling clears quickly
    and long first sleeps make every throttled run slow; ten attempts bound the total wait.
    """
    return AWSRetry.jittered_backoff(
        retries=10, delay=1, backoff=2.0, max_delay=20, catch_extra_error_codes=EXTRA_RETRY_CODES
    )


def paginate_items(call, result_key, **kwargs):
    """Every item under ``result_key`` of a nextToken-paginated call, each page retried (aws_retry)."""
    items = []
    while True:
        response = call(aws_retry=True, **kwargs)
        items.extend(response.get(result_key) or [])
        token = response.get("nextToken")
        if not token:
            return items
        kwargs["nextToken"] = token


class BatchModule(AnsibleAWSModule):
    """AnsibleAWSModule that reports ondemand.batch (name and version) in the AWS user agent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)

    def retrying_client(self, service):
        """A boto3 client whose calls retry throttling and server errors when given ``aws_retry=True``."""
        return self.client(service, retry_decorator=retry_decorator())

    def batch_client(self):
        return self.retrying_client("batch")


@BatchErrorHandler.common_error_handler("get the caller identity (account) from STS")
def get_caller_identity(sts_client):
    """STS GetCallerIdentity: Account, Arn and UserId. Used to predict ARNs in check mode."""
    return sts_client.get_caller_identity(aws_retry=True)
