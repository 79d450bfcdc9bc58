"""Validating a run's input against its flow's ``input_schema`` (JSON Schema)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalicelib.errors import InsideFlowError
from chalicelib.flows.loader import Flow

__all__ = ["InvalidInput", "validate_input"]


class InvalidInput(InsideFlowError):
    status = 400
    code = "invalid_input"


@functools.lru_cache(maxsize=256)
def _validator(schema_json: str) -> Callable[[Any], Any]:
    import fastjsonschema  # compiled once per schema, imported only when a flow has one

    return fastjsonschema.compile(json.loads(schema_json))


def validate_input(flow: Flow, data: Any) -> None:
    if not isinstance(data, dict):
        raise InvalidInput(f"the input of flow '{flow.name}' must be a JSON object", field="input")
    schema = flow.definition.input_schema
    if schema is None:
        return
    import fastjsonschema

    try:
        _validator(json.dumps(schema, sort_keys=True))(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        path = "input" + str(exc.name).removeprefix("data")
        raise InvalidInput(f"{path}: {exc.message.removeprefix(str(exc.name) + ' ')}", field=path) from exc
