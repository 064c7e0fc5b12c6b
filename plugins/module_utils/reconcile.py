# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every ``ensure_present`` / ``ensure_absent`` shares: the run's context and the step driver.

Each resource kind writes its reconciliation as a *step generator*: plain code that reads, validates, writes
and, where it must wait for AWS, ``yield``s a ``Poll`` (wait until a resource is VALID, settled or deleted, or
just read it once); the driver sends the resource's fresh Describe entry back. A step that must let time pass
before it tries again (a backoff) yields a ``Pause``. Right before its first write a step yields ``PLANNED``.
The driver runs one step (a per-resource module) or many (a list-form module) the same way: every step up to
``PLANNED`` first, so that every problem of every resource is known before anything is written; then all of
them on, with the waits and pauses of all resources in one polling loop (one Describe call per poll and
resource kind, however many resources settle).
"""

import re
import time

from ansible_collections.ondemand.batch.plugins.module_utils.common import get_caller_identity
from ansible_collections.ondemand.batch.plugins.module_utils.errors import (
    BatchError,
    BatchValidationError,
    BatchWaitTimeout,
)
from ansible_collections.ondemand.batch.plugins.module_utils.validation import Problems, is_arn
from ansible_collections.ondemand.batch.plugins.module_utils.waiters import (
    CONDITIONS,
    STATUS_POLLING,
    backoff_delays,
    status_text,
)


class _Missing:
    """``current=MISSING``: the resource was not read beforehand; ``ensure_*`` reads it itself."""

    def __repr__(self):
        return "MISSING"


MISSING = _Missing()
# Yielded by a step right before its first write: everything it needed to read and check is done.
PLANNED = "planned"

ACCOUNT_RE = re.compile(r"^\d{12}\Z")


class _Shared:
    """What every context of one module run shares: clients, the account, look-up caches and warnings."""

    def __init__(self, clients, warn):
        self.factories = clients
        self.clients = {}
        self.account = None
        self.cache = {}
        self.warnings = []
        self.warn = warn


class Context:
    """One module run: cached clients, check mode, wait settings, warnings, account and partition looked up once.

    ``clients`` is a function ``service -> client`` (``BatchModule.retrying_client``) or a dict of clients (or of
    functions returning one) by service name. ``for_entry()`` gives the context of one entry of a list-form
    module: the same clients, account, caches and warnings, that entry's wait settings, and a report of what
    the entry's reconciliation decided (``action``, ``changed_fields``, ``reason``).
    """

    def __init__(self, clients, region=None, check_mode=False, wait=True, wait_options=None, warn=None, label=None):
        self._shared = clients if isinstance(clients, _Shared) else _Shared(clients, warn)
        self.region = region
        self.check_mode = check_mode
        self.wait = wait
        self.wait_options = dict(wait_options or {})
        self.label = label
        self.report = {}

    @classmethod
    def from_module(cls, module, wait=True, wait_timeout=None, iam_propagation_timeout=None):
        options = {} if wait_timeout is None else {"timeout": wait_timeout}
        if iam_propagation_timeout is not None:
            options["iam_propagation_timeout"] = iam_propagation_timeout
        return cls(module.retrying_client, module.region, module.check_mode, wait, options, warn=module.warn)

    def for_entry(self, label, wait=None, wait_timeout=None, iam_propagation_timeout=None):
        options = dict(self.wait_options)
        if wait_timeout is not None:
            options["timeout"] = wait_timeout
        if iam_propagation_timeout is not None:
            options["iam_propagation_timeout"] = iam_propagation_timeout
        return Context(
            self._shared, self.region, self.check_mode, self.wait if wait is None else wait, options, label=label
        )

    # --- clients ------------------------------------------------------------------------------------------
    def service(self, name):
        shared = self._shared
        if name not in shared.clients:
            factories = shared.factories
            client = factories(name) if callable(factories) else factories[name]
            shared.clients[name] = client() if callable(client) else client
        return shared.clients[name]

    @property
    def batch(self):
        return self.service("batch")

    # --- warnings, caches, the entry's report -----------------------------------------------------------------
    @property
    def warnings(self):
        return self._shared.warnings

    def warn(self, message):
        if self.label:
            message = f"{self.label}: {message}"
        self._shared.warnings.append(message)
        if self._shared.warn is not None:
            self._shared.warn(message)

    def cached(self, key, load):
        """``load()`` once per module run (look-ups several resources share, e.g. the scheduling policy list)."""
        cache = self._shared.cache
        if key not in cache:
            cache[key] = load()
        return cache[key]

    def forget(self, key):
        self._shared.cache.pop(key, None)

    def now(self):
        """The run's clock (``wait_options["clock"]`` in tests), the one waits and pauses are measured with."""
        return self.wait_options.get("clock", time.monotonic)()

    def plan(self, action, fields=(), reason=None):
        """What the reconciliation decided: the action and the option names that differ (list-form results)."""
        self.report = {"action": action, "changed_fields": sorted(set(fields))}
        if reason:
            self.report["reason"] = reason

    # --- account --------------------------------------------------------------------------------------------
    def account(self, hints=()):
        """``(partition, account)``: from an ARN already known (``hints``), else STS GetCallerIdentity, once."""
        for arn in hints:
            if is_arn(arn):
                parts = arn.split(":")
                if len(parts) > 4 and ACCOUNT_RE.match(parts[4]):
                    return parts[1], parts[4]
        shared = self._shared
        if shared.account is None:
            identity = get_caller_identity(self.service("sts"))
            shared.account = (identity["Arn"].split(":")[1], identity["Account"])
        return shared.account

    def arn_prefix(self, service, hints=()):
        """``arn:<partition>:<service>:<region>:<account>`` (the account as ``account()`` finds it)."""
        partition, account = self.account(hints)
        return f"arn:{partition}:{service}:{self.region}:{account}"


# --------------------------------------------------------------------------------------------- polls


class Poll:
    """What a step yields to wait for a resource, or (``until=None``) to read it once; a step may also yield a
    list of polls (all of them at once) and gets the list of entries back.

    ``describe(client, identifiers)`` is the kind's batched Describe wrapper (entries of those that exist) and
    ``arn_key`` the key of an entry's ARN; the driver calls it once per poll for every resource of that kind.
    ``status`` is the transitional status seen, for ``until="settled"``; ``accept_invalid`` (a function of the
    statusReason), for ``until="valid"``, the INVALID answers that end the wait instead of failing it.
    """

    def __init__(self, ctx, describe, arn_key, arn, label, until=None, status=None, accept_invalid=None):
        self.ctx = ctx
        self.describe = describe
        self.arn_key = arn_key
        self.arn = arn
        self.label = label
        self.until = until
        self.timeout = ctx.wait_options.get("timeout", 600)
        if until is None:
            self.is_done, self.description = None, f"{label} to be read"
        elif until == "settled":
            self.is_done, self.description = CONDITIONS[until](label, status)
        elif until == "valid" and accept_invalid is not None:
            self.is_done, self.description = CONDITIONS[until](label, accept_invalid)
        else:
            self.is_done, self.description = CONDITIONS[until](label)


class Pause:
    """What a step yields to go on ``seconds`` later (a backoff before it tries again); it gets None back.

    The driver sleeps for the pauses of every step and the polls of every wait together.
    """

    def __init__(self, seconds):
        self.seconds = max(float(seconds), 0.0)

    def __repr__(self):
        return f"Pause({self.seconds:g})"


class _Driver:
    """Runs step generators; every poll they yield is a *slot* ``(step key, index)`` of that step's request."""

    def __init__(self, ctx, steps, hold):
        self.sleep = ctx.wait_options.get("sleep", time.sleep)
        self.clock = ctx.wait_options.get("clock", time.monotonic)
        self.steps = dict(steps)
        self.hold = hold
        self.results = {}
        self.errors = {}
        self.parked = []
        self.requests = {}  # step key -> {"details": [...], "left": n, "single": bool}
        self.reads = {}  # slot -> poll
        self.waits = {}  # slot -> (poll, deadline)
        self.pauses = {}  # step key -> when it goes on
        self.delays = None
        self.nap = None  # what is left of the sleep before the next poll of the waits

    def advance(self, key, value=None, error=None):
        """Run a step on to its next request (or to ``PLANNED`` while ``hold``), its end or its failure."""
        step = self.steps[key]
        while True:
            try:
                request = step.throw(error) if error is not None else step.send(value)
            except StopIteration as stop:
                self.results[key] = stop.value
                return
            except BatchError as failure:
                self.errors[key] = failure
                return
            error = value = None
            if request is PLANNED:
                if self.hold:
                    self.parked.append(key)
                    return
                continue
            if isinstance(request, Pause):
                self.pauses[key] = self.clock() + request.seconds
                return
            single = isinstance(request, Poll)
            polls = [request] if single else list(request)
            if not polls:
                value = []
                continue
            self.requests[key] = {"details": [None] * len(polls), "left": len(polls), "single": single}
            for index, poll in enumerate(polls):
                if poll.until is None:
                    self.reads[(key, index)] = poll
                else:
                    self.waits[(key, index)] = (poll, self.clock() + poll.timeout)
                    self.delays = self.nap = None  # a resource just started a transition: the next poll comes soon
            return

    def _answer(self, slot, detail=None, error=None):
        key, index = slot
        request = self.requests.get(key)
        if request is None:  # the step already failed on another of its polls
            return
        if error is not None:
            del self.requests[key]
            for pending in (self.reads, self.waits):
                for other in [s for s in pending if s[0] == key]:
                    del pending[other]
            self.advance(key, error=error)
            return
        request["details"][index] = detail
        request["left"] -= 1
        if request["left"] == 0:
            del self.requests[key]
            details = request["details"]
            self.advance(key, value=details[0] if request["single"] else details)

    def _fetch(self, polls):
        """``({slot: detail}, {slot: error})`` for ``{slot: poll}``: one Describe per kind for all of them."""
        groups = {}
        for slot, poll in polls.items():
            groups.setdefault((poll.describe, id(poll.ctx.batch)), []).append(slot)
        found, failed = {}, {}
        for slots in groups.values():
            first = polls[slots[0]]
            arns = list(dict.fromkeys(polls[slot].arn for slot in slots))
            try:
                details = {detail[first.arn_key]: detail for detail in first.describe(first.ctx.batch, arns)}
            except BatchError as error:
                failed.update(dict.fromkeys(slots, error))
                continue
            for slot in slots:
                found[slot] = details.get(polls[slot].arn)
        return found, failed

    def _answer_reads(self):
        reads, self.reads = self.reads, {}
        found, failed = self._fetch(reads)
        for slot in reads:
            self._answer(slot, found.get(slot), failed.get(slot))

    def _poll_waits(self):
        waits = dict(self.waits)
        found, failed = self._fetch({slot: poll for slot, (poll, _deadline) in waits.items()})
        for slot, (poll, deadline) in waits.items():
            if slot not in self.waits:  # dropped: its step failed on another poll meanwhile
                continue
            del self.waits[slot]
            if slot in failed:
                self._answer(slot, error=failed[slot])
                continue
            detail = found[slot]
            try:
                done = poll.is_done(detail)
            except BatchError as error:
                self._answer(slot, error=error)
                continue
            if done:
                self._answer(slot, detail)
            elif self.clock() >= deadline:
                message = (
                    f"Timed out after {poll.timeout}s waiting for {poll.description}; "
                    f"last status: {status_text(detail)}"
                )
                self._answer(slot, error=BatchWaitTimeout(message=message))
            else:
                self.waits[slot] = (poll, deadline)

    def _resume_pauses(self):
        """Let the steps whose pause is over go on; whether any did."""
        now = self.clock()
        due = [key for key, until in self.pauses.items() if until <= now]
        for key in due:
            del self.pauses[key]
            self.advance(key)
        return bool(due)

    def run(self):
        """Serve reads, waits and pauses until every step is parked (while ``hold``), done or failed."""
        while self.reads or self.waits or self.pauses:
            if self.reads:
                self._answer_reads()
                continue
            if self._resume_pauses():
                continue
            nap = None
            if self.waits:
                if self.delays is None:
                    self.delays = backoff_delays(
                        STATUS_POLLING["initial_delay"], STATUS_POLLING["factor"], STATUS_POLLING["max_delay"]
                    )
                if self.nap is None:
                    earliest = min(deadline for _poll, deadline in self.waits.values())
                    self.nap = min(next(self.delays), max(earliest - self.clock(), 0))
                nap = self.nap
            if self.pauses:
                until_resumed = max(min(self.pauses.values()) - self.clock(), 0)
                if nap is None or until_resumed < nap:
                    # A pause ends before the next poll: sleep until then, and the rest of the nap after.
                    self.sleep(until_resumed)
                    if nap is not None:
                        self.nap = nap - until_resumed
                    continue
            self.sleep(nap)
            self.nap = None
            self._poll_waits()

    def release(self):
        """Let the parked steps write: all of them on, together."""
        self.hold = False
        parked, self.parked = self.parked, []
        for key in parked:
            self.advance(key)
        self.run()


def drive(ctx, steps, plan_first=True):
    """Run step generators (``{key: generator}``) to their end. Returns ``(results, errors, planning_errors)``.

    With ``plan_first`` every step runs up to ``PLANNED`` first; when any step failed by then (``planning_errors``),
    nothing is written: the other steps are closed where they stand. Otherwise they all go on together, and a
    step that fails does not stop the others (``errors``).
    """
    driver = _Driver(ctx, steps, hold=plan_first)
    for key in driver.steps:
        driver.advance(key)
    driver.run()
    if plan_first and driver.errors:
        for step in driver.steps.values():
            step.close()
        return driver.results, {}, dict(driver.errors)
    driver.release()
    return driver.results, driver.errors, {}


def run_one(ctx, step):
    """Run one step generator to its end: its return value, or its error raised."""
    results, errors, planning = drive(ctx, {0: step}, plan_first=False)
    for failures in (planning, errors):
        if 0 in failures:
            raise failures[0]
    return results[0]


# --------------------------------------------------------------------------------------------- problems


def prefixed_problems(prefix, error):
    """(field, rule) pairs of a failure of one list entry, each field prefixed (``compute_environments[ce]``)."""
    if isinstance(error, BatchValidationError):
        return [(f"{prefix}.{field}" if field else prefix, rule) for field, rule in error.problems]
    return [(prefix, error.message if getattr(error, "message", None) else str(error))]


# --------------------------------------------------------------------------------------------- modules


class Kind:
    """How the modules of one resource kind run the shared ``ensure_present`` / ``ensure_absent`` steps.

    ``present(ctx, name, entry, current)`` and ``absent(...)`` are the step generators; ``read(ctx, entries)``
    reads every entry at once (``{name: current}``) for the list-form module; ``validate(entry, problems)`` is
    what can be checked of one entry before any AWS call; ``prefetch(ctx, entries, currents)`` looks up, with
    batched calls, what several entries' steps would look up one by one. ``result(entry, before, after)`` is
    the per-resource module's result (its key and shape; ``report`` is what the step noted in its context),
    ``diff(before, after)`` its diff.
    """

    def __init__(
        self,
        result_key,
        list_key,
        present,
        absent,
        read,
        view,
        validate=None,
        prefetch=None,
        result=None,
        diff=None,
    ):
        self.result_key = result_key
        self.list_key = list_key
        self.present = present
        self.absent = absent
        self.read = read
        self.view = view
        self.validate = validate
        self.prefetch = prefetch
        self._result = result
        self._diff = diff

    def result(self, entry, before, after, report=None):
        if self._result is not None:
            return self._result(entry, before, after, report or {})
        return {self.result_key: self.view(after)}

    def diff(self, before, after):
        if self._diff is not None:
            return self._diff(before, after)
        return self.view(before), self.view(after)

    def step(self, ctx, entry, current=MISSING):
        steps = self.present if entry.get("state", "present") == "present" else self.absent
        return steps(ctx, entry["name"], entry, current)


def run_module(module, kind):
    """``main()`` of a per-resource module: one entry (the module's parameters), its result and diff."""
    params = module.params
    ctx = Context.from_module(
        module,
        wait=params.get("wait", True),
        wait_timeout=params.get("wait_timeout"),
        iam_propagation_timeout=params.get("iam_propagation_timeout"),
    )
    try:
        changed, before, after = run_one(ctx, kind.step(ctx, params))
    except BatchError as error:
        module.fail_json_aws_error(error)
    result = {"changed": changed, **kind.result(params, before, after, ctx.report)}
    if module._diff:
        before_view, after_view = kind.diff(before, after)
        result["diff"] = {"before": before_view, "after": after_view}
    module.exit_json(**result)


def _entry_problems(kind, entries):
    """Every problem of every entry that can be found before any AWS call, prefixed with the entry."""
    problems = Problems()
    seen = set()
    for entry in entries:
        prefix = f"{kind.list_key}[{entry['name']}]"
        if entry["name"] in seen:
            problems.add(prefix, "is listed more than once (names are unique within a kind)")
        seen.add(entry["name"])
        if kind.validate is None:
            continue
        found = Problems()
        kind.validate(entry, found)
        for field, rule in found.items:
            problems.add(f"{prefix}.{field}" if field else prefix, rule)
    return problems


def _problem_text(problems):
    return "; ".join(f"{field}: {rule}" for field, rule in problems)


def run_list_module(module, kind):
    """``main()`` of a list-form module: every entry validated, read with batched calls, reconciled together.

    Fails before any AWS call when an entry breaks a rule that needs no AWS, and before any write when one fails
    while planning (every problem of every entry in one message). Once writing, an entry that fails does not
    stop the others; the module then fails naming each, with every entry's result.
    """
    entries = module.params[kind.list_key]
    problems = _entry_problems(kind, entries)
    if problems:
        module.fail_json(msg=_problem_text(problems.items), problems=[list(p) for p in problems.items])
    ctx = Context.from_module(module)
    try:
        currents = kind.read(ctx, entries) if entries else {}
        if kind.prefetch is not None and entries:
            kind.prefetch(ctx, entries, currents)
    except BatchError as error:
        module.fail_json_aws_error(error)

    contexts, steps = {}, {}
    for entry in entries:
        name = entry["name"]
        contexts[name] = ctx.for_entry(
            f"{kind.list_key}[{name}]",
            wait=entry.get("wait"),
            wait_timeout=entry.get("wait_timeout"),
            iam_propagation_timeout=entry.get("iam_propagation_timeout"),
        )
        steps[name] = kind.step(contexts[name], entry, currents.get(name))
    results, errors, planning = drive(ctx, steps)
    if planning:
        found = [p for entry in entries if entry["name"] in planning for p in _failure(kind, entry, planning)]
        module.fail_json(msg=_problem_text(found), problems=[list(p) for p in found], changed=False)

    output, diffs = [], []
    for entry in entries:
        name = entry["name"]
        report = contexts[name].report
        item = {
            "name": name,
            "action": report.get("action", "none"),
            "changed_fields": report.get("changed_fields", []),
        }
        if report.get("reason"):
            item["reason"] = report["reason"]
        if name in errors:
            item.update(changed=item["action"] != "none", failed=True, msg=_problem_text(_failure(kind, entry, errors)))
        else:
            changed, before, after = results[name]
            item["changed"] = changed
            item.update(kind.result(entry, before, after, report))
            before_view, after_view = kind.diff(before, after)
            header = f"{kind.result_key} {name}"
            diffs.append({"before": before_view, "after": after_view, "before_header": header, "after_header": header})
        output.append(item)
    result = {"changed": any(item["changed"] for item in output), kind.list_key: output}
    if errors:
        failed = [p for entry in entries if entry["name"] in errors for p in _failure(kind, entry, errors)]
        module.fail_json(msg=_problem_text(failed), **result)
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


def _failure(kind, entry, errors):
    return prefixed_problems(f"{kind.list_key}[{entry['name']}]", errors[entry["name"]])
