"""Starting a run: validate input, pick a (possibly idempotent) id, commit, enqueue the first step."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib import engine
from chalicelib.errors import InsideFlowError
from chalicelib.flows.input_schema import InvalidInput, validate_input
from chalicelib.queue import schedule
from chalicelib.runtime.services import Services
from chalicelib.store import RunAlreadyExists, StoredRun

__all__ = ["StartResult", "IdempotencyConflict", "start_run", "run_id_for_key"]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_NAMESPACE = uuid.UUID("6f1c2a0e-4b7d-4c59-9a0e-1f0d7a5b8c31")


class IdempotencyConflict(InsideFlowError):
    status = 409
    code = "idempotency_conflict"


@dataclass(frozen=True)
class StartResult:
    stored: StoredRun
    created: bool


def run_id_for_key(flow: str, key: str) -> str:
    """A run id derived from an idempotency key, so a repeated start finds the same run."""
    return str(uuid.uuid5(_NAMESPACE, f"{flow}\n{key}"))


def start_run(
    services: Services,
    flow_name: str,
    run_input: Any,
    *,
    run_id: str | None = None,
    idempotency_key: str | None = None,
    started_by: engine.StartedBy = engine.StartedBy(),
) -> StartResult:
    flow = services.flows.current(flow_name)
    validate_input(flow, run_input)
    if run_id is not None and not _RUN_ID.match(run_id):
        raise InvalidInput("run_id must be 1-128 letters, digits or _.:- and start with a letter or digit",
                           field="run_id")
    if run_id is None:
        run_id = run_id_for_key(flow.name, idempotency_key) if idempotency_key else str(uuid.uuid4())
    now = services.clock.now()
    services.flows.ensure_published(flow, now)
    decision = engine.start(flow, run_id, run_input, now, started_by)
    try:
        version = services.repository.create(decision)
    except RunAlreadyExists:
        existing = services.repository.get(run_id)
        if existing is None or existing.run.flow != flow.name:
            raise IdempotencyConflict(
                f"run '{run_id}' already exists for another flow", field="run_id"
            ) from None
        return StartResult(stored=existing, created=False)
    schedule(services.queue, run_id, version, decision.work, now)
    return StartResult(stored=StoredRun(run=decision.run, version=version), created=True)
