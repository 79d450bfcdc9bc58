"""Errors of the run store, translated from PynamoDB/botocore at this boundary."""

from __future__ import annotations

from chalicelib.errors import InsideFlowError

__all__ = ["StoreError", "ConcurrentModification", "GroupClosed", "TransientConflict", "RunNotFound",
           "RunAlreadyExists", "InvalidPageToken"]


class StoreError(InsideFlowError):
    status = 503
    code = "store_unavailable"


class ConcurrentModification(StoreError):
    """Another worker committed this run first (a lost optimistic-locking race)."""

    status = 409
    code = "concurrent_modification"


class GroupClosed(StoreError):
    """A branch tried to finish into a join its parent already closed (failed, timed out or cancelled)."""

    status = 409
    code = "group_closed"


class TransientConflict(StoreError):
    """DynamoDB cancelled a transaction for a concurrent one on the same item; retrying succeeds."""

    status = 503
    code = "transaction_conflict"


class RunNotFound(StoreError):
    status = 404
    code = "run_not_found"


class RunAlreadyExists(StoreError):
    status = 409
    code = "run_exists"


class InvalidPageToken(StoreError):
    status = 400
    code = "invalid_page_token"
