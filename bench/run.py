"""`make bench`: measure ondemand.batch against a fresh local emulator and print a table.

Every figure is measured in this run; nothing is hard-coded. The benchmark starts its own emulator on a free
port (stopped at the end), runs ansible-playbook as a user would, and reads the number of API calls from the
emulator's statistics (/_emulator/stats). Results go to stdout (a table) and bench/results.json.

Sections (all on by default; --only/--skip select them):
  overhead     the emulator's own cost per API call, against moto's bare server
  payload      controller CPU to build each side-by-side module's AnsiballZ payload, against a module that only
               imports amazon.aws's AnsibleAWSModule (bench/payload.py)
  side_by_side an EC2 compute environment, a job queue and a job definition with this collection and with
               community.aws: cold deploy, no-change re-run, --check on an empty account (ratios ours/theirs);
               ours with wait: true (the default: returns them VALID) and, for cold deploy and re-run, with
               wait: false (returns while CREATING, as community.aws does)
  scale        no-change re-run of 1, 10 and 50 job definitions: cost per added resource
  stack        the dev stack (inventories/local): cold deploy, re-run, --check on an empty account, destroy,
               at 0 and 50 ms of latency per API call
  mitogen      the stack and side-by-side runs again with the Mitogen strategy (mitogen_linear), the
               side-by-side for both tools, interleaved
  jobs         submit-and-follow of an array job of 1000 children (executor none)

Wall times on a shared machine are noisy: side-by-side rows are repeated (--repeat, median reported) and the
runs of the two tools interleaved.
"""

import argparse
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from bench.analysis import (  # noqa: E402
    OURS,
    OURS_NO_WAIT,
    SIDE_BY_SIDE_RESOURCES,
    SIDE_BY_SIDE_TOOLS,
    THEIRS,
    analyse,
    median_rows,
    paired_comparison,  # noqa: F401 - the verdict tests use it from here
)
from bench.report import report  # noqa: E402
from tests.integration.support.emulator import Emulator, free_port  # noqa: E402
from tests.integration.support.playbook import run_playbook  # noqa: E402

BENCH = ROOT / "bench"
PLAYBOOKS = BENCH / "playbooks"
RESULTS = BENCH / "results.json"
REGION = "eu-west-1"
SECTIONS = ("overhead", "payload", "side_by_side", "scale", "stack", "mitogen", "jobs")


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
        **extra,
    ):
        self.emulator.reset_stats()
        run_env = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable, **(env or {})}
        # Outputs JSON of the deploy playbook go to a scratch directory, not to the checkout.
        extra_vars = {
            "stack_outputs_dir": str(self.workdir / "outputs"),
            "stack_aws_endpoint_url": self.emulator.url,
            **(extra_vars or {}),
        }
        started = time.monotonic()
        usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = run_playbook(
            self.emulator, playbook, extra_vars=extra_vars, check=check, inventory=inventory, env=run_env
        )
        wall = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU of ansible-playbook and every process it started (workers, modules); not the emulator's.
        cpu = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
        stats = self.emulator.stats()
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
            "changed": result.changed,
            "failed": result.failed,
            "rc": result.rc,
            "reads": stats["reads"],
            "writes": stats["writes"],
            "throttled": stats["throttled"],
            "errors": stats["errors"],
            "calls": stats["calls"],
            "resources": resources,
            **extra,
        }
        if result.rc != 0:
            row["error"] = first_failure(result)
            if expect_ok:
                log(f"  !! {scenario}/{phase}/{tool} failed (rc {result.rc}): {row['error']}")
        self.rows.append(row)
        log(
            f"  {section:12} {scenario:18} {phase:8} {tool:25} {strategy:14} {latency_ms:>3}ms "
            f"{wall:7.2f}s tasks={tasks:<3} changed={result.changed:<3} reads={stats['reads']:<4} "
            f"writes={stats['writes']:<4} rc={result.rc}"
        )
        if self.verbose and result.rc != 0:
            print(result.stdout[-4000:], result.stderr[-4000:], file=sys.stderr)
        return row


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


def side_by_side_prerequisites(emulator, prefix):
    """Roles, an instance profile, a subnet and a security group both tools' resources need (not measured)."""
    ec2 = client(emulator, "ec2")
    iam = client(emulator, "iam")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = sorted(
        s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    )
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]["GroupId"]

    def trust(service):
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
            }
        )

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


def register_scale_definitions(emulator, count):
    """The job definitions scale.yml describes, registered directly (the cold run is not what is measured)."""
    batch = emulator.client("batch")
    for i in range(count):
        batch.register_job_definition(
            jobDefinitionName=f"bench_scale_{i}",
            type="container",
            containerProperties={
                "image": "public.ecr.aws/amazonlinux/amazonlinux:latest",
                "command": ["echo", str(i)],
                "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "128"}],
                "environment": [{"name": "INDEX", "value": str(i)}],
            },
        )


def section_scale(bench, counts=(1, 10, 50), strategy="linear", env=None):
    log(f"scale: no-change re-run of {', '.join(map(str, counts))} job definitions ({strategy})")
    bench.emulator.reset()
    register_scale_definitions(bench.emulator, max(counts))
    for count in counts:
        bench.run(
            "scale",
            f"{count} job definitions",
            "rerun",
            PLAYBOOKS / "scale.yml",
            extra_vars={"bench_count": count},
            resources=count,
            strategy=strategy,
            env=env,
        )


def stack_available():
    return (ROOT / "playbooks" / "deploy.yml").exists() and (ROOT / "inventories" / "local").exists()


def stack_runs(bench, section, latency_ms=0, strategy="linear", env=None, phases=("cold", "rerun", "check", "destroy")):
    inventory = ROOT / "inventories" / "local"
    bench.emulator.configure(latency_ms=latency_ms)
    rows = {}
    try:
        bench.emulator.reset()
        common = {"inventory": inventory, "latency_ms": latency_ms, "strategy": strategy, "env": env}
        # Each group of runs writes its outputs JSON to a directory of its own (created by its cold deploy).
        outputs = tempfile.mkdtemp(prefix="outputs-", dir=bench.workdir)
        if "check" in phases:
            rows["check"] = bench.run(
                section,
                "dev stack",
                "check",
                ROOT / "playbooks" / "deploy.yml",
                check=True,
                extra_vars={"stack_outputs_dir": f"{outputs}/check"},
                **common,
            )
        common["extra_vars"] = {"stack_outputs_dir": f"{outputs}/deploy"}
        rows["cold"] = bench.run(section, "dev stack", "cold", ROOT / "playbooks" / "deploy.yml", **common)
        if "rerun" in phases:
            rows["rerun"] = bench.run(section, "dev stack", "rerun", ROOT / "playbooks" / "deploy.yml", **common)
        if "destroy" in phases:
            rows["destroy"] = bench.run(
                section,
                "dev stack",
                "destroy",
                ROOT / "playbooks" / "destroy.yml",
                **{**common, "extra_vars": {**common["extra_vars"], "confirm": True}},
            )
    finally:
        bench.emulator.configure(latency_ms=0)
    return rows


def section_stack(bench):
    log("stack: inventories/local at 0 and 50 ms per API call")
    stack_runs(bench, "stack", latency_ms=0)
    stack_runs(bench, "stack", latency_ms=50)


def section_mitogen(bench, repeat, with_stack):
    env = mitogen_env()
    if env is None:
        return {"available": False, "reason": "mitogen is not installed"}
    log("mitogen: the same runs with strategy mitogen_linear")
    # Both tools: a persistent interpreter removes the per-task start-up both pay, so what is left compares.
    for i in range(repeat):
        for tool in (OURS, THEIRS) if i % 2 == 0 else (THEIRS, OURS):
            side_by_side_once(bench, tool, strategy="mitogen_linear", env=env)
    section_scale(bench, counts=(1, 50), strategy="mitogen_linear", env=env)
    if with_stack:
        stack_runs(bench, "mitogen", strategy="mitogen_linear", env=env)
    return {"available": True, "strategy_plugins": env["ANSIBLE_STRATEGY_PLUGINS"]}


def section_jobs(bench, array_size=1000):
    log(f"jobs: an array job of {array_size} children, submitted and followed (executor none)")
    bench.emulator.reset()
    extra = side_by_side_prerequisites(bench.emulator, "bench")
    bench.run("jobs", "setup", "cold", PLAYBOOKS / "side_by_side_ours.yml", extra_vars=extra)
    bench.emulator.configure(executor="none")
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
        bench.emulator.configure(executor="local")
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


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--skip", nargs="+", choices=SECTIONS, default=[], help="skip these sections")
    parser.add_argument("--repeat", type=int, default=2, help="repetitions of the side-by-side runs (default 2)")
    parser.add_argument("--array-size", type=int, default=1000, help="children of the array job (default 1000)")
    parser.add_argument("--output", default=str(RESULTS), help="JSON results file (default bench/results.json)")
    parser.add_argument("--verbose", action="store_true", help="print the output of failed runs")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sections = [s for s in (args.only or SECTIONS) if s not in args.skip]
    if shutil.which("ansible-playbook") is None:
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    notes = [
        waiting_note(),
        "Wall times include ansible-playbook's own start-up and one module process per task (Mitogen keeps one).",
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
    # SIGTERM (e.g. a CI timeout) stops the emulator too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(emulator, workdir, verbose=args.verbose)
    started = time.monotonic()
    try:
        emulator.configure(latency_ms=0, throttle_rate=0.0, error_rate=0.0, executor="local")
        if "overhead" in sections:
            results["overhead"] = section_overhead(bench, workdir)
        if "payload" in sections:
            results["payload"] = section_payload()
        if "side_by_side" in sections:
            section_side_by_side(bench, args.repeat)
        if "scale" in sections:
            section_scale(bench)
        has_stack = stack_available()
        if not has_stack and ("stack" in sections or "mitogen" in sections):
            results["notes"].append(
                "the dev stack rows are missing: playbooks/deploy.yml or inventories/local does not exist yet"
            )
        if "stack" in sections and has_stack:
            section_stack(bench)
        if "mitogen" in sections:
            results["mitogen"] = section_mitogen(bench, args.repeat, with_stack=has_stack)
        if "jobs" in sections:
            section_jobs(bench, args.array_size)
    finally:
        emulator.stop()
        results["duration_s"] = round(time.monotonic() - started, 1)
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
