"""An EventBridge schedule firing -> one run per flow and scheduled time, even if EventBridge delivers twice."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from chalicelib.engine import StartedBy
from chalicelib.runtime.services import Services
from chalicelib.runtime.starter import StartResult, start_run
from chalicelib.triggers.errors import MalformedEvent
from chalicelib.triggers.lookup import declared_trigger

__all__ = ["fire_schedule", "scheduled_event", "scheduled_time"]


def scheduled_time(event: Mapping[str, Any]) -> str:
    """The event's ``time`` normalised to ``YYYY-MM-DDTHH:MM:SSZ``, so format variations cannot split a dedupe."""
    try:
        moment = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError) as exc:
        raise MalformedEvent("a scheduled event needs an ISO-8601 'time'") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(time: datetime, rule: str) -> dict[str, Any]:
    """The event EventBridge sends a scheduled rule's target; the local ticker sends the same."""
    return {
        "version": "0",
        "id": f"local-{rule}-{int(time.timestamp())}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{rule}"],
        "detail": {},
    }


def fire_schedule(services: Services, flow_name: str, index: int, event: Mapping[str, Any]) -> StartResult:
    flow = services.flows.current(flow_name)
    trigger = declared_trigger(flow, index, "schedule")
    at = scheduled_time(event)
    rule = (event.get("resources") or [None])[0]
    return start_run(
        services, flow.name, dict(trigger.input), idempotency_key=f"schedule:{index}:{at}",
        started_by=StartedBy(source="schedule", identity=rule, delivery_id=at, trigger=f"triggers[{index}]"),
    )
