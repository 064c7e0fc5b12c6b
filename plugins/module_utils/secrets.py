# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets Manager secret ARNs: full or partial, and the one call that turns a partial ARN into the full one.

Secrets Manager appends a hyphen and 6 random characters to a secret's name in its ARN
(``...:secret:dev/MY_SECRET-hGPQYd``). An ARN without them is a *partial* ARN: Secrets Manager accepts it
wherever a secret ID goes, but a job definition that references it does not say which secret it is, and
differs from the one AWS reports, so it is resolved to the full ARN before comparing and registering.
A secret whose name itself ends with a hyphen and 6 letters or digits cannot be told apart from a full ARN
(AWS documents the same ambiguity): such ARNs count as full and are never looked up.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchErrorHandler

SECRET_ARN_RE = re.compile(r"^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:([^:]+))((?::[^:]*){0,3})\Z")
RANDOM_SUFFIX_RE = re.compile(r"-[A-Za-z0-9]{6}\Z")


def split_secret_reference(value):
    """``(secret ARN, ECS suffix)`` of a Secrets Manager reference (the suffix is ``:json-key:stage:id`` or "");
    ``(None, None)`` for anything else (a Parameter Store ARN or path)."""
    match = SECRET_ARN_RE.match(value or "")
    if not match:
        return None, None
    return match.group(1), match.group(3)


def is_partial_secret_arn(value):
    """Whether ``value`` references a Secrets Manager secret by an ARN without the random suffix."""
    arn, _suffix = split_secret_reference(value)
    return arn is not None and not RANDOM_SUFFIX_RE.search(arn.split(":secret:", 1)[1])


@BatchErrorHandler.common_error_handler("describe the Secrets Manager secret")
def full_secret_arn(client, secret_id):
    """The full ARN of a secret (Secrets Manager DescribeSecret), or None when it does not exist."""
    try:
        return client.describe_secret(SecretId=secret_id, aws_retry=True)["ARN"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
