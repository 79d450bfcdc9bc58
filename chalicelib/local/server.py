"""``flowctl serve``: Chalice's local HTTP server plus a worker thread, all on the embedded stack."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from chalicelib.local.stack import embedded_stack
from chalicelib.local.runner import DrainReport
from chalicelib.local.ticker import ScheduleTicker
from chalicelib.triggers.index import trigger_handlers

__all__ = ["serve", "LOCAL_WEBHOOK_SECRET"]

LOCAL_WEBHOOK_SECRET = "local-webhook-secret"


def _work_loop(stack: Any, app: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        stack.parking.release_due()
        messages = stack.driver.receive()
        events = stack.events_driver.receive()
        if events:
            stack.events_driver.deliver(events, lambda event: app.handler_map["route_events"](event, None),
                                        DrainReport())
        if messages:
            stack.driver.deliver(messages, lambda event: app.handler_map["process_work"](event, None), DrainReport())
        elif not events:
            stop.wait(0.2)


def _ticker(stack: Any, app: Any) -> ScheduleTicker:
    """Fires the schedule handlers app.py registered, through Chalice's handler map as Lambda would."""
    handlers = trigger_handlers(stack.services.settings.definitions_dir)
    return ScheduleTicker(handlers, lambda handler, event: app.handler_map[handler.name](event, None), stack.clock)


def _seed_webhook_secrets(stack: Any, secret: str) -> list[str]:
    """moto's SSM starts empty: store one local secret under every webhook's ``secret_param``."""
    import boto3

    ssm = boto3.client("ssm", region_name=stack.services.settings.region)
    params = sorted({t.webhook.secret_param for flow in stack.services.flows.catalog
                     for t in flow.definition.triggers if t.webhook is not None})
    for name in params:
        ssm.put_parameter(Name=name, Value=secret, Type="SecureString", Overwrite=True)
    return params


def serve(app: Any, host: str, port: int, definitions_dir: Path | None,
          webhook_secret: str = LOCAL_WEBHOOK_SECRET) -> int:
    from chalice.config import Config
    from chalice.local import create_local_server

    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("flowctl serve listens on loopback only (127.0.0.1)")
    with embedded_stack(definitions_dir, virtual_time=False) as stack:
        for name in _seed_webhook_secrets(stack, webhook_secret):
            print(f"webhook secret {name} = {webhook_secret!r} (local only)")
        stop = threading.Event()
        worker = threading.Thread(target=_work_loop, args=(stack, app.app, stop), daemon=True)
        worker.start()
        ticker = threading.Thread(target=_ticker(stack, app.app).run, args=(stop,), daemon=True)
        ticker.start()
        server = create_local_server(app.app, Config.create(chalice_app=app.app, stage="dev"), host, port)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            worker.join(timeout=2)
            ticker.join(timeout=2)
            time.sleep(0)
    return 0
