"""A signed webhook delivery -> at most one run, however often the sender retries it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from chalicelib.api.responses import InvalidJson
from chalicelib.engine import StartedBy
from chalicelib.flows import Flow
from chalicelib.flows.triggers import WebhookTrigger
from chalicelib.runtime.services import Services
from chalicelib.runtime.starter import StartResult, start_run
from chalicelib.triggers.errors import InvalidDelivery, WebhookNotFound
from chalicelib.triggers.signature import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

__all__ = ["accept_webhook", "webhook_trigger", "parse_payload"]

_FORM = "application/x-www-form-urlencoded"
_MAX_DELIVERY_ID = 200


def webhook_trigger(flow: Flow) -> tuple[int, WebhookTrigger]:
    for index, trigger in enumerate(flow.definition.triggers):
        if trigger.webhook is not None:
            return index, trigger.webhook
    raise WebhookNotFound(f"flow '{flow.name}' has no webhook trigger")


def parse_payload(raw_body: bytes, content_type: str | None) -> Any:
    """JSON, or form fields (a field sent once is a string, sent several times a list)."""
    if (content_type or "").split(";")[0].strip().lower() == _FORM:
        fields = parse_qs(raw_body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}
    if not raw_body:
        return {}
    try:
        return json.loads(raw_body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None


def _delivery_id(headers: Mapping[str, str], timestamp: int, raw_body: bytes) -> str:
    """The sender's delivery id, else a hash of what was signed (a byte-identical retry dedupes)."""
    given = headers.get(DELIVERY_HEADER)
    if given is not None:
        if not 0 < len(given) <= _MAX_DELIVERY_ID:
            raise InvalidDelivery(f"{DELIVERY_HEADER} must be 1-{_MAX_DELIVERY_ID} characters", field=DELIVERY_HEADER)
        return given
    return "sha256:" + hashlib.sha256(f"{timestamp}.".encode() + raw_body).hexdigest()[:32]


def accept_webhook(
    services: Services, flow_name: str, raw_body: bytes | None, headers: Mapping[str, str], caller: str | None
) -> StartResult:
    """Verify, map and start. The signature is checked before the body is parsed: unsigned input is never read."""
    flow = services.flows.current(flow_name)
    index, trigger = webhook_trigger(flow)
    raw_body = raw_body or b""
    lowered = {name.lower(): value for name, value in headers.items()}
    secret = services.secrets.get(trigger.secret_param)
    timestamp = verify(secret, lowered.get(TIMESTAMP_HEADER), lowered.get(SIGNATURE_HEADER), raw_body,
                       services.clock.now(), trigger.tolerance)
    delivery = _delivery_id(lowered, timestamp, raw_body)
    payload = parse_payload(raw_body, lowered.get("content-type"))
    run_input = trigger.input.search(payload) if trigger.input is not None else payload
    return start_run(
        services, flow.name, run_input, idempotency_key=f"webhook:{delivery}",
        started_by=StartedBy(source="webhook", identity=caller, delivery_id=delivery, trigger=f"triggers[{index}]"),
    )
