"""Unit tests import the collection as ansible_collections.ondemand.batch (via .collections, see pyproject)."""

import pytest


@pytest.fixture
def fake_clock():
    """A clock and sleep pair that advance together, so waiter tests take no real time."""

    class FakeClock:
        def __init__(self):
            self.now = 0.0
            self.sleeps = []

        def __call__(self):
            return self.now

        def sleep(self, seconds):
            self.sleeps.append(seconds)
            self.now += seconds

    return FakeClock()
