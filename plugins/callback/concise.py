# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: concise
type: stdout
short_description: ansible-playbook output a person reads - what changed, what failed, the plan summary
version_added: 0.2.0
description:
  - The default callback, with C(ok) and C(skipped) results hidden at the default verbosity. A task banner is
    printed only when the task changed something or failed, so a no-change deploy prints the plan summary table
    and the recap. With C(-v) (or more) it prints everything the default callback prints.
  - Set by this collection's C(ansible.cfg) (C(stdout_callback = ondemand.batch.concise)); set it in yours, or export
    C(ANSIBLE_STDOUT_CALLBACK=ondemand.batch.concise), to get the same output elsewhere.
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as stdout in configuration
"""

from ansible.plugins.callback.default import CallbackModule as DefaultCallback  # noqa: E402


class CallbackModule(DefaultCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "ondemand.batch.concise"

    def get_option(self, k):
        # ok and skipped results are detail: shown from -v on.
        if k in ("display_ok_hosts", "display_skipped_hosts") and self._display.verbosity < 1:
            return False
        return super().get_option(k)
