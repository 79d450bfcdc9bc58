"""What each API route does, as plain functions of (services, parsed input) -> (status, body, headers)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.requests import (
    CancelBody, HistoryQuery, ListRunsQuery, RedriveBody, StartRunBody, parse_body, parse_query,
)
from chalicelib.api.responses import InvalidRequest
from chalicelib.api.views import event_view, run_view, summary_view, timeline
from chalicelib.engine import StartedBy
from chalicelib.runtime.control import cancel_run, redrive_run
from chalicelib.runtime.services import Services
from chalicelib.runtime.starter import start_run
from chalicelib.store import RunNotFound, StoredRun
from chalicelib.store.repository import merge_pending

__all__ = ["ApiResult", "start", "describe_run", "run_history", "list_runs", "list_flows", "describe_flow", "cancel",
           "redrive"]

ApiResult = tuple[int, Any, dict[str, str]]

_TIMELINE_EVENTS = 2000


def start(
    services: Services, flow: str, raw_body: bytes | None, idempotency_key: str | None, caller: str | None
) -> ApiResult:
    body = parse_body(StartRunBody, raw_body)
    result = start_run(
        services, flow, body.input, run_id=body.run_id, idempotency_key=idempotency_key,
        started_by=StartedBy(source="api", identity=caller),
    )
    view = run_view(result.stored)
    return (201 if result.created else 200), view, {"Location": f"/runs/{view['run_id']}"}


def cancel(services: Services, run_id: str, raw_body: bytes | None) -> ApiResult:
    body = parse_body(CancelBody, raw_body)
    return 202, run_view(cancel_run(services, run_id, body.reason, body.compensate)), {}


def redrive(services: Services, run_id: str, raw_body: bytes | None) -> ApiResult:
    body = parse_body(RedriveBody, raw_body)
    return 202, run_view(redrive_run(services, run_id, body.patch or None, body.latest)), {}


def _load(services: Services, run_id: str) -> StoredRun:
    stored = services.repository.get(run_id)
    if stored is None:
        raise RunNotFound(f"no run with id '{run_id}'")
    return stored


def describe_run(services: Services, run_id: str) -> ApiResult:
    stored = _load(services, run_id)
    events = merge_pending(services.repository.history(run_id, 0, _TIMELINE_EVENTS), stored.pending_events, 0,
                           _TIMELINE_EVENTS)
    view = run_view(stored)
    view["timeline"] = timeline(stored.run, events)
    view["timeline_truncated"] = stored.run.event_count > len(events)
    return 200, view, {}


def run_history(services: Services, run_id: str, params: dict[str, str] | None) -> ApiResult:
    query = parse_query(HistoryQuery, params)
    stored = _load(services, run_id)
    events = merge_pending(services.repository.history(run_id, query.after, query.limit), stored.pending_events,
                           query.after, query.limit)
    last = events[-1].seq if events else query.after
    return 200, {
        "run_id": run_id,
        "events": [event_view(e) for e in events],
        "next_after": last if last < stored.run.event_count else None,
    }, {}


def list_runs(services: Services, params: dict[str, str] | None) -> ApiResult:
    query = parse_query(ListRunsQuery, params)
    if query.flow is None and query.status is None:
        raise InvalidRequest("give at least one of 'flow' or 'status'", field="flow")
    if query.flow is not None:
        services.flows.current(query.flow)  # 404 for a flow that does not exist
    page = services.repository.list_runs(
        query.flow, query.status.value if query.status else None, query.limit, query.next_token
    )
    return 200, {"runs": [summary_view(s) for s in page.runs], "next_token": page.next_token}, {}


def list_flows(services: Services) -> ApiResult:
    flows = [
        {"name": f.name, "version": f.version, "description": f.definition.description, "start": f.definition.start,
         "states": len(f.definition.states)}
        for f in services.flows.catalog
    ]
    return 200, {"flows": flows}, {}


def describe_flow(services: Services, name: str) -> ApiResult:
    flow = services.flows.current(name)
    return 200, {"name": flow.name, "version": flow.version, "source": flow.source,
                 "definition": dict(flow.document)}, {}
