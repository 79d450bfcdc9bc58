"""Trigger models: a bad trigger fails at load with an error naming file and field."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.flows import DefinitionError, parse_flow
from chalicelib.triggers.schedule_expressions import CronExpression, RateExpression

STATES = {"start": "done", "states": {"done": {"type": "succeed"}}}


def flow(triggers: list[Any], **extra: Any) -> Any:
    return parse_flow({"name": "f", "triggers": triggers, **STATES, **extra}, "defs/f.yaml")


def load_error(triggers: list[Any], **extra: Any) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        flow(triggers, **extra)
    return caught.value


def test_every_kind_loads_into_a_typed_model():
    loaded = flow([
        {"webhook": {"secret_param": "/inside-flow/f/secret", "input": "body", "tolerance": "2m"}},
        {"schedule": {"cron": "0 9 ? * MON-FRI *", "input": {"a": 1}}},
        {"schedule": {"rate": "5 minutes"}},
        {"queue": {"match": "type == 'x'", "input": "detail"}},
        {"event": {"pattern": {"source": ["x"]}}},
    ]).definition.triggers
    assert [t.kind for t in loaded] == ["webhook", "schedule", "schedule", "queue", "event"]
    assert loaded[0].webhook.tolerance == 120
    assert isinstance(loaded[1].schedule.expression, CronExpression)
    assert isinstance(loaded[2].schedule.expression, RateExpression)
    assert loaded[3].queue.match.search({"type": "x"}) is True


@pytest.mark.parametrize(("triggers", "field", "problem"), [
    ([{"schedule": {"cron": "0 9 * * * *"}}], "triggers[0].schedule.cron", "exactly one of day-of-month"),
    ([{"schedule": {"rate": "1 minutes"}}], "triggers[0].schedule.rate", "use 'minute' for 1"),
    ([{"schedule": {}}], "triggers[0].schedule", "exactly one of 'cron' or 'rate'"),
    ([{"schedule": {"cron": "0 9 * * ? *", "rate": "1 hour"}}], "triggers[0].schedule", "exactly one of"),
    ([{"queue": {"match": "detail_type =="}}], "triggers[0].queue.match", "invalid JMESPath"),
    ([{"queue": {"input": "detail"}}], "triggers[0].queue.match", "is required"),
    ([{"webhook": {"secret_param": "no-slash"}}], "triggers[0].webhook.secret_param", "starts with '/'"),
    ([{"webhook": {"secret_param": "/s", "tolerance": "2h"}}], "triggers[0].webhook.tolerance", "3600"),
    ([{"webhook": {"secret_param": "/s", "signed": True}}], "triggers[0].webhook.signed", "not a known field"),
    ([{"cron": "0 9 * * ? *"}], "triggers[0].cron", "not a known field"),
    ([{"schedule": {"rate": "1 hour"}, "queue": {"match": "a"}}], "triggers[0]", "exactly one of webhook"),
    ([{"schedule": None}], "triggers[0]", "needs its settings"),
    ([{"event": {"pattern": {}}}], "triggers[0].event.pattern", "at least 1"),
])
def test_bad_triggers_name_the_field(triggers, field, problem):
    error = load_error(triggers)
    assert error.field == field
    assert problem in error.problem
    assert error.file == "defs/f.yaml" and str(error).startswith(f"defs/f.yaml, field '{field}'")


def test_a_flow_has_at_most_one_webhook():
    error = load_error([{"webhook": {"secret_param": "/a"}}, {"webhook": {"secret_param": "/b"}}])
    assert error.field == "triggers[1].webhook"


def test_a_schedules_fixed_input_must_match_the_input_schema_at_load():
    schema = {"type": "object", "required": ["report"]}
    flow([{"schedule": {"rate": "1 hour", "input": {"report": "x"}}}], input_schema=schema)
    error = load_error([{"schedule": {"rate": "1 hour"}}], input_schema=schema)
    assert error.field == "triggers[0].schedule.input" and "report" in error.problem
