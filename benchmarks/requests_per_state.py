"""DynamoDB and SQS requests per transition, per state type, counted on the embedded moto stack.

Counts every request the app makes (wrapping botocore's ``BaseClient._make_api_call``,
which PynamoDB's lazily created clients and the SQS client all pass through) while one run of a small flow per state
type is started and drained through the worker handler. SQS receive/delete
calls are the event source mapping's (billed per batch of up to 10), so they
are reported apart from the worker's own SendMessage calls.

    python benchmarks/requests_per_state.py
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DONE = {"type": "succeed"}
ITEMS = 100
FLOWS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "pass": ({"a": {"type": "pass", "transform": "`1`", "result": "x", "next": "done"}, "done": DONE}, {}),
    "choice": ({"a": {"type": "choice", "rules": [{"when": "`true`", "next": "done"}]}, "done": DONE}, {}),
    "task": ({"a": {"type": "task", "action": "transform", "with": {"expression": "`1`"}, "next": "done"},
              "done": DONE}, {}),
    "wait 1d (hops)": ({"a": {"type": "wait", "duration": "1d", "next": "done"}, "done": DONE}, {}),
    "parallel x3": ({"a": {"type": "parallel", "next": "done", "branches": {
        k: {"start": "s", "states": {"s": {"type": "pass", "next": "e"}, "e": DONE}} for k in ("x", "y", "z")}},
        "done": DONE}, {}),
    f"map x{ITEMS} (c=10)": ({"a": {"type": "map", "items": "xs", "max_concurrency": 10, "next": "done",
                                    "iterator": {"start": "s", "states": {"s": {"type": "pass", "next": "e"},
                                                                          "e": DONE}}},
                              "done": DONE}, {"xs": list(range(ITEMS))}),
}


def main() -> None:
    from chalice.test import Client

    import app
    from chalicelib.local.stack import embedded_stack
    from chalicelib.runtime.starter import start_run
    from botocore.client import BaseClient

    with tempfile.TemporaryDirectory() as folder:
        for index, (label, (states, _)) in enumerate(FLOWS.items()):
            document = {"name": f"bench-{index}", "start": "a", "states": states}
            Path(folder, f"bench-{index}.yaml").write_text(yaml.safe_dump(document))
        with embedded_stack(Path(folder)) as stack, Client(app.app) as client:
            counts: Counter[str] = Counter()
            # PynamoDB creates botocore clients lazily, per connection and thread: count at the one
            # place every request of every client passes (a before-call hook sees the same calls).
            original = BaseClient._make_api_call

            def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
                counts[operation] += 1
                return original(client, operation, params)

            BaseClient._make_api_call = counted  # type: ignore[method-assign]
            print(f"{'state type':<20}{'transitions':>12}{'ddb reads':>10}{'ddb writes':>11}{'sqs send':>9}"
                  f"{'sqs recv+del':>13}{'ddb+sqs / transition':>22}")
            for index, (label, (_, run_input)) in enumerate(FLOWS.items()):
                counts.clear()
                start_run(stack.services, f"bench-{index}", run_input)
                report = stack.driver.drain(lambda event: client.lambda_.invoke("process_work", event))
                reads = counts["GetItem"] + counts["Query"] + counts["BatchGetItem"]
                writes = counts["TransactWriteItems"] + counts["PutItem"] + counts["UpdateItem"] + \
                    counts["BatchWriteItem"]
                poll = counts["ReceiveMessage"] + counts["DeleteMessage"]
                own = reads + writes + counts["SendMessage"]
                print(f"{label:<20}{report.messages:>12}{reads:>10}{writes:>11}{counts['SendMessage']:>9}"
                      f"{poll:>13}{own / max(report.messages, 1):>22.2f}")


if __name__ == "__main__":
    main()
