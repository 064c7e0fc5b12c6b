# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resources that carry given tags, through the Resource Groups Tagging API (``tag:GetResources``).

The pure part turns a tag dict into ``TagFilters`` and an ARN into ``(resource_type, name)``; the one AWS call
pages through ``GetResources`` with ``PaginationToken``.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchErrorHandler, BatchValidationError

# GetResources limits: at most 50 tag filters of at most 20 values each, 100 resource type filters,
# 1 to 100 resources per page.
MAX_TAG_FILTERS = 50
MAX_RESOURCE_TYPES = 100
MAX_PAGE_SIZE = 100

ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d*):(?P<resource>.+)$"
)
RESOURCE_TYPE_RE = re.compile(r"^[a-z0-9-]+(:[A-Za-z0-9-]+)?\Z")
# The six random characters AWS appends to the name of a secret in its ARN.
SECRET_SUFFIX_RE = re.compile(r"-[A-Za-z0-9]{6}$")


def tag_filters(tags):
    """``TagFilters`` for GetResources: a key with a value must carry that value, a key with ``None`` any value."""
    filters = []
    for key in sorted(tags or {}):
        value = tags[key]
        filters.append({"Key": key} if value is None else {"Key": key, "Values": [str(value)]})
    return filters


def matches_tags(resource_tags, tags):
    """Whether ``resource_tags`` satisfy ``tags`` (what ``tag_filters(tags)`` asks of AWS)."""
    resource_tags = resource_tags or {}
    for key, value in (tags or {}).items():
        if key not in resource_tags:
            return False
        if value is not None and resource_tags[key] != str(value):
            return False
    return True


def parse_arn(arn):
    """``(resource_type, name)`` of an ARN: ``resource_type`` is ``service:type`` (``service`` alone when the ARN
    names no type), ``name`` the resource's own name.

    - Secrets Manager secret ARNs end in ``-`` and six random characters that are not part of the name.
    - EventBridge rule ARNs name the event bus of a rule that is not on the default bus
      (``rule/<bus>/<name>``); the name is the last part.
    - CloudWatch Logs log group ARNs may end in ``:*``.
    - SNS topic ARNs name no type (``arn:aws:sns:<region>:<account>:<topic>``): ``sns:topic``.
    """
    match = ARN_RE.match(arn or "")
    if not match:
        return "", arn or ""
    service, resource = match.group("service"), match.group("resource")
    if service == "sns":
        # A topic, or a subscription (<topic>:<id>).
        return ("sns:subscription", resource) if ":" in resource else ("sns:topic", resource)
    separators = [i for i in (resource.find(":"), resource.find("/")) if i >= 0]
    if not separators:
        return service, resource
    cut = min(separators)
    kind, name = resource[:cut], resource[cut + 1 :]
    if service == "secretsmanager" and kind == "secret":
        name = SECRET_SUFFIX_RE.sub("", name)
    elif service == "events" and kind == "rule":
        name = name.rsplit("/", 1)[-1]
    elif service == "logs" and kind == "log-group":
        name = name[:-2] if name.endswith(":*") else name
    return f"{service}:{kind}", name


def describe_resource(mapping):
    """One ``resources`` entry from a GetResources ``ResourceTagMapping``."""
    arn = mapping.get("ResourceARN", "")
    resource_type, name = parse_arn(arn)
    return {
        "arn": arn,
        "resource_type": resource_type,
        "name": name,
        "tags": boto3_tag_list_to_ansible_dict(mapping.get("Tags") or []),
    }


def validate_params(params):
    """Refuse what GetResources would refuse, before the first call."""
    tags = params.get("tags") or {}
    if len(tags) > MAX_TAG_FILTERS:
        raise BatchValidationError("tags", f"at most {MAX_TAG_FILTERS} tags, got {len(tags)}")
    for key in tags:
        if not key or len(key) > 128:
            raise BatchValidationError("tags", f"tag keys are 1 to 128 characters, got {key!r}")
    types = params.get("resource_types") or []
    if len(types) > MAX_RESOURCE_TYPES:
        raise BatchValidationError("resource_types", f"at most {MAX_RESOURCE_TYPES} types, got {len(types)}")
    for resource_type in types:
        if not RESOURCE_TYPE_RE.match(resource_type):
            raise BatchValidationError(
                "resource_types",
                f"each entry is 'service' or 'service:type' (for example 'secretsmanager:secret' or 'sns'), "
                f"got {resource_type!r}",
            )
    page_size = params.get("page_size", MAX_PAGE_SIZE)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BatchValidationError("page_size", f"must be 1 to {MAX_PAGE_SIZE}, got {page_size}")


@BatchErrorHandler.common_error_handler("list resources by tag (tag:GetResources)")
def get_resources(client, tags, resource_types=None, page_size=MAX_PAGE_SIZE):
    """Every resource GetResources returns for the filters, following ``PaginationToken`` (``""`` on the last page)."""
    request = {"ResourcesPerPage": page_size}
    filters = tag_filters(tags)
    if filters:
        request["TagFilters"] = filters
    if resource_types:
        request["ResourceTypeFilters"] = list(resource_types)
    mappings = []
    while True:
        response = client.get_resources(aws_retry=True, **request)
        mappings.extend(response.get("ResourceTagMappingList") or [])
        token = response.get("PaginationToken")
        if not token:
            return mappings
        request["PaginationToken"] = token


def find_tagged_resources(client, tags, resource_types=None, page_size=MAX_PAGE_SIZE):
    """The ``resources`` result: what GetResources lists that still carries ``tags`` (AWS also lists resources that
    once had a tag and lost it; the resource types are left to AWS), sorted by type, name and ARN."""
    found = {}
    for mapping in get_resources(client, tags, resource_types, page_size):
        resource = describe_resource(mapping)
        if matches_tags(resource["tags"], tags):
            found[resource["arn"]] = resource
    return sorted(found.values(), key=lambda r: (r["resource_type"], r["name"], r["arn"]))
