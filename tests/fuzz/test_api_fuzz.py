"""Hypothesis throws arbitrary payloads at the API and definitions at the loader: no 5xx, every error has a code.

Bounded (few examples, no deadline) so it stays a fast part of ``make test``.
"""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.flows import DefinitionError
from chalicelib.flows.loader import parse_flow

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
FLOWS = st.sampled_from(["order-processing", "notification", "service-request", "nope", "a b", "%2e%2e"])
STABLE_CODES = {"invalid_json", "invalid_request", "invalid_input", "flow_not_found", "idempotency_conflict",
                "run_not_found", "invalid_page_token", "run_exists"}


def _error_code(response: Any) -> str:
    body = json.loads(response.body)
    return body["error"]["code"]


@FUZZ
@given(flow=FLOWS, body=st.one_of(json_values.map(json.dumps), st.binary(max_size=40).map(
    lambda b: b.decode("latin-1")), st.fixed_dictionaries({"input": json_values}).map(json.dumps)))
def test_start_never_answers_5xx_and_errors_carry_a_stable_code(client, flow, body):
    response = client.http.post(f"/flows/{flow}/runs", body=body, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.body
    if response.status_code >= 400:
        assert _error_code(response) in STABLE_CODES


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["flow", "status", "limit", "next_token", "after", "x"]),
                              st.text(alphabet=string.printable, max_size=12), max_size=4),
       path=st.sampled_from(["/runs", "/runs/r-1/history"]))
def test_queries_never_answer_5xx(client, params, path):
    from urllib.parse import urlencode

    response = client.http.get(f"{path}?{urlencode(params)}" if params else path)
    assert response.status_code < 500, response.body
    if response.status_code >= 400:
        assert _error_code(response) in STABLE_CODES


state_types = st.sampled_from(["task", "choice", "wait", "pass", "succeed", "fail", "map", "bogus"])
states = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.fixed_dictionaries({"type": state_types}, optional={
        "next": st.sampled_from(["a", "b", "c", "zz"]), "duration": st.sampled_from(["1s", "2d", "-1", "x", 5]),
        "transform": st.sampled_from(["@", "a.b", "[[", "`1`"]), "action": st.sampled_from(["transform", "nope"]),
        "with": st.sampled_from([{}, {"expression": "@"}, {"expression": "(("}]),
        "rules": st.lists(st.fixed_dictionaries({"when": st.sampled_from(["a > `1`", "(("]),
                                                 "next": st.sampled_from(["a", "b", "zz"])}), max_size=2),
    }),
    max_size=3,
)
definitions = st.fixed_dictionaries({"name": st.sampled_from(["flow", "9bad", ""]), "start": st.sampled_from(
    ["a", "b", "zz"]), "states": states}, optional={"extra": json_values})


@FUZZ
@given(document=st.one_of(definitions, json_values))
def test_a_definition_either_loads_or_fails_with_a_definition_error(document):
    from chalicelib.actions import default_registry

    try:
        flow = parse_flow(document, "fuzz.yaml", default_registry().checks())
    except DefinitionError as exc:
        assert exc.code == "invalid_definition" and exc.message.startswith("fuzz.yaml")
    else:
        assert flow.definition.start in flow.definition.states
