"""Built-in actions: ``transform`` (pure JMESPath) and ``http``."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.actions.errors import ActionTimeout, HttpError
from chalicelib.actions.registry import ActionContext, ActionRegistry
from chalicelib.flows.expressions import ExpressionField

__all__ = ["TransformParams", "HttpParams", "transform", "http", "register_builtins"]

_MAX_RESPONSE_BYTES = 256 * 1024


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TransformParams(_Params):
    expression: ExpressionField


class HttpParams(_Params):
    url: str = Field(pattern=r"^https?://")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: ExpressionField | None = None
    timeout: float | None = Field(default=None, gt=0, le=900)


def transform(params: TransformParams, state_input: Any, context: ActionContext) -> Any:
    return params.expression.search(state_input)


def http(params: HttpParams, state_input: Any, context: ActionContext) -> dict[str, Any]:
    """Call an endpoint; the idempotency key travels as a header so the far side can dedupe retries."""
    headers = {"Accept": "application/json", "Idempotency-Key": context.idempotency_key, **params.headers}
    data = None
    if params.body is not None:
        data = json.dumps(params.body.search(state_input)).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(params.url, data=data, method=params.method, headers=headers)
    timeout = params.timeout or context.timeout_seconds
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked by HttpParams
            return _response(response.status, dict(response.headers), response.read(_MAX_RESPONSE_BYTES))
    except urllib.error.HTTPError as exc:
        body = exc.read(1024).decode("utf-8", "replace")
        raise HttpError(f"{params.method} {params.url} answered {exc.code}: {body}", status_code=exc.code) from exc
    except (TimeoutError, socket.timeout) as exc:
        raise ActionTimeout(f"{params.method} {params.url} gave no answer within {timeout}s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise ActionTimeout(f"{params.method} {params.url} gave no answer within {timeout}s") from exc
        raise HttpError(f"{params.method} {params.url} failed: {exc.reason}") from exc


def _response(status: int, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace")
    body: Any = text
    if "json" in headers.get("Content-Type", headers.get("content-type", "")):
        try:
            body = json.loads(text) if text else None
        except json.JSONDecodeError:
            body = text
    return {"status": status, "body": body}


def register_builtins(registry: ActionRegistry) -> ActionRegistry:
    registry.register("transform", TransformParams, transform)
    registry.register("http", HttpParams, http)
    return registry
