"""EventBridge input transformers as the emulator renders them (emulator/eventbridge.py)."""

from emulator.eventbridge import render_template, resolve_path, target_input

EVENT = {
    "time": "2026-12-01T04:00:00Z",
    "resources": ["arn:aws:batch:eu-west-1:123456789012:job/abc"],
    "detail": {"jobName": "nightly", "container": {"exitCode": 3}, "attempts": [{"exitCode": 1}, {"exitCode": 3}]},
}
PATHS = {
    "job": "$.detail.jobName",
    "exit": "$.detail.container.exitCode",
    "first": "$.detail.attempts[0].exitCode",
    "log": "$.detail.container.logStreamName",
}


def test_paths_resolve_keys_and_indexes_and_miss_with_none():
    assert resolve_path(EVENT, "$.detail.attempts[1].exitCode") == 3
    assert resolve_path(EVENT, "$.resources[0]").endswith("job/abc")
    assert resolve_path(EVENT, "$.detail.container.logStreamName") is None
    assert resolve_path(EVENT, "$.resources[5]") is None
    assert resolve_path(EVENT, "$") is EVENT


def test_a_text_template_keeps_its_lines_and_quotes_with_values_as_text():
    template = '"Job <job> exited <exit> (first attempt <first>)"\n"Log: <log>"'
    assert render_template(template, PATHS, EVENT).splitlines() == [
        '"Job nightly exited 3 (first attempt 1)"',
        '"Log: "',
    ]


def test_a_json_template_gets_json_values_and_null_for_a_missing_path():
    rendered = render_template('{"job": <job>, "exit": <exit>, "log": <log>, "text": "<job>!"}', PATHS, EVENT)
    assert rendered == '{"job": "nightly", "exit": 3, "log": null, "text": "nightly!"}'


def test_unknown_placeholders_stay_and_predefined_variables_are_known():
    assert render_template('"<unknown> at <aws.events.event.ingestion-time>"', {}, EVENT) == (
        '"<unknown> at 2026-12-01T04:00:00Z"'
    )


def test_a_target_gets_its_constant_input_its_rendering_or_the_event():
    assert target_input({"Input": '{"a": 1}'}, EVENT) == {"a": 1}
    transformer = {"InputTransformer": {"InputPathsMap": PATHS, "InputTemplate": '"<job>"'}}
    assert target_input(transformer, EVENT) == '"nightly"'
    assert target_input({}, EVENT) == EVENT and target_input({}, EVENT) is not EVENT
