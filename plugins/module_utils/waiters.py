# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Polling with timeout and backoff: botocore ships no waiters for Batch."""

import time

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchWaitTimeout


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


# --- Batch resources with a status lifecycle (compute environments, job queues) ---------------------
# CREATING/UPDATING → VALID or INVALID; DELETING → DELETED, then gone from Describe results.
SETTLING_STATUSES = ("CREATING", "UPDATING")


def status_text(detail):
    """``VALID``, ``INVALID (reason)`` or ``gone``: the last status for timeout messages."""
    if detail is None:
        return "gone"
    reason = detail.get("statusReason")
    return f"{detail.get('status')} ({reason})" if reason else detail.get("status")


def wait_until_valid(fetch, label, wait_options):
    """Wait until ``fetch()`` reports VALID; INVALID fails at once with AWS's statusReason.

    ``label`` names the resource, e.g. ``compute environment dev-carbon-ce``.
    """
    subject = label[:1].upper() + label[1:]

    def is_done(detail):
        if detail is None:
            raise BatchError(message=f"{subject} disappeared while waiting for it to become VALID")
        if detail.get("status") == "INVALID":
            raise BatchError(message=f"{subject} is INVALID: {detail.get('statusReason') or 'no reason given'}")
        return detail.get("status") == "VALID"

    return wait_for(fetch, is_done, f"{label} to become VALID", status_of=status_text, **wait_options)


def wait_until_deleted(fetch, label, wait_options):
    return wait_for(
        fetch,
        lambda detail: detail is None or detail.get("status") == "DELETED",
        f"{label} to be deleted",
        status_of=status_text,
        **wait_options,
    )


def wait_until_settled(fetch, detail, label, wait_options):
    """Wait out CREATING/UPDATING (AWS refuses changes meanwhile); returns the fresh entry."""
    if detail.get("status") not in SETTLING_STATUSES:
        return detail
    return wait_for(
        fetch,
        lambda d: d is None or d.get("status") not in SETTLING_STATUSES,
        f"{label} to finish {detail['status']}",
        status_of=status_text,
        **wait_options,
    )
