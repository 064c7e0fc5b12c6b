"""`make bench`: measure ondemand.batch against fresh local emulators and print a table.

Every figure is measured in this run; nothing is hard-coded. The benchmark starts its own emulators on free ports
(stopped at the end), runs ansible-playbook as a user would, reads the number of API calls from the emulator's
statistics (/_emulator/stats) and counts the module processes ansible starts (bench/stacks.py ProcessCounter).
Results go to stdout (a table) and bench/results.json.

Sections (all on by default; --only/--skip select them):
  overhead     the emulator's own cost per API call, against moto's bare server
  payload      controller CPU to build each side-by-side module's AnsiballZ payload, against a module that only
               imports amazon.aws's AnsibleAWSModule (bench/payload.py)
  side_by_side an EC2 compute environment, a job queue and a job definition with this collection and with
               community.aws: cold deploy, no-change re-run, --check on an empty account (ratios ours/theirs);
               ours with wait: true (the default: returns them VALID) and, for cold deploy and re-run, with
               wait: false (returns while CREATING, as community.aws does)
  scale        no-change re-run of N job definitions (1, 10, 50, 200) and of N schedules (1, 10, 50): the local stack
               with N of them (inventories generated from inventories/local, playbooks/deploy.yml), the list-form
               module in one task (job_definitions, job_schedules) and the single module in a loop (job_definition,
               job_schedule): the cost per added resource
  stack        the local stack (inventories/local): --check on an empty account, then cold deploy and no-change
               re-run at 0 and 50 ms of latency per API call, destroy; with --baseline REF the same cold deploys and
               re-runs of that git ref (a temporary git worktree, its own emulator), interleaved with ours
  iam_role     amazon.aws.iam_role's own cost per role: the iam role's task over 1 and over all the local stack's
               roles, no change (wall, the task's own duration, IAM calls per role)
  mitogen      side-by-side (both tools, interleaved), the modules alone and the local stack again with the
               Mitogen strategy (mitogen_linear)
  jobs         submit-and-follow of an array job of 1000 children (executor none)

Every run counts the module processes ansible starts (an interpreter wrapper set as ansible_python_interpreter).
Wall times on a shared machine are noisy: runs are repeated (--repeat, median reported), the cases compared
interleaved (each repetition starts with the next one), and goals judged on the pairs that ran back to back.
"""

import argparse
import concurrent.futures
import io
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from bench.analysis import (  # noqa: E402
    IAM_ROLE,
    JD_COUNTS,
    LIST,
    LOCAL_STACK,
    LOOP,
    OURS,
    OURS_NO_WAIT,
    SCHEDULE_COUNTS,
    SCHEDULES_LIST,
    SCHEDULES_LOOP,
    SIDE_BY_SIDE_RESOURCES,
    SIDE_BY_SIDE_TOOLS,
    THEIRS,
    analyse,
    median_rows,
    paired_comparison,  # noqa: F401 - the verdict tests use it from here
)
from bench.report import report  # noqa: E402
from bench.stacks import (  # noqa: E402
    Baseline,
    ProcessCounter,
    job_definition_entries,
    register_job_definitions,
    scaled_inventory,
    schedule_entries,
)
from tests.integration.support.emulator import Emulator, free_port  # noqa: E402
from tests.integration.support.playbook import run_playbook  # noqa: E402

BENCH = ROOT / "bench"
PLAYBOOKS = BENCH / "playbooks"
RESULTS = BENCH / "results.json"
REGION = "eu-west-1"
SECTIONS = ("overhead", "payload", "side_by_side", "scale", "stack", "iam_role", "mitogen", "jobs")


# --------------------------------------------------------------------------------------------- helpers
def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def mitogen_env():
    """Environment that selects the Mitogen strategy (None when mitogen is not installed)."""
    try:
        import ansible_mitogen
    except ImportError:
        return None
    strategy_dir = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(strategy_dir), "ANSIBLE_STRATEGY": "mitogen_linear"}


def versions():
    out = {"python": platform.python_version()}
    for dist in ("ansible-core", "ansible", "boto3", "moto", "mitogen"):
        try:
            from importlib.metadata import version

            out[dist] = version(dist)
        except Exception:  # noqa: BLE001 - informational only
            out[dist] = None
    try:
        out["cpus"] = len(os.sched_getaffinity(0))
    except AttributeError:
        out["cpus"] = os.cpu_count()
    out["load_average_at_start"] = os.getloadavg()[0]
    return out


class Bench:
    def __init__(self, emulator, workdir, verbose=False):
        self.emulator = emulator
        self.workdir = Path(workdir)
        self.verbose = verbose
        self.rows = []
        self.processes = ProcessCounter(self.workdir)

    # --- one measured ansible-playbook run -------------------------------------------------------------
    def run(
        self,
        section,
        scenario,
        phase,
        playbook,
        tool="ondemand.batch",
        extra_vars=None,
        check=False,
        inventory=None,
        env=None,
        strategy="linear",
        latency_ms=0,
        resources=None,
        expect_ok=True,
        emulator=None,
        root=ROOT,
        **extra,
    ):
        """One ansible-playbook run, measured: against ``emulator`` (default: the bench's own), from the checkout
        ``root`` (another one is a baseline: its ansible.cfg, collection link and roles)."""
        emulator = emulator or self.emulator
        emulator.reset_stats()
        self.processes.reset()
        run_env = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable, **(env or {})}
        # Outputs JSON of the deploy playbook go to a scratch directory, not to the checkout.
        extra_vars = {
            "stack_outputs_dir": str(self.workdir / "outputs"),
            "stack_aws_endpoint_url": emulator.url,
            **(extra_vars or {}),
            **self.processes.extra_vars(),
        }
        started = time.monotonic()
        usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = run_playbook(
            emulator, playbook, extra_vars=extra_vars, check=check, inventory=inventory, env=run_env, root=root
        )
        wall = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU of ansible-playbook and every process it started (workers, modules); not the emulator's.
        cpu = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
        stats = emulator.stats()
        processes = self.processes.count()
        # Tasks executed: ok (changed included) and failed, per host; a looped task counts once. Skipped apart.
        tasks = result.totals("ok") + result.totals("failures")
        row = {
            "section": section,
            "scenario": scenario,
            "phase": phase,
            "tool": tool,
            "strategy": strategy,
            "latency_ms": latency_ms,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "tasks": tasks,
            "skipped": result.totals("skipped"),
            "processes": processes,
            "changed": result.changed,
            "failed": result.failed,
            "rc": result.rc,
            "reads": stats["reads"],
            "writes": stats["writes"],
            "throttled": stats["throttled"],
            "errors": stats["errors"],
            "calls": stats["calls"],
            "resources": resources,
            "task_durations": task_durations(result),
            **extra,
        }
        if result.rc != 0:
            row["error"] = first_failure(result)
            if expect_ok:
                log(f"  !! {scenario}/{phase}/{tool} failed (rc {result.rc}): {row['error']}")
        self.rows.append(row)
        log(
            f"  {section:12} {scenario:26} {phase:8} {tool:25} {strategy:14} {latency_ms:>3}ms "
            f"{wall:7.2f}s tasks={tasks:<3} processes={processes:<3} changed={result.changed:<3} "
            f"reads={stats['reads']:<4} writes={stats['writes']:<4} rc={result.rc}"
        )
        if self.verbose and result.rc != 0:
            print(result.stdout[-4000:], result.stderr[-4000:], file=sys.stderr)
        return row


def task_durations(result):
    """Seconds each task took, by name (the json callback's start and end; a looped task: all its items). A name
    that occurs twice adds up."""
    out = {}
    for task in result.tasks():
        duration = task["task"].get("duration") or {}
        try:
            start, end = (datetime.fromisoformat(duration[k].replace("Z", "+00:00")) for k in ("start", "end"))
        except (KeyError, ValueError, AttributeError):
            continue
        name = task["task"]["name"]
        out[name] = round(out.get(name, 0) + (end - start).total_seconds(), 3)
    return out


def first_failure(result):
    for task in result.tasks():
        for host in task.get("hosts", {}).values():
            if host.get("failed") and not host.get("ignore_errors"):
                msg = host.get("msg") or ""
                if not msg and host.get("results"):
                    msg = "; ".join(str(r.get("msg", "")) for r in host["results"] if r.get("failed"))
                return f"{task['task']['name']}: {str(msg)[:300]}"
    return (result.stderr or result.stdout or "")[-300:].strip()


# --------------------------------------------------------------------------------------------- prerequisites
def client(emulator, service):
    return emulator.client(service)


def trust(service):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def events_role(emulator, prefix):
    """The role EventBridge assumes to submit the schedules' jobs (not measured)."""
    iam = client(emulator, "iam")
    return iam.create_role(RoleName=f"{prefix}_events", AssumeRolePolicyDocument=trust("events.amazonaws.com"))["Role"][
        "Arn"
    ]


def side_by_side_prerequisites(emulator, prefix):
    """Roles, an instance profile, a subnet and a security group both tools' resources need (not measured)."""
    ec2 = client(emulator, "ec2")
    iam = client(emulator, "iam")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = sorted(
        s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    )
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]["GroupId"]
    service_role = iam.create_role(
        RoleName=f"{prefix}_batch_service", AssumeRolePolicyDocument=trust("batch.amazonaws.com")
    )["Role"]["Arn"]
    iam.create_role(RoleName=f"{prefix}_ecs_instance", AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
    profile = iam.create_instance_profile(InstanceProfileName=f"{prefix}_ecs_instance")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=f"{prefix}_ecs_instance", RoleName=f"{prefix}_ecs_instance")
    return {
        "bench_prefix": prefix,
        "bench_subnets": subnets[:1],
        "bench_security_groups": [group],
        "bench_instance_profile_arn": profile,
        "bench_service_role_arn": service_role,
    }


# --------------------------------------------------------------------------------------------- sections
def captured_requests():
    """Real botocore requests (method, URL, headers, body) of the measured operations, never sent."""
    captured = {}

    def capture(request, **_):
        raise _Captured(request)

    operations = {
        "sts:GetCallerIdentity (query)": ("sts", lambda c: c.get_caller_identity()),
        "batch:DescribeComputeEnvironments (rest-json)": ("batch", lambda c: c.describe_compute_environments()),
        "ec2:DescribeSubnets (ec2)": ("ec2", lambda c: c.describe_subnets()),
        "iam:ListRoles (query)": ("iam", lambda c: c.list_roles(MaxItems=5)),
        "secretsmanager:ListSecrets (json)": ("secretsmanager", lambda c: c.list_secrets()),
    }
    for name, (service, call) in operations.items():
        c = boto3.client(
            service,
            endpoint_url="http://127.0.0.1:1",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        c.meta.events.register("before-send", capture)
        try:
            call(c)
        except _Captured as exc:
            captured[name] = exc.request
    return operations, captured


class _Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def _timed_call(wsgi_app, environ, body):
    """Seconds ``wsgi_app`` takes to answer a copy of ``environ`` with ``body``."""
    environ = dict(environ)
    environ["wsgi.input"] = io.BytesIO(body)
    started = time.perf_counter()
    wsgi_app(environ, lambda *args: None)
    return time.perf_counter() - started


def layer_cost(calls=3000):
    """Microseconds the emulator's WSGI layer adds to a request (identify, count, fault draw), in process."""
    from urllib.parse import urlsplit

    from emulator.app import EmulatorApp
    from emulator.controls import Controls, Stats

    def stub(environ, start_response):
        start_response("200 OK", [])
        return [b""]

    app = EmulatorApp(stub, Controls(), Stats(), lambda: None)
    captured = captured_requests()[1]
    out = {}
    for name, request in captured.items():
        url = urlsplit(request.url)
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        base = {
            "REQUEST_METHOD": request.method,
            "PATH_INFO": url.path or "/",
            "QUERY_STRING": url.query,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": request.headers.get("Content-Type", b"").decode()
            if isinstance(request.headers.get("Content-Type"), bytes)
            else request.headers.get("Content-Type", ""),
        }
        for key, value in request.headers.items():
            value = value.decode() if isinstance(value, bytes) else value
            base["HTTP_" + key.upper().replace("-", "_")] = value

        for _warm_up in range(200):
            _timed_call(app, base, body)
        samples_app, samples_stub = [], []
        for _sample in range(calls):
            samples_app.append(_timed_call(app, base, body))
            samples_stub.append(_timed_call(stub, base, body))
        out[name] = round(1e6 * (statistics.median(samples_app) - statistics.median(samples_stub)), 1)
    identified = app.stats.as_dict()["calls"]
    return out, identified


SIDE_BY_SIDE_MODULES = {
    OURS: ("ondemand.batch.compute_environment", "ondemand.batch.job_queue", "ondemand.batch.job_definition"),
    THEIRS: (
        "community.aws.batch_compute_environment",
        "community.aws.batch_job_queue",
        "community.aws.batch_job_definition",
    ),
}


def section_payload(repeat=15):
    """What each task costs the controller before its module runs: building the AnsiballZ payload."""
    log(f"payload: AnsiballZ build of the side-by-side modules (min of {repeat} builds each)")
    names = [name for modules in SIDE_BY_SIDE_MODULES.values() for name in modules]
    completed = subprocess.run(
        [sys.executable, str(BENCH / "payload.py"), str(repeat), *names],
        capture_output=True,
        text=True,
        check=True,
    )
    builds = json.loads(completed.stdout)
    baseline = builds.pop(next(iter(builds)))  # bench/payload.py reports its baseline first
    rows = [
        {
            "module": name,
            "build_cpu_s": build["build_cpu_s"],
            "over_baseline_s": round(build["build_cpu_s"] - baseline["build_cpu_s"], 4),
            "payload_bytes": build["payload_bytes"],
        }
        for name, build in builds.items()
    ]
    return {"repeat": repeat, "baseline": baseline, "rows": rows}


def section_overhead(bench, workdir, calls=200):
    """The emulator's own cost per API call: in process (its WSGI layer alone) and over HTTP against moto's
    bare server (same operations, calls interleaved so that load changes hit both alike)."""
    log("overhead: the emulator's own cost per API call")
    layer_us, identified = layer_cost()
    port = free_port()
    log_path = Path(workdir) / "moto-server.log"
    with open(log_path, "w") as moto_log:
        moto = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=moto_log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    try:
        bare = Emulator(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or moto.poll() is not None:
                    raise RuntimeError(f"moto server did not start: {log_path.read_text()[-500:]}") from None
                time.sleep(0.2)
        bench.emulator.reset()
        operations = captured_requests()[0]
        targets = {"emulator": bench.emulator, "moto": bare}
        clients = {label: {} for label in targets}
        for label, target in targets.items():
            for name, (service, call) in operations.items():
                clients[label][name] = target.client(service)
                for _warm_up in range(10):  # warm-up: connections, moto's lazily built backends
                    call(clients[label][name])
        results = {label: {} for label in targets}
        for name, (_service, call) in operations.items():
            samples = {label: [] for label in targets}
            for _sample in range(calls):
                for label in targets:
                    t0 = time.perf_counter()
                    call(clients[label][name])
                    samples[label].append(time.perf_counter() - t0)
            for label in targets:
                results[label][name] = round(1000 * statistics.median(samples[label]), 3)
    finally:
        moto.terminate()
        try:
            moto.wait(10)
        except subprocess.TimeoutExpired:
            moto.kill()
    bench.emulator.reset()
    rows = []
    for name in results["emulator"]:
        emu, bare_ms = results["emulator"][name], results["moto"][name]
        rows.append(
            {
                "operation": name,
                "emulator_median_ms": emu,
                "moto_median_ms": bare_ms,
                "overhead_ms": round(emu - bare_ms, 3),
                "layer_us": layer_us.get(name),
            }
        )
        log(f"  {name:48} emulator {emu:.2f} ms  moto {bare_ms:.2f} ms  layer {layer_us.get(name)} us")
    return {"calls_per_operation": calls, "rows": rows, "layer_identified": identified}


def side_by_side_once(bench, tool, strategy="linear", env=None, latency_ms=0):
    """Cold deploy, no-change re-run and --check on an empty account of one tool (``SIDE_BY_SIDE_TOOLS``).

    With wait: false only the cold deploy and the re-run are measured: check mode never waits.
    """
    playbook = PLAYBOOKS / ("side_by_side_theirs.yml" if tool == THEIRS else "side_by_side_ours.yml")
    prefix = "bench"
    rows = []
    phases = ("cold", "rerun") if tool == OURS_NO_WAIT else ("cold", "rerun", "check")
    for phase in phases:
        if phase in ("cold", "check"):
            bench.emulator.reset()
            extra = side_by_side_prerequisites(bench.emulator, prefix)
            if tool == OURS_NO_WAIT:
                extra["bench_wait"] = False
        rows.append(
            bench.run(
                "side_by_side",
                "ce+jq+jd",
                phase,
                playbook,
                tool=tool,
                extra_vars=extra,
                check=phase == "check",
                latency_ms=latency_ms,
                env=env,
                strategy=strategy,
                resources=SIDE_BY_SIDE_RESOURCES,
                expect_ok=tool != THEIRS,
            )
        )
    return rows


def section_side_by_side(bench, repeat, latencies=(0, 50)):
    for latency_ms in latencies:
        log(f"side_by_side: {', '.join(SIDE_BY_SIDE_TOOLS)} at {latency_ms} ms ({repeat} interleaved repetitions)")
        bench.emulator.configure(latency_ms=latency_ms)
        try:
            for i in range(repeat):
                # Each repetition starts with the next tool, so that a load change hits all of them alike.
                shift = i % len(SIDE_BY_SIDE_TOOLS)
                for tool in SIDE_BY_SIDE_TOOLS[shift:] + SIDE_BY_SIDE_TOOLS[:shift]:
                    side_by_side_once(bench, tool, latency_ms=latency_ms)
        finally:
            bench.emulator.configure(latency_ms=0)


def rotated(items, shift):
    """``items`` starting at ``shift`` (mod len): each repetition starts with the next case, so that a load change
    on this shared machine hits every case alike."""
    items = list(items)
    shift %= len(items)
    return items[shift:] + items[:shift]


# --- scale ------------------------------------------------------------------------------------------------------
# The modules alone: (family, playbook, extra variable, kind of resource).
MODULE_ALONE = {
    LIST: ("scale_list.yml", "bench_job_definitions", "job_definitions"),
    LOOP: ("scale_loop.yml", "bench_job_definitions", "job_definitions"),
    SCHEDULES_LIST: ("scale_schedules_list.yml", "bench_schedules", "schedules"),
    SCHEDULES_LOOP: ("scale_schedules_loop.yml", "bench_schedules", "schedules"),
}


def module_alone_cases(jd_counts=JD_COUNTS, schedule_counts=SCHEDULE_COUNTS, loops=True):
    """(family, N) of the module-alone scenarios: the list module in one task and, with ``loops``, the per-resource
    module in a loop, for job definitions and for schedules."""
    cases = [(LIST, n) for n in jd_counts] + [(SCHEDULES_LIST, n) for n in schedule_counts]
    if loops:
        cases += [(LOOP, n) for n in jd_counts] + [(SCHEDULES_LOOP, n) for n in schedule_counts]
    return cases


class ModulesAlone:
    """The emulator state the module-alone runs re-run against: ``job_definitions`` definitions registered with
    boto3, and ``schedules`` schedules (EventBridge rules) submitting to a queue and a job definition of their own
    (side_by_side_ours.yml makes those; the list module makes the schedules). Nothing of it is measured."""

    def __init__(self, bench, job_definitions, schedules):
        self.bench = bench
        emulator = bench.emulator
        emulator.reset()
        register_job_definitions(emulator.client("batch"), job_definition_entries(job_definitions))
        extra = side_by_side_prerequisites(emulator, "bench")
        setup = run_playbook(emulator, PLAYBOOKS / "side_by_side_ours.yml", extra_vars=extra)
        if setup.rc != 0:
            raise RuntimeError(f"the schedules' queue and job definition: {first_failure(setup)}")
        self.role_arn = events_role(emulator, "bench")
        setup = run_playbook(
            emulator,
            PLAYBOOKS / "scale_schedules_list.yml",
            extra_vars={"bench_schedules": self.schedules(schedules)},
        )
        if setup.rc != 0:
            raise RuntimeError(f"the set-up of {schedules} schedules: {first_failure(setup)}")

    def schedules(self, count):
        return schedule_entries(count, self.role_arn, job_queue="bench_jq", job_definition="bench_jd")

    def run(self, family, count, strategy="linear", env=None, section="scale"):
        playbook, variable, kind = MODULE_ALONE[family]
        entries = job_definition_entries(count) if kind == "job_definitions" else self.schedules(count)
        return self.bench.run(
            section,
            f"{count} {kind.replace('_', ' ')}",
            "rerun",
            PLAYBOOKS / playbook,
            tool=family,
            extra_vars={variable: entries},
            strategy=strategy,
            env=env,
            family=family,
            resources=count,
            **{"job_definitions": 0, "schedules": 0, kind: count},
        )


def section_modules_alone(bench, repeat, jd_counts=JD_COUNTS, schedule_counts=SCHEDULE_COUNTS, loop_repeat=1):
    """No-change re-run of N job definitions and of N schedules with the modules alone, in one playbook task: the
    list module (ondemand.batch.job_definitions / job_schedules, every entry in one module run) beside the
    per-resource module in a loop (one module run per item: what the roles did before the list forms). The loops
    run ``loop_repeat`` times only: at more than half a second per item they are far from what they are compared
    with, and 200 items take minutes."""
    log(
        f"scale: modules alone, no-change re-run of {', '.join(map(str, jd_counts))} job definitions and "
        f"{', '.join(map(str, schedule_counts))} schedules, list form in one task ({repeat} repetitions) and "
        f"single module in a loop ({loop_repeat})"
    )
    state = ModulesAlone(bench, max(jd_counts), max(schedule_counts))
    for i in range(repeat):
        cases = module_alone_cases(jd_counts, schedule_counts, loops=i < loop_repeat)
        for family, count in rotated(cases, i):
            state.run(family, count)
    return state


class ScaledStack:
    """A copy of inventories/local with N job definitions and M schedules, deployed on an emulator of its own (the
    plan reads every job definition of the account: stacks of several sizes must not share one)."""

    def __init__(self, bench, job_definitions, schedules):
        self.job_definitions, self.schedules = job_definitions, schedules
        self.name = f"stack {job_definitions} JD, {schedules} sched"
        self.dir = Path(tempfile.mkdtemp(prefix=f"stack-{job_definitions}-{schedules}-", dir=bench.workdir))
        self.inventory = scaled_inventory(self.dir / "inventory", job_definitions, schedules)
        self.emulator = Emulator.start(self.dir)
        self.extra_vars = {"stack_outputs_dir": str(self.dir / "outputs")}

    def deploy(self, bench, phase, strategy="linear", env=None, section="scale", latency_ms=0):
        return bench.run(
            section,
            self.name,
            phase,
            ROOT / "playbooks" / "deploy.yml",
            inventory=self.inventory,
            extra_vars=self.extra_vars,
            emulator=self.emulator,
            strategy=strategy,
            env=env,
            latency_ms=latency_ms,
            family="stack",
            resources=self.job_definitions + self.schedules,
            job_definitions=self.job_definitions,
            schedules=self.schedules,
        )

    def stop(self):
        self.emulator.stop()


def scaled_stack_sizes(jd_counts=JD_COUNTS, schedule_counts=SCHEDULE_COUNTS):
    """(job definitions, schedules): N job definitions with the local stack's one schedule, and N schedules with its
    one job definition; (1, 1) is the local stack itself and belongs to both."""
    sizes = [(n, 1) for n in jd_counts] + [(1, n) for n in schedule_counts]
    return list(dict.fromkeys(sizes))


def section_scaled_stacks(bench, repeat, jd_counts=JD_COUNTS, schedule_counts=SCHEDULE_COUNTS):
    """No-change re-run of the local stack with N job definitions and with N schedules, as users meet them: an
    inventory generated from inventories/local, deployed with playbooks/deploy.yml. Each stack is deployed first
    (with Mitogen, two at a time, not measured), then the re-runs are measured, interleaved across the stacks,
    ``repeat`` times."""
    sizes = scaled_stack_sizes(jd_counts, schedule_counts)
    log(f"scale: the local stack with N job definitions / N schedules: {sizes} ({repeat} interleaved repetitions)")
    stacks = []

    def set_up(stack):
        started = time.monotonic()
        setup = run_playbook(
            stack.emulator,
            ROOT / "playbooks" / "deploy.yml",
            inventory=stack.inventory,
            extra_vars={**stack.extra_vars, "stack_aws_endpoint_url": stack.emulator.url},
            env=mitogen_env() or {},
        )
        log(f"  set-up: cold deploy of {stack.name} in {time.monotonic() - started:.1f}s (rc {setup.rc})")
        if setup.rc != 0:
            raise RuntimeError(f"the set-up deploy of {stack.name} failed: {first_failure(setup)}")

    try:
        for job_definitions, schedules in sizes:
            stacks.append(ScaledStack(bench, job_definitions, schedules))
        # Two at a time (nothing is measured yet): the set-up takes half as long.
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(set_up, stacks))  # a failed set-up raises here
        for i in range(repeat):
            for stack in rotated(stacks, i):
                stack.deploy(bench, "rerun")
    finally:
        for stack in stacks:
            stack.stop()


def section_scale(bench, repeat, jd_counts=JD_COUNTS, schedule_counts=SCHEDULE_COUNTS):
    section_modules_alone(bench, repeat, jd_counts, schedule_counts)
    if stack_available():
        section_scaled_stacks(bench, repeat, jd_counts, schedule_counts)


# --- the local stack, and the baseline ---------------------------------------------------------------------------
def stack_available(root=ROOT):
    return (root / "playbooks" / "deploy.yml").exists() and (root / "inventories" / "local").exists()


class StackTarget:
    """The local stack of one checkout (ours or a baseline's), on an emulator of its own."""

    def __init__(self, bench, tool, root, emulator):
        self.tool, self.root, self.emulator = tool, Path(root), emulator
        self.outputs = Path(tempfile.mkdtemp(prefix="outputs-", dir=bench.workdir))

    def run(self, bench, phase, latency_ms, section="stack", strategy="linear", env=None, check=False):
        playbook = self.root / "playbooks" / ("destroy.yml" if phase == "destroy" else "deploy.yml")
        extra_vars = {"stack_outputs_dir": str(self.outputs)}
        if phase == "destroy":
            extra_vars["confirm"] = True
        return bench.run(
            section,
            LOCAL_STACK,
            phase,
            playbook,
            tool=self.tool,
            inventory=self.root / "inventories" / "local",
            extra_vars=extra_vars,
            check=check,
            emulator=self.emulator,
            root=self.root,
            latency_ms=latency_ms,
            strategy=strategy,
            env=env,
        )


def set_latency(targets, latency_ms):
    for target in targets:
        target.emulator.configure(latency_ms=latency_ms)


def section_stack(bench, repeat, baseline=None, latencies=(0, 50)):
    """inventories/local with playbooks/deploy.yml: --check on an empty account (first latency), then at every
    latency ``repeat`` times a cold deploy on an emptied emulator followed by its no-change re-run, then destroy
    (first latency). With a baseline, its own deploy.yml on its own emulator beside ours, interleaved: each
    repetition starts with the next checkout, so that repetition i of both ran back to back."""
    ours = StackTarget(bench, OURS, ROOT, bench.emulator)
    targets = [ours]
    baseline_emulator = None
    if baseline is not None:
        baseline_emulator = baseline.start_emulator(Emulator, bench.workdir, free_port())
        targets.append(StackTarget(bench, baseline.label, baseline.root, baseline_emulator))
    log(
        f"stack: inventories/local, {', '.join(t.tool for t in targets)}: cold deploy and re-run at "
        f"{' and '.join(f'{ms} ms' for ms in latencies)} ({repeat} interleaved repetitions)"
    )
    try:
        set_latency(targets, latencies[0])
        ours.emulator.reset()
        ours.run(bench, "check", latencies[0], check=True)
        for latency_ms in latencies:
            set_latency(targets, latency_ms)
            for i in range(repeat):
                for target in rotated(targets, i):
                    target.emulator.reset()
                    target.run(bench, "cold", latency_ms)
                    target.run(bench, "rerun", latency_ms)
        set_latency(targets, latencies[0])
        ours.run(bench, "destroy", latencies[0])
    finally:
        set_latency([ours], 0)
        if baseline_emulator is not None:
            baseline_emulator.stop()


# --- amazon.aws iam_role ----------------------------------------------------------------------------------------
IAM_ROLE_TASK = "Ensure the stack's IAM roles"  # bench/playbooks/iam_role.yml, as roles/iam/tasks/present.yml


def section_iam_role(bench, repeat):
    """What amazon.aws.iam_role itself costs per role: the iam role's task (bench/playbooks/iam_role.yml) over the
    first role and over every role of the deployed local stack's plan, a no-change re-run, ``repeat`` times
    interleaved. The cold deploy and the plan that lists the roles are set-up, not measured."""
    bench.emulator.reset()
    inventory = ROOT / "inventories" / "local"
    endpoint = {"stack_aws_endpoint_url": bench.emulator.url, "stack_outputs_dir": str(bench.workdir / "outputs")}
    setup = run_playbook(bench.emulator, ROOT / "playbooks" / "deploy.yml", inventory=inventory, extra_vars=endpoint)
    if setup.rc != 0:
        raise RuntimeError(f"the set-up deploy for iam_role failed: {first_failure(setup)}")
    plan = run_playbook(bench.emulator, PLAYBOOKS / "stack_roles.yml", inventory=inventory, extra_vars=endpoint)
    if plan.rc != 0:
        raise RuntimeError(f"the stack's roles: {first_failure(plan)}")
    roles = plan.task("The roles")["stack_plan.iam.roles"]
    counts = sorted({1, len(roles)})
    log(f"iam_role: amazon.aws.iam_role, no-change re-run of {' and '.join(map(str, counts))} of the stack's roles")
    for i in range(repeat):
        for count in rotated(counts, i):
            row = bench.run(
                "iam_role",
                f"{count} roles",
                "rerun",
                PLAYBOOKS / "iam_role.yml",
                tool=IAM_ROLE,
                inventory=inventory,
                extra_vars={"bench_roles": roles[:count]},
                resources=count,
                roles=count,
            )
            row["task_s"] = row["task_durations"].get(IAM_ROLE_TASK)
    return {"roles": [r["name"] for r in roles]}


# --- mitogen -----------------------------------------------------------------------------------------------------
def section_mitogen(bench, repeat, jd_counts=JD_COUNTS, schedule_counts=SCHEDULE_COUNTS):
    """The side-by-side (both tools, interleaved, ``repeat`` times), the modules alone at the smallest and largest N,
    and the local stack's cold deploy and re-run, with the Mitogen strategy: each row sits beside its linear row."""
    env = mitogen_env()
    if env is None:
        return {"available": False, "reason": "mitogen is not installed"}
    log("mitogen: the same runs with strategy mitogen_linear")
    # Both tools: a persistent interpreter removes the per-task start-up both pay, so what is left compares.
    for i in range(repeat):
        for tool in (OURS, THEIRS) if i % 2 == 0 else (THEIRS, OURS):
            side_by_side_once(bench, tool, strategy="mitogen_linear", env=env)
    jd_ends = sorted({min(jd_counts), max(jd_counts)})
    schedule_ends = sorted({min(schedule_counts), max(schedule_counts)})
    state = ModulesAlone(bench, max(jd_counts), max(schedule_counts))
    for family, count in module_alone_cases(jd_ends, schedule_ends):
        state.run(family, count, strategy="mitogen_linear", env=env, section="mitogen")
    if stack_available():
        bench.emulator.reset()
        ours = StackTarget(bench, OURS, ROOT, bench.emulator)
        for phase in ("cold", "rerun"):
            ours.run(bench, phase, 0, section="mitogen", strategy="mitogen_linear", env=env)
    return {"available": True, "strategy_plugins": env["ANSIBLE_STRATEGY_PLUGINS"]}


# --- jobs --------------------------------------------------------------------------------------------------------
def section_jobs(bench, array_size=1000):
    log(f"jobs: an array job of {array_size} children, submitted and followed (executor none)")
    bench.emulator.reset()
    extra = side_by_side_prerequisites(bench.emulator, "bench")
    bench.run("jobs", "setup", "cold", PLAYBOOKS / "side_by_side_ours.yml", extra_vars=extra)
    # Every child at once: the emulator would otherwise run them 16 vCPUs at a time, as the environment allows.
    bench.emulator.configure(executor="none", capacity="unlimited")
    try:
        bench.run(
            "jobs",
            f"array of {array_size}",
            "submit",
            ROOT / "playbooks" / "submit-job.yml",
            extra_vars={
                "job_definition": "bench_jd",
                "job_queue": "bench_jq",
                "stack_region": REGION,
                "job_array_size": array_size,
                "job_name": "bench-array",
            },
            resources=array_size,
        )
    finally:
        bench.emulator.configure(executor="local", capacity="enforce")
    bench.rows = [r for r in bench.rows if not (r["section"] == "jobs" and r["scenario"] == "setup")]


# --------------------------------------------------------------------------------------------- main
def waiting_note():
    """How our modules wait, read from the collection itself (module_utils/waiters.py)."""
    sys.path.insert(0, str(ROOT / ".collections"))
    try:
        from ansible_collections.ondemand.batch.plugins.module_utils.waiters import STATUS_POLLING, backoff_delays
    except ImportError:
        polls = "polling with backoff"
    else:
        delays = backoff_delays(STATUS_POLLING["initial_delay"], STATUS_POLLING["factor"], STATUS_POLLING["max_delay"])
        first = [next(delays) for _ in range(4)]
        if STATUS_POLLING["poll_first"]:
            first_poll, then = "a Describe at once", first
        else:
            first_poll, then = f"the first Describe {first[0]} s after the write", first[1:]
        polls = (
            f"{first_poll}, the next ones {', '.join(f'{d} s' for d in then)}, ... later "
            f"(x{STATUS_POLLING['factor']}, at most {STATUS_POLLING['max_delay']} s)"
        )
    finally:
        sys.path.remove(str(ROOT / ".collections"))
    return (
        "ondemand.batch with wait: true (the default) returns a new compute environment or job queue once it is "
        f"VALID, as AWS needs before the next step uses it ({polls}); with wait: false, like community.aws, it "
        "returns while still CREATING."
    )


def reanalysed(results):
    """``results`` (a results file) with its medians and analysis made again from its measured runs."""
    rows = median_rows(results["raw_rows"])
    return {**results, "rows": rows, "analysis": analyse(rows)}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--skip", nargs="+", choices=SECTIONS, default=[], help="skip these sections")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="repetitions of every compared run, interleaved: side by side, re-runs, the local stack (default 3)",
    )
    parser.add_argument(
        "--job-definitions",
        type=int,
        nargs="+",
        default=list(JD_COUNTS),
        metavar="N",
        help=f"the numbers of job definitions of the scale section (default {' '.join(map(str, JD_COUNTS))})",
    )
    parser.add_argument(
        "--schedules",
        type=int,
        nargs="+",
        default=list(SCHEDULE_COUNTS),
        metavar="N",
        help=f"the numbers of schedules of the scale section (default {' '.join(map(str, SCHEDULE_COUNTS))})",
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also run the local stack of this git ref (a temporary worktree, its own emulator), e.g. 76dd47e",
    )
    parser.add_argument("--array-size", type=int, default=1000, help="children of the array job (default 1000)")
    parser.add_argument("--output", default=str(RESULTS), help="JSON results file (default bench/results.json)")
    parser.add_argument("--verbose", action="store_true", help="print the output of failed runs")
    parser.add_argument(
        "--report",
        metavar="RESULTS",
        help="run nothing: analyse the measured runs of a results file (e.g. bench/results.json) again and print them",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.report:
        print(report(reanalysed(json.loads(Path(args.report).read_text()))))
        return 0
    sections = [s for s in (args.only or SECTIONS) if s not in args.skip]
    if shutil.which("ansible-playbook") is None:
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    notes = [
        waiting_note(),
        "Wall times include ansible-playbook's own start-up and every module process it starts (counted: the "
        "'processes' column; action plugins such as stack_plan run inside ansible-playbook; Mitogen starts one "
        "interpreter and runs modules in it).",
    ]
    results = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "versions": versions(),
        "sections": sections,
        "notes": notes,
    }
    workdir = Path(tempfile.mkdtemp(prefix="ondemand-bench-"))
    log(f"starting a fresh emulator (log in {workdir})")
    emulator = Emulator.start(workdir)
    # SIGTERM (e.g. a CI timeout) stops the emulators and removes the baseline's worktree too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(emulator, workdir, verbose=args.verbose)
    baseline = None
    started = time.monotonic()
    try:
        emulator.configure(latency_ms=0, throttle_rate=0.0, error_rate=0.0, executor="local")
        if args.baseline and "stack" in sections:
            try:
                baseline = Baseline(args.baseline, workdir).__enter__()
            except subprocess.CalledProcessError as exc:
                raise SystemExit(
                    f"bench: cannot check out the baseline {args.baseline}: {exc.stderr.strip()}"
                ) from None
            log(f"baseline: {baseline.ref} = {baseline.commit[:10]} ({baseline.subject}) in {baseline.root}")
            results["baseline"] = {"ref": baseline.ref, "commit": baseline.commit, "subject": baseline.subject}
            if not stack_available(baseline.root):
                results["notes"].append(f"the baseline {baseline.ref} has no playbooks/deploy.yml and local inventory")
                baseline.remove()
                baseline = None
        elif not args.baseline and "stack" in sections:
            results["notes"].append("no baseline: `make bench BASELINE=<ref>` compares the local stack with a git ref")
        if "overhead" in sections:
            results["overhead"] = section_overhead(bench, workdir)
        if "payload" in sections:
            results["payload"] = section_payload()
        if "side_by_side" in sections:
            section_side_by_side(bench, args.repeat)
        sizes = {"jd_counts": sorted(set(args.job_definitions)), "schedule_counts": sorted(set(args.schedules))}
        if "scale" in sections:
            section_scale(bench, args.repeat, **sizes)
        has_stack = stack_available()
        if not has_stack and ("stack" in sections or "scale" in sections or "mitogen" in sections):
            results["notes"].append(
                "the stack rows are missing: playbooks/deploy.yml or inventories/local does not exist yet"
            )
        if "stack" in sections and has_stack:
            section_stack(bench, args.repeat, baseline=baseline)
        if "iam_role" in sections and has_stack:
            results["iam_role"] = section_iam_role(bench, args.repeat)
        if "mitogen" in sections:
            results["mitogen"] = section_mitogen(bench, args.repeat, **sizes)
        if "jobs" in sections:
            section_jobs(bench, args.array_size)
    finally:
        emulator.stop()
        if baseline is not None:
            baseline.remove()
        results["duration_s"] = round(time.monotonic() - started, 1)
        results["versions"]["load_average_at_end"] = os.getloadavg()[0]
        results["raw_rows"] = bench.rows
        results["rows"] = median_rows(bench.rows)
        results["analysis"] = analyse(results["rows"])
        Path(args.output).write_text(json.dumps(results, indent=2, default=str) + "\n")
        shutil.rmtree(workdir, ignore_errors=True)
    print(report(results))
    print(
        f"\n{len(bench.rows)} measured runs in {results['duration_s']:.0f}s; JSON in "
        f"{os.path.relpath(args.output, Path.cwd())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
