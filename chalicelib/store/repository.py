"""The run repository: every read and write of run state goes through here.

A commit is one DynamoDB transaction: the run item, guarded by its version
(optimistic locking), plus the history events of that transition, each guarded
by ``attribute_not_exists`` so an event can never be written twice. A lost race
raises :class:`ConcurrentModification`; the caller drops the message.
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

from chalicelib.engine import Decision, HistoryEvent, RunState
from chalicelib.flows import Flow
from chalicelib.store.codec import event_to_item, item_to_event, item_to_run, run_to_item
from chalicelib.store.errors import ConcurrentModification, InvalidPageToken, RunAlreadyExists, StoreError
from chalicelib.store.models import RUN_SK, TableModels, definition_key, event_key, run_key

__all__ = ["StoredRun", "RunSummary", "RunPage", "RunRepository", "DynamoRunRepository"]

_CONFLICT_CODES = {"ConditionalCheckFailedException", "TransactionCanceledException"}


@dataclass(frozen=True)
class StoredRun:
    run: RunState
    version: int


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
    def get(self, run_id: str) -> StoredRun | None: ...
    def commit(self, decision: Decision, expected_version: int) -> int: ...
    def history(self, run_id: str, after_seq: int = 0, limit: int = 100) -> list[HistoryEvent]: ...
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

    def get(self, run_id: str) -> StoredRun | None:
        try:
            item = self._models.run.get(run_key(run_id), RUN_SK, consistent_read=True)
        except self._models.run.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise StoreError(f"reading run '{run_id}' failed: {exc.cause_response_code or exc}") from exc
        return StoredRun(run=item_to_run(item), version=int(item.version))

    def commit(self, decision: Decision, expected_version: int) -> int:
        item = run_to_item(self._models, decision.run, decision.due_at, version=expected_version)
        if decision.events:
            self._transact(item, decision)
            return int(item.version)
        try:
            item.save()  # PynamoDB adds "version = expected" and increments it
        except PutError as exc:
            if exc.cause_response_code in _CONFLICT_CODES:
                raise ConcurrentModification(f"run '{decision.run.run_id}' moved on") from exc
            raise StoreError(f"saving run '{decision.run.run_id}' failed: {exc.cause_response_code}") from exc
        return int(item.version)

    def history(self, run_id: str, after_seq: int = 0, limit: int = 100) -> list[HistoryEvent]:
        query = self._models.event.query(
            run_key(run_id),
            self._models.event.sk.between(event_key(after_seq + 1), event_key(10**9 - 1)),
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

    def _transact(self, run_item: Any, decision: Decision) -> None:
        event_model = self._models.event
        try:
            with TransactWrite(connection=self._connection) as transaction:
                if run_item.version is None:
                    transaction.save(run_item, condition=self._models.run.pk.does_not_exist())
                else:
                    transaction.save(run_item)
                for event in decision.events:
                    transaction.save(
                        event_to_item(self._models, decision.run.run_id, event),
                        condition=event_model.pk.does_not_exist(),
                    )
        except TransactWriteError as exc:
            if exc.cause_response_code in _CONFLICT_CODES:
                raise ConcurrentModification(f"run '{decision.run.run_id}' moved on") from exc
            raise StoreError(f"committing run '{decision.run.run_id}' failed: {exc.cause_response_code}") from exc


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
