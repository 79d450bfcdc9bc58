"""Run state in DynamoDB through PynamoDB: models, codec and the run repository."""

from chalicelib.store.errors import (
    ConcurrentModification,
    InvalidPageToken,
    RunAlreadyExists,
    RunNotFound,
    StoreError,
)
from chalicelib.store.models import TableModels, bind_models
from chalicelib.store.repository import DynamoRunRepository, RunPage, RunRepository, RunSummary, StoredRun

__all__ = [
    "ConcurrentModification",
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
