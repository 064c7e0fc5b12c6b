"""Runtime controls (latency, injected faults, transition delay, executor, Batch placement) and API call statistics."""

import copy
import random
import threading
from collections import Counter, defaultdict

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Head", "Lookup")
EXECUTORS = ("local", "none")
CAPACITY_MODES = ("enforce", "unlimited")


def is_read(operation):
    return operation.startswith(READ_PREFIXES)


class ConfigError(ValueError):
    """A control value that cannot be applied."""


def _rate(name, value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number between 0 and 1, got {value!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be between 0 and 1, got {value}")
    return value


def _non_negative(name, value):
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a number >= 0, got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number >= 0, got {value!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be >= 0, got {value}")
    return int(value) if value.is_integer() else value


def _positive(name, value):
    value = _non_negative(name, value)
    if value == 0:
        raise ConfigError(f"{name} must be > 0, got {value}")
    return value


def _choice(name, choices):
    def parse(_name, value):
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    return parse


def _names(name, value):
    """A list of names, or one comma-separated string of them (the command line's form)."""
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"{name} must be a list of names, got {value!r}")
    return sorted(set(value))


def _seed(_name, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise ConfigError(f"seed must be an integer or null, got {seed!r}") from None
    return seed


class Controls:
    """The knobs tests turn: all readable and writable at runtime, thread-safe.

    Fault injection draws from one seeded random generator, one draw per API request, so a run with the
    same seed and the same sequence of requests injects the same faults.
    """

    # key: (default, parser); the command line has a --key-with-dashes flag for each (emulator.__main__).
    SPEC = {
        "latency_ms": (0, _non_negative),
        "throttle_rate": (0.0, _rate),
        "error_rate": (0.0, _rate),
        "seed": (None, _seed),
        "transition_delay": (0.5, _non_negative),
        "executor": ("local", _choice("executor", EXECUTORS)),
        "capacity": ("enforce", _choice("capacity", CAPACITY_MODES)),
        "time_limit_scale": (1, _positive),
        "insufficient_capacity": ([], _names),
        "iam_propagation_delay": (0, _non_negative),
    }
    KEYS = tuple(SPEC)

    def __init__(self, **values):
        self._lock = threading.Lock()
        for key, (default, _parse) in self.SPEC.items():
            setattr(self, key, copy.copy(default))
        self._random = random.Random()
        self.update(**{**{key: default for key, (default, _parse) in self.SPEC.items()}, **values})

    def as_dict(self):
        with self._lock:
            return {key: copy.copy(getattr(self, key)) for key in self.KEYS}

    def update(self, **values):
        unknown = sorted(set(values) - set(self.KEYS))
        if unknown:
            raise ConfigError(f"unknown control(s) {', '.join(unknown)}; known: {', '.join(self.KEYS)}")
        parsed = {key: self.SPEC[key][1](key, value) for key, value in values.items()}
        throttle = parsed.get("throttle_rate", self.throttle_rate)
        error = parsed.get("error_rate", self.error_rate)
        if throttle + error > 1.0:
            raise ConfigError(f"throttle_rate + error_rate must not exceed 1, got {throttle} + {error}")
        with self._lock:
            for key, value in parsed.items():
                setattr(self, key, value)
            if "seed" in parsed:
                self._random = random.Random(parsed["seed"])
        return self.as_dict()

    def draw_fault(self):
        """None, "throttle" or "error" for one API request; "error" comes with the status to answer."""
        with self._lock:
            if not self.throttle_rate and not self.error_rate:
                return None, None
            draw = self._random.random()
            if draw < self.throttle_rate:
                return "throttle", None
            if draw < self.throttle_rate + self.error_rate:
                return "error", self._random.choice((500, 503))
            return None, None


class Stats:
    """API calls received, by service and operation (control endpoints are never counted)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._calls = Counter()
            self._by_service = defaultdict(lambda: {"reads": 0, "writes": 0})
            self._reads = 0
            self._writes = 0
            self._throttled = 0
            self._errors = 0

    def count(self, service, operation):
        read = is_read(operation)
        with self._lock:
            self._calls[f"{service}:{operation}"] += 1
            self._by_service[service]["reads" if read else "writes"] += 1
            if read:
                self._reads += 1
            else:
                self._writes += 1

    def count_fault(self, kind):
        with self._lock:
            if kind == "throttle":
                self._throttled += 1
            else:
                self._errors += 1

    def as_dict(self):
        with self._lock:
            return {
                "reads": self._reads,
                "writes": self._writes,
                "throttled": self._throttled,
                "errors": self._errors,
                "calls": dict(sorted(self._calls.items())),
                "by_service": {name: dict(counts) for name, counts in sorted(self._by_service.items())},
            }
