"""JSON responses and the single place where errors become HTTP statuses.

Imports stay light on purpose: app.py imports this module at cold start.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from chalice import Response

from chalicelib.errors import InsideFlowError

__all__ = ["json_response", "error_response", "api_errors", "InvalidRequest", "InvalidJson"]

F = TypeVar("F", bound=Callable[..., Response])


class InvalidRequest(InsideFlowError):
    status = 400
    code = "invalid_request"


class InvalidJson(InvalidRequest):
    code = "invalid_json"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, default=_default, separators=(",", ":")),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_response(error: InsideFlowError) -> Response:
    return json_response({"error": error.to_body()}, status=error.status)


def api_errors(view: F) -> F:
    """Map every error a route can raise to a JSON error with a stable ``code``; nothing leaks as a bare 500."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except InsideFlowError as exc:
            return error_response(exc)
        except Exception:  # noqa: BLE001 - the last line of defence; details go to the log only
            from chalicelib.runtime.observability import logger

            logger.exception("unhandled error in API route")
            return error_response(InsideFlowError("internal error; see the function's log"))

    return wrapper  # type: ignore[return-value]
