"""The flows every benchmark runs, listed once: our definition, the ASL twin, an input.

Only pass/choice/wait/succeed states appear, so each flow has an exact Amazon
States Language equivalent that moto can interpret without Lambda. A task
state costs the same AWS requests as a pass state (its action's own calls aside).

``needs`` names the state types a flow uses beyond the foundation's; a flow
whose types this checkout's engine does not know prints "n/a (needs ...)".
Parallel (``branches``: a mapping of name to machine) and map (``items``,
``iterator``, ``max_concurrency``) follow ``chalicelib.flows.models``.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BenchFlow", "BENCH_FLOWS", "available_state_types"]


@dataclass(frozen=True)
class BenchFlow:
    name: str
    document: dict[str, Any]
    input: dict[str, Any]
    transitions: int  # states a run visits: what Step Functions Standard would bill
    asl: dict[str, Any] | None = None
    needs: tuple[str, ...] = ()
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    runs: int | None = None  # runs for the cost benchmark; None: aws_cost.RUNS


def available_state_types() -> set[str]:
    """The ``type`` literals the definition models of this checkout accept."""
    from chalicelib.flows import models

    union = typing.get_args(typing.get_args(models.State)[0])
    return {literal for state in union for literal in typing.get_args(state.model_fields["type"].annotation)}


def _linear(steps: int) -> BenchFlow:
    states: dict[str, Any] = {}
    asl: dict[str, Any] = {}
    for i in range(steps):
        nxt = f"s{i + 1}" if i + 1 < steps else "done"
        states[f"s{i}"] = {"type": "pass", "transform": f"{{step: `{i}`, id: id}}", "result": f"r{i}", "next": nxt}
        asl[f"s{i}"] = {"Type": "Pass", "Parameters": {"step": i, "id.$": "$.id"}, "ResultPath": f"$.r{i}",
                        "Next": nxt}
    states["done"] = {"type": "succeed"}
    asl["done"] = {"Type": "Succeed"}
    return BenchFlow(
        name="linear",
        document={"name": "bench-linear", "start": "s0", "states": states},
        asl={"StartAt": "s0", "States": asl},
        input={"id": "order-1", "amount": 42},
        transitions=steps + 1,
        notes=f"{steps} pass states with a JMESPath transform, then succeed",
    )


def _choices(steps: int) -> BenchFlow:
    states: dict[str, Any] = {}
    asl: dict[str, Any] = {}
    for i in range(steps):
        nxt = f"c{i + 1}" if i + 1 < steps else "done"
        states[f"c{i}"] = {"type": "choice", "rules": [
            {"when": "amount > `10000`", "next": "too_big", "priority": 1},
            {"when": "region == 'mars'", "next": "too_big", "priority": 2},
            {"when": "amount > `1`", "next": nxt, "priority": 3},
        ], "default": "too_big"}
        asl[f"c{i}"] = {"Type": "Choice", "Choices": [
            {"Variable": "$.amount", "NumericGreaterThan": 10000, "Next": "too_big"},
            {"Variable": "$.region", "StringEquals": "mars", "Next": "too_big"},
            {"Variable": "$.amount", "NumericGreaterThan": 1, "Next": nxt},
        ], "Default": "too_big"}
    states["done"] = {"type": "succeed"}
    states["too_big"] = {"type": "fail", "error": "TooBig"}
    asl["done"] = {"Type": "Succeed"}
    asl["too_big"] = {"Type": "Fail", "Error": "TooBig"}
    return BenchFlow(
        name="choice-heavy",
        document={"name": "bench-choices", "start": "c0", "states": states},
        asl={"StartAt": "c0", "States": asl},
        input={"id": "order-1", "amount": 42, "region": "eu"},
        transitions=steps + 1,
        notes=f"{steps} choice states of 3 rules each (last rule matches), then succeed",
    )


def _wait() -> BenchFlow:
    return BenchFlow(
        name="wait-1h",
        document={"name": "bench-wait", "start": "before", "states": {
            "before": {"type": "pass", "transform": "id", "result": "ref", "next": "pause"},
            "pause": {"type": "wait", "duration": "1h", "next": "after"},
            "after": {"type": "pass", "transform": "amount", "result": "seen", "next": "done"},
            "done": {"type": "succeed"},
        }},
        # moto really sleeps in a Wait state, so its twin waits 0 s: only interpreter work is compared.
        asl={"StartAt": "before", "States": {
            "before": {"Type": "Pass", "InputPath": "$.id", "ResultPath": "$.ref", "Next": "pause"},
            "pause": {"Type": "Wait", "Seconds": 0, "Next": "after"},
            "after": {"Type": "Pass", "InputPath": "$.amount", "ResultPath": "$.seen", "Next": "done"},
            "done": {"Type": "Succeed"},
        }},
        input={"id": "order-1", "amount": 42},
        transitions=4,
        notes="a one-hour wait: 3 extra 900 s queue hops, each a commit + a send",
    )


def _parallel() -> BenchFlow:
    branch = lambda tag: {"start": f"{tag}1", "states": {  # noqa: E731
        f"{tag}1": {"type": "pass", "transform": "id", "result": tag, "next": f"{tag}2"},
        f"{tag}2": {"type": "succeed"},
    }}
    return BenchFlow(
        name="parallel",
        document={"name": "bench-parallel", "start": "fan", "states": {
            "fan": {"type": "parallel", "branches": {tag: branch(tag) for tag in ("a", "b", "c")}, "next": "done"},
            "done": {"type": "succeed"},
        }},
        input={"id": "order-1"},
        transitions=8,
        needs=("parallel",),
        notes="3 branches of 2 states",
    )


def _map(items: int, name: str) -> BenchFlow:
    return BenchFlow(
        name=name,
        document={"name": f"bench-{name}", "start": "each", "states": {
            "each": {"type": "map", "items": "items", "iterator": {"start": "work", "states": {
                "work": {"type": "pass", "transform": "@", "result": "seen", "next": "ok"},
                "ok": {"type": "succeed"},
            }}, "result": "results", "next": "done"},
            "done": {"type": "succeed"},
        }},
        input={"items": [{"n": i} for i in range(items)]},
        transitions=2 + 2 * items,
        needs=("map",),
        runs=2,  # 20 x 100 items at once is a 2,000-message queue: moto's receive scans it all each time
        notes=f"map over {items} items of 2 states each",
    )


BENCH_FLOWS: tuple[BenchFlow, ...] = (
    _linear(10),
    _choices(10),
    _wait(),
    _parallel(),
    _map(100, "map-100"),
)

MAP_FANOUT = _map(1000, "map-1000")
