"""Map fan-out of 1,000 items: conflicts per item and transitions, once the engine has a map state (issue #4).

Until then the row prints "n/a (needs map)". When map lands, this runs the
``MAP_FANOUT`` flow on the embedded stack through the worker and reads the
worker's outcome counters: a LOST_RACE outcome is one hot-item conflict.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.flows import MAP_FANOUT, available_state_types

__all__ = ["map_fanout"]


def map_fanout() -> dict[str, Any] | str:
    missing = [t for t in MAP_FANOUT.needs if t not in available_state_types()]
    if missing:
        return f"n/a (needs {', '.join(missing)})"
    from chalicelib.flows import DefinitionError
    from chalicelib.flows.loader import parse_flow
    from chalicelib.local.stack import embedded_stack
    from chalicelib.runtime import handlers, worker
    from chalicelib.runtime.starter import start_run

    try:
        parse_flow(MAP_FANOUT.document, MAP_FANOUT.name)
    except DefinitionError as exc:
        return f"n/a (update benchmarks/flows.py to the map syntax: {exc.problem})"
    outcomes: Counter[str] = Counter()
    original = handlers.process_message

    def counted(services: Any, message: Any) -> Any:
        outcome = original(services, message)
        outcomes[outcome.value] += 1
        return outcome

    import app

    handlers.process_message = counted
    try:
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "map.json").write_text(json.dumps(MAP_FANOUT.document))
            with embedded_stack(Path(folder)) as stack:
                result = start_run(stack.services, MAP_FANOUT.document["name"], MAP_FANOUT.input)
                stack.driver.drain(lambda event: app.process_work(event, None))
                stored = stack.services.repository.get(result.stored.run.run_id)
    finally:
        handlers.process_message = original
    items = len(MAP_FANOUT.input["items"])
    return {
        "status": stored.run.status.value if stored else "missing",
        "transitions": outcomes[worker.Outcome.ADVANCED.value],
        "conflicts_per_item": outcomes[worker.Outcome.LOST_RACE.value] / items,
    }
