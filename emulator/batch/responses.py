"""moto's Batch response class with the emulator's handlers for the operations whose behaviour it fixes."""

import json
import logging
import types

from moto.batch import urls as moto_urls
from moto.batch.responses import BatchResponse
from moto.core.exceptions import AWSError

LOG = logging.getLogger("emulator.batch")


class ServerException(AWSError):
    TYPE = "ServerException"
    STATUS = 500


def _handler(method_name):
    def handle(self):
        try:
            request = json.loads(self.body) if self.body else {}
        except ValueError as exc:
            raise AWSError(f"The request body is not JSON: {exc}", "ClientException", 400) from None
        try:
            body = json.dumps(getattr(self.batch_backend, method_name)(request))
        except AWSError:
            raise
        except Exception as exc:
            # A bug in the emulator: answer like AWS's ServerException, keep the traceback in the log.
            LOG.exception("%s failed", method_name)
            raise ServerException(f"emulator error in {method_name}: {type(exc).__name__}: {exc}") from None
        return body, {"status": 200, "Content-Type": "application/json"}

    handle.__name__ = method_name.removeprefix("api_").replace("_", "")
    return handle


class EmulatorBatchResponse(BatchResponse):
    """Each operation takes the whole JSON request, so no field of the API is silently dropped."""

    createcomputeenvironment = _handler("api_create_compute_environment")
    describecomputeenvironments = _handler("api_describe_compute_environments")
    updatecomputeenvironment = _handler("api_update_compute_environment")
    deletecomputeenvironment = _handler("api_delete_compute_environment")
    createjobqueue = _handler("api_create_job_queue")
    describejobqueues = _handler("api_describe_job_queues")
    updatejobqueue = _handler("api_update_job_queue")
    deletejobqueue = _handler("api_delete_job_queue")
    registerjobdefinition = _handler("api_register_job_definition")
    describejobdefinitions = _handler("api_describe_job_definitions")
    deregisterjobdefinition = _handler("api_deregister_job_definition")
    submitjob = _handler("api_submit_job")
    describejobs = _handler("api_describe_jobs")
    listjobs = _handler("api_list_jobs")
    canceljob = _handler("api_cancel_job")
    terminatejob = _handler("api_terminate_job")


# moto builds its Flask routes from the backend's url module: same paths, the emulator's handlers.
URLS = types.SimpleNamespace(
    url_bases=moto_urls.url_bases,
    url_paths=dict.fromkeys(moto_urls.url_paths, EmulatorBatchResponse.dispatch),
)
