"""Branches and joins of parallel/map states: creating them, reading a join, gathering outcomes, closing.

Writes here are idempotent so a redelivered spawn message can run them again:
the join is created once (``attribute_not_exists``), and a retried spawn puts
only the branch items that are missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pynamodb.exceptions import PutError, PynamoDBException

from chalicelib.engine import Decision, RunState
from chalicelib.store.codec import event_to_item, item_to_run, run_to_item
from chalicelib.store.due import DueCursor, overdue
from chalicelib.store.errors import StoreError
from chalicelib.store.models import JOIN_CLOSED, JOIN_OPEN, TableModels, branch_key, join_key, run_key

__all__ = ["JoinState", "NewBranch", "BranchStore", "DynamoBranchStore"]


@dataclass(frozen=True)
class JoinState:
    group: str
    state: str
    parent_branch: str | None
    total: int
    tolerated: int
    done: int
    failed: int
    open: bool

    @property
    def complete(self) -> bool:
        """Every branch finished, or more failed than tolerated: the parent can join."""
        return self.done >= self.total or self.failed > self.tolerated


@dataclass(frozen=True)
class NewBranch:
    decision: Decision
    active: bool
    successor: str | None


class BranchStore(Protocol):
    def create_join(self, run_id: str, group: str, state: str, parent_branch: str | None, total: int,
                    tolerated: int, now: datetime) -> bool: ...
    def create_branches(self, branches: list[NewBranch], retrying: bool) -> None: ...
    def join(self, run_id: str, group: str) -> JoinState | None: ...
    def outcomes(self, run_id: str, group: str) -> list[RunState]: ...
    def overdue(self, before: datetime) -> list[DueCursor]:
        return overdue(self._models, before)

    def close(self, run_id: str, group: str) -> None: ...
    def overdue(self, before: datetime) -> list[DueCursor]: ...


class DynamoBranchStore:
    def __init__(self, models: TableModels) -> None:
        self._models = models

    def create_join(self, run_id: str, group: str, state: str, parent_branch: str | None, total: int,
                    tolerated: int, now: datetime) -> bool:
        """Create the join; False if it already exists (this spawn is a retry)."""
        join = self._models.join
        item = join(pk=run_key(run_id), sk=join_key(group), group=group, state=state, parent_branch=parent_branch,
                    join_status=JOIN_OPEN, total=total, tolerated=tolerated, done=0, failed=0, created_at=now)
        try:
            item.save(condition=join.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise StoreError(f"creating join '{group}' failed: {exc.cause_response_code}") from exc
        return True

    def create_branches(self, branches: list[NewBranch], retrying: bool) -> None:
        """Write branch items and their first events; on a retry, only the ones that do not exist yet."""
        if not branches:
            return
        items: list[Any] = []
        for new in branches:
            run = new.decision.run
            item = run_to_item(self._models, run, new.decision.due_at if new.active else None, version=None,
                               successor=new.successor)
            items.append((item, [event_to_item(self._models, run.run_id, e, run.branch)
                                 for e in new.decision.events]))
        try:
            if retrying:
                for item, events in items:
                    try:
                        item.save()  # a new item: PynamoDB conditions on the version not existing
                    except PutError as exc:
                        if exc.cause_response_code != "ConditionalCheckFailedException":
                            raise
                        continue
                    for event in events:
                        event.save()
                return
            with self._models.branch.batch_write() as batch:
                for item, events in items:
                    item.version = 1  # a batch write does not manage versions
                    batch.save(item)
                    for event in events:
                        batch.save(event)
        except PynamoDBException as exc:
            raise StoreError(f"creating branches failed: {exc.cause_response_code or exc}") from exc

    def join(self, run_id: str, group: str) -> JoinState | None:
        join = self._models.join
        try:
            item = join.get(run_key(run_id), join_key(group), consistent_read=True)
        except join.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise StoreError(f"reading join '{group}' failed: {exc.cause_response_code or exc}") from exc
        return JoinState(group=item.group, state=item.state, parent_branch=item.parent_branch, total=int(item.total),
                         tolerated=int(item.tolerated), done=int(item.done), failed=int(item.failed),
                         open=item.join_status == JOIN_OPEN)

    def outcomes(self, run_id: str, group: str) -> list[RunState]:
        """Every branch of the group, in key order (map items are zero-padded, so this is item order)."""
        branch = self._models.branch
        query = branch.query(run_key(run_id), branch.sk.startswith(branch_key(f"{group}#")),
                             filter_condition=branch.group == group, consistent_read=True)
        try:
            return [item_to_run(item) for item in query]
        except PynamoDBException as exc:
            raise StoreError(f"reading branches of '{group}' failed: {exc.cause_response_code or exc}") from exc

    def overdue(self, before: datetime) -> list[DueCursor]:
        return overdue(self._models, before)

    def close(self, run_id: str, group: str) -> None:
        join = self._models.join
        try:
            join(run_key(run_id), join_key(group)).update(actions=[join.join_status.set(JOIN_CLOSED)],
                                                          condition=join.pk.exists())
        except PynamoDBException as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise StoreError(f"closing join '{group}' failed: {exc.cause_response_code or exc}") from exc
