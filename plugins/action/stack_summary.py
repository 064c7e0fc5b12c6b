# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ondemand.batch.stack_summary: print the plan summary and write the outputs, on the controller."""

import json
import os

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import summary

display = Display()


def outputs_path(task_vars, outputs_dir=None):
    """``<outputs_dir>/<inventory name>.json``; ``outputs_dir`` defaults to ``./outputs`` where the command runs."""
    directory = outputs_dir or task_vars.get("stack_outputs_dir") or os.path.join(os.getcwd(), "outputs")
    inventory = task_vars.get("inventory_dir") or task_vars.get("stack_name") or "stack"
    return os.path.join(
        os.path.abspath(os.path.expanduser(str(directory))), f"{os.path.basename(str(inventory).rstrip('/'))}.json"
    )


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self._task.args
        if "stack_plan" not in task_vars:
            return dict(result, failed=True, msg="No stack_plan: run ondemand.batch.stack_plan first")
        plan = self._templar.template(task_vars["stack_plan"])
        results = {
            name: self._templar.template(task_vars[name]) for name, *_rest in summary.RESULTS if name in task_vars
        }
        check_mode = bool(self._task.check_mode)
        rows = summary.rows(plan, results)
        counts = summary.totals(rows)
        lines = ["", summary.table(rows), "", summary.totals_line(counts, check_mode)]
        for skipped in plan.get("not_removed", []):
            lines.append(f"Not removed: {skipped['kind'].replace('_', ' ')} {skipped['name']} {skipped['reason']}.")
        display.display("\n".join(lines))
        data = summary.outputs(plan, rows)
        result.update(changed=False, summary={"rows": rows, "totals": counts, "check_mode": check_mode}, outputs=data)
        write = boolean(args.get("write_outputs", True), strict=False) and not check_mode
        if write:
            path = outputs_path(task_vars, args.get("outputs_dir"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
            result["outputs_file"] = path
            display.display(f"Outputs (names and ARNs, never a secret value): {path}")
        return result
