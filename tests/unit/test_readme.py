"""The README stays true: every make target it shows exists, every role variable is listed."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta/argument_specs.yml").is_file())


def test_quick_start_is_the_two_commands_right_after_the_introduction():
    quick_start = README.split("## Quick start", 1)[1].split("## ", 1)[0]
    first_block = quick_start.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    assert README.index("## Quick start") == README.index("\n## ") + 1


def test_every_make_target_in_the_readme_exists():
    targets = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.M))
    shown = set(re.findall(r"\bmake ([a-z][a-z-]+)", README))
    assert shown, "the README shows make targets"
    assert shown - targets == set()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_variable_is_in_the_readme(role):
    specs = yaml.safe_load((ROOT / f"roles/{role}/meta/argument_specs.yml").read_text())["argument_specs"]
    variables = {name for entry in specs.values() for name in entry.get("options", {})}
    assert variables, role
    missing = sorted(name for name in variables if f"`{name}`" not in README)
    assert missing == []


def test_every_module_is_in_the_readme():
    modules = {p.stem for p in (ROOT / "plugins/modules").glob("*.py")}
    listed = set(re.findall(r"^\| `([a-z_]+)`", README, re.M))
    # _info twins are listed as "(+`_info`)" next to their module.
    twins = {f"{m}_info" for m in listed if f"`{m}` (+`_info`)" in README}
    assert modules - listed - twins == set()
