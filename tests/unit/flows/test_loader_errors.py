"""Every way a definition can be invalid fails at load with a message naming the file, the state and the field.

Each case starts from a valid document, breaks one thing, writes it as YAML and
as JSON, and checks both the message text and the structured attributes the
API turns into a response.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib.flows import DefinitionError, FlowCatalog, load_flow_file, parse_flow
from chalicelib.flows.loader import ActionCheck

Document = dict[str, Any]
Mutation = Callable[[Document], None]


def valid_document() -> Document:
    return {
        "name": "orders",
        "description": "every state type, every field the cases below break",
        "sla": "2d",
        "input_schema": {"type": "object", "required": ["amount"]},
        "start": "prepare",
        "states": {
            "prepare": {
                "type": "pass",
                "input": "@",
                "transform": "{total: amount}",
                "result": "pricing",
                "next": "route",
            },
            "route": {
                "type": "choice",
                "rules": [
                    {"when": "pricing.total > `100`", "next": "charge", "priority": 1},
                    {"when": "pricing.total > `0`", "next": "cool_off"},
                ],
                "default": "rejected",
            },
            "cool_off": {"type": "wait", "duration": "1h", "next": "charge"},
            "charge": {
                "type": "task",
                "action": "http",
                "with": {"url": "https://erp.internal/orders"},
                "requires": "pricing.total",
                "timeout": "30s",
                "result": "receipt.http",
                "output": "{receipt: receipt}",
                "next": "settle",
            },
            "settle": {"type": "wait", "until": "settle_at", "next": "done"},
            "done": {"type": "succeed"},
            "rejected": {"type": "fail", "error": "OrderRejected"},
        },
    }


def check_http(params: Mapping[str, Any]) -> tuple[str, str] | None:
    if "url" not in params:
        return "url", "is required"
    if not str(params["url"]).startswith("https://"):
        return "url", "must be an https URL"
    return None


ACTIONS: dict[str, ActionCheck] = {"http": check_http, "emit": lambda params: None}


def write(directory: Path, document: Any, suffix: str, stem: str = "orders") -> Path:
    path = directory / f"{stem}{suffix}"
    text = json.dumps(document) if suffix == ".json" else yaml.safe_dump(document, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def set_at(*keys: str | int, value: Any) -> Mutation:
    def mutate(document: Document) -> None:
        node: Any = document
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return mutate


def drop(*keys: str | int) -> Mutation:
    def mutate(document: Document) -> None:
        node: Any = document
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(document: Document) -> None:
        for mutation in mutations:
            mutation(document)

    return mutate


@pytest.fixture(params=[".yaml", ".json"])
def suffix(request: pytest.FixtureRequest) -> str:
    return request.param


def load_broken(tmp_path: Path, suffix: str, mutation: Mutation, actions: Mapping[str, ActionCheck] | None = None):
    document = copy.deepcopy(valid_document())
    mutation(document)
    path = write(tmp_path, document, suffix)
    with pytest.raises(DefinitionError) as caught:
        load_flow_file(path, actions)
    return path, caught.value


def assert_names(err: DefinitionError, path: Path, state: str | None, field: str | None) -> None:
    """The message is ``<file>[, state '<s>'][, field '<f>']: <problem>``, and the attributes agree."""
    where = [str(path)]
    if state is not None:
        where.append(f"state '{state}'")
    if field is not None:
        where.append(f"field '{field}'")
    assert str(err) == f"{', '.join(where)}: {err.problem}"
    assert err.file == str(path)
    assert err.state == state
    assert err.field == field


def test_the_valid_document_loads_from_yaml_and_json_with_the_same_version(tmp_path: Path) -> None:
    from_yaml = load_flow_file(write(tmp_path, valid_document(), ".yaml"), ACTIONS)
    from_json = load_flow_file(write(tmp_path, valid_document(), ".json"), ACTIONS)

    assert from_yaml.name == from_json.name == "orders"
    assert from_yaml.version == from_json.version
    assert from_yaml.definition == from_json.definition


# (mutation, state, field, words the problem must contain)
STATE_AND_FIELD_CASES = [
    # the graph
    pytest.param(set_at("states", "charge", "next", value="ghost"), "charge", "next", "unknown state 'ghost'",
                 id="task-next-unknown"),
    pytest.param(set_at("states", "prepare", "next", value="ghost"), "prepare", "next", "unknown state 'ghost'",
                 id="pass-next-unknown"),
    pytest.param(set_at("states", "cool_off", "next", value="ghost"), "cool_off", "next", "unknown state 'ghost'",
                 id="wait-next-unknown"),
    pytest.param(set_at("states", "route", "rules", 1, "next", value="ghost"), "route", "rules[1].next",
                 "unknown state 'ghost'", id="choice-rule-next-unknown"),
    pytest.param(set_at("states", "route", "default", value="ghost"), "route", "default", "unknown state 'ghost'",
                 id="choice-default-unknown"),
    pytest.param(set_at("states", "orphan", value={"type": "succeed"}), "orphan", "type", "unreachable",
                 id="unreachable-state"),
    # JMESPath compiled at load
    pytest.param(set_at("states", "route", "rules", 0, "when", value="pricing.total >"), "route", "rules[0].when",
                 "invalid JMESPath", id="bad-when"),
    pytest.param(set_at("states", "prepare", "input", value="items[?"), "prepare", "input", "invalid JMESPath",
                 id="bad-input"),
    pytest.param(set_at("states", "charge", "output", value="{receipt: }"), "charge", "output", "invalid JMESPath",
                 id="bad-output"),
    pytest.param(set_at("states", "charge", "requires", value="&&"), "charge", "requires", "invalid JMESPath",
                 id="bad-requires"),
    pytest.param(set_at("states", "prepare", "transform", value="sum(items[].price"), "prepare", "transform",
                 "invalid JMESPath", id="bad-transform"),
    pytest.param(set_at("states", "settle", "until", value="settle_at |"), "settle", "until", "invalid JMESPath",
                 id="bad-until"),
    pytest.param(set_at("states", "settle", "until", value="  "), "settle", "until", "non-empty",
                 id="blank-until"),
    # durations
    pytest.param(set_at("states", "cool_off", "duration", value="an hour"), "cool_off", "duration",
                 "not a duration", id="bad-wait-duration"),
    pytest.param(set_at("states", "cool_off", "duration", value=-5), "cool_off", "duration", "negative",
                 id="negative-wait-duration"),
    pytest.param(set_at("states", "charge", "timeout", value="30 secs"), "charge", "timeout", "not a duration",
                 id="bad-task-timeout"),
    pytest.param(set_at("states", "charge", "timeout", value=True), "charge", "timeout", "duration",
                 id="bool-task-timeout"),
    # wait needs exactly one of duration / until
    pytest.param(set_at("states", "cool_off", "until", value="settle_at"), "cool_off", "until",
                 "exactly one of 'duration' or 'until'", id="wait-with-both"),
    pytest.param(drop("states", "cool_off", "duration"), "cool_off", "until",
                 "exactly one of 'duration' or 'until'", id="wait-with-neither"),
    # types and fields
    pytest.param(set_at("states", "charge", "type", value="taks"), "charge", "type", "'taks'",
                 id="unknown-type"),
    pytest.param(drop("states", "done", "type"), "done", "type", "discriminator 'type'", id="missing-type"),
    pytest.param(set_at("states", "charge", "timout", value="5s"), "charge", "timout", "is not a known field",
                 id="typo-in-state"),
    pytest.param(set_at("states", "route", "rules", 0, "priorty", value=1), "route", "rules[0].priorty",
                 "is not a known field", id="typo-in-choice-rule"),
    pytest.param(drop("states", "charge", "action"), "charge", "action", "is required", id="missing-action"),
    pytest.param(set_at("states", "route", "rules", value=[]), "route", "rules", "at least 1",
                 id="choice-without-rules"),
    pytest.param(set_at("states", "charge", "with", value=["url"]), "charge", "with", "dictionary",
                 id="with-not-a-mapping"),
    pytest.param(set_at("states", "prepare", "result", value="pricing..total"), "prepare", "result",
                 "not a result path", id="bad-result-path"),
    pytest.param(set_at("states", "prepare", "result", value="pricing.1st"), "prepare", "result",
                 "not a result path", id="result-path-segment-starts-with-digit"),
]


@pytest.mark.parametrize(("mutation", "state", "field", "problem"), STATE_AND_FIELD_CASES)
def test_a_state_error_names_the_file_the_state_and_the_field(
    tmp_path: Path, suffix: str, mutation: Mutation, state: str, field: str, problem: str
) -> None:
    path, err = load_broken(tmp_path, suffix, mutation)

    assert_names(err, path, state, field)
    assert problem in err.problem


TOP_LEVEL_CASES = [
    pytest.param(drop("start"), "start", "is required", id="missing-start"),
    pytest.param(set_at("start", value="nowhere"), "start", "start state 'nowhere' is not defined",
                 id="start-not-defined"),
    pytest.param(set_at("sla", value="two days"), "sla", "not a duration", id="bad-sla"),
    pytest.param(set_at("sla", value=False), "sla", "duration", id="bool-sla"),
    pytest.param(set_at("name", value="orders processing!"), "name", "pattern", id="bad-flow-name"),
    pytest.param(set_at("name", value="9lives"), "name", "pattern", id="flow-name-starts-with-digit"),
    pytest.param(set_at("name", value="x" * 81), "name", "pattern", id="flow-name-too-long"),
    pytest.param(set_at("input_schema", value={"type": "objekt"}), "input_schema", "not a valid JSON Schema",
                 id="input-schema-unknown-type"),
    pytest.param(set_at("input_schema", value={"type": "object", "required": "amount"}), "input_schema",
                 "not a valid JSON Schema", id="input-schema-required-not-a-list"),
    pytest.param(set_at("slaa", value="1d"), "slaa", "is not a known field", id="typo-at-top-level"),
    pytest.param(set_at("states", value={}), "states", "at least 1", id="no-states"),
    pytest.param(set_at("states", value=["prepare"]), "states", "dictionary", id="states-not-a-mapping"),
]


@pytest.mark.parametrize(("mutation", "field", "problem"), TOP_LEVEL_CASES)
def test_a_flow_level_error_names_the_file_and_the_field_but_no_state(
    tmp_path: Path, suffix: str, mutation: Mutation, field: str, problem: str
) -> None:
    path, err = load_broken(tmp_path, suffix, mutation)

    assert_names(err, path, None, field)
    assert problem in err.problem


@pytest.mark.parametrize(
    ("mutation", "field", "problem"),
    [
        pytest.param(set_at("states", "charge", "action", value="htp"), "action", "unknown action 'htp'",
                     id="unknown-action"),
        pytest.param(set_at("states", "charge", "with", value={}), "with.url", "is required",
                     id="missing-action-param"),
        pytest.param(set_at("states", "charge", "with", "url", value="http://plain"), "with.url", "https",
                     id="bad-action-param"),
    ],
)
def test_an_action_error_names_the_task_and_the_field(
    tmp_path: Path, suffix: str, mutation: Mutation, field: str, problem: str
) -> None:
    path, err = load_broken(tmp_path, suffix, mutation, ACTIONS)

    assert_names(err, path, "charge", field)
    assert problem in err.problem


def test_an_unknown_action_lists_the_known_ones(tmp_path: Path) -> None:
    _, err = load_broken(tmp_path, ".yaml", set_at("states", "charge", "action", value="htp"), ACTIONS)

    assert "known: emit, http" in err.problem


def test_an_action_check_with_no_field_names_the_with_block(tmp_path: Path) -> None:
    actions: dict[str, ActionCheck] = {"http": lambda params: ("", "needs exactly one of 'url' or 'path'")}

    path, err = load_broken(tmp_path, ".yaml", lambda document: None, actions)

    assert_names(err, path, "charge", "with")


def test_actions_are_not_checked_without_a_registry(tmp_path: Path) -> None:
    document = valid_document()
    document["states"]["charge"]["action"] = "anything-goes"

    flow = load_flow_file(write(tmp_path, document, ".yaml"))

    assert flow.definition.states["charge"].action == "anything-goes"


def test_more_problems_than_the_first_are_counted(tmp_path: Path) -> None:
    broken = both(set_at("states", "charge", "timeout", value="soon"), set_at("states", "charge", "oops", value=1),
                  set_at("sla", value="never"))

    path, err = load_broken(tmp_path, ".yaml", broken)

    assert err.file == str(path)
    assert err.problem.endswith("(and 2 more problems)")


def test_a_bad_wait_duration_is_reported_alone_not_as_a_missing_duration(tmp_path: Path) -> None:
    path, err = load_broken(tmp_path, ".yaml", set_at("states", "cool_off", "duration", value="soon"))

    assert_names(err, path, "cool_off", "duration")
    assert "more problem" not in err.problem


@pytest.mark.parametrize(
    ("suffix", "text", "kind"),
    [
        pytest.param(".yaml", "name: orders\nstates: [unclosed\n", "YAML", id="yaml"),
        pytest.param(".yml", "name: orders\n  start: : x\n", "YAML", id="yml"),
        pytest.param(".json", '{"name": "orders", "start": }', "JSON", id="json"),
    ],
)
def test_a_file_that_does_not_parse_names_only_the_file(tmp_path: Path, suffix: str, text: str, kind: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(DefinitionError) as caught:
        load_flow_file(path)

    assert_names(caught.value, path, None, None)
    assert f"is not valid {kind}" in caught.value.problem


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        pytest.param(".yaml", "- name: orders\n- start: prepare\n", id="yaml-list"),
        pytest.param(".yaml", "just a sentence\n", id="yaml-scalar"),
        pytest.param(".yaml", "", id="yaml-empty"),
        pytest.param(".json", '[{"name": "orders"}]', id="json-list"),
        pytest.param(".json", "42", id="json-number"),
    ],
)
def test_a_document_that_is_not_a_mapping_names_only_the_file(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"orders{suffix}"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(DefinitionError) as caught:
        load_flow_file(path)

    assert_names(caught.value, path, None, None)
    assert "must be a mapping" in caught.value.problem


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(DefinitionError) as caught:
        load_flow_file(path)

    assert_names(caught.value, path, None, None)
    assert "cannot be read" in caught.value.problem


def test_parse_flow_names_the_source_it_is_given() -> None:
    document = valid_document()
    document["states"]["charge"]["next"] = "ghost"

    with pytest.raises(DefinitionError) as caught:
        parse_flow(document, "s3://bucket/orders.yaml")

    assert str(caught.value).startswith("s3://bucket/orders.yaml, state 'charge', field 'next': ")


def test_a_definition_error_maps_to_a_400_naming_the_field(tmp_path: Path) -> None:
    _, err = load_broken(tmp_path, ".yaml", set_at("states", "charge", "next", value="ghost"))

    assert err.status == 400
    assert err.code == "invalid_definition"
    assert err.to_body() == {"code": "invalid_definition", "message": str(err), "field": "next"}


def test_a_catalog_rejects_two_files_with_the_same_flow_name(tmp_path: Path) -> None:
    first = write(tmp_path, valid_document(), ".yaml", stem="a-orders")
    second = write(tmp_path, valid_document(), ".json", stem="b-orders")

    with pytest.raises(DefinitionError) as caught:
        FlowCatalog.from_directory(tmp_path, ACTIONS)

    assert_names(caught.value, second, None, "name")
    assert "'orders'" in caught.value.problem
    assert str(first) in caught.value.problem


def test_a_catalog_reports_the_broken_file_among_good_ones(tmp_path: Path) -> None:
    write(tmp_path, valid_document(), ".yaml", stem="good")
    nested = tmp_path / "team"
    nested.mkdir()
    broken = valid_document()
    broken["name"] = "other"
    broken["states"]["route"]["default"] = "ghost"
    bad_path = write(nested, broken, ".json", stem="bad")

    with pytest.raises(DefinitionError) as caught:
        FlowCatalog.from_directory(tmp_path, ACTIONS)

    assert_names(caught.value, bad_path, "route", "default")


def test_a_catalog_loads_every_definition_file_and_ignores_others(tmp_path: Path) -> None:
    write(tmp_path, valid_document(), ".yaml", stem="orders")
    other = valid_document()
    other["name"] = "refunds"
    write(tmp_path, other, ".json", stem="refunds")
    (tmp_path / "README.md").write_text("not a flow", encoding="utf-8")

    catalog = FlowCatalog.from_directory(tmp_path, ACTIONS)

    assert [flow.name for flow in catalog] == ["orders", "refunds"]
    assert catalog.get("refunds").source == str(tmp_path / "refunds.json")


def control_flow_document() -> Document:
    """A valid document using every control-flow field, for the cases below to break."""
    branch = {"start": "score", "states": {"score": {"type": "task", "action": "emit", "next": "ok"},
                                           "ok": {"type": "succeed"}}}
    return {
        "name": "control",
        "start": "call",
        "timeout": "1d",
        "states": {
            "call": {"type": "task", "action": "emit", "next": "fan",
                     "retry": [{"errors": ["HttpError"], "max_attempts": 3, "base": "2s", "max_delay": "1m"}],
                     "catch": [{"errors": ["Timeout"], "next": "done", "result": "error"}],
                     "compensate": "undo"},
            "fan": {"type": "map", "items": "xs", "max_concurrency": 5, "tolerated_failures": "10%",
                    "iterator": copy.deepcopy(branch), "next": "both"},
            "both": {"type": "parallel", "branches": {"a": copy.deepcopy(branch), "b": copy.deepcopy(branch)},
                     "timeout": "1h", "next": "done"},
            "undo": {"type": "task", "action": "emit", "next": "done"},
            "done": {"type": "succeed"},
        },
    }


CONTROL_CASES = [
    pytest.param(set_at("states", "call", "retry", 0, "max_attempts", value=0), "call", "retry[0].max_attempts",
                 "greater than or equal to 1", id="retry-zero-attempts"),
    pytest.param(set_at("states", "call", "retry", 0, "base", value="soon"), "call", "retry[0].base",
                 "not a duration", id="retry-bad-base"),
    pytest.param(set_at("states", "call", "retry", 0, "jitter", value="some"), "call", "retry[0].jitter",
                 "'full' or 'none'", id="retry-bad-jitter"),
    pytest.param(set_at("states", "call", "catch", 0, "next", value="ghost"), "call", "catch[0].next",
                 "unknown state 'ghost'", id="catch-next-unknown"),
    pytest.param(set_at("states", "call", "catch", 0, "result", value="a..b"), "call", "catch[0].result",
                 "not a result path", id="catch-bad-result"),
    pytest.param(set_at("states", "call", "compensate", value="done"), "call", "compensate",
                 "not a task state", id="compensate-not-a-task"),
    pytest.param(both(set_at("states", "call", "compensate", value={"action": "nope"}), drop("states", "undo")),
                 "call", "compensate.action",
                 "unknown action 'nope'", id="compensate-unknown-action"),
    pytest.param(set_at("states", "fan", "items", value="xs[?"), "fan", "items", "invalid JMESPath",
                 id="map-bad-items"),
    pytest.param(set_at("states", "fan", "tolerated_failures", value="lots"), "fan", "tolerated_failures",
                 "not a count or a percentage", id="map-bad-tolerance"),
    pytest.param(set_at("states", "fan", "max_concurrency", value=-1), "fan", "max_concurrency",
                 "greater than or equal to 0", id="map-negative-concurrency"),
    pytest.param(set_at("states", "fan", "iterator", "states", "score", "next", value="done"),
                 "fan.iterator.score", "next", "unknown state 'done'", id="iterator-leaves-its-machine"),
    pytest.param(set_at("states", "fan", "iterator", "states", "score", "timout", value=1),
                 "fan.iterator.score", "timout", "is not a known field", id="iterator-typo"),
    pytest.param(set_at("states", "fan", "iterator", "start", value="ghost"), "fan.iterator", "start",
                 "start state 'ghost' is not defined", id="iterator-start-undefined"),
    pytest.param(set_at("states", "both", "branches", "b", "states", "score", "type", value="tsk"),
                 "both.branches.b.score", "type", "'tsk'", id="branch-unknown-type"),
    pytest.param(set_at("states", "both", "branches", "a", "states", "lost", value={"type": "succeed"}),
                 "both.branches.a.lost", "type", "unreachable", id="branch-unreachable"),
    pytest.param(set_at("states", "both", "branches", "a", "states", "score", "action", value="nope"),
                 "both.branches.a.score", "action", "unknown action", id="branch-unknown-action"),
    pytest.param(set_at("states", "both", "branches", value={}), "both", "branches", "at least 1",
                 id="parallel-without-branches"),
]


@pytest.mark.parametrize(("mutation", "state", "field", "problem"), CONTROL_CASES)
def test_a_control_flow_error_names_the_file_the_nested_state_and_the_field(
    tmp_path: Path, suffix: str, mutation: Mutation, state: str, field: str, problem: str
) -> None:
    document = control_flow_document()
    mutation(document)
    path = write(tmp_path, document, suffix)
    with pytest.raises(DefinitionError) as caught:
        load_flow_file(path, ACTIONS)
    assert_names(caught.value, path, state, field)
    assert problem in caught.value.problem


def test_the_control_flow_document_is_valid_and_a_single_retry_policy_is_a_list(tmp_path: Path) -> None:
    document = control_flow_document()
    document["states"]["call"]["retry"] = {"max_attempts": 2}
    flow = load_flow_file(write(tmp_path, document, ".yaml"), ACTIONS)
    assert [p.max_attempts for p in flow.definition.states["call"].retry] == [2]
    assert flow.machine("both:b").start == "score" and flow.machine("fan").states["ok"].type == "succeed"


def test_a_typo_names_the_unknown_field_not_the_missing_one(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("name: typo\nstart: a\nstates:\n  a: {type: pass, nxt: b}\n  b: {type: succeed}\n")
    with pytest.raises(DefinitionError) as info:
        load_flow_file(path)
    assert info.value.state == "a" and info.value.field == "nxt"
    assert "is not a known field" in str(info.value)


def test_a_state_name_that_would_break_idempotency_keys_is_rejected(tmp_path):
    path = tmp_path / "colon.yaml"
    path.write_text("name: colon\nstart: 'a:b'\nstates:\n  'a:b': {type: succeed}\n")
    with pytest.raises(DefinitionError) as info:
        load_flow_file(path)
    assert info.value.state == "a:b" and info.value.field == "name"
    assert str(info.value).startswith(f"{path}, state 'a:b', field 'name': ")
