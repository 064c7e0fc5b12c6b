"""The collection builds without dev-only files, installs offline, and documents every module."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEV_ONLY = (
    "emulator/",
    "tests/unit/",
    "tests/integration/",
    ".venv/",
    ".collections/",
    "build/",
    "outputs/",
    "playbooks/outputs/",
    "extensions/",
    "Makefile",
    "ansible.cfg",
    "pyproject.toml",
    "requirements-dev.txt",
    ".ci/",
)
MODULES = sorted(p.stem for p in (ROOT / "plugins/modules").glob("*.py") if p.stem != "__init__")


def run(*cmd, cwd, env=None):
    completed = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, f"{cmd} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """The collection built right after a deploy from the checkout wrote its outputs (account ids, ARNs)."""
    sys.path.insert(0, str(ROOT / ".collections"))
    from ansible_collections.ondemand.batch.plugins.action.stack_summary import outputs_path

    cwd = os.getcwd()
    os.chdir(ROOT)  # where `make deploy` runs ansible-playbook
    try:
        written = Path(outputs_path({"inventory_dir": str(ROOT / "inventories" / "local")}))
    finally:
        os.chdir(cwd)
    assert written == ROOT / "outputs" / "local.json"
    legacy = ROOT / "playbooks" / "outputs" / "local.json"  # where an older version wrote them
    created = [path for path in (written, legacy) if not path.exists()]
    for path in created:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"stack": {"account_id": "123456789012"}}\n')
    try:
        out = tmp_path_factory.mktemp("build")
        run(str(BIN / "ansible-galaxy"), "collection", "build", str(ROOT), "--output-path", str(out), cwd=out)
        (built,) = out.glob("ondemand-batch-*.tar.gz")
    finally:
        for path in created:
            path.unlink()
        if not any(legacy.parent.iterdir()):
            legacy.parent.rmdir()
    return built


def test_tarball_has_no_dev_only_files(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names  # replaced by MANIFEST.json, as ansible-galaxy does
    assert "MANIFEST.json" in names
    assert "meta/runtime.yml" in names
    assert any(name.startswith("plugins/module_utils/") for name in names)
    leaked = [n for n in names if n.startswith(DEV_ONLY) or "__pycache__" in n or n.endswith(".pyc")]
    assert leaked == []


def test_installs_offline_and_lists_modules(tarball, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["PATH"] = f"{BIN}:{env['PATH']}"
    out = run(
        str(BIN / "ansible-galaxy"),
        "collection",
        "install",
        str(tarball),
        "-p",
        str(tmp_path),
        "--offline",
        cwd=tmp_path,
        env=env,
    )
    assert "ondemand.batch:" in out and "was installed successfully" in out
    assert (tmp_path / "ansible_collections/ondemand/batch/MANIFEST.json").is_file()
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp_path)
    listed = run(str(BIN / "ansible-doc"), "-l", "ondemand.batch", cwd=tmp_path, env=env)
    for module in MODULES:
        assert f"ondemand.batch.{module} " in listed


def test_action_group_lists_every_module():
    runtime = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())
    assert sorted(runtime["action_groups"]["batch"]) == MODULES


def test_galaxy_dependencies_are_bounded():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    for name in ("amazon.aws", "community.aws"):
        spec = galaxy["dependencies"][name]
        assert ">=" in spec and "<" in spec.replace("<=", ""), f"{name}: {spec} needs a lower and an upper bound"
