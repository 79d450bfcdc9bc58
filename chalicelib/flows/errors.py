"""Errors raised while loading or validating a flow definition."""

from __future__ import annotations

from chalicelib.errors import InsideFlowError

__all__ = ["DefinitionError", "FlowNotFound"]


class DefinitionError(InsideFlowError):
    """A definition is invalid; the message names the file, the state and the field."""

    status = 400
    code = "invalid_definition"

    def __init__(self, file: str, message: str, *, state: str | None = None, field: str | None = None) -> None:
        where = [file]
        if state is not None:
            where.append(f"state '{state}'")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{': '.join([', '.join(where), message])}", field=field)
        self.file = file
        self.state = state
        self.problem = message


class FlowNotFound(InsideFlowError):
    status = 404
    code = "flow_not_found"
