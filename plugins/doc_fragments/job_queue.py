# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of M(ondemand.batch.job_queue) (``DOCUMENTATION``) and of each entry of
M(ondemand.batch.job_queues) (``LIST``): written once."""

from ansible_collections.ondemand.batch.plugins.module_utils.doc_options import nest_options


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the job queue, 1 to 128 letters, digits, hyphens and underscores.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the queue, V(absent) deletes it.
      - Deleting disables the queue, waits for that, deletes it and waits until it is gone.
    type: str
    choices: [present, absent]
    default: present
  priority:
    description:
      - Priority of the queue among the queues that share a compute environment; higher is scheduled first.
      - Required to create a queue.
    type: int
  compute_environments:
    description:
      - Compute environments the queue uses, by name or ARN, in order of preference (the first is tried first).
      - One to three items, all EC2/SPOT or all FARGATE/FARGATE_SPOT; AWS does not let a queue mix them.
      - When they differ from the queue's (or the queue is new), they are looked up with one
        C(DescribeComputeEnvironments) call before anything is written, and an INVALID one is refused. When they
        are the queue's own, in the same order (a name counts as the environment whose ARN ends with it), there
        is no look-up, so a no-change run makes one call, C(DescribeJobQueues).
      - AWS associates only VALID compute environments with a queue, so when the queue is created, or its
        environments are changed, while one of them is still CREATING or UPDATING (for example made by
        M(ondemand.batch.compute_environment) with O(ondemand.batch.compute_environment#module:wait=false)), the
        module waits until it is VALID before writing, whatever O(wait) says. No wait and no extra call otherwise.
      - Required to create a queue.
    type: list
    elements: str
  scheduling_policy:
    description:
      - Fair-share scheduling policy, by name or ARN. A name is resolved with C(ListSchedulingPolicies).
      - An empty string asks for no policy (a FIFO queue).
      - A FIFO queue cannot get a policy and a fair-share queue cannot lose its policy in place; see O(replace).
    type: str
  job_state_time_limit_actions:
    description:
      - Actions Batch takes on jobs that stay at the head of the queue in a state for too long.
      - An empty list removes all of them.
    type: list
    elements: dict
    suboptions:
      reason:
        description: Reason logged when the action is taken.
        type: str
        required: true
      state:
        description: State of the job that triggers the action.
        type: str
        choices: [RUNNABLE]
        default: RUNNABLE
      max_time_seconds:
        description: Seconds (600 to 86400) a job may stay in O(job_state_time_limit_actions[].state).
        type: int
        required: true
      action:
        description: What to do with the job.
        type: str
        choices: [CANCEL]
        default: CANCEL
  job_queue_state:
    description:
      - Whether the queue accepts new jobs (V(ENABLED)) or not (V(DISABLED)).
    type: str
    choices: [ENABLED, DISABLED]
    default: ENABLED
  replace:
    description:
      - When the scheduling policy must be added to or removed from an existing queue, delete the queue
        (disable, wait, delete, wait until gone) and create it again with the same name, and so the same ARN.
      - Jobs still in the old queue are cancelled by AWS with it. Without O(replace) such a change fails.
    type: bool
    default: false
  wait:
    description:
      - Wait until the queue is VALID after a creation or an update, and until it is gone after a deletion.
        A queue that turns INVALID fails the task with the reason AWS gives.
      - Disabling before a deletion and replacing always wait.
      - Waiting polls C(DescribeJobQueues) first 0.2 seconds after the write, then 1.5 times later each time, at most
        every 15 seconds.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each step.
    type: int
    default: 600
"""


# Outside the class: ansible-test's yamllint reads the class's literal strings only.
ModuleDocFragment.LIST = nest_options(ModuleDocFragment.DOCUMENTATION, "job_queues", "ondemand.batch.job_queue")
