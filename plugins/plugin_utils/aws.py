# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS clients built on the controller, for the action plugins (live job follow, the stack plan).

The connection is resolved like amazon.aws modules resolve it: the task's connection options (``region``,
``endpoint_url``, ``profile``, ``access_key``, ... with their aliases, module_defaults included) first, then the
``AWS_*`` environment variables, where the task's ``environment`` keyword counts as part of the environment.
"""

import contextlib
import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean

try:
    from ansible_collections.amazon.aws.plugins.module_utils.botocore import _aws_connection_info, _boto3_conn
    from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

    from ansible_collections.ondemand.batch.plugins.module_utils.common import (
        COLLECTION_NAME,
        COLLECTION_VERSION,
        retry_decorator,
    )
except ImportError as e:  # amazon.aws or boto3 missing on the controller: reported when a client is needed
    IMPORT_ERROR = e
else:
    IMPORT_ERROR = None

# Connection option -> (task argument names with aliases, environment variables), as in amazon.aws.
CONNECTION_OPTIONS = {
    "access_key": (("access_key", "aws_access_key_id", "aws_access_key"), ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")),
    "secret_key": (
        ("secret_key", "aws_secret_access_key", "aws_secret_key"),
        ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"),
    ),
    "session_token": (("session_token", "aws_session_token"), ("AWS_SESSION_TOKEN",)),
    "profile": (("profile", "aws_profile"), ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")),
    "endpoint_url": (("endpoint_url", "aws_endpoint_url"), ("AWS_URL",)),
    "region": (("region", "aws_region"), ("AWS_REGION", "AWS_DEFAULT_REGION")),
    "aws_ca_bundle": (("aws_ca_bundle",), ("AWS_CA_BUNDLE",)),
    "validate_certs": (("validate_certs",), ()),
    "aws_config": (("aws_config",), ()),
}


def connection_params(args, environment):
    """amazon.aws connection parameters from task arguments, falling back to environment variables."""
    params = {}
    for option, (names, variables) in CONNECTION_OPTIONS.items():
        value = None
        for name in names:
            if args.get(name) is not None:
                value = args[name]
                break
        if value is None:
            value = next((environment[v] for v in variables if environment.get(v)), None)
        params[option] = value
    params["validate_certs"] = (
        boolean(params["validate_certs"], strict=False) if params["validate_certs"] is not None else True
    )
    if params["aws_ca_bundle"]:
        params["aws_ca_bundle"] = os.path.expanduser(params["aws_ca_bundle"])
    return params


@contextlib.contextmanager
def environment_overlay(variables):
    """The task's ``environment`` applied to os.environ while boto3 reads it (profiles, endpoints, files)."""
    saved = {}
    try:
        for key, value in variables.items():
            saved[key] = os.environ.get(key)
            os.environ[key] = to_text(value)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def make_clients(args, task_environment, services, purpose="call AWS"):
    """Retrying boto3 clients for ``services``, built on the controller (one per service, in order)."""
    if IMPORT_ERROR is not None:
        raise AnsibleError(f"ondemand.batch needs amazon.aws and boto3 on the controller to {purpose}: {IMPORT_ERROR}")
    set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)
    environment = dict(os.environ)
    environment.update({k: to_text(v) for k, v in task_environment.items()})
    params = connection_params(args, environment)
    with environment_overlay(task_environment):
        region, endpoint, boto_params = _aws_connection_info(params)
        clients = [
            _boto3_conn(conn_type="client", resource=service, region=region, endpoint=endpoint, **dict(boto_params))
            for service in services
        ]
    return [RetryingBotoClientWrapper(client, retry_decorator()) for client in clients]


def session_clients(args, task_environment, services, purpose="call AWS"):
    """{service: retrying client} from one boto3 session (the stack plan needs many services at once, and a
    session per client would load the SDK's data once per client)."""
    if IMPORT_ERROR is not None:
        raise AnsibleError(f"ondemand.batch needs amazon.aws and boto3 on the controller to {purpose}: {IMPORT_ERROR}")
    import boto3  # noqa: PLC0415 - the SDK is only needed once a client is
    import botocore.config  # noqa: PLC0415

    set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)
    environment = dict(os.environ)
    environment.update({k: to_text(v) for k, v in task_environment.items()})
    params = connection_params(args, environment)
    with environment_overlay(task_environment):
        region, endpoint, boto_params = _aws_connection_info(params)
        profile = boto_params.pop("profile_name", None)
        config = botocore.config.Config(user_agent_extra=f"{COLLECTION_NAME}/{COLLECTION_VERSION}")
        extra = boto_params.pop("aws_config", None)
        if extra is not None:
            config = config.merge(extra)
        session = boto3.session.Session(profile_name=profile)
        clients = {
            service: session.client(service, region_name=region, endpoint_url=endpoint, config=config, **boto_params)
            for service in services
        }
    return region, {
        service: RetryingBotoClientWrapper(client, retry_decorator()) for service, client in clients.items()
    }
