"""Load a definition file into a validated :class:`Flow`.

Every problem becomes a :class:`DefinitionError` naming the file, the state and
the field, whether pydantic found it (types, expressions, durations) or the
graph check did (missing start, unknown targets, unreachable states).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from chalicelib.flows.errors import DefinitionError
from chalicelib.flows.models import FlowDefinition, TaskState

__all__ = ["Flow", "ActionCheck", "parse_flow", "load_flow_file", "flow_version", "SUFFIXES"]

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
    first = exc.errors(include_url=False)[0]
    loc = [str(part) for part in first["loc"]]
    state: str | None = None
    if len(loc) >= 2 and loc[0] == "states":
        state = loc[1]
        rest = loc[2:]
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            rest = ["type"]
        elif rest:
            rest = rest[1:]  # drop the discriminator tag pydantic puts in the location
    else:
        rest = loc
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


def _dotted(parts: list[str]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text


def _check_graph(source: str, definition: FlowDefinition) -> None:
    states = definition.states
    if definition.start not in states:
        raise DefinitionError(source, f"start state '{definition.start}' is not defined in 'states'", field="start")
    for name, state in states.items():
        for field_name, target in state.targets():
            if target not in states:
                raise DefinitionError(source, f"goes to unknown state '{target}'", state=name, field=field_name)
    reachable = {definition.start}
    frontier = [definition.start]
    while frontier:
        for _, target in states[frontier.pop()].targets():
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    for name in states:
        if name not in reachable:
            raise DefinitionError(source, "is unreachable: no path from 'start' leads to it", state=name, field="type")


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
    for name, state in definition.states.items():
        if not isinstance(state, TaskState):
            continue
        check = actions.get(state.action)
        if check is None:
            known = ", ".join(sorted(actions))
            raise DefinitionError(source, f"unknown action '{state.action}' (known: {known})", state=name, field="action")
        problem = check(state.with_)
        if problem is not None:
            field_name, message = problem
            raise DefinitionError(source, message, state=name, field=f"with.{field_name}" if field_name else "with")
