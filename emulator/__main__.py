"""``python -m emulator``: run the local AWS emulator in the foreground, or detached with ``--daemon``."""

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from emulator.controls import CAPACITY_MODES, EXECUTORS, ConfigError, Controls

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 30.0


# Every control of emulator.controls.Controls has a flag: (flag, argparse options).
CONTROL_FLAGS = {
    "latency_ms": ("--latency-ms", {"type": float, "help": "delay added to every AWS API request"}),
    "throttle_rate": ("--throttle-rate", {"type": float, "help": "fraction answered with a throttling error"}),
    "error_rate": ("--error-rate", {"type": float, "help": "fraction answered with a 500/503 error"}),
    "seed": ("--seed", {"type": int, "help": "seed of the fault injection (repeatable runs)"}),
    "transition_delay": ("--transition-delay", {"type": float, "help": "seconds per Batch status transition"}),
    "executor": ("--executor", {"choices": EXECUTORS, "help": "how jobs run"}),
    "capacity": (
        "--capacity",
        {"choices": CAPACITY_MODES, "help": "enforce: RUNNING/STARTING jobs use up maxvCpus; unlimited: they do not"},
    ),
    "time_limit_scale": (
        "--time-limit-scale",
        {"type": float, "help": "factor applied to jobStateTimeLimitActions maxTimeSeconds (0.001: 600 s -> 0.6 s)"},
    ),
    "insufficient_capacity": (
        "--insufficient-capacity",
        {"metavar": "TYPES", "help": "comma-separated EC2 instance types or families with no capacity"},
    ),
    "iam_propagation_delay": (
        "--iam-propagation-delay",
        {"type": float, "metavar": "SECONDS", "help": "seconds before a new role or instance profile is usable"},
    ),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Local AWS emulator (moto's server plus AWS Batch behaviour and a local job executor).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to bind (default 5000)")
    for key, (flag, options) in CONTROL_FLAGS.items():
        default = Controls.SPEC[key][0]
        shown = ",".join(default) if isinstance(default, list) else default
        parser.add_argument(flag, dest=key, default=None, **{**options, "help": f"{options['help']} (default {shown})"})
    parser.add_argument("--daemon", action="store_true", help="detach, wait until serving, write --pidfile, exit")
    parser.add_argument("--pidfile", help="file holding the pid of the running emulator")
    parser.add_argument("--log-file", help="log of the detached emulator (with --daemon)")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if args.daemon and not args.pidfile:
        parser.error("--daemon needs --pidfile")
    return args


def given_controls(args):
    """The controls set on the command line (the others keep their defaults)."""
    return {key: getattr(args, key) for key in CONTROL_FLAGS if getattr(args, key) is not None}


def controls_from(args):
    return Controls(**given_controls(args))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        controls = controls_from(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.daemon:
        return daemonize(args)
    if _port_in_use(args.host, args.port):  # before the seconds it takes to import moto
        print(
            f"error: port {args.port} on {args.host} is already in use by another process; "
            f"{_another_port(args.host, args.port)}",
            file=sys.stderr,
        )
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from emulator.server import PortInUse, serve

    try:
        serve(args.host, args.port, controls, pidfile=args.pidfile, access_log=args.access_log)
    except PortInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


# --- --daemon -------------------------------------------------------------------------------------------
def _url(host, port):
    from emulator.server import connect_host

    return f"http://{connect_host(host)}:{port}"


def _is_emulator(url):
    """True when an emulator answers /_emulator/stats at ``url``."""
    try:
        with urllib.request.urlopen(url + "/_emulator/stats", timeout=2) as response:
            payload = json.loads(response.read())
        return isinstance(payload, dict) and "calls" in payload and "by_service" in payload
    except (OSError, ValueError):
        return False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(pidfile):
    try:
        return int(Path(pidfile).read_text().strip())
    except (OSError, ValueError):
        return None


def _port_in_use(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _another_port(host, port):
    """What to try instead of a taken port: the first free one above it."""
    free = next((p for p in range(port + 1, min(port + 200, 65536)) if not _port_in_use(host, p)), None)
    if free is None:
        return "choose another port"
    return f"choose another port, e.g. --port {free} (with make: EMULATOR_PORT={free})"


def daemonize(args):
    url = _url(args.host, args.port)
    pidfile = Path(args.pidfile).resolve()
    pid = _read_pid(pidfile)
    if pid is not None and _alive(pid) and _is_emulator(url):
        print(f"AWS emulator already running on {url} (pid {pid}); nothing to do")
        return 0
    if pid is not None:
        pidfile.unlink(missing_ok=True)  # stale: that process is gone or serves something else
    if _port_in_use(args.host, args.port):
        owner = " (an emulator not started with this pidfile)" if _is_emulator(url) else ""
        print(
            f"error: port {args.port} on {args.host} is already in use by another process{owner}; "
            f"stop it or {_another_port(args.host, args.port)}",
            file=sys.stderr,
        )
        return 1

    pidfile.parent.mkdir(parents=True, exist_ok=True)
    log_path = Path(args.log_file).resolve() if args.log_file else pidfile.with_suffix(".log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "emulator", "--host", args.host, "--port", str(args.port)]
    command += ["--pidfile", str(pidfile)]
    for key, value in given_controls(args).items():
        command += [CONTROL_FLAGS[key][0], str(value)]
    if args.access_log:
        command.append("--access-log")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with open(log_path, "ab") as log:
        child = subprocess.Popen(  # our own interpreter and module
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            print(
                f"error: the emulator exited with {child.returncode} before serving; log {log_path}:", file=sys.stderr
            )
            print(_tail(log_path), file=sys.stderr)
            return 1
        if _is_emulator(url) and _read_pid(pidfile) == child.pid:
            print(f"AWS emulator ready on {url} (pid {child.pid}, log {log_path})")
            return 0
        time.sleep(0.1)
    child.terminate()
    print(f"error: the emulator did not serve on {url} within {READY_TIMEOUT:.0f}s; log {log_path}:", file=sys.stderr)
    print(_tail(log_path), file=sys.stderr)
    return 1


def _tail(path, lines=20):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


if __name__ == "__main__":
    code = main()
    # Everything is cleaned up by now (job processes stopped, pidfile removed); skip the interpreter's
    # teardown of moto's large in-memory state, which takes seconds.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
