"""Reading the sparse ``due`` index: which cursors should have been worked on by now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import PynamoDBException

from chalicelib.store.errors import StoreError
from chalicelib.store.models import DUE_SHARDS, RUN_SK, TableModels

__all__ = ["DueCursor", "overdue"]


@dataclass(frozen=True)
class DueCursor:
    run_id: str
    branch: str | None


def overdue(models: TableModels, before: datetime, limit_per_shard: int = 500) -> list[DueCursor]:
    """Cursors whose ``due_at`` is earlier than ``before``, across every shard (keys only)."""
    found: list[DueCursor] = []
    for shard in range(DUE_SHARDS):
        query = models.run.due.query(f"DUE#{shard}", models.run.due_at < before, limit=limit_per_shard)
        try:
            for item in query:
                run_id = item.pk.removeprefix("RUN#")
                found.append(DueCursor(run_id, None if item.sk == RUN_SK else item.sk.removeprefix("BR#")))
        except PynamoDBException as exc:
            raise StoreError(f"querying the due index failed: {exc.cause_response_code or exc}") from exc
    return found
