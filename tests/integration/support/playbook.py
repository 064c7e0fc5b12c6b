"""Run ansible-playbook against the emulator and read its results as JSON (ansible.posix.json callback)."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


class PlaybookResult:
    def __init__(self, completed, report):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.report = report or {}

    @property
    def stats(self):
        """Recap per host: {'localhost': {'changed': 0, 'failures': 0, 'ok': 3, ...}}."""
        return self.report.get("stats", {})

    def totals(self, key):
        return sum(host.get(key, 0) for host in self.stats.values())

    @property
    def changed(self):
        return self.totals("changed")

    @property
    def failed(self):
        return self.totals("failures") + self.totals("unreachable")

    def tasks(self):
        for play in self.report.get("plays", []):
            yield from play.get("tasks", [])

    def changed_task_names(self, host="localhost"):
        """Names of the tasks that reported a change on ``host`` (any loop item; check-mode predictions count),
        in run order, without the "<role> : " prefix the json callback gives role tasks."""
        names = []
        for task in self.tasks():
            outcome = task["hosts"].get(host, {})
            items = outcome.get("results") if isinstance(outcome.get("results"), list) else [outcome]
            if any(item.get("changed") for item in items):
                names.append(task["task"]["name"].split(" : ", 1)[-1])
        return names

    def task(self, name, host="localhost"):
        """The result of the last task named ``name`` on ``host``."""
        found = [t for t in self.tasks() if t["task"]["name"] == name]
        if not found:
            raise KeyError(f"no task named {name!r}; tasks: {[t['task']['name'] for t in self.tasks()]}")
        return found[-1]["hosts"][host]

    def __repr__(self):
        return f"PlaybookResult(rc={self.rc}, changed={self.changed}, failed={self.failed})"


def run_playbook(
    emulator,
    playbook,
    extra_vars=None,
    check=False,
    diff=False,
    inventory=None,
    verbosity=0,
    env=None,
    timeout=900,
    root=ROOT,
):
    """Run a playbook given as a path or as YAML data (a list of plays) against ``emulator``.

    ``root`` is the checkout whose ansible.cfg (collections, roles) is used and where ansible-playbook runs: another
    one is a benchmark's baseline (bench/run.py --baseline).
    """
    with tempfile.TemporaryDirectory() as tmp:
        if not isinstance(playbook, (str, Path)):
            path = Path(tmp) / "playbook.yml"
            path.write_text(yaml.safe_dump(playbook, sort_keys=False))
            playbook = path
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook)]
        cmd += ["-i", str(inventory)] if inventory else ["-i", "localhost,", "-c", "local"]
        if extra_vars:
            vars_file = Path(tmp) / "extra_vars.json"
            vars_file.write_text(json.dumps(extra_vars))
            cmd += ["-e", f"@{vars_file}"]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        run_env = {
            **os.environ,
            **emulator.env(),
            "ANSIBLE_CONFIG": str(Path(root) / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
            "ANSIBLE_PYTHON_INTERPRETER": os.environ.get("ANSIBLE_PYTHON_INTERPRETER", sys.executable),
            "ANSIBLE_LOCALHOST_WARNING": "False",
            **(env or {}),
        }
        completed = subprocess.run(
            cmd, cwd=root, env=run_env, capture_output=True, text=True, timeout=timeout, check=False
        )
    report = None
    if run_env["ANSIBLE_STDOUT_CALLBACK"] == "ansible.posix.json":
        try:
            stdout = completed.stdout
            # Live lines printed by action plugins (ondemand.batch.job) may precede the report.
            start = 0 if stdout.startswith("{") else stdout.index("\n{") + 1
            report = json.loads(stdout[start:])
        except ValueError:
            report = None
    return PlaybookResult(completed, report)
