"""The README stays true: every make target it shows exists, every role variable is listed, and its shell
snippets are runnable (tests/integration/test_readme_snippets.py runs them) or say why not."""

import re
import subprocess
from collections import namedtuple
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta/argument_specs.yml").is_file())
# The sections whose ```bash blocks run in a fresh shell against the emulator, unless marked "<!-- not run: why -->".
SNIPPET_SECTIONS = (
    "Quick start",
    "Using the toolchain yourself",
    "Submitting jobs",
    "The local emulator",
    "Make targets",
)
Block = namedtuple("Block", "section index reason text")
BLOCK_RE = re.compile(r"(?:<!-- not run: (?P<reason>[^>]*?) -->\n)?```bash\n(?P<text>.*?)```", re.S)


def section(title):
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def shell_blocks(sections=SNIPPET_SECTIONS):
    """The ```bash blocks of ``sections``, each with the reason it is not run (None: it runs)."""
    return [
        Block(title, index, match.group("reason"), match.group("text"))
        for title in sections
        for index, match in enumerate(BLOCK_RE.finditer(section(title)))
    ]


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


def test_the_snippet_sections_exist_and_hold_runnable_blocks():
    blocks = shell_blocks()
    runnable = {(b.section, b.index) for b in blocks if b.reason is None}
    assert ("The local emulator", 0) in runnable
    assert ("Using the toolchain yourself", 0) in runnable
    assert any(b.section == "Submitting jobs" for b in blocks if b.reason is None)


@pytest.mark.parametrize("block", shell_blocks(), ids=lambda b: f"{b.section}-{b.index}")
def test_every_snippet_is_bash_and_runs_here_or_says_why_not(block):
    assert subprocess.run(["bash", "-n", "-c", block.text], check=False).returncode == 0, block.text
    if block.reason is not None:
        assert block.reason.strip(), "a <!-- not run: --> mark gives its reason"
        return
    # What a fresh shell with the emulator cannot do: real AWS inventories and placeholders.
    assert "inventories/dev" not in block.text and "ENV=dev" not in block.text, block.text
    assert not re.search(r"<[a-z][a-z -]*>", block.text), f"placeholder in a runnable block: {block.text}"


def test_no_snippet_gives_the_cli_its_region_through_aws_region_alone():
    """The pinned AWS CLI (v1) reads AWS_DEFAULT_REGION only; AWS_REGION alone: "You must specify a region"."""
    for block in shell_blocks():
        if "AWS_REGION=" in block.text:
            assert "AWS_DEFAULT_REGION=" in block.text, block.text
    assert "AWS_DEFAULT_REGION=eu-west-1" in (ROOT / "emulator" / "README.md").read_text()


def test_the_toolchain_section_says_how_to_enter_the_venv():
    assert "source .venv/bin/activate" in section("Using the toolchain yourself")
