"""The emulator's HTTP server: moto's server application behind the emulator's WSGI layer."""

import errno
import logging
import os
import signal
import threading

from werkzeug.serving import make_server

from emulator import SERVICES, runtime
from emulator.app import STATE_LOCK, EmulatorApp
from emulator.controls import Stats

LOG = logging.getLogger("emulator")


class PortInUse(Exception):
    pass


class Stop(BaseException):  # noqa: N818 - a signal, not an error
    """Raised by the SIGTERM handler to leave serve_forever()."""


def create_app(controls=None):
    """The WSGI application (installs the Batch backend into moto first)."""
    from emulator.batch.install import install

    install()
    from emulator import ecr, eventbridge, iam, partitions, tagging

    ecr.install()
    tagging.install()
    partitions.install()
    iam.install()
    eventbridge.install()
    from moto.core.base_backend import BackendDict
    from moto.core.model_instances import reset_model_data
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from emulator.batch.jobs import SCHEDULER

    def reset_state():
        with STATE_LOCK:
            SCHEDULER.clear()
            # Forget every account and region; backends are rebuilt on their next request.
            for backend_dict in list(BackendDict._instances):
                backend_dict.clear()
            BackendDict._instances.clear()
            reset_model_data()

    moto_app = DomainDispatcherApplication(create_backend_app)
    app = EmulatorApp(moto_app, controls or runtime.controls, Stats(), reset_state)
    return app


def warm_up(app):
    """Build moto's per-service applications and IAM (with its managed policies) ahead of the first request."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    for service in SERVICES:
        environ = {
            "PATH_INFO": "/",
            "REQUEST_METHOD": "POST",
            "HTTP_HOST": "localhost",
            "HTTP_AUTHORIZATION": (
                f"AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{service}/aws4_request, "
                "SignedHeaders=host, Signature=0"
            ),
        }
        try:
            app.moto_app.get_application(environ)
        except Exception:  # warming up is an optimisation only
            LOG.debug("warm-up of %s failed", service, exc_info=True)
    with STATE_LOCK:
        iam_backends[DEFAULT_ACCOUNT_ID]["aws"].managed_policies  # noqa: B018 - loads them


def connect_host(host):
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def serve(host, port, controls, pidfile=None, access_log=False, ready_message=True):
    """Run in the foreground until SIGTERM or SIGINT; stops every job process on the way out."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    from emulator.batch.jobs import SCHEDULER

    class RequestHandler(MotoRequestHandler):
        def log_request(self, code="-", size="-"):
            if access_log:
                super().log_request(code, size)

    runtime.controls = controls
    app = create_app(controls)
    try:
        server = make_server(host, port, app, threaded=True, request_handler=RequestHandler)
    except (OSError, SystemExit) as exc:  # werkzeug reports EADDRINUSE itself and exits
        if isinstance(exc, SystemExit) or exc.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} on {host} is already in use by another process") from None
        raise
    url = f"http://{connect_host(host)}:{server.server_port}"
    runtime.endpoint = url
    SCHEDULER.start()
    threading.Thread(target=warm_up, args=(app,), name="warm-up", daemon=True).start()

    def stop(signum, _frame):
        raise Stop()

    signal.signal(signal.SIGTERM, stop)
    if pidfile:
        with open(pidfile, "w") as handle:
            handle.write(f"{os.getpid()}\n")
    if ready_message:
        print(f"AWS emulator ready on {url}", flush=True)
    LOG.info("serving %s (config %s)", url, controls.as_dict())
    try:
        server.serve_forever()
    except (KeyboardInterrupt, Stop):
        pass
    finally:
        LOG.info("stopping: terminating job processes")
        SCHEDULER.shutdown()
        server.server_close()
        if pidfile:
            _remove_own_pidfile(pidfile)
        LOG.info("stopped")


def _remove_own_pidfile(pidfile):
    try:
        with open(pidfile) as handle:
            if handle.read().strip() == str(os.getpid()):
                os.unlink(pidfile)
    except OSError:
        pass
