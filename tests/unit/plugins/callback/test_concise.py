"""The concise stdout callback: at the default verbosity only changes, failures and debug messages are printed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Reshape a variable
      ansible.builtin.set_fact:
        reshaped: 1
    - name: Never runs
      ansible.builtin.command: "true"
      when: false
    - name: Tell the reader
      ansible.builtin.debug:
        msg: the message for the reader
    - name: Change something
      ansible.builtin.command: "true"
"""


def play(tmp_path, *args):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), "-i", "localhost,"]
    command += ["-e", f"ansible_python_interpreter={sys.executable}", *args]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("concise")
    return {"quiet": play(tmp_path), "verbose": play(tmp_path, "-v")}


def test_default_verbosity_prints_changes_and_messages_only(outputs):
    quiet = outputs["quiet"]
    assert "TASK [Change something]" in quiet and "changed: [localhost]" in quiet
    assert "TASK [Tell the reader]" in quiet and "the message for the reader" in quiet
    assert "Reshape a variable" not in quiet
    assert "Never runs" not in quiet and "skipping:" not in quiet
    assert "ok=3" in quiet and "skipped=1" in quiet  # the recap still counts everything


def test_verbose_prints_every_task(outputs):
    verbose = outputs["verbose"]
    for banner in ("Reshape a variable", "Never runs", "Tell the reader", "Change something"):
        assert f"TASK [{banner}]" in verbose
    assert "skipping: [localhost]" in verbose
