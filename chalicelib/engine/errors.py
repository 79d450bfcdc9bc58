"""Errors of the engine itself (a caller bug), as opposed to a run failing."""

from __future__ import annotations

from chalicelib.errors import InsideFlowError

__all__ = ["EngineError", "ErrorName"]


class EngineError(InsideFlowError):
    """An event that cannot apply to the run's current state."""

    status = 409
    code = "invalid_transition"


class ErrorName:
    """Names of the errors the engine itself raises inside a run (catchable by name)."""

    GUARD_FAILED = "GuardFailed"
    NO_CHOICE_MATCHED = "NoChoiceMatched"
    INVALID_WAIT_TIME = "InvalidWaitTime"
    EXPRESSION_FAILED = "ExpressionFailed"
    INVALID_RESULT = "InvalidResult"
    TIMEOUT = "Timeout"
    TOLERATED_FAILURES_EXCEEDED = "ToleratedFailureExceeded"
    INVALID_ITEMS = "InvalidItems"
    CANCELLED = "Cancelled"
    SUBFLOW_FAILED = "SubflowFailed"
