"""``POST /hooks/{flow}``: a webhook delivery as an API operation -> (status, body, headers)."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.api.operations import ApiResult
from chalicelib.runtime.services import Services
from chalicelib.triggers.webhook import accept_webhook

__all__ = ["receive"]


def receive(
    services: Services, flow: str, raw_body: bytes | None, headers: Mapping[str, str], caller: str | None
) -> ApiResult:
    """202 for a new and for a repeated delivery alike, so a sender's retry is never treated as an error."""
    result = accept_webhook(services, flow, raw_body, headers, caller)
    run = result.stored.run
    body = {"run_id": run.run_id, "flow": run.flow, "status": run.status.value, "duplicate": not result.created}
    return 202, body, {"Location": f"/runs/{run.run_id}"}
