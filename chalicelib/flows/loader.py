"""Load a definition file into a validated :class:`Flow`.

Every problem becomes a :class:`DefinitionError` naming the file, the state and
the field, whether pydantic found it (types, expressions, durations) or the
graph check did (missing start, unknown targets, unreachable states).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from chalicelib.flows.errors import DefinitionError
from chalicelib.flows.models import (
    NAME_PATTERN,
    CompensateAction,
    FlowDefinition,
    Machine,
    MapState,
    ParallelState,
    TaskState,
)

__all__ = ["Flow", "ActionCheck", "parse_flow", "load_flow_file", "flow_version", "nested_machines", "SUFFIXES"]

SUFFIXES = (".yaml", ".yml", ".json")

# Validates one task's ``with`` block for its action; returns (field, message) or None.
ActionCheck = Callable[[Mapping[str, Any]], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Flow:
    """A validated definition pinned to the content hash of its document."""

    definition: FlowDefinition
    version: str
    source: str
    document: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.definition.name

    def machine(self, path: str | None) -> Machine:
        """The state machine a cursor runs: the top level, or a branch/iterator named by ``path``.

        A path is ``/``-separated segments: ``<map state>`` or ``<parallel state>:<branch>``.
        """
        machine: Machine | FlowDefinition = self.definition
        for segment in path.split("/") if path else ():
            name, _, branch = segment.partition(":")
            state = machine.states[name]
            machine = state.branches[branch] if isinstance(state, ParallelState) else state.iterator  # type: ignore
        return machine  # type: ignore[return-value]


def flow_version(document: Mapping[str, Any]) -> str:
    """Content hash of a definition document, stable across YAML/JSON and key order."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def load_flow_file(path: str | Path, actions: Mapping[str, ActionCheck] | None = None) -> Flow:
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(source, f"cannot be read: {exc.strerror}") from exc
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise DefinitionError(source, f"is not valid {kind}: {str(exc).splitlines()[0]}") from exc
    return parse_flow(document, source, actions)


def parse_flow(document: Any, source: str, actions: Mapping[str, ActionCheck] | None = None) -> Flow:
    if not isinstance(document, dict):
        raise DefinitionError(source, "must be a mapping with 'name', 'start' and 'states'")
    try:
        definition = FlowDefinition.model_validate(document)
    except ValidationError as exc:
        raise _from_validation_error(source, exc) from None
    _check_graph(source, definition)
    _check_input_schema(source, definition)
    _check_triggers(source, definition)
    if actions is not None:
        _check_actions(source, definition, actions)
    return Flow(definition=definition, version=flow_version(document), source=source, document=document)


def _from_validation_error(source: str, exc: ValidationError) -> DefinitionError:
    errors = exc.errors(include_url=False)
    # A typo ("nxt:") shows up as an unknown field AND a missing one; the unknown field is the news.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [str(part) for part in first["loc"]]
    parts, rest = _state_path(loc, first["type"] in ("union_tag_invalid", "union_tag_not_found"))
    state = ".".join(parts) or None
    field_path = _dotted(rest) or None
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        message = "is required"
    elif first["type"] == "extra_forbidden":
        message = "is not a known field"
    more = len(exc.errors()) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return DefinitionError(source, message, state=state, field=field_path)


def _state_path(loc: list[str], tag_error: bool) -> tuple[list[str], list[str]]:
    """Split a pydantic location into the (possibly nested) state it is in and the field.

    Nested states are named through their container: ``fanout.iterator.work`` or
    ``checks.branches.fraud.score``.
    """
    parts: list[str] = []
    rest = loc
    while len(rest) >= 2 and rest[0] == "states":
        parts.append(rest[1])
        rest = rest[2:]
        if not rest:
            return parts, ["type"] if tag_error else []
        rest = rest[1:]  # drop the discriminator tag pydantic puts in the location
        if rest[:2] == ["iterator", "states"]:
            parts.append("iterator")
            rest = rest[1:]
        elif len(rest) >= 3 and rest[0] == "branches" and rest[2] == "states":
            parts += ["branches", rest[1]]
            rest = rest[2:]
    return parts, rest


def _dotted(parts: list[str]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text


def _nested(definition: Machine | FlowDefinition, prefix: str = "") -> list[tuple[str, Machine | FlowDefinition]]:
    """Every state machine of a definition with the prefix that names its states in errors."""
    found: list[tuple[str, Machine | FlowDefinition]] = [(prefix, definition)]
    for name, state in definition.states.items():
        if isinstance(state, MapState):
            found += _nested(state.iterator, f"{prefix}{name}.iterator.")
        elif isinstance(state, ParallelState):
            for branch, machine in state.branches.items():
                found += _nested(machine, f"{prefix}{name}.branches.{branch}.")
    return found


nested_machines = _nested
_STATE_NAME = re.compile(NAME_PATTERN)


def _check_graph(source: str, definition: FlowDefinition) -> None:
    for prefix, machine in _nested(definition):
        _check_machine(source, machine, prefix)


def _check_machine(source: str, machine: Machine | FlowDefinition, prefix: str) -> None:
    """One machine's graph: a defined start, known targets, compensations that are tasks, nothing unreachable.

    A branch or iterator is closed: its states can only go to its own states.
    """
    states = machine.states
    for name in states:
        if not _STATE_NAME.match(str(name)):
            raise DefinitionError(source, "a state name is letters, digits, '_' and '-' (it is part of idempotency "
                                  "keys like run_id:state:attempt)", state=prefix + str(name), field="name")
    if machine.start not in states:
        raise DefinitionError(source, f"start state '{machine.start}' is not defined in 'states'",
                              state=prefix.rstrip(".") or None, field="start")
    compensations: set[str] = set()
    for name, state in states.items():
        for field_name, target in state.targets():
            if target not in states:
                raise DefinitionError(source, f"goes to unknown state '{target}'", state=prefix + name,
                                      field=field_name)
        undo = getattr(state, "compensate", None)
        if isinstance(undo, str):
            if not isinstance(states.get(undo), TaskState):
                raise DefinitionError(source, f"'{undo}' is not a task state of the same machine",
                                      state=prefix + name, field="compensate")
            compensations.add(undo)
    reachable = {machine.start} | compensations
    frontier = list(reachable)
    while frontier:
        for _, target in states[frontier.pop()].targets():
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    for name in states:
        if name not in reachable:
            raise DefinitionError(source, "is unreachable: no path from 'start' leads to it", state=prefix + name,
                                  field="type")


def _check_input_schema(source: str, definition: FlowDefinition) -> None:
    if definition.input_schema is None:
        return
    import fastjsonschema  # compiles to Python code; only flows with a schema pay for the import

    try:
        fastjsonschema.compile(definition.input_schema)
    except fastjsonschema.JsonSchemaDefinitionException as exc:
        raise DefinitionError(source, f"is not a valid JSON Schema: {exc}", field="input_schema") from exc


def _check_triggers(source: str, definition: FlowDefinition) -> None:
    """One webhook per flow (it owns ``/hooks/<flow>``); a schedule's fixed input must pass the input schema now,
    not fail at every firing."""
    webhooks = [i for i, trigger in enumerate(definition.triggers) if trigger.webhook is not None]
    if len(webhooks) > 1:
        raise DefinitionError(source, "a flow has at most one webhook trigger",
                              field=f"triggers[{webhooks[1]}].webhook")
    if definition.input_schema is None:
        return
    import fastjsonschema

    validate = fastjsonschema.compile(definition.input_schema)
    for i, trigger in enumerate(definition.triggers):
        if trigger.schedule is None:
            continue
        try:
            validate(dict(trigger.schedule.input))
        except fastjsonschema.JsonSchemaValueException as exc:
            raise DefinitionError(source, f"does not match input_schema: {exc.message}",
                                  field=f"triggers[{i}].schedule.input") from exc


def _check_actions(source: str, definition: FlowDefinition, actions: Mapping[str, ActionCheck]) -> None:
    for prefix, machine in _nested(definition):
        for name, state in machine.states.items():
            if isinstance(state, TaskState):
                _check_action(source, prefix + name, "", state.action, state.with_, actions)
            undo = getattr(state, "compensate", None)
            if isinstance(undo, CompensateAction):
                _check_action(source, prefix + name, "compensate.", undo.action, undo.with_, actions)


def _check_action(
    source: str, state: str, prefix: str, action: str, with_: Mapping[str, Any], actions: Mapping[str, ActionCheck]
) -> None:
    check = actions.get(action)
    if check is None:
        known = ", ".join(sorted(actions))
        raise DefinitionError(source, f"unknown action '{action}' (known: {known})", state=state,
                              field=f"{prefix}action")
    problem = check(with_)
    if problem is not None:
        field_name, message = problem
        raise DefinitionError(source, message, state=state,
                              field=f"{prefix}with.{field_name}" if field_name else f"{prefix}with")
