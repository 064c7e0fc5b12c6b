"""Controller CPU that ansible spends building each module's AnsiballZ payload, as `make bench` section "payload".

Run by bench/run.py in a child process: `python bench/payload.py REPEAT MODULE...` prints JSON. Each build runs
in a fresh fork of a process that has only resolved the module, as an ansible-playbook worker does, and takes
the steps of ansible-core's build (module_common: find the module_utils the module imports, zip them with the
module); the minimum of REPEAT builds is reported, the least disturbed by other work on the machine. The
baseline is a module that only imports amazon.aws's AnsibleAWSModule: what every amazon.aws-based module pays.
Uses ansible-core internals of the pinned version (requirements.txt).
"""

import datetime
import io
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "amazon.aws AnsibleAWSModule only"
BASELINE_SOURCE = (
    "from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule\n\n\n"
    "def main():\n    AnsibleAWSModule(argument_spec={})\n"
)


def build_cpu_seconds(path, fqn):
    """CPU seconds of one build of the module at ``path`` in a fresh fork, and the payload's size in bytes."""
    from ansible._internal._ansiballz import _builder
    from ansible._internal._datatag._tags import Origin
    from ansible.executor import module_common

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child builds and reports; it never returns
        data = Path(path).read_bytes()
        started = time.process_time()
        payload = io.BytesIO()
        with zipfile.ZipFile(payload, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            now = datetime.datetime.now()
            module_common.recursive_finder(
                fqn.rsplit(".", 1)[-1], fqn, Origin(path=str(path)).tag(data), zf, now, _builder.ExtensionManager()
            )
            module_common._add_module_to_zip(zf, now, fqn, data, str(path), _builder.ExtensionManager())
        os.write(write, json.dumps([time.process_time() - started, len(payload.getvalue())]).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        return json.loads(pipe.read())


def main(argv):
    repeat, names = int(argv[0]), argv[1:]
    os.chdir(ROOT)
    os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    from ansible import constants
    from ansible.executor import module_common
    from ansible.plugins.loader import init_plugin_loader, module_loader

    init_plugin_loader(constants.COLLECTIONS_PATHS)
    with tempfile.TemporaryDirectory() as tmp:
        # The baseline must look like a collection module for ansible to name it.
        baseline = Path(tmp) / "ansible_collections" / "bench" / "baseline" / "plugins" / "modules" / "baseline.py"
        baseline.parent.mkdir(parents=True)
        baseline.write_text(BASELINE_SOURCE)
        modules = {BASELINE: (baseline, "ansible_collections.bench.baseline.plugins.modules.baseline")}
        for name in names:
            path = module_loader.find_plugin_with_context(name).plugin_resolved_path
            modules[name] = (path, module_common._get_ansible_module_fqn(path))
        samples = {name: [] for name in modules}
        for _ in range(repeat):
            for name, (path, fqn) in modules.items():  # interleaved, so that load changes hit all alike
                samples[name].append(build_cpu_seconds(path, fqn))
    print(
        json.dumps(
            {
                name: {"build_cpu_s": round(min(s[0] for s in runs), 4), "payload_bytes": runs[-1][1]}
                for name, runs in samples.items()
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
