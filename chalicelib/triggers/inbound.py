"""A message on the inbound events queue -> one run per flow whose queue trigger matches it.

The SQS message id keys each start, so a redelivered message starts nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jmespath.exceptions import JMESPathError

from chalicelib.engine import StartedBy
from chalicelib.flows import Flow
from chalicelib.flows.expressions import is_truthy
from chalicelib.flows.triggers import QueueTrigger
from chalicelib.runtime.observability import logger
from chalicelib.runtime.services import Services
from chalicelib.runtime.starter import StartResult, start_run
from chalicelib.triggers.errors import MalformedEvent

__all__ = ["route_message", "parse_event_body", "QueueRoute"]


@dataclass(frozen=True)
class QueueRoute:
    flow: Flow
    index: int
    trigger: QueueTrigger


def parse_event_body(body: str) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedEvent(f"the message body is not JSON: {exc.msg} at {exc.pos}") from None
    if not isinstance(payload, dict):
        raise MalformedEvent(f"the message body must be a JSON object, not {type(payload).__name__}")
    return payload


def _routes(services: Services) -> Iterator[QueueRoute]:
    for flow in services.flows.catalog:
        for index, trigger in enumerate(flow.definition.triggers):
            if trigger.queue is not None:
                yield QueueRoute(flow, index, trigger.queue)


def _matches(route: QueueRoute, payload: dict[str, Any], message_id: str) -> bool:
    """A predicate that errors on this message (e.g. length(null)) is a non-match for that flow only."""
    try:
        return is_truthy(route.trigger.match.search(payload))
    except JMESPathError as exc:
        logger.warning("queue trigger match failed", extra={"flow": route.flow.name, "trigger": route.index,
                                                           "message_id": message_id, "error": str(exc)})
        return False


def route_message(services: Services, message_id: str, body: str, queue_arn: str | None) -> list[StartResult]:
    """Start a run for every matching trigger; an empty list means the message matched nothing."""
    payload = parse_event_body(body)
    started: list[StartResult] = []
    for route in _routes(services):
        if not _matches(route, payload, message_id):
            continue
        try:
            run_input = route.trigger.input.search(payload) if route.trigger.input is not None else payload
        except JMESPathError as exc:
            raise MalformedEvent(f"flow '{route.flow.name}' triggers[{route.index}].queue.input: {exc}") from exc
        started.append(start_run(
            services, route.flow.name, run_input, idempotency_key=f"queue:{message_id}:{route.index}",
            started_by=StartedBy(source="queue", identity=queue_arn, delivery_id=message_id,
                                 trigger=f"triggers[{route.index}]"),
        ))
    return started
