"""The local executor: a job's command as a local process, its output as CloudWatch Logs events.

For local trials only: the command is NOT isolated (it runs as the emulator's user, on the host's
filesystem and network) and the job's image is ignored.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from moto.logs.models import logs_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends

READ_CHUNK = 65536
MAX_LINE = 256 * 1024 - 26  # CloudWatch Logs' maximum event size


class LaunchError(Exception):
    """The container could not be started; the message is the AWS-style reason (``CannotStartContainerError: ...``)."""


# --- secrets ------------------------------------------------------------------------------------------
def resolve_secrets(secrets, account_id, region):
    """Environment variables for the job's ``secrets`` (Secrets Manager ARNs, optionally with
    ``:json-key:version-stage:version-id``, or SSM parameter names / ARNs), read from moto's backends."""
    values = {}
    for secret in secrets or []:
        name, value_from = secret.get("name"), secret.get("valueFrom", "")
        try:
            values[name] = _secret_value(value_from, account_id, region)
        except LaunchError:
            raise
        except Exception as exc:  # any lookup failure fails the job like ECS does
            raise LaunchError(
                f"ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret "
                f"from {value_from}: {type(exc).__name__}: {exc}"
            ) from None
    return values


def _secret_value(value_from, account_id, region):
    parts = value_from.split(":")
    if value_from.startswith("arn:") and len(parts) >= 7 and parts[2] == "secretsmanager":
        secret_region, secret_account = parts[3] or region, parts[4] or account_id
        secret_id = ":".join(parts[:7])
        json_key, stage, version = (parts[7:] + ["", "", ""])[:3]
        backend = secretsmanager_backends[secret_account][secret_region]
        response = backend.get_secret_value(secret_id, version or None, stage or None)
        secret_string = response.get("SecretString")
        if secret_string is None:
            raise LaunchError(f"ResourceInitializationError: secret {secret_id} has no SecretString")
        if not json_key:
            return secret_string
        try:
            document = json.loads(secret_string)
        except ValueError:
            raise LaunchError(
                f"ResourceInitializationError: secret {secret_id} is not JSON, cannot read key {json_key}"
            ) from None
        if not isinstance(document, dict) or json_key not in document:
            raise LaunchError(f"ResourceInitializationError: secret {secret_id} has no JSON key {json_key}")
        value = document[json_key]
        return value if isinstance(value, str) else json.dumps(value)
    if value_from.startswith("arn:") and len(parts) >= 6 and parts[2] == "ssm":
        param_region, param_account = parts[3] or region, parts[4] or account_id
        name = parts[5].split("/", 1)[1] if "/" in parts[5] else parts[5]
        if not name.startswith("/") and "/" in name:
            name = "/" + name
    else:
        param_region, param_account, name = region, account_id, value_from
    parameter = ssm_backends[param_account][param_region].get_parameter(name)
    if parameter is None:
        raise LaunchError(
            f"ResourceInitializationError: unable to pull secrets or registry auth: the SSM parameter {value_from} "
            "does not exist"
        )
    return parameter.response_object(decrypt=True)["Value"]


# --- logs ---------------------------------------------------------------------------------------------
class LogTarget:
    """The CloudWatch Logs stream of one attempt (created when the attempt starts, as awslogs does)."""

    def __init__(self, account_id, region, group, stream, create_group):
        self.backend = logs_backends[account_id][region]
        self.group = group
        self.stream = stream
        if group not in self.backend.groups:
            if not create_group:
                raise LaunchError(
                    "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: "
                    "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group "
                    f"does not exist. (log group {group})"
                )
            self.backend.ensure_log_group(group)
        self.backend.ensure_log_stream(group, stream)

    def put(self, events):
        if not events:
            return
        # The group or stream may have been deleted under the running job.
        with contextlib.suppress(Exception):
            self.backend.put_log_events(self.group, self.stream, events)


# --- processes ----------------------------------------------------------------------------------------
def resolve_command(argv, env):
    if not argv:
        raise LaunchError(
            "CannotStartContainerError: no command: the local executor runs the job's command and cannot run an "
            "image's default command; set containerProperties.command"
        )
    program = argv[0]
    if "/" in program:
        if not os.path.exists(program):
            raise LaunchError(
                "CannotStartContainerError: Error response from daemon: failed to create task for container: "
                f'exec: "{program}": stat {program}: no such file or directory: unknown'
            )
        return [program, *argv[1:]]
    found = shutil.which(program, path=env.get("PATH", os.defpath))
    if found is None:
        raise LaunchError(
            "CannotStartContainerError: Error response from daemon: failed to create task for container: "
            f'exec: "{program}": executable file not found in $PATH: unknown'
        )
    return [found, *argv[1:]]


class LocalProcess:
    """One attempt's process: exec form, own session, own temporary directory, output read without blocking."""

    def __init__(self, argv, env):
        self.workdir = tempfile.mkdtemp(prefix="emulator-job-")
        env = {**env, "HOME": env.get("HOME") or self.workdir, "TMPDIR": env.get("TMPDIR") or self.workdir}
        try:
            command = resolve_command(argv, env)
            self.process = subprocess.Popen(  # running the job's command is the point
                command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        except LaunchError:
            self._cleanup_dir()
            raise
        except OSError as exc:
            self._cleanup_dir()
            raise LaunchError(
                "CannotStartContainerError: Error response from daemon: failed to create task for container: "
                f'exec: "{argv[0]}": {exc.strerror or exc}: unknown'
            ) from None
        self.fd = self.process.stdout.fileno()
        os.set_blocking(self.fd, False)
        self._partial = b""
        self._eof = False
        self.kill_at = None
        self.exit_code = None

    def read_lines(self):
        """Complete output lines available now, each as a log event stamped with the time it was read."""
        events = []
        stamp = int(time.time() * 1000)
        while not self._eof:
            try:
                chunk = os.read(self.fd, READ_CHUNK)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self._eof = True
                break
            self._partial += chunk
        *lines, self._partial = self._partial.split(b"\n")
        if self._eof and self._partial:
            lines.append(self._partial)
            self._partial = b""
        for line in lines:
            message = line.rstrip(b"\r").decode("utf-8", "replace")
            while message:
                events.append({"timestamp": stamp, "message": message[:MAX_LINE]})
                message = message[MAX_LINE:]
        return events

    def poll(self, now):
        """(events, exit code or None): output read so far and, once the process ended, its exit code."""
        if self.kill_at is not None and now >= self.kill_at:
            self._signal(signal.SIGKILL)
            self.kill_at = None
        events = self.read_lines()
        code = self.process.poll()
        if code is None:
            return events, None
        # The main process ended: its container would stop, so nothing it left behind survives it.
        self._signal(signal.SIGKILL)
        deadline = time.monotonic() + 0.2  # the pipe ends as soon as the killed group is gone
        while not self._eof and time.monotonic() < deadline:
            more = self.read_lines()
            events += more
            if not more and not self._eof:
                time.sleep(0.01)
        self.close()
        self.exit_code = 128 - code if code < 0 else code
        return events, self.exit_code

    def stop(self, grace):
        """SIGTERM now, SIGKILL after ``grace`` seconds (like ECS stopping a task)."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            self.kill_at = time.monotonic() + grace

    def kill(self):
        self._signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(2)
        self.close()

    def close(self):
        with contextlib.suppress(OSError):
            self.process.stdout.close()
        self._eof = True
        self._cleanup_dir()

    def _signal(self, signum):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def _cleanup_dir(self):
        shutil.rmtree(self.workdir, ignore_errors=True)
