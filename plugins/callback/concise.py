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
  - It leaves out one deprecation notice that amazon.aws's C(iam_role) gives on every run whatever its arguments, about
    a return value (C(iam_role.assume_role_policy_document_raw)) this collection does not read; every other warning
    and deprecation is shown.
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

    def _handle_warnings(self, res):
        task_result = self._current_task_result
        if res.get("deprecations") and task_result is not None:
            kept = [d for d in task_result.deprecations if not _unactionable(d)]
            if len(kept) != len(task_result.deprecations):
                res.pop("deprecations", None)
                for deprecation in kept:
                    self._display._deprecated(deprecation)
        super()._handle_warnings(res)

    _showing_message = False

    def v2_runner_on_ok(self, result):
        self._showing_message = result.task.action in DEBUG_ACTIONS
        try:
            super().v2_runner_on_ok(result)
        finally:
            self._showing_message = False

    def get_option(self, k):
        # ok and skipped results are detail: shown from -v on, except the messages of debug tasks.
        hidden = k == "display_skipped_hosts" or (k == "display_ok_hosts" and not self._showing_message)
        if hidden and self._display.verbosity < 1:
            return False
        return super().get_option(k)


DEBUG_ACTIONS = frozenset(("debug", "ansible.builtin.debug", "ansible.legacy.debug"))

# amazon.aws iam_role deprecates a return value on every call, whatever the task: nothing a user of this collection
# (which never reads that value) can act on.
UNACTIONABLE = ("iam_role.assume_role_policy_document_raw",)


def _unactionable(deprecation):
    message = str(getattr(deprecation, "msg", deprecation))
    return any(marker in message for marker in UNACTIONABLE)
