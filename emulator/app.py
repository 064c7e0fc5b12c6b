"""The WSGI application: /_emulator controls, call statistics and fault injection in front of moto's server."""

import io
import json
import logging
import threading
import time

from emulator import partitions, protocols
from emulator.controls import ConfigError

LOG = logging.getLogger("emulator")

# One lock for every change to emulated state: API requests dispatched into moto and the job scheduler.
# moto's backends are not thread-safe; serialising the (short) handlers keeps them consistent.
STATE_LOCK = threading.RLock()


class EmulatorApp:
    """Counts and optionally delays, throttles or fails AWS API requests, then hands them to moto."""

    def __init__(self, moto_app, controls, stats, reset_state):
        self.moto_app = moto_app
        self.controls = controls
        self.stats = stats
        self.reset_state = reset_state

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_emulator" or path.startswith("/_emulator/"):
            return self._control(environ, start_response, path)
        if path.startswith("/moto-api") or path == "/favicon.ico":
            with STATE_LOCK:
                return self.moto_app(environ, start_response)

        body = _read_body(environ)
        service_name, operation, service = protocols.identify(environ, body)
        if service_name is not None:
            self.stats.count(service_name, operation)
            region = protocols.scope_region(environ)
            if region is not None and not partitions.is_known(region):
                code, status = protocols.invalid_signature_error(service)
                message = partitions.INVALID_REGION.format(region=region)
                status_line, headers, payload = protocols.error_response(service, code, status, message)
                start_response(status_line, headers)
                return [payload]
            latency = self.controls.latency_ms
            if latency:
                time.sleep(latency / 1000.0)
            fault, status = self.controls.draw_fault()
            if fault is not None:
                self.stats.count_fault(fault)
                if fault == "throttle":
                    code, status = protocols.throttling_error(service)
                    message = "Rate exceeded"
                else:
                    code, message = protocols.SERVER_ERRORS[status]
                LOG.debug("injected %s %s into %s:%s", code, status, service_name, operation)
                status_line, headers, payload = protocols.error_response(service, code, status, message)
                start_response(status_line, headers)
                return [payload]
        with STATE_LOCK:
            return self.moto_app(environ, start_response)

    # --- /_emulator ---------------------------------------------------------------------------------
    def _control(self, environ, start_response, path):
        method = environ.get("REQUEST_METHOD", "GET")
        route = path.rstrip("/")
        try:
            if route == "/_emulator/stats" and method == "GET":
                return _json(start_response, 200, self.stats.as_dict())
            if route == "/_emulator/stats/reset" and method == "POST":
                self.stats.reset()
                return _json(start_response, 200, self.stats.as_dict())
            if route == "/_emulator/reset" and method == "POST":
                self.reset_state()
                self.stats.reset()
                return _json(start_response, 200, {"reset": True, "stats": self.stats.as_dict()})
            if route == "/_emulator/config" and method == "GET":
                return _json(start_response, 200, self.controls.as_dict())
            if route == "/_emulator/config" and method == "POST":
                raw = _read_body(environ)
                try:
                    values = json.loads(raw or b"{}")
                except ValueError as exc:
                    raise ConfigError(f"the body must be a JSON object: {exc}") from None
                if not isinstance(values, dict):
                    raise ConfigError("the body must be a JSON object")
                config = self.controls.update(**values)
                LOG.info("config changed: %s", config)
                return _json(start_response, 200, config)
        except ConfigError as exc:
            return _json(start_response, 400, {"error": str(exc)})
        known = [
            "GET /_emulator/stats",
            "POST /_emulator/stats/reset",
            "POST /_emulator/reset",
            "GET /_emulator/config",
            "POST /_emulator/config",
        ]
        return _json(start_response, 404, {"error": f"no control endpoint {method} {path}", "endpoints": known})


def _read_body(environ):
    """The request body, leaving a fresh stream in the environ for whoever reads it next."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = environ["wsgi.input"].read(length)
    elif environ.get("wsgi.input_terminated"):  # chunked transfer encoding: the stream ends with the body
        body = environ["wsgi.input"].read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _json(start_response, status, payload):
    body = json.dumps(payload).encode()
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found"}
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]
