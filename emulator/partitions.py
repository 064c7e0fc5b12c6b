"""Regions and partitions: which regions exist, and EC2 DescribeRegions as AWS answers it in each partition.

moto 5.2.5 builds ARNs with the request's partition (``arn:aws-cn:`` in cn-north-1) but answers DescribeRegions
with every region of every partition, ignores ``AllRegions`` and ``Filters``, and serves a region that does not
exist: IAM and STS in the ``aws`` partition, every regional service with an HTML 500 page.
"""

import fnmatch
import functools

from moto.utilities.utils import get_partition

INVALID_REGION = "Credential should be scoped to a valid region, not '{region}'."


@functools.cache
def known_regions():
    """Every region botocore's endpoint data lists, in every partition."""
    from boto3 import Session

    session = Session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition_name=partition)
    )


def is_known(region):
    return region in known_regions()


def partition_of(region):
    return get_partition(region)


def dns_suffix(region):
    """The domain of AWS endpoints in the region's partition."""
    return "amazonaws.com.cn" if partition_of(region) == "aws-cn" else "amazonaws.com"


def regions_answer(regions, request_region, names=(), all_regions=False, filters=None):
    """The regions DescribeRegions lists: the caller's partition only; without ``AllRegions`` (and without
    ``RegionNames``) only those enabled for the account; then ``Filters`` (endpoint, opt-in-status, region-name)."""
    partition = partition_of(request_region)
    found = [region for region in regions if partition_of(region.name) == partition]
    if not all_regions and not names:
        found = [region for region in found if region.opt_in_status != "not-opted-in"]
    attributes = {"endpoint": "endpoint", "opt-in-status": "opt_in_status", "region-name": "name"}
    for name, values in (filters or {}).items():
        attribute = attributes.get(name)
        if attribute is None:
            continue
        found = [region for region in found if any(fnmatch.fnmatchcase(getattr(region, attribute), v) for v in values)]
    return found


def install():
    from moto.ec2.responses.availability_zones_and_regions import AvailabilityZonesAndRegions

    if getattr(AvailabilityZonesAndRegions.describe_regions, "emulator", False):
        return

    def describe_regions(self):
        from moto.core.responses import ActionResult

        self.error_on_dryrun()
        names = self._get_param("RegionNames", [])
        all_regions = str(self._get_param("AllRegions", "false")).lower() == "true"
        filters = self._filters_from_querystring()
        regions = regions_answer(self.ec2_backend.describe_regions(names), self.region, names, all_regions, filters)
        return ActionResult({"Regions": regions})

    describe_regions.emulator = True
    AvailabilityZonesAndRegions.describe_regions = describe_regions
