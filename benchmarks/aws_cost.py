"""AWS requests and cost per transition, counted while real runs go through the app on moto.

Runs are started with the starter (what the API Lambda does) and worked off
through ``app.process_work`` (what the worker Lambda runs), on the embedded
moto stack with virtual time. Every AWS request made in that code is counted
(see ``request_counter``); the local driver's own receives and deletes are not,
because in AWS they are made by Lambda's SQS event source mapping, modelled here:

* the mapping's pollers call ReceiveMessage and get up to ``batch`` messages
  (the worker is configured with batch_size=10), then delete what succeeded with
  one DeleteMessageBatch: 2 SQS requests and 1 Lambda invocation per batch;
* under light traffic every message is its own batch (``batch`` = 1), the
  conservative headline; under load batches fill up (``batch`` = 10);
* idle pollers long-poll (20 s) whether or not work exists: ~650k empty
  receives a month, ~$0.26 a month per queue, a fixed cost not per transition.

A message delayed more than 0 s is held by the local ParkingQueue instead of
SQS, so sends are counted at the queue interface (every ``send`` is one
SendMessage of < 64 KB in AWS) and cross-checked against what botocore saw.
Lambda duration is modelled from the counted calls (``prices.LATENCY_MS``).
API Gateway in front of the start call and DynamoDB storage are left out.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.dynamodb_units import UnitLedger
from benchmarks.flows import BenchFlow
from benchmarks.prices import DEFAULT_LATENCY_MS, LATENCY_MS, PRICES
from benchmarks.request_counter import RequestCounter, index_specs

__all__ = ["FlowCost", "measure_costs"]

RUNS = 20


@dataclass
class FlowCost:
    flow: BenchFlow
    runs: int
    transitions: int
    messages: int
    sqs_sends: int
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    units: dict[str, float] = field(default_factory=dict)

    def per_transition(self, amount: float) -> float:
        return amount / self.transitions

    @property
    def wru(self) -> float:
        return sum(v for k, v in self.units.items() if k.startswith("WRU"))

    @property
    def rru(self) -> float:
        return sum(v for k, v in self.units.items() if k.startswith("RRU"))

    def lambda_seconds(self) -> float:
        waited = sum(LATENCY_MS.get(key, DEFAULT_LATENCY_MS) * n for key, n in self.calls.items()
                     if key != ("sqs", "SendMessage"))
        waited += self.sqs_sends * LATENCY_MS[("sqs", "SendMessage")]
        return waited / 1000

    def dollars_per_million(self, batch: int) -> dict[str, float]:
        """Cost of one million transitions, by service, when the mapping delivers ``batch`` messages at a time."""
        p = PRICES
        batches = math.ceil(self.messages / batch)
        dynamodb = self.wru * p.dynamodb_per_wru + self.rru * p.dynamodb_per_rru
        sqs = (self.sqs_sends + 2 * batches) * p.sqs_per_request
        invocations = batches + self.runs  # worker batches + one API invocation per start
        lambda_ = invocations * p.lambda_per_request + self.lambda_seconds() * p.lambda_memory_gb * p.lambda_per_gb_second
        scale = 1e6 / self.transitions
        return {"dynamodb": dynamodb * scale, "sqs": sqs * scale, "lambda": lambda_ * scale,
                "total": (dynamodb + sqs + lambda_) * scale}

    def express_per_million(self) -> float | None:
        """Step Functions Express for the same runs: per request plus duration (50 ms a state, modelled)."""
        p = PRICES
        seconds = 0.05 * self.flow.transitions
        if "wait" in {s["type"] for s in self.flow.document["states"].values()}:
            return None  # an Express execution lasts at most 5 minutes; this flow waits an hour
        per_run = p.sfn_express_per_request + seconds * p.sfn_express_memory_gb * p.sfn_express_per_gb_second
        return per_run * 1e6 / self.flow.transitions


def measure_costs(flows: list[BenchFlow], runs: int = RUNS) -> list[FlowCost]:
    from chalicelib.config import Settings
    from chalicelib.local.stack import embedded_stack
    from chalicelib.runtime.starter import start_run
    from chalicelib.store import bind_models

    settings = Settings.from_env()
    ledger = UnitLedger(indexes={settings.table_name: index_specs(bind_models(settings.table_name, settings.region))})
    counter = RequestCounter(ledger)
    counter.install()
    results: list[FlowCost] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for bench in flows:
                Path(folder, f"{bench.name}.json").write_text(json.dumps(bench.document))
            # The clock follows real time so due_at moves between transitions as it does in AWS
            # (a frozen clock would hide the due index rewrite every transition pays).
            with embedded_stack(Path(folder), follow_real_time=True) as stack:
                import app

                def invoke(event: dict[str, Any]) -> Any:
                    with counter.counting():
                        return app.process_work(event, None)

                for bench in flows:
                    name = bench.document["name"]
                    start_run(stack.services, name, bench.input)  # warm-up: publishes the definition
                    stack.driver.drain(invoke)
                    counter.reset()
                    sent_before = stack.parking.sent
                    flow_runs = bench.runs or runs
                    with counter.counting():
                        run_ids = [start_run(stack.services, name, bench.input).stored.run.run_id
                                   for _ in range(flow_runs)]
                    report = stack.driver.drain(invoke)
                    for run_id in run_ids:
                        stored = stack.services.repository.get(run_id)
                        if stored is None or stored.run.status.value != "SUCCEEDED":
                            raise RuntimeError(f"bench run of {name} did not succeed: {stored}")
                    sends = stack.parking.sent - sent_before
                    if counter.calls[("sqs", "SendMessage")] > sends:
                        raise RuntimeError("botocore saw more sends than the queue interface")
                    results.append(FlowCost(
                        flow=bench, runs=flow_runs, transitions=flow_runs * bench.transitions,
                        messages=report.messages, sqs_sends=sends, calls=Counter(counter.calls), units=dict(ledger.units),
                    ))
    finally:
        counter.uninstall()
    return results
