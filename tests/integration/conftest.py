"""Integration fixtures: one emulator per pytest worker, reset to an empty account per test."""

import pytest

from tests.integration.support.emulator import Emulator, endpoint_from_environment
from tests.integration.support.playbook import run_playbook


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    external = endpoint_from_environment()
    if external is not None:
        yield external
        return
    started = Emulator.start(tmp_path_factory.mktemp("emulator"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def aws(emulator):
    """An empty account with zeroed call statistics."""
    emulator.reset()
    emulator.configure(latency_ms=0, throttle_rate=0.0, error_rate=0.0)
    emulator.reset_stats()
    return emulator


@pytest.fixture
def playbook(aws):
    """``playbook(plays_or_path, **options)`` runs ansible-playbook against the emulator."""

    def run(plays, **options):
        return run_playbook(aws, plays, **options)

    return run
