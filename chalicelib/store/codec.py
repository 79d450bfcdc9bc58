"""Translation between engine values (RunState, HistoryEvent) and table items."""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from chalicelib.engine import EventType, HistoryEvent, RunError, RunState, RunStatus, StartedBy
from chalicelib.store.models import DUE_SHARDS, RUN_SK, TableModels, branch_key, event_key, run_key

__all__ = [
    "run_to_item", "item_to_run", "event_to_item", "item_to_event", "event_to_dict", "dict_to_event", "due_shard",
]


def due_shard(run_id: str, branch: str | None = None) -> str:
    """Spread the sparse due index over a few partitions so no single key is hot."""
    return f"DUE#{zlib.crc32((run_id + (branch or '')).encode()) % DUE_SHARDS}"


def run_to_item(models: TableModels, run: RunState, due_at: datetime | None, version: int | None,
                successor: str | None = None, pending: tuple[HistoryEvent, ...] = ()) -> Any:
    """The run item, or the branch item when the cursor is a branch (``successor``: the next item of its lane).

    ``pending`` are the history events committed with this write, kept in the item until the next commit.
    """
    extra: dict[str, Any] = {}
    model: Any = models.run
    if run.branch is not None:
        model = models.branch
        extra = {"branch": run.branch, "machine": run.machine, "group": run.group, "successor": successor}
    item = model(
        pk=run_key(run.run_id),
        sk=RUN_SK if run.branch is None else branch_key(run.branch),
        run_id=run.run_id,
        flow=run.flow,
        flow_version=run.flow_version,
        status=run.status.value,
        cursor=run.cursor,
        context=run.context,
        attempt=run.attempt,
        event_count=run.event_count,
        wake_at=run.wake_at,
        started_at=run.started_at,
        updated_at=run.updated_at,
        finished_at=run.finished_at,
        started_by=_started_by_dict(run.started_by),
        error=run.error.to_dict() if run.error else None,
        due_shard=due_shard(run.run_id, run.branch) if due_at is not None else None,
        due_at=due_at,
        children=run.children,
        child_run=run.child_run,
        deadline=run.deadline,
        run_deadline=run.run_deadline,
        compensations=list(run.compensations) or None,
        unwinding=run.unwinding.to_dict() if run.unwinding else None,
        pending_events=[event_to_dict(event) for event in pending] or None,
        **extra,
    )
    if version is not None:
        item.version = version
    return item


def item_to_run(item: Any) -> RunState:
    started_by = item.started_by or {}
    return RunState(
        run_id=item.run_id,
        flow=item.flow,
        flow_version=item.flow_version,
        status=RunStatus(item.status),
        cursor=item.cursor,
        context=item.context or {},
        attempt=int(item.attempt),
        event_count=int(item.event_count),
        wake_at=item.wake_at,
        started_at=item.started_at,
        updated_at=item.updated_at,
        finished_at=item.finished_at,
        started_by=StartedBy(**started_by),
        error=RunError(**item.error) if item.error else None,
        branch=getattr(item, "branch", None),
        machine=getattr(item, "machine", None),
        group=getattr(item, "group", None),
        children=item.children,
        child_run=getattr(item, "child_run", None),
        deadline=item.deadline,
        run_deadline=item.run_deadline,
        compensations=tuple(item.compensations or ()),
        unwinding=RunError(**item.unwinding) if item.unwinding else None,
    )


def event_to_item(models: TableModels, run_id: str, event: HistoryEvent, branch: str | None = None) -> Any:
    return models.event(
        pk=run_key(run_id),
        sk=event_key(event.seq, branch),
        seq=event.seq,
        type=event.type.value,
        time=event.time,
        state=event.state,
        next=event.next,
        attempt=event.attempt,
        error=event.error.to_dict() if event.error else None,
        detail=event.detail or None,
    )


def item_to_event(item: Any) -> HistoryEvent:
    return HistoryEvent(
        seq=int(item.seq),
        type=EventType(item.type),
        time=item.time,
        state=item.state,
        next=item.next,
        attempt=int(item.attempt) if item.attempt is not None else None,
        error=RunError(**item.error) if item.error else None,
        detail=item.detail or {},
    )


def event_to_dict(event: HistoryEvent) -> dict[str, Any]:
    """An event as JSON, for the ``pending_events`` attribute of its run item."""
    data: dict[str, Any] = {"seq": event.seq, "type": event.type.value, "time": event.time.isoformat()}
    for name in ("state", "next", "attempt"):
        if getattr(event, name) is not None:
            data[name] = getattr(event, name)
    if event.error is not None:
        data["error"] = event.error.to_dict()
    if event.detail:
        data["detail"] = event.detail
    return data


def dict_to_event(data: dict[str, Any]) -> HistoryEvent:
    return HistoryEvent(
        seq=int(data["seq"]),
        type=EventType(data["type"]),
        time=datetime.fromisoformat(data["time"]),
        state=data.get("state"),
        next=data.get("next"),
        attempt=data.get("attempt"),
        error=RunError(**data["error"]) if data.get("error") else None,
        detail=data.get("detail") or {},
    )


def _started_by_dict(started_by: StartedBy) -> dict[str, Any]:
    return {k: v for k, v in vars(started_by).items() if v is not None}
