# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tag helpers for Batch resources (tags are a plain dict in the Batch API)."""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchErrorHandler


def tag_changes(current, desired, purge_tags=True):
    """Return ``(to_set, to_unset)``. ``desired=None`` means "leave tags alone"."""
    if desired is None:
        return {}, []
    to_set, to_unset = compare_aws_tags(current or {}, desired, purge_tags=purge_tags)
    return to_set, sorted(to_unset)


def resulting_tags(current, desired, purge_tags=True):
    """The tags a resource will carry once ``tag_changes`` is applied (for check mode and diffs)."""
    to_set, to_unset = tag_changes(current, desired, purge_tags)
    tags = {k: v for k, v in (current or {}).items() if k not in to_unset}
    tags.update(to_set)
    return tags


@BatchErrorHandler.common_error_handler("update tags")
def ensure_tags(client, arn, current, desired, purge_tags=True, check_mode=False):
    """Apply tag changes to a Batch resource. Returns True when anything changed (or would)."""
    to_set, to_unset = tag_changes(current, desired, purge_tags)
    if not (to_set or to_unset):
        return False
    if check_mode:
        return True
    if to_unset:
        client.untag_resource(resourceArn=arn, tagKeys=to_unset, aws_retry=True)
    if to_set:
        client.tag_resource(resourceArn=arn, tags=to_set, aws_retry=True)
    return True
