"""How the emulator names AWS requests and shapes injected errors, checked with botocore's own parsers."""

import json

import botocore.parsers
import botocore.session
import pytest

from emulator import protocols


def environ(service, method="POST", path="/", query="", target=None, content_type="application/json"):
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "RAW_URI": path + (f"?{query}" if query else ""),
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "HTTP_HOST": "127.0.0.1:5000",
        "HTTP_AUTHORIZATION": (
            f"AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=0"
        ),
    }
    if target:
        env["HTTP_X_AMZ_TARGET"] = target
    return env


@pytest.mark.parametrize(
    ("env", "body", "expected"),
    [
        (environ("batch", path="/v1/describejobqueues"), b"{}", ("batch", "DescribeJobQueues")),
        (
            environ("batch", "GET", "/v1/tags/arn%3Aaws%3Abatch%3Aeu-west-1%3A1%3Ajob-queue%2Fq"),
            b"",
            ("batch", "ListTagsForResource"),
        ),
        (
            environ("batch", "DELETE", "/v1/tags/arn%3Aaws%3Abatch%3Aeu-west-1%3A1%3Ajob-queue%2Fq", "tagKeys=a"),
            b"",
            ("batch", "UntagResource"),
        ),
        (environ("scheduler", "GET", "/schedules/nightly"), b"", ("scheduler", "GetSchedule")),
        (environ("scheduler", "POST", "/schedules/nightly"), b"{}", ("scheduler", "CreateSchedule")),
        (environ("scheduler", "GET", "/schedules"), b"", ("scheduler", "ListSchedules")),
        (environ("events", target="AWSEvents.PutTargets"), b"{}", ("events", "PutTargets")),
        (environ("sqs", target="AmazonSQS.SendMessage"), b"{}", ("sqs", "SendMessage")),
        (
            environ("iam", content_type="application/x-www-form-urlencoded; charset=utf-8"),
            b"Action=GetRole&Version=2010-05-08&RoleName=r",
            ("iam", "GetRole"),
        ),
        (environ("ec2", query="Action=DescribeVpcs&Version=2016-11-15"), b"", ("ec2", "DescribeVpcs")),
        (environ("eventbridge", target="AWSEvents.ListRules"), b"{}", ("events", "ListRules")),
    ],
)
def test_requests_are_named_by_service_and_operation(env, body, expected):
    service, operation = protocols.identify(env, body)[:2]
    assert (service, operation) == expected


def test_requests_that_are_not_aws_api_calls_are_not_named():
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/favicon.ico", "QUERY_STRING": "", "HTTP_HOST": "localhost"}
    assert protocols.identify(env, b"") == (None, None, None)


def parse_error(service_name, status, headers, body):
    model = botocore.session.get_session().get_service_model(service_name)
    parser = botocore.parsers.create_parser(model.metadata["protocol"])
    operation = model.operation_model(model.operation_names[0])
    response = {"status_code": status, "headers": dict(headers), "body": body}
    return parser.parse(response, operation.output_shape)


@pytest.mark.parametrize(
    ("service", "code", "status"),
    [
        ("batch", "TooManyRequestsException", 429),
        ("scheduler", "ThrottlingException", 429),
        ("iam", "Throttling", 400),
        ("sts", "Throttling", 400),
        ("ec2", "Throttling", 400),
        ("sns", "Throttling", 400),
        ("sqs", "RequestThrottled", 400),
        ("events", "ThrottlingException", 400),
        ("logs", "ThrottlingException", 400),
        ("secretsmanager", "ThrottlingException", 400),
        ("ecs", "ThrottlingException", 400),
        ("resourcegroupstaggingapi", "ThrottledException", 400),
    ],
)
def test_throttling_errors_parse_as_each_services_own(service, code, status):
    model = protocols.REGISTRY.get(service)
    assert protocols.throttling_error(model) == (code, status)
    status_line, headers, body = protocols.error_response(model, code, status, "Rate exceeded")
    assert status_line.startswith(str(status))
    parsed = parse_error(service, status, headers, body)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "Rate exceeded"


@pytest.mark.parametrize("service", ["batch", "iam", "ec2", "events", "sqs", "scheduler"])
@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_parse_in_every_protocol(service, status):
    code, message = protocols.SERVER_ERRORS[status]
    headers, body = protocols.error_response(protocols.REGISTRY.get(service), code, status, message)[1:]
    assert parse_error(service, status, headers, body)["Error"]["Code"] == code


def test_json_errors_carry_the_type():
    headers, body = protocols.error_response(protocols.REGISTRY.get("logs"), "ThrottlingException", 400, "slow")[1:]
    assert json.loads(body)["__type"] == "ThrottlingException"
    assert dict(headers)["Content-Type"] == "application/x-amz-json-1.1"
