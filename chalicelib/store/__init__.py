"""Run state in DynamoDB through PynamoDB: models, codec and the run repository."""

from chalicelib.store.branches import BranchStore, DynamoBranchStore, JoinState, NewBranch
from chalicelib.store.due import DueCursor, overdue
from chalicelib.store.errors import (
    ConcurrentModification,
    GroupClosed,
    TransientConflict,
    InvalidPageToken,
    RunAlreadyExists,
    RunNotFound,
    StoreError,
)
from chalicelib.store.models import TableModels, bind_models
from chalicelib.store.repository import DynamoRunRepository, RunPage, RunRepository, RunSummary, StoredRun

__all__ = [
    "BranchStore",
    "ConcurrentModification",
    "DueCursor",
    "DynamoBranchStore",
    "GroupClosed",
    "JoinState",
    "NewBranch",
    "TransientConflict",
    "overdue",
    "DynamoRunRepository",
    "InvalidPageToken",
    "RunAlreadyExists",
    "RunNotFound",
    "RunPage",
    "RunRepository",
    "RunSummary",
    "StoreError",
    "StoredRun",
    "TableModels",
    "bind_models",
]
