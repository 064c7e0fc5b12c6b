# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation of a per-resource module's options, nested as the entries of its list-form module.

Used by this collection's doc fragments (not by modules): each fragment documents a kind's options once, as
``DOCUMENTATION``, and its ``LIST`` is the same text under the list option, so the two modules' docs cannot
drift apart, as their argument specs cannot (``args_common``).
"""

import re

# O(option) and O(option=value) of the module itself (references to other plugins carry a "#").
OPTION_REFERENCE_RE = re.compile(r"O\((?![^)]*#)([A-Za-z_][^)=]*)(=[^)]*)?\)")

TAG_OPTIONS = r"""
  tags:
    description:
      - Tags of the resource, as a dictionary.
      - If O(tags) is not set the resource's tags are not modified.
    type: dict
    aliases: ['resource_tags']
  purge_tags:
    description:
      - With O(purge_tags=true) and O(tags) set, tags that O(tags) does not list are removed. Tag keys beginning
        with V(aws:) are reserved by AWS and left alone.
      - If O(tags) is not set the tags are not modified, whatever O(purge_tags) says.
    type: bool
    default: true
"""


def nest_options(fragment, key, module, tags=True):
    """``fragment`` (YAML text with one top-level key, ``options``) as the suboptions of the list option ``key``,
    with ``tags`` and ``purge_tags`` added when ``tags`` (the per-resource module has them from amazon.aws.tags),
    and every reference to one of its options rewritten from ``O(name)`` to ``O(key[].name)``."""
    lines = fragment.strip("\n").split("\n")
    if lines[0] != "options:":
        raise ValueError("the fragment must start with 'options:'")
    body = "\n".join(lines[1:]) + (TAG_OPTIONS.rstrip("\n") if tags else "")
    body = OPTION_REFERENCE_RE.sub(lambda m: f"O({key}[].{m.group(1)}{m.group(2) or ''})", body)
    nested = "\n".join(("    " + line) if line.strip() else "" for line in body.split("\n"))
    return f"""
options:
  {key}:
    description:
      - One entry per resource, each with exactly the options of M({module}), which are listed below.
      - Names must be unique within the list.
    type: list
    elements: dict
    required: true
    suboptions:
{nested}
"""
