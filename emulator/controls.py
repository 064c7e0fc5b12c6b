"""Runtime controls (latency, injected faults, transition delay, executor) and API call statistics."""

import random
import threading
from collections import Counter, defaultdict

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Head", "Lookup")
EXECUTORS = ("local", "none")


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


class Controls:
    """The knobs tests turn: all readable and writable at runtime, thread-safe.

    Fault injection draws from one seeded random generator, one draw per API request, so a run with the
    same seed and the same sequence of requests injects the same faults.
    """

    KEYS = ("latency_ms", "throttle_rate", "error_rate", "seed", "transition_delay", "executor")

    def __init__(
        self, latency_ms=0, throttle_rate=0.0, error_rate=0.0, seed=None, transition_delay=0.5, executor="local"
    ):
        self._lock = threading.Lock()
        self.latency_ms = 0.0
        self.throttle_rate = 0.0
        self.error_rate = 0.0
        self.seed = None
        self.transition_delay = 0.5
        self.executor = "local"
        self._random = random.Random()
        self.update(
            latency_ms=latency_ms,
            throttle_rate=throttle_rate,
            error_rate=error_rate,
            seed=seed,
            transition_delay=transition_delay,
            executor=executor,
        )

    def as_dict(self):
        with self._lock:
            return {
                "latency_ms": self.latency_ms,
                "throttle_rate": self.throttle_rate,
                "error_rate": self.error_rate,
                "seed": self.seed,
                "transition_delay": self.transition_delay,
                "executor": self.executor,
            }

    def update(self, **values):
        unknown = sorted(set(values) - set(self.KEYS))
        if unknown:
            raise ConfigError(f"unknown control(s) {', '.join(unknown)}; known: {', '.join(self.KEYS)}")
        parsed = {}
        if "latency_ms" in values:
            parsed["latency_ms"] = _non_negative("latency_ms", values["latency_ms"])
        if "throttle_rate" in values:
            parsed["throttle_rate"] = _rate("throttle_rate", values["throttle_rate"])
        if "error_rate" in values:
            parsed["error_rate"] = _rate("error_rate", values["error_rate"])
        if "transition_delay" in values:
            parsed["transition_delay"] = _non_negative("transition_delay", values["transition_delay"])
        if "executor" in values:
            if values["executor"] not in EXECUTORS:
                raise ConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {values['executor']!r}")
            parsed["executor"] = values["executor"]
        if "seed" in values:
            seed = values["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                try:
                    seed = int(seed)
                except (TypeError, ValueError):
                    raise ConfigError(f"seed must be an integer or null, got {seed!r}") from None
            parsed["seed"] = seed
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
