"""An EventBridge event matching a flow's ``event`` trigger pattern -> one run per event id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jmespath.exceptions import JMESPathError

from chalicelib.engine import StartedBy
from chalicelib.runtime.services import Services
from chalicelib.runtime.starter import StartResult, start_run
from chalicelib.triggers.errors import MalformedEvent
from chalicelib.triggers.lookup import declared_trigger

__all__ = ["fire_event"]


def fire_event(services: Services, flow_name: str, index: int, event: Mapping[str, Any]) -> StartResult:
    flow = services.flows.current(flow_name)
    trigger = declared_trigger(flow, index, "event")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise MalformedEvent("an EventBridge event needs an 'id'")
    try:
        run_input = trigger.input.search(dict(event)) if trigger.input is not None else event.get("detail", {})
    except JMESPathError as exc:
        raise MalformedEvent(f"flow '{flow_name}' triggers[{index}].event.input: {exc}") from exc
    return start_run(
        services, flow.name, run_input, idempotency_key=f"event:{index}:{event_id}",
        started_by=StartedBy(source="event", identity=str(event.get("source") or "") or None, delivery_id=event_id,
                             trigger=f"triggers[{index}]"),
    )
