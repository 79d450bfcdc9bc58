"""Engine CPU per transition, pure core only, next to moto's Step Functions interpreter on the twin ASL.

Both sides run a whole execution in-process: ours through ``engine.start`` and
``engine.advance`` (no store, no queue), moto's through its state machine
backend with ``execute_state_machine`` on, called directly rather than over
its HTTP mock so neither side pays for request serialisation. Each figure is
the best of several rounds (least disturbed by the rest of the machine), timed
with the garbage collector off as ``timeit`` does, so a big heap left by another
benchmark in the same process does not bill its collections to the engine.
"""

from __future__ import annotations

import gc
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from benchmarks.flows import BenchFlow

__all__ = ["EngineSpeed", "engine_us_per_transition", "moto_sfn_us_per_transition"]

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
ROUNDS = 5


@dataclass(frozen=True)
class EngineSpeed:
    engine_us: float
    sfn_us: float | None

    @property
    def ratio(self) -> float | None:
        return None if self.sfn_us is None else self.sfn_us / self.engine_us


def _run_to_end(flow: Any, run_input: dict[str, Any]) -> int:
    from chalicelib import engine

    decision = engine.start(flow, "bench-run", run_input, NOW)
    steps = 1
    while not decision.run.status.finished:
        at = decision.work.at if decision.work is not None else NOW
        decision = engine.advance(flow, decision.run, engine.Resume(), at)
        steps += 1
    if decision.run.status is not engine.RunStatus.SUCCEEDED:
        raise RuntimeError(f"bench flow ended {decision.run.status.value}: {decision.run.error}")
    return steps


def _timed(body: Any) -> float:
    enabled = gc.isenabled()
    gc.disable()
    try:
        began = time.perf_counter()
        body()
        return time.perf_counter() - began
    finally:
        if enabled:
            gc.enable()


def engine_us_per_transition(bench: BenchFlow, runs: int = 300) -> float:
    from chalicelib.flows.loader import parse_flow

    flow = parse_flow(bench.document, bench.name)
    _run_to_end(flow, bench.input)
    best = min(_timed(lambda: [_run_to_end(flow, bench.input) for _ in range(runs)]) for _ in range(ROUNDS))
    return best / (runs * bench.transitions) * 1e6


def moto_sfn_us_per_transition(bench: BenchFlow, runs: int = 20) -> float | None:
    if bench.asl is None:
        return None
    import boto3
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.stepfunctions.parser.utils import TMP_THREADS
    from moto.stepfunctions.responses import get_backend

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name=f"bench-{bench.name}", definition=json.dumps(bench.asl),
            roleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/bench",
        )["stateMachineArn"]
        backend = get_backend(DEFAULT_ACCOUNT_ID, "us-east-1")
        payload = json.dumps(bench.input)
        counter = 0

        def execute() -> str:
            nonlocal counter
            counter += 1
            first_new = len(TMP_THREADS)
            execution = backend.start_execution(arn, name=f"x{counter}", execution_input=payload)
            TMP_THREADS[first_new].join()  # the execution's own thread; states may start more
            return execution.exec_status.value

        if (status := execute()) != "SUCCEEDED":
            raise RuntimeError(f"moto ran the {bench.name} twin to {status}")
        best = min(_timed(lambda: [execute() for _ in range(runs)]) for _ in range(ROUNDS))
    return best / (runs * bench.transitions) * 1e6
