"""Errors an action raises; ``error_name`` is what a definition's catch/retry matches on."""

from __future__ import annotations

from chalicelib.errors import InsideFlowError

__all__ = ["ActionError", "HttpError", "ActionTimeout"]


class ActionError(InsideFlowError):
    status = 502
    code = "action_failed"
    error_name = "ActionError"
    retryable = False


class HttpError(ActionError):
    """The endpoint answered with a non-2xx status (5xx and 429 are worth retrying)."""

    error_name = "HttpError"

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retryable = status_code is None or status_code >= 500 or status_code == 429


class ActionTimeout(ActionError):
    error_name = "Timeout"
    retryable = True
