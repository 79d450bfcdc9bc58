"""Run in its own process by ``cold_start.worker_peak_rss_mb``: peak RSS while the worker handles N transitions.

The process holds moto as well (the AWS stand-in), which Lambda would not, so
the figure is an upper bound; the RSS after importing the worker modules alone
is printed too. The high-water mark is read from ``VmHWM`` (per address space, so
it starts afresh at exec, unlike ``ru_maxrss`` which a child inherits from its parent). Moto deep-copies a whole table on every TransactWriteItems
(its rollback), so each batch of runs gets a fresh stack: otherwise moto's
copies, not the worker, would set the high-water mark. 
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(transitions: int) -> None:
    import app  # noqa: F401 - what the worker Lambda imports first
    import boto3  # noqa: F401
    import chalicelib.runtime.handlers  # noqa: F401

    imported = _rss_mb()
    from benchmarks.flows import BENCH_FLOWS
    from chalicelib.local.stack import embedded_stack
    from chalicelib.runtime.starter import start_run

    bench = BENCH_FLOWS[0]
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "flow.json").write_text(json.dumps(bench.document))
        done = 0
        with_moto = 0.0
        while done < transitions:
            with embedded_stack(Path(folder)) as stack:
                with_moto = with_moto or _rss_mb()
                runs = [start_run(stack.services, bench.document["name"], bench.input) for _ in range(10)]
                stack.driver.drain(lambda event: app.process_work(event, None))
                done += len(runs) * bench.transitions
    print(json.dumps({"imports": imported, "stack": with_moto, "peak": _rss_mb(), "transitions": done}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
