"""The run repository: every read and write of run state goes through here.

An ordinary commit is ONE conditional write of the run item, guarded by its
version (optimistic locking), that carries the history events of the
transition in ``pending_events``: the run and its events change atomically in
a single item. The events are then copied to their own ``EVT#`` items (plain,
idempotent puts: an event's content is fixed by the commit that made it). A
crash between the two leaves the events safe in the run item; the sweeper's
message makes the next worker ``flush`` them, and readers merge them in.
This costs 1 write unit per item instead of the 2 a transaction charges.

Commits that must change several items together (creating a run, a branch
finishing into its join, closing a join, a run finishing) use one
transaction, events included. A lost race raises
:class:`ConcurrentModification`; the caller drops the message.

A branch's finishing transaction also ADDs to its group's join counter
(conditioned on the join being open) and activates the next item of its lane.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.engine import Decision, HistoryEvent, RunState, RunStatus
from chalicelib.flows import Flow
from chalicelib.store.codec import dict_to_event, due_shard, event_to_item, item_to_event, item_to_run, run_to_item
from chalicelib.store.errors import (
    ConcurrentModification, GroupClosed, InvalidPageToken, RunAlreadyExists, StoreError, TransientConflict,
)
from chalicelib.store.models import (
    JOIN_CLOSED, JOIN_OPEN, RUN_SK, TableModels, branch_key, definition_key, event_key, join_key, run_key,
)

__all__ = ["StoredRun", "RunSummary", "RunPage", "RunRepository", "DynamoRunRepository", "merge_pending"]

_CONFLICT_CODES = {"ConditionalCheckFailedException", "TransactionCanceledException"}


@dataclass(frozen=True)
class StoredRun:
    """A cursor as stored; ``successor`` is the map item its lane starts when it finishes."""

    run: RunState
    version: int
    successor: str | None = None
    due_at: datetime | None = None
    pending_events: tuple[HistoryEvent, ...] = ()


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    flow: str
    status: str
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class RunPage:
    runs: list[RunSummary]
    next_token: str | None


class RunRepository(Protocol):
    def create(self, decision: Decision) -> int: ...
    def get(self, run_id: str, branch: str | None = None) -> StoredRun | None: ...
    def commit(self, decision: Decision, expected_version: int, successor: str | None = None,
               due_since: datetime | None = None) -> int: ...
    def flush(self, stored: StoredRun) -> None: ...
    def history(self, run_id: str, after_seq: int = 0, limit: int = 100,
                branch: str | None = None) -> list[HistoryEvent]: ...
    def list_runs(self, flow: str | None, status: str | None, limit: int, next_token: str | None) -> RunPage: ...
    def publish_definition(self, flow: Flow, now: datetime) -> None: ...
    def get_definition(self, name: str, version: str) -> dict[str, Any] | None: ...


class DynamoRunRepository:
    def __init__(self, models: TableModels) -> None:
        self._models = models
        meta = models.run.Meta
        self._connection = Connection(region=meta.region, host=meta.host)

    def create(self, decision: Decision) -> int:
        """Write a new run and its first events; fails with RunAlreadyExists if the id is taken."""
        item = run_to_item(self._models, decision.run, decision.due_at, version=None)
        try:
            self._transact(item, decision)
        except ConcurrentModification as exc:
            raise RunAlreadyExists(f"run '{decision.run.run_id}' already exists") from exc
        return int(item.version)

    def get(self, run_id: str, branch: str | None = None) -> StoredRun | None:
        """The run, or one of its branches (strongly consistent)."""
        model: Any = self._models.run if branch is None else self._models.branch
        try:
            item = model.get(run_key(run_id), RUN_SK if branch is None else branch_key(branch), consistent_read=True)
        except model.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise StoreError(f"reading run '{run_id}' failed: {exc.cause_response_code or exc}") from exc
        return StoredRun(
            run=item_to_run(item),
            version=int(item.version),
            successor=getattr(item, "successor", None),
            due_at=item.due_at,
            pending_events=tuple(dict_to_event(e) for e in item.pending_events or ()),
        )

    def commit(self, decision: Decision, expected_version: int, successor: str | None = None,
               due_since: datetime | None = None) -> int:
        """Commit one transition; ``due_since`` is the cursor's stored ``due_at`` (see :func:`_due_at`)."""
        run = decision.run
        due_at = _due_at(decision, due_since)
        if decision.close_group is not None or run.status.finished:
            item = run_to_item(self._models, run, due_at, version=expected_version, successor=successor)
            self._transact(item, decision, successor)
            return int(item.version)
        item = run_to_item(self._models, run, due_at, version=expected_version, successor=successor,
                           pending=decision.events)
        try:
            item.save()  # PynamoDB adds "version = expected" and increments it
        except PutError as exc:
            if exc.cause_response_code in _CONFLICT_CODES:
                raise ConcurrentModification(f"run '{run.run_id}' moved on") from exc
            raise StoreError(f"saving run '{run.run_id}' failed: {exc.cause_response_code}") from exc
        self._put_events(run.run_id, run.branch, decision.events)
        return int(item.version)

    def flush(self, stored: StoredRun) -> None:
        """Copy the events of the cursor's last commit to their items again (after a crash; idempotent)."""
        self._put_events(stored.run.run_id, stored.run.branch, stored.pending_events)

    def _put_events(self, run_id: str, branch: str | None, events: tuple[HistoryEvent, ...]) -> None:
        try:
            for event in events:
                event_to_item(self._models, run_id, event, branch).save()
        except PutError as exc:
            raise StoreError(f"writing history of run '{run_id}' failed: {exc.cause_response_code}") from exc

    def history(self, run_id: str, after_seq: int = 0, limit: int = 100,
                branch: str | None = None) -> list[HistoryEvent]:
        query = self._models.event.query(
            run_key(run_id),
            self._models.event.sk.between(event_key(after_seq + 1, branch), event_key(10**9 - 1, branch)),
            consistent_read=True,
            limit=limit,
        )
        return [item_to_event(item) for item in query]

    def list_runs(self, flow: str | None, status: str | None, limit: int, next_token: str | None) -> RunPage:
        model = self._models.run
        start_key = _decode_token(next_token)
        if flow is not None:
            query = model.by_flow.query(
                flow, scan_index_forward=False, limit=limit, last_evaluated_key=start_key,
                filter_condition=(model.status == status) if status else None,
            )
        elif status is not None:
            query = model.by_status.query(status, scan_index_forward=False, limit=limit, last_evaluated_key=start_key)
        else:
            raise ValueError("list_runs needs a flow or a status")
        runs = [
            RunSummary(
                run_id=item.run_id,
                flow=flow or item.flow,
                status=status or item.status,
                started_at=item.started_at,
                finished_at=item.finished_at,
            )
            for item in query
        ]
        return RunPage(runs=runs, next_token=_encode_token(query.last_evaluated_key))

    def publish_definition(self, flow: Flow, now: datetime) -> None:
        pk, sk = definition_key(flow.name, flow.version)
        item = self._models.definition(
            pk=pk, sk=sk, name=flow.name, version=flow.version, document=dict(flow.document), published_at=now
        )
        try:
            item.save(condition=self._models.definition.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise StoreError(f"publishing {flow.name}@{flow.version} failed: {exc.cause_response_code}") from exc

    def get_definition(self, name: str, version: str) -> dict[str, Any] | None:
        pk, sk = definition_key(name, version)
        try:
            return dict(self._models.definition.get(pk, sk).document)
        except self._models.definition.DoesNotExist:
            return None

    def _transact(self, run_item: Any, decision: Decision, successor: str | None = None) -> None:
        event_model = self._models.event
        join = self._models.join
        run = decision.run
        join_update: int | None = None  # position of the join ADD among the transaction's items
        try:
            with TransactWrite(connection=self._connection) as transaction:
                if run_item.version is None:
                    transaction.save(run_item, condition=self._models.run.pk.does_not_exist())
                else:
                    transaction.save(run_item)
                for event in decision.events:
                    transaction.save(
                        event_to_item(self._models, run.run_id, event, run.branch),
                        condition=event_model.pk.does_not_exist(),
                    )
                if run.branch is not None and run.group is not None and run.status in _COUNTED:
                    join_update = 1 + len(decision.events)
                    actions = [join.done.add(1)]
                    if run.status is RunStatus.FAILED:
                        actions.append(join.failed.add(1))
                    transaction.update(join(run_key(run.run_id), join_key(run.group)), actions=actions,
                                       condition=join.join_status == JOIN_OPEN)
                    if successor is not None:
                        self._activate(transaction, run, successor)
                if decision.close_group is not None:
                    transaction.update(join(run_key(run.run_id), join_key(decision.close_group)),
                                       actions=[join.join_status.set(JOIN_CLOSED)],
                                       condition=join.pk.exists())
        except TransactWriteError as exc:
            raise _translate(exc, run, join_update) from exc

    def _activate(self, transaction: TransactWrite, run: RunState, successor: str) -> None:
        """Make the lane's next item due; it has never run, so its version is still 1."""
        branch = self._models.branch
        now = run.updated_at
        transaction.update(
            branch(run_key(run.run_id), branch_key(successor)),
            actions=[branch.due_shard.set(due_shard(run.run_id, successor)), branch.due_at.set(now)],
            condition=branch.version == 1,
            add_version_condition=False,
        )


_COUNTED = (RunStatus.SUCCEEDED, RunStatus.FAILED)


def _due_at(decision: Decision, due_since: datetime | None) -> datetime | None:
    """When the sweeper should consider the cursor late, changed as rarely as possible.

    Every change of ``due_at`` rewrites the cursor's entry in the ``due`` index (a delete and a put,
    2 write units). Through a streak of immediate steps the value therefore stays at the time the
    streak began; the sweeper tells a late cursor from a busy one by its ``updated_at``.
    """
    if decision.work is None:
        return None
    immediate = decision.work.at <= decision.run.updated_at
    if immediate and due_since is not None and due_since <= decision.work.at:
        return due_since
    return decision.work.at


def merge_pending(events: list[HistoryEvent], pending: tuple[HistoryEvent, ...], after_seq: int,
                  limit: int) -> list[HistoryEvent]:
    """History as readers should see it: event items plus any the last commit has not copied out yet."""
    have = {event.seq for event in events}
    extra = [event for event in pending if event.seq > after_seq and event.seq not in have]
    if not extra:
        return events
    return sorted(events + extra, key=lambda event: event.seq)[:limit]


def _translate(exc: TransactWriteError, run: RunState, join_update: int | None) -> Exception:
    reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
    if join_update is not None and len(reasons) > join_update and reasons[join_update] == "ConditionalCheckFailed":
        return GroupClosed(f"the join of branch '{run.branch}' is closed")
    if reasons and reasons[0] == "ConditionalCheckFailed":
        return ConcurrentModification(f"run '{run.run_id}' moved on")
    if "TransactionConflict" in reasons:
        return TransientConflict(f"run '{run.run_id}': a concurrent transaction touched the same item")
    if exc.cause_response_code in _CONFLICT_CODES:
        return ConcurrentModification(f"run '{run.run_id}' moved on")
    return StoreError(f"committing run '{run.run_id}' failed: {exc.cause_response_code}")


def _encode_token(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode() if key else None


def _decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidPageToken("next_token is not a token this API returned") from exc
    if not isinstance(key, dict):
        raise InvalidPageToken("next_token is not a token this API returned")
    return key
