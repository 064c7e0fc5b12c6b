"""Which AWS service and operation a request is for, and AWS-shaped error responses per protocol.

The service comes from the SigV4 credential scope (or the Host header), the operation from the
``X-Amz-Target`` header (JSON protocols), the ``Action`` parameter (query and EC2 protocols) or the
request path matched against the ``requestUri`` templates of botocore's service model (REST protocols).
"""

import json
import re
import threading
import uuid
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

import botocore.loaders

# Signing names that differ from botocore's service directory name.
SIGNING_ALIASES = {"eventbridge": "events", "monitoring": "cloudwatch", "states": "stepfunctions"}

# Each service's own throttling error where it differs from its protocol's default (code, HTTP status).
THROTTLING = {
    "batch": ("TooManyRequestsException", 429),
    "resourcegroupstaggingapi": ("ThrottledException", 400),
    "tagging": ("ThrottledException", 400),  # its signing name, which requests carry
    "scheduler": ("ThrottlingException", 429),
    "sns": ("Throttling", 400),
    "sqs": ("RequestThrottled", 400),
}
PROTOCOL_THROTTLING = {
    "json": ("ThrottlingException", 400),
    "rest-json": ("ThrottlingException", 429),
    "query": ("Throttling", 400),
    "ec2": ("Throttling", 400),
    "rest-xml": ("SlowDown", 503),
}
SERVER_ERRORS = {
    500: ("InternalFailure", "An internal error occurred."),
    503: ("ServiceUnavailable", "Service unavailable."),
}


class Service:
    """What the emulator needs of one botocore service model: protocol, JSON details and REST routes."""

    def __init__(self, name, model):
        self.name = name
        metadata = model.get("metadata", {}) if model else {}
        self.protocol = metadata.get("protocol", "json")
        self.json_version = metadata.get("jsonVersion", "1.1")
        self.query_compatible = "awsQueryCompatible" in metadata
        namespace = metadata.get("xmlNamespace")
        self.xml_namespace = namespace.get("uri") if isinstance(namespace, dict) else namespace
        self._routes = []
        if model and self.protocol.startswith("rest"):
            for op_name, op in model.get("operations", {}).items():
                http = op.get("http", {})
                self._routes.append(_route(op_name, http.get("method", "POST"), http.get("requestUri", "/")))
            # Most literal characters first: /v1/tags/{arn} loses to an exact /v1/tags/list style path.
            self._routes.sort(key=lambda route: route[0], reverse=True)

    def rest_operation(self, method, raw_path, query):
        for _score, route_method, pattern, required_query, op_name in self._routes:
            if route_method != method or not pattern.match(raw_path):
                continue
            if any(key not in query for key in required_query):
                continue
            return op_name
        return None


def _route(op_name, method, request_uri):
    path, _sep, query = request_uri.partition("?")
    required_query = [part.split("=")[0] for part in query.split("&") if part]
    regex = ""
    literal = 0
    for token in re.split(r"(\{[^}]+\})", path):
        if token.startswith("{"):
            regex += ".+" if token.endswith("+}") else "[^/]+"
        else:
            regex += re.escape(token)
            literal += len(token)
    pattern = re.compile("^" + regex + "/?$")
    return (literal + 1000 * len(required_query), method, pattern, required_query, op_name)


class ServiceRegistry:
    """Loads botocore service models on first use and keeps what is needed of them."""

    def __init__(self):
        self._loader = botocore.loaders.create_loader()
        self._lock = threading.Lock()
        self._services = {}
        self._available = None

    def get(self, name):
        with self._lock:
            service = self._services.get(name)
            if service is None:
                if self._available is None:
                    self._available = set(self._loader.list_available_services("service-2"))
                model = None
                if name in self._available:
                    model = self._loader.load_service_model(name, "service-2")
                service = Service(name, model)
                self._services[name] = service
            return service


REGISTRY = ServiceRegistry()

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*?([a-z0-9-]+)\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com")


def identify(environ, body):
    """(service name, operation name, Service) for an AWS API request, or (None, None, None) if it is not one."""
    service_name = None
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None:
        credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential")
        if credential:
            parts = credential[0].split("/")
            if len(parts) == 5:
                service_name = parts[3]
    else:
        service_name = scope.group(2)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if service_name is None:
        host = _HOST.match(environ.get("HTTP_HOST", ""))
        if host:
            service_name = host.group(1)
    params = None
    if service_name is None:
        params = _params(environ, body)
        if not target and "Action" not in params:
            return None, None, None
        service_name = "unknown"
    service_name = SIGNING_ALIASES.get(service_name.lower(), service_name.lower())
    service = REGISTRY.get(service_name)

    operation = None
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif service.protocol in ("query", "ec2") or service_name == "unknown":
        params = params if params is not None else _params(environ, body)
        operation = params.get("Action")
    else:
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        raw_path = raw_path.split("?", 1)[0]
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        operation = service.rest_operation(environ.get("REQUEST_METHOD", "GET"), raw_path, query)
        if operation is None:
            operation = service.rest_operation(environ.get("REQUEST_METHOD", "GET"), unquote(raw_path), query)
    return service_name, operation or "Unknown", service


def scope_region(environ):
    """The region of the request's SigV4 credential scope (header or presigned query), or None."""
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is not None:
        return scope.group(1)
    credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential")
    if credential:
        parts = credential[0].split("/")
        if len(parts) == 5:
            return parts[2]
    return None


def invalid_signature_error(service):
    """AWS's answer to a credential scoped to a region it does not have (code, HTTP status)."""
    if service.protocol in ("json", "rest-json"):
        return "InvalidSignatureException", 403
    return "SignatureDoesNotMatch", 403


def _params(environ, body):
    params = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    content_type = environ.get("CONTENT_TYPE", "")
    if body and content_type.startswith("application/x-www-form-urlencoded"):
        for key, values in parse_qs(body.decode("utf-8", "replace")).items():
            params[key] = values[0]
    return params


def throttling_error(service):
    return THROTTLING.get(service.name) or PROTOCOL_THROTTLING.get(service.protocol, ("Throttling", 400))


def _cbor_text(value):
    """A CBOR text string (major type 3) for the error bodies of Smithy RPC v2 CBOR services."""
    data = value.encode("utf-8")
    size = len(data)
    if size < 24:
        head = bytes([0x60 | size])
    elif size < 0x100:
        head = bytes([0x78, size])
    elif size < 0x10000:
        head = bytes([0x79]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x7A]) + size.to_bytes(4, "big")
    return head + data


def _cbor_text_map(items):
    """A CBOR map (major type 5, fewer than 24 pairs) of text keys to text values."""
    return bytes([0xA0 | len(items)]) + b"".join(_cbor_text(k) + _cbor_text(v) for k, v in items.items())


def error_response(service, code, status, message):
    """(status line, headers, body bytes) of an AWS error in the service's own protocol shape."""
    request_id = str(uuid.uuid4())
    sender = "Sender" if status < 500 else "Receiver"
    reason = {
        400: "Bad Request",
        403: "Forbidden",
        429: "Too Many Requests",
        500: "Internal Server Error",
        503: "Service Unavailable",
    }
    status_line = f"{status} {reason.get(status, 'Error')}"
    headers = [("x-amzn-RequestId", request_id)]
    protocol = service.protocol
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        if protocol == "json":
            headers.append(("Content-Type", f"application/x-amz-json-{service.json_version}"))
            if service.query_compatible:
                headers.append(("x-amzn-query-error", f"{code};{sender}"))
        else:
            headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    elif protocol == "smithy-rpc-v2-cbor":
        body = _cbor_text_map({"__type": code, "message": message})
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    elif protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    elif protocol == "rest-xml":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers.append(("Content-Type", "application/xml"))
    else:
        namespace = f' xmlns="{escape(service.xml_namespace)}"' if service.xml_namespace else ""
        body = (
            f"<ErrorResponse{namespace}><Error><Type>{sender}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return status_line, headers, body
