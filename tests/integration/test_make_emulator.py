"""`make emulator`, `make emulator-stop` and `make emulator-stop-all` (what `make clean` runs) for real, on scratch
ports with a scratch EMULATOR_DIR, so that an emulator a developer runs on 5000 is never touched."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.support.emulator import Emulator, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def make(*args, emulator_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "EMULATOR_PORT")}
    completed = subprocess.run(
        ["make", "--no-print-directory", *args, f"EMULATOR_DIR={emulator_dir}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "No such file or directory" not in completed.stderr, completed.stderr
    return completed


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def pid_of(emulator_dir, port):
    return int((emulator_dir / f"emulator-{port}.pid").read_text())


def test_emulators_on_two_ports_are_started_named_and_all_stopped(tmp_path):
    first, second = free_port(), free_port()
    try:
        started = make("emulator", f"EMULATOR_PORT={first}", emulator_dir=tmp_path)
        assert started.returncode == 0, started.stderr
        assert f"AWS emulator ready on http://127.0.0.1:{first}" in started.stdout
        again = make("emulator", f"EMULATOR_PORT={first}", emulator_dir=tmp_path)
        assert "already running" in again.stdout
        assert make("emulator", f"EMULATOR_PORT={second}", emulator_dir=tmp_path).returncode == 0
        pids = [pid_of(tmp_path, first), pid_of(tmp_path, second)]

        # Another port: nothing to stop, and the ones that run are named with the command that stops them.
        missed = make("emulator-stop", f"EMULATOR_PORT={free_port()}", emulator_dir=tmp_path)
        assert missed.returncode == 0
        assert f"make emulator-stop EMULATOR_PORT={first}" in missed.stdout
        assert f"make emulator-stop EMULATOR_PORT={second}" in missed.stdout

        stopped = make("emulator-stop", f"EMULATOR_PORT={first}", emulator_dir=tmp_path)
        assert "Stopped." in stopped.stdout
        assert not alive(pids[0]) and alive(pids[1])

        everything = make("emulator-stop-all", emulator_dir=tmp_path)
        assert f"Stopped the emulator on port {second}." in everything.stdout
        assert not alive(pids[1])
        assert list(tmp_path.glob("*.pid")) == []
        assert "No emulator of this checkout is running." in make("emulator-stop-all", emulator_dir=tmp_path).stdout
    finally:
        make("emulator-stop-all", emulator_dir=tmp_path)


def test_a_stale_pidfile_never_kills_another_program(tmp_path):
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as bystander:
        try:
            (tmp_path / "emulator-5999.pid").write_text(str(bystander.pid))
            result = make("emulator-stop-all", emulator_dir=tmp_path)
            assert "No emulator of this checkout is running." in result.stdout
            assert bystander.poll() is None
            assert not (tmp_path / "emulator-5999.pid").exists()
        finally:
            bystander.kill()


def test_a_taken_port_names_the_command_that_works(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        result = make("demo", f"EMULATOR_PORT={taken}", emulator_dir=tmp_path)
    assert result.returncode != 0
    assert f"Port {taken} on 127.0.0.1 is in use by another process" in result.stderr
    suggested = int(result.stderr.split("make demo EMULATOR_PORT=", 1)[1].split()[0])
    assert suggested > taken
    assert "Deploying" not in result.stdout  # nothing after the emulator ran


def test_an_emulator_started_elsewhere_is_used_not_refused(tmp_path):
    foreign = Emulator.start(tmp_path)
    try:
        port = foreign.url.rsplit(":", 1)[1]
        result = make("emulator", f"EMULATOR_PORT={port}", emulator_dir=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "An emulator not started by this checkout already serves" in result.stdout
        make("emulator-stop-all", emulator_dir=tmp_path)
        assert foreign.process.poll() is None  # not ours to stop
    finally:
        foreign.stop()
