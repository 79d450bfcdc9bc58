"""Parsing API input: bodies and query strings into typed values, with the failing field named."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.api.responses import InvalidJson, InvalidRequest
from chalicelib.engine import RunStatus

__all__ = ["StartRunBody", "CancelBody", "RedriveBody", "ListRunsQuery", "parse_body", "parse_query"]


class StartRunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(default_factory=dict)
    run_id: str | None = None


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)
    compensate: bool = False


class RedriveBody(BaseModel):
    """``patch`` is merged into the run context (top-level keys); ``latest`` moves the run to the newest version."""

    model_config = ConfigDict(extra="forbid")

    patch: dict[str, Any] = Field(default_factory=dict)
    latest: bool = False


class ListRunsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow: str | None = None
    status: RunStatus | None = None
    limit: int = Field(default=25, ge=1, le=100)
    next_token: str | None = None


class HistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: int = Field(default=0, ge=0)
    limit: int = Field(default=100, ge=1, le=1000)


def _validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        message = "is not a known field" if first["type"] == "extra_forbidden" else first["msg"]
        if first["type"] == "extra_forbidden" and model is StartRunBody:
            message += "; put the run input under 'input'"
        raise InvalidRequest(f"{field}: {message}" if field else message, field=field) from None


def parse_body(model: type[BaseModel], raw: bytes | None) -> Any:
    if not raw:
        return _validate(model, {})
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object")
    return _validate(model, data)


def parse_query(model: type[BaseModel], params: dict[str, str] | None) -> Any:
    return _validate(model, dict(params or {}))
