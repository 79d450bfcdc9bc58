"""``make bench``: run every benchmark and print one table of Inside Flow's figures against its goals."""

from __future__ import annotations

import os
import platform
import sys
import time

from benchmarks import aws_cost, cold_start, engine_speed, fanout, package_size
from benchmarks.flows import BENCH_FLOWS, available_state_types
from benchmarks.prices import PRICES, PRICES_AS_OF

COST_GOAL = 2.50
ENGINE_GOAL_US = 50.0
RATIO_GOAL = 20.0
IMPORT_GOAL = 1.3
LAMBDA_MB = 256


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def section(self, title: str) -> None:
        self.rows.append((f"== {title}", "", "", "", ""))

    def add(self, figure: str, flow: str, value: str, goal: str = "", verdict: bool | None = None) -> None:
        mark = "" if verdict is None else ("ok" if verdict else "MISSED")
        self.rows.append((figure, flow, value, goal, mark))

    def print(self) -> None:
        header = ("figure", "flow", "measured", "goal", "")
        body = [r for r in self.rows if not r[0].startswith("== ")]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(5)]
        line = "+".join("-" * (w + 2) for w in widths)
        print(line)
        print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
        for row in self.rows:
            if row[0].startswith("== "):
                print(line)
                print(row[0][3:])
                continue
            print(" | ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        print(line)


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main() -> int:
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    known = available_state_types()
    flows = [f for f in BENCH_FLOWS if all(t in known for t in f.needs)]
    skipped = [f for f in BENCH_FLOWS if f not in flows]
    table = Table()

    table.section("Engine CPU per transition (pure core) vs moto's ASL interpreter, same flow")
    for flow in flows:
        if flow.needs:
            # parallel/map spawn branch cursors through the runtime (store + queue): no pure-engine run exists
            table.add("engine us/transition", flow.name, "n/a (branches need the runtime)")
            continue
        _log(f"timing engine and moto SFN on {flow.name} ...")
        ours = engine_speed.engine_us_per_transition(flow)
        theirs = engine_speed.moto_sfn_us_per_transition(flow)
        table.add("engine us/transition", flow.name, f"{ours:.1f} us", f"<= {ENGINE_GOAL_US:.0f} us",
                  ours <= ENGINE_GOAL_US)
        if theirs is None:
            table.add("moto SFN us/transition", flow.name, "n/a (no ASL twin)")
        else:
            ratio = theirs / ours
            table.add("moto SFN us/transition (ratio)", flow.name, f"{theirs:.0f} us ({ratio:.0f}x slower)",
                      f">= {RATIO_GOAL:.0f}x", ratio >= RATIO_GOAL)
    for flow in skipped:
        table.add("engine us/transition", flow.name, f"n/a (needs {', '.join(flow.needs)})")

    _log("cold imports (fresh processes) ...")
    table.section(f"Cold start (median of {cold_start.SAMPLES} fresh processes) and memory")
    boto3_ms = cold_start.median_import_ms("boto3")
    app_ms = cold_start.median_import_ms("app")
    worker_ms = cold_start.median_import_ms("app + worker")
    table.add("import boto3", "", f"{boto3_ms:.0f} ms")
    table.add("import app (API and worker handler module)", "", f"{app_ms:.0f} ms ({app_ms / boto3_ms:.2f}x boto3)",
              f"<= {IMPORT_GOAL}x boto3", app_ms <= IMPORT_GOAL * boto3_ms)
    table.add("import app + worker modules (first invocation)", "",
              f"{worker_ms:.0f} ms ({worker_ms / boto3_ms:.2f}x boto3)")
    _log("worker memory over 1,000 transitions ...")
    rss = cold_start.worker_peak_rss_mb(1000)
    table.add("RSS after importing the worker", "", f"{rss['imports']:.0f} MB")
    table.add(f"peak RSS, worker handling {rss['transitions']:.0f} transitions (incl. moto)", "linear",
              f"{rss['peak']:.0f} MB", f"< {LAMBDA_MB} MB", rss["peak"] < LAMBDA_MB)

    _log("counting AWS requests per transition ...")
    costs = aws_cost.measure_costs(flows)
    table.section(f"AWS requests per transition (moto, {aws_cost.RUNS} runs a flow, map-100 2; ESM modelled)")
    for cost in costs:
        name = cost.flow.name
        per = cost.per_transition
        calls = cost.calls
        table.add("DynamoDB GetItem (consistent) / PutItem / TransactWriteItems", name,
                  f"{per(calls[('dynamodb', 'GetItem')]):.2f} / {per(calls[('dynamodb', 'PutItem')]):.2f} / "
                  f"{per(calls[('dynamodb', 'TransactWriteItems')]):.2f}")
        for kind, units in sorted(cost.units.items()):
            table.add(f"  {kind}", name, f"{per(units):.2f}")
        table.add("SQS SendMessage + ESM Receive/Delete (batch 1 | 10)", name,
                  f"{per(cost.sqs_sends):.2f} + {per(2 * cost.messages):.2f} | {per(2 * cost.messages / 10):.2f}")
        table.add("Lambda invocations (batch 1 | 10), incl. API start", name,
                  f"{per(cost.messages + cost.runs):.2f} | {per(cost.messages / 10 + cost.runs):.2f}")
        table.add("Lambda GB-s (modelled call latency, 256 MB)", name,
                  f"{per(cost.lambda_seconds() * PRICES.lambda_memory_gb):.5f}")
    for flow in skipped:
        table.add("AWS requests per transition", flow.name, f"n/a (needs {', '.join(flow.needs)})")

    table.section(f"Cost per million transitions ({PRICES_AS_OF})")
    for cost in costs:
        one, ten = cost.dollars_per_million(1), cost.dollars_per_million(10)
        table.add("Inside Flow, batch 1: DynamoDB + SQS + Lambda = total", cost.flow.name,
                  f"${one['dynamodb']:.2f} + ${one['sqs']:.2f} + ${one['lambda']:.2f} = ${one['total']:.2f}",
                  f"<= ${COST_GOAL:.2f}", one["total"] <= COST_GOAL)
        table.add("Inside Flow, batch 10 (busy queue)", cost.flow.name, f"${ten['total']:.2f}",
                  f"<= ${COST_GOAL:.2f}", ten["total"] <= COST_GOAL)
        express = cost.express_per_million()
        table.add("Step Functions Standard | Express", cost.flow.name,
                  f"${PRICES.sfn_standard_per_transition * 1e6:.2f} | "
                  + (f"${express:.2f}" if express is not None else "n/a (waits > 5 min)"))

    table.section("Fan-out")
    fan = fanout.map_fanout()
    if isinstance(fan, str):
        table.add("map of 1,000: conflicts per item / transitions", "map-1000", fan, "< 1% / -")
    else:
        table.add("map of 1,000: conflicts per item / transitions", "map-1000",
                  f"{fan['conflicts_per_item']:.2%} / {fan['transitions']} ({fan['status']})", "< 1%",
                  fan["conflicts_per_item"] < 0.01)

    _log("chalice package (pip-downloads Lambda wheels) ...")
    table.section("Deployment package")
    try:
        zipped, unzipped = package_size.package_size_mb()
        table.add("chalice package deployment.zip (zipped / unzipped)", "",
                  f"{zipped:.1f} MB / {unzipped:.1f} MB", "< 50 MB / < 250 MB", zipped < 50 and unzipped < 250)
    except Exception as exc:  # noqa: BLE001 - no network must not hide the other figures
        table.add("chalice package deployment.zip", "", f"n/a ({type(exc).__name__})")

    print(f"Inside Flow benchmarks - {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
