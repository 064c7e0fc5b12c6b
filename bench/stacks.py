"""What `make bench` deploys and how it counts: scaled copies of the local inventory, a baseline checkout of another
git ref, and the module processes a run launches.

Used by bench/run.py; importable without an emulator (tests/unit/bench).
"""

import copy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LOCAL_INVENTORY = ROOT / "inventories" / "local"


# --------------------------------------------------------------------------------------------- scaled inventories
def scaled_inventory(dest, job_definitions=1, schedules=1, source=LOCAL_INVENTORY):
    """Copy ``source`` (inventories/local) to ``dest`` with ``job_definitions`` job definitions and ``schedules``
    schedules: the inventory's own first entry, then copies of it (``<name>-002``, ...) that differ in one
    environment variable (job definitions) or in the minute of the schedule (schedules). Returns ``dest``."""
    if job_definitions < 1 or schedules < 1:
        raise ValueError("a scaled stack keeps at least the inventory's own job definition and schedule")
    dest = Path(dest)
    shutil.copytree(source, dest)
    group_vars = dest / "group_vars" / "all"

    batch_file = group_vars / "batch.yml"
    batch = yaml.safe_load(batch_file.read_text())
    first = batch["batch_job_definitions"][0]
    batch["batch_job_definitions"] = [first] + [
        {
            **copy.deepcopy(first),
            "name": f"{first['name']}-{index:03}",
            "environment": {**(first.get("environment") or {}), "BENCH_INDEX": str(index)},
        }
        for index in range(2, job_definitions + 1)
    ]
    batch_file.write_text(yaml.safe_dump(batch, sort_keys=False))

    events_file = group_vars / "eventbridge.yml"
    events = yaml.safe_load(events_file.read_text())
    first = events["eventbridge_schedules"][0]
    events["eventbridge_schedules"] = [first] + [
        {
            **copy.deepcopy(first),
            "name": f"{first['name']}-{index:03}",
            "description": f"Copy {index} of {first['name']} (bench)",
            "schedule_expression": f"cron({index % 60} 4 * * ? *)",
        }
        for index in range(2, schedules + 1)
    ]
    events_file.write_text(yaml.safe_dump(events, sort_keys=False))
    return dest


def job_definition_entries(count, prefix="bench_scale"):
    """The job definitions of the module-alone scenarios: the same entries for the list module's one task and for
    the per-resource module's loop (bench/playbooks/scale_list.yml, scale_loop.yml)."""
    return [
        {
            "name": f"{prefix}_{index}",
            "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
            "command": ["echo", str(index)],
            "vcpus": 1,
            "memory": 128,
            "environment": {"INDEX": str(index)},
        }
        for index in range(count)
    ]


def schedule_entries(count, role_arn, job_queue, job_definition, prefix="bench_sched"):
    """The schedules of the module-alone scenarios (EventBridge rules), the same entries for the list module's one
    task and for the per-resource module's loop (bench/playbooks/scale_schedules_list.yml, scale_schedules_loop.yml):
    each submits ``job_definition`` to ``job_queue`` at its own minute."""
    return [
        {
            "name": f"{prefix}_{index}",
            "description": f"Schedule {index} (bench)",
            "schedule_expression": f"cron({index % 60} {index // 60 % 24} * * ? *)",
            "job_queue": job_queue,
            "job_definition": job_definition,
            "role_arn": role_arn,
        }
        for index in range(count)
    ]


def register_job_definitions(batch, entries):
    """Register ``entries`` (job_definition_entries) with boto3, as the modules would: the re-runs change nothing."""
    for entry in entries:
        batch.register_job_definition(
            jobDefinitionName=entry["name"],
            type="container",
            containerProperties={
                "image": entry["image"],
                "command": entry["command"],
                "resourceRequirements": [
                    {"type": "VCPU", "value": str(entry["vcpus"])},
                    {"type": "MEMORY", "value": str(entry["memory"])},
                ],
                "environment": [{"name": k, "value": v} for k, v in entry["environment"].items()],
            },
        )


# --------------------------------------------------------------------------------------------- module processes
class ProcessCounter:
    """Counts the Python processes ansible starts for modules, exactly.

    ansible starts every module (on this connection: local, pipelined) as ``<ansible_python_interpreter>`` reading
    the AnsiballZ payload; action plugins (stack_plan, stack_summary) run inside ansible-playbook and start none.
    A run given ``extra_vars()`` uses a two-line shell wrapper as that interpreter: it appends a line to a file,
    then execs the real Python (same arguments, same stdin). Under Mitogen it counts the interpreters Mitogen starts
    (its modules then run inside them).
    """

    def __init__(self, workdir, python=sys.executable):
        self.dir = Path(workdir)
        self.log = self.dir / "module-processes.log"
        self.wrapper = self.dir / "python-counted"
        self.wrapper.write_text(f'#!/bin/sh\necho . >> "{self.log}"\nexec "{python}" "$@"\n')
        self.wrapper.chmod(0o755)

    def extra_vars(self):
        # Extra vars win over the inventory's ansible_python_interpreter (inventories/local sets one).
        return {"ansible_python_interpreter": str(self.wrapper)}

    def reset(self):
        self.log.write_text("")

    def count(self):
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0


# --------------------------------------------------------------------------------------------- baseline checkout
def git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


class Baseline:
    """``ref`` checked out into a temporary git worktree (detached, removed on exit) that runs as this checkout does:
    the same virtualenv (a symlink) and its own ``.collections/ansible_collections/ondemand/batch`` link to itself,
    so that its playbooks use its roles and modules. ``start_emulator`` runs *its* emulator (``python -m emulator``
    from its tree), the emulator that checkout was tested with."""

    def __init__(self, ref, parent):
        self.ref = ref
        self.commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
        self.short = self.commit[:7]
        self.subject = textwrap.shorten(git("log", "-1", "--format=%s", self.commit), 72, placeholder=" ...")
        self.root = Path(parent) / f"baseline-{self.short}"

    def __enter__(self):
        git("worktree", "add", "--detach", str(self.root), self.commit)
        venv = (ROOT / ".venv").resolve()
        (self.root / ".venv").symlink_to(venv)
        namespace = self.root / ".collections" / "ansible_collections" / "ondemand"
        namespace.mkdir(parents=True)
        (namespace / "batch").symlink_to(self.root)
        return self

    def __exit__(self, *exc):
        self.remove()

    def remove(self):
        if self.root.exists():
            subprocess.run(["git", "worktree", "remove", "--force", str(self.root)], cwd=ROOT, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)

    @property
    def label(self):
        return f"baseline {self.short}"

    def has_stack(self):
        return (self.root / "playbooks" / "deploy.yml").exists() and (self.root / "inventories" / "local").exists()

    def start_emulator(self, emulator_class, log_dir, port):
        """An emulator of the baseline's own code, on ``port``; ``emulator_class`` is the test support's handle."""
        log_path = Path(log_dir) / f"emulator-baseline-{port}.log"
        log = open(log_path, "w")  # noqa: SIM115 - kept open for the child's lifetime
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port)],
            cwd=self.root,  # python -m puts the working directory first: the baseline's emulator package
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        emulator = emulator_class(f"http://127.0.0.1:{port}", process, log_path)
        try:
            emulator.wait_ready(timeout=60)
        except RuntimeError:
            emulator.stop()
            raise
        return emulator
