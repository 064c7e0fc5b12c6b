# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Polling with timeout and backoff: botocore ships no waiters for Batch."""

import time

from ansible_collections.ondemand.batch.plugins.module_utils.errors import BatchError, BatchWaitTimeout


def backoff_delays(initial=1.0, factor=1.5, maximum=15.0):
    """Endless sequence of sleep times: initial, initial*factor, initial*factor**2, ... capped at maximum.

    Each delay is rounded to the millisecond, so the sequence is the same on every platform.
    """
    attempt = 0
    while True:
        delay = initial * factor**attempt
        if delay >= maximum:
            break
        yield round(delay, 3)
        attempt += 1
    while True:
        yield maximum


def wait_for(
    fetch,
    is_done,
    description,
    timeout=600,
    status_of=None,
    on_poll=None,
    initial_delay=1.0,
    factor=1.5,
    max_delay=15.0,
    poll_first=True,
    sleep=time.sleep,
    clock=time.monotonic,
):
    """Call ``fetch()`` until ``is_done(result)`` is true; return that result.

    ``is_done`` may raise (for example BatchError when a resource turns INVALID) to stop early.
    ``status_of(result)`` renders the last status for the timeout message, which names
    ``description`` (the resource) so the user knows what was stuck and where.
    ``on_poll(result)`` is called after every fetch (progress reporting).
    Sleeps follow ``backoff_delays(initial_delay, factor, max_delay)``; with ``poll_first=False`` the
    first fetch comes after the first sleep (the caller knows the resource is not done yet, for example
    right after the write that started its transition), which saves a call that could only say "not yet".
    """
    deadline = clock() + timeout
    delays = backoff_delays(initial_delay, factor, max_delay)
    if not poll_first:
        sleep(min(next(delays), max(deadline - clock(), 0)))
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

# How the waiters below poll. They are only called once a resource is known to be in transition (right after
# the write that started it, or after a Describe that showed it), so the first Describe comes after a short
# sleep instead of at once; the sleeps then grow by half each time up to 15 s: 0.2, 0.3, 0.45, 0.675, 1.012,
# 1.519, 2.278, 3.417, 5.126, 7.689, 11.533, 15, 15, ... A half-second transition (the emulator's) is seen
# by the second Describe, 0.5 s after the write; a long one on AWS is seen at most about half its length
# late, as with the earlier 1 s start, for a few more Describe calls (29 instead of 26 over 5 minutes).
STATUS_POLLING = {"initial_delay": 0.2, "factor": 1.5, "max_delay": 15.0, "poll_first": False}


def polling(wait_options):
    """``STATUS_POLLING`` with the caller's ``wait_options`` (timeout; sleep and clock in tests) over it."""
    return {**STATUS_POLLING, **wait_options}


def status_text(detail):
    """``VALID``, ``INVALID (reason)`` or ``gone``: the last status for timeout messages."""
    if detail is None:
        return "gone"
    reason = detail.get("statusReason")
    return f"{detail.get('status')} ({reason})" if reason else detail.get("status")


def _subject(label):
    return label[:1].upper() + label[1:]


def until_valid(label, accept_invalid=None):
    """``(is_done, description)`` of a wait for VALID; INVALID fails at once with AWS's statusReason.

    ``label`` names the resource, e.g. ``compute environment dev-carbon-ce``. With ``accept_invalid`` (a function of
    the statusReason) an INVALID it accepts ends the wait instead, and the caller decides (a retry).
    """

    def is_done(detail):
        if detail is None:
            raise BatchError(message=f"{_subject(label)} disappeared while waiting for it to become VALID")
        if detail.get("status") == "INVALID":
            if accept_invalid is not None and accept_invalid(detail.get("statusReason")):
                return True
            raise BatchError(message=f"{_subject(label)} is INVALID: {detail.get('statusReason') or 'no reason given'}")
        return detail.get("status") == "VALID"

    return is_done, f"{label} to become VALID"


def until_deleted(label):
    return (lambda detail: detail is None or detail.get("status") == "DELETED"), f"{label} to be deleted"


def until_settled(label, status):
    """Out of CREATING/UPDATING (``status`` is the one seen, for the message)."""
    return (lambda d: d is None or d.get("status") not in SETTLING_STATUSES), f"{label} to finish {status}"


# The conditions a status wait can have, by name (what the reconcile driver's polls ask for).
CONDITIONS = {"valid": until_valid, "deleted": until_deleted, "settled": until_settled}


def wait_until_valid(fetch, label, wait_options):
    """Wait until ``fetch()`` reports VALID; INVALID fails at once with AWS's statusReason."""
    is_done, description = until_valid(label)
    return wait_for(fetch, is_done, description, status_of=status_text, **polling(wait_options))


def wait_until_deleted(fetch, label, wait_options):
    is_done, description = until_deleted(label)
    return wait_for(fetch, is_done, description, status_of=status_text, **polling(wait_options))


def wait_until_settled(fetch, detail, label, wait_options):
    """Wait out CREATING/UPDATING (AWS refuses changes meanwhile); returns the fresh entry."""
    if detail.get("status") not in SETTLING_STATUSES:
        return detail
    is_done, description = until_settled(label, detail["status"])
    return wait_for(fetch, is_done, description, status_of=status_text, **polling(wait_options))
