"""bench/payload.py measures real AnsiballZ builds: the baseline first, then each module asked for."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_builds_the_baseline_and_each_module():
    modules = ["ondemand.batch.job_queue", "community.aws.batch_job_queue"]
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "payload.py"), "1", *modules],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    builds = json.loads(completed.stdout)
    assert list(builds) == ["amazon.aws AnsibleAWSModule only", *modules]
    baseline = builds["amazon.aws AnsibleAWSModule only"]
    for name in modules:
        assert builds[name]["build_cpu_s"] > 0
        # Each module ships the baseline's module_utils and more (its own code at least).
        assert builds[name]["payload_bytes"] > baseline["payload_bytes"], name
