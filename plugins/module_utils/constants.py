# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixed AWS values that the option specs (``args_common``) and the rules of several kinds share.

They live here, not in the module_utils of their kind, because every module imports ``args_common``: a value
imported from ``compute_environment`` or ``alert`` would put those whole files into every module's payload.
"""

EC2_TYPES = ("EC2", "SPOT")
FARGATE_TYPES = ("FARGATE", "FARGATE_SPOT")
COMPUTE_RESOURCE_TYPES = EC2_TYPES + FARGATE_TYPES

ALLOCATION_STRATEGIES = (
    "BEST_FIT",
    "BEST_FIT_PROGRESSIVE",
    "BEST_FIT_PROGRESSIVE_ORDERED",
    "SPOT_CAPACITY_OPTIMIZED",
    "SPOT_PRICE_CAPACITY_OPTIMIZED",
    "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED",
)

# A Batch job's statuses, in the order a job goes through them.
JOB_STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")

DEFAULT_EVENT_BUS = "default"

# The log drivers of a job definition's logConfiguration.
LOG_DRIVERS = ("json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens")

# Seconds of retrying what IAM has not propagated, from the first refusal, before the reason is reported.
IAM_PROPAGATION_TIMEOUT = 120
