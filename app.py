"""Inside Flow's Chalice app: routes and event handlers only.

Each handler parses its input, calls one function in chalicelib and maps
errors. Heavy modules are imported inside handlers so every Lambda function
loads only what it runs.
"""

from __future__ import annotations

import os
from typing import Any

from chalice import Chalice, Rate, Response

from chalicelib.api.responses import api_errors, json_response
from chalicelib.config import Settings
from chalicelib.triggers.index import TriggerHandler, trigger_handlers

app = Chalice(app_name="inside-flow")

WORK_QUEUE = os.environ.get("INSIDE_FLOW_WORK_QUEUE", "inside-flow-work")
EVENTS_QUEUE = os.environ.get("INSIDE_FLOW_EVENTS_QUEUE", "inside-flow-events")


def _services() -> Any:
    from chalicelib.runtime.provider import current_services

    return current_services()


def _reply(result: tuple[int, Any, dict[str, str]]) -> Response:
    status, body, headers = result
    return json_response(body, status, headers)


def _caller() -> str | None:
    identity = (app.current_request.context or {}).get("identity") or {}
    return identity.get("userArn") or identity.get("sourceIp")


@app.route("/flows", methods=["GET"])
@api_errors
def list_flows() -> Response:
    from chalicelib.api import operations

    return _reply(operations.list_flows(_services()))


@app.route("/flows/{name}", methods=["GET"])
@api_errors
def describe_flow(name: str) -> Response:
    from chalicelib.api import operations

    return _reply(operations.describe_flow(_services(), name))


@app.route("/flows/{name}/runs", methods=["POST"], content_types=["application/json"])
@api_errors
def start_run(name: str) -> Response:
    from chalicelib.api import operations

    request = app.current_request
    key = request.headers.get("idempotency-key")
    return _reply(operations.start(_services(), name, request.raw_body, key, _caller()))


@app.route("/runs", methods=["GET"])
@api_errors
def list_runs() -> Response:
    from chalicelib.api import operations

    return _reply(operations.list_runs(_services(), app.current_request.query_params))


@app.route("/runs/{run_id}", methods=["GET"])
@api_errors
def describe_run(run_id: str) -> Response:
    from chalicelib.api import operations

    return _reply(operations.describe_run(_services(), run_id))


@app.route("/runs/{run_id}/history", methods=["GET"])
@api_errors
def run_history(run_id: str) -> Response:
    from chalicelib.api import operations

    return _reply(operations.run_history(_services(), run_id, app.current_request.query_params))


@app.route("/runs/{run_id}/cancel", methods=["POST"], content_types=["application/json"])
@api_errors
def cancel_run(run_id: str) -> Response:
    from chalicelib.api import operations

    return _reply(operations.cancel(_services(), run_id, app.current_request.raw_body))


@app.route("/runs/{run_id}/redrive", methods=["POST"], content_types=["application/json"])
@api_errors
def redrive_run(run_id: str) -> Response:
    from chalicelib.api import operations

    return _reply(operations.redrive(_services(), run_id, app.current_request.raw_body))


@app.schedule(Rate(5, unit=Rate.MINUTES), name="sweep")
def sweep(event: Any) -> dict[str, int]:
    from chalicelib.runtime.sweeper import sweep as sweep_overdue

    return {"requeued": sweep_overdue(_services())}


@app.on_sqs_message(queue=WORK_QUEUE, batch_size=10, name="process_work")
def process_work(event: Any) -> dict[str, Any]:
    from chalicelib.runtime.handlers import handle_work_batch

    return handle_work_batch(event.to_dict(), _services(), event.context)


@app.route("/hooks/{name}", methods=["POST"],
           content_types=["application/json", "application/x-www-form-urlencoded"])
@api_errors
def receive_webhook(name: str) -> Response:
    from chalicelib.api import hooks

    request = app.current_request
    return _reply(hooks.receive(_services(), name, request.raw_body, dict(request.headers), _caller()))


@app.on_sqs_message(queue=EVENTS_QUEUE, batch_size=10, name="route_events")
def route_events(event: Any) -> dict[str, Any]:
    from chalicelib.runtime.handlers import handle_events_batch

    return handle_events_batch(event.to_dict(), _services(), event.context)


def _trigger_function(handler: TriggerHandler) -> Any:
    """One Lambda per scheduled (or event-triggered) flow; it knows its flow and trigger by closure."""

    def fire(event: Any) -> dict[str, Any]:
        if handler.kind == "schedule":
            from chalicelib.triggers.schedule import fire_schedule as start
        else:
            from chalicelib.triggers.event import fire_event as start
        result = start(_services(), handler.flow, handler.index, event.to_dict())
        return {"run_id": result.stored.run.run_id, "created": result.created}

    fire.__name__ = handler.name
    return fire


# Registered at import so `chalice package` emits one EventBridge rule per scheduled flow.
for _handler in trigger_handlers(Settings.from_env().definitions_dir):
    if _handler.kind == "schedule":
        app.schedule(_handler.expression, name=_handler.name,
                     description=f"{_handler.flow} triggers[{_handler.index}]")(_trigger_function(_handler))
    else:
        app.on_cw_event(_handler.pattern, name=_handler.name)(_trigger_function(_handler))
