# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of M(ondemand.batch.scheduling_policy) (``DOCUMENTATION``) and of each entry of
M(ondemand.batch.scheduling_policies) (``LIST``): written once."""

from ansible_collections.ondemand.batch.plugins.module_utils.doc_options import nest_options


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the scheduling policy. 1 to 128 letters, digits, hyphens and underscores.
    type: str
    required: true
    aliases: ["scheduling_policy_name"]
  state:
    description:
      - Whether the scheduling policy exists.
    type: str
    choices: ["present", "absent"]
    default: present
  share_decay_seconds:
    description:
      - Time window in seconds used to compute each share identifier's fair-share usage, 0 to 604800.
        V(0) means the minimum window (600 seconds).
    type: int
    default: 0
  compute_reservation:
    description:
      - Percentage (0 to 99) of the maximum vCPUs reserved for share identifiers that are not yet active.
    type: int
    default: 0
  share_distribution:
    description:
      - Weight factors of share identifiers. Identifiers not listed weigh 1.0.
      - Omitting it (or an empty list) removes every entry.
    type: list
    elements: dict
    suboptions:
      share_identifier:
        description:
          - A share identifier (1 to 255 letters and digits), or a prefix of identifiers ending with C(*).
          - Entries must not overlap (C(team*) and C(team1) cannot both be listed).
        type: str
        required: true
      weight_factor:
        description:
          - Weight factor, 0.0001 to 999.9999; a lower weight gets more compute. AWS's default is 1.0.
        type: float
"""


# Outside the class: ansible-test's yamllint reads the class's literal strings only.
ModuleDocFragment.LIST = nest_options(
    ModuleDocFragment.DOCUMENTATION, "scheduling_policies", "ondemand.batch.scheduling_policy"
)
