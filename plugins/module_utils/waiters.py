# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Polling with timeout and backoff: botocore ships no waiters for Batch."""

import time

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchWaitTimeout


def backoff_delays(initial=1.0, factor=1.5, maximum=15.0):
    """Endless sequence of sleep times: initial, initial*factor, ... capped at maximum."""
    delay = initial
    while True:
        yield delay
        delay = min(delay * factor, maximum)


def wait_for(
    fetch,
    is_done,
    description,
    timeout=600,
    status_of=None,
    on_poll=None,
    initial_delay=1.0,
    max_delay=15.0,
    sleep=time.sleep,
    clock=time.monotonic,
):
    """Call ``fetch()`` until ``is_done(result)`` is true; return that result.

    ``is_done`` may raise (for example BatchError when a resource turns INVALID) to stop early.
    ``status_of(result)`` renders the last status for the timeout message, which names
    ``description`` (the resource) so the user knows what was stuck and where.
    ``on_poll(result)`` is called after every fetch (progress reporting).
    """
    deadline = clock() + timeout
    delays = backoff_delays(initial_delay, maximum=max_delay)
    while True:
        result = fetch()
        if on_poll is not None:
            on_poll(result)
        if is_done(result):
            return result
        remaining = deadline - clock()
        if remaining <= 0:
            last = status_of(result) if status_of is not None else result
            raise BatchWaitTimeout(message=f"Timed out after {timeout}s waiting for {description}; last status: {last}")
        sleep(min(next(delays), remaining))
