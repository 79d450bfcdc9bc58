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

__all__ = ["serve"]


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


def serve(app: Any, host: str, port: int, definitions_dir: Path | None) -> int:
    from chalice.config import Config
    from chalice.local import create_local_server

    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("flowctl serve listens on loopback only (127.0.0.1)")
    with embedded_stack(definitions_dir, virtual_time=False) as stack:
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
