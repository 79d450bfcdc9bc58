"""Errors of the run store, translated from PynamoDB/botocore at this boundary."""

from __future__ import annotations

from chalicelib.errors import InsideFlowError

__all__ = ["StoreError", "ConcurrentModification", "RunNotFound", "RunAlreadyExists", "InvalidPageToken"]


class StoreError(InsideFlowError):
    status = 503
    code = "store_unavailable"


class ConcurrentModification(StoreError):
    """Another worker committed this run first (a lost optimistic-locking race)."""

    status = 409
    code = "concurrent_modification"


class RunNotFound(StoreError):
    status = 404
    code = "run_not_found"


class RunAlreadyExists(StoreError):
    status = 409
    code = "run_exists"


class InvalidPageToken(StoreError):
    status = 400
    code = "invalid_page_token"
