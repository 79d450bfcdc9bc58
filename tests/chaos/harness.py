"""Run the example flows under faults and report every broken promise.

One *episode* is a fresh moto stack (moto copies a whole table on each
transaction, so small tables keep the suite fast) with a handful of runs.
Two workers share the hostile broker; each has its own fault-injecting
wrappers around the one real ``DynamoRunRepository`` and queue. Whenever a
worker reaches an I/O boundary the plan may crash it, or first let the other
worker handle a message, often a copy of the very message in flight (its
visibility timeout ran out), which is exactly the race the version check and
the stale-message check exist for. When nothing is left to deliver, time moves
on and ``recover`` (the sweeper) runs: the only way out of a crash between a
commit and its enqueue.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from chalicelib.actions import ActionContext, ActionRegistry
from chalicelib.actions.builtins import TransformParams, transform
from chalicelib.engine import EventType, RunStatus
from chalicelib.local.runner import sqs_event
from chalicelib.local.stack import embedded_stack
from chalicelib.runtime import handlers
from chalicelib.runtime.clock import VirtualClock
from chalicelib.runtime.services import Services, build_services
from chalicelib.runtime.starter import start_run
from tests.chaos.broker import Delivery, HostileBroker
from tests.chaos.faults import Crash, FaultPlan, FaultyQueue, FaultyRepository
from tests.chaos.recovery import GRACE, next_due, recover

__all__ = ["Scenario", "SCENARIOS", "ChaosReport", "run_chaos", "no_recovery"]

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
MAX_STEPS_PER_EPISODE = 20_000
MAX_IDLE_ROUNDS = 50
MAX_START_ATTEMPTS = 50
ORDER = {"order_id": "o-1", "items": [{"sku": "a", "qty": 1, "price": 12.5}, {"sku": "b", "qty": 2, "price": 7.5}]}


@dataclass(frozen=True)
class Scenario:
    flow: str
    input: dict[str, Any]
    status: RunStatus


SCENARIOS = (
    Scenario("order-processing", ORDER, RunStatus.SUCCEEDED),
    Scenario("order-processing", {"order_id": "o-2", "items": [{"sku": "x", "qty": 1, "price": 6000}]},
             RunStatus.FAILED),
    Scenario("service-request", {"id": "SR-1", "amount": 200, "requester": "ada"}, RunStatus.SUCCEEDED),
    Scenario("service-request", {"id": "SR-2", "amount": 2500, "requester": "bob"}, RunStatus.SUCCEEDED),
    Scenario("service-request", {"id": "SR-3", "amount": 50000, "requester": "eve"}, RunStatus.FAILED),
    Scenario("order-processing", ORDER, RunStatus.SUCCEEDED),
    Scenario("notification", {"user_id": "u-1", "email": "u1@example.com", "opted_out": True}, RunStatus.SUCCEEDED),
    Scenario("order-processing", ORDER, RunStatus.SUCCEEDED),
    Scenario("service-request", {"id": "SR-4", "amount": 900, "requester": "joe"}, RunStatus.SUCCEEDED),
    Scenario("notification", {"user_id": "u-2", "email": "u2@example.com"}, RunStatus.SUCCEEDED),
)


@dataclass
class ChaosReport:
    runs: int = 0
    messages: int = 0
    crashes: Counter[str] = field(default_factory=Counter)
    interleavings: int = 0
    duplicates: int = 0
    recovered: int = 0
    effects: int = 0
    violations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        crashes = ", ".join(f"{k} {v}" for k, v in sorted(self.crashes.items()))
        return (f"{self.runs} runs, {self.messages} deliveries, {self.duplicates} duplicate deliveries, "
                f"{self.interleavings} interleavings, {sum(self.crashes.values())} crashes ({crashes}), "
                f"{self.recovered} re-enqueued by recovery, {self.effects} action calls, "
                f"{len(self.violations)} violations")


@dataclass
class _Ledger:
    """Every side effect the counting action performed, by idempotency key."""

    calls: Counter[str] = field(default_factory=Counter)


def _counting_registry(ledger: _Ledger, plan: FaultPlan) -> ActionRegistry:
    """The built-in ``transform`` with a side effect we can count; crashes may land either side of it."""

    def counted(params: TransformParams, state_input: Any, context: ActionContext) -> Any:
        plan.at("action.before")
        ledger.calls[context.idempotency_key] += 1
        plan.at("action.after")
        return transform(params, state_input, context)

    registry = ActionRegistry()
    registry.register("transform", TransformParams, counted)
    return registry


class _Episode:
    def __init__(self, seed: int, definitions: Path, settings: Any, report: ChaosReport,
                 recovery: Callable[[Services, datetime], int], clock: VirtualClock) -> None:
        self.rng = random.Random(seed)
        self.report = report
        self.recovery = recovery
        self.clock = clock
        self.broker = HostileBroker(clock, self.rng)
        self.plan = FaultPlan(self.rng)
        self.ledger = _Ledger()
        registry = _counting_registry(self.ledger, self.plan)
        base = build_services(dataclasses.replace(settings, definitions_dir=definitions), clock=clock,
                              queue=self.broker, actions=registry)
        self.clean = base
        self.workers = [
            dataclasses.replace(base, repository=FaultyRepository(base.repository, self.plan),
                                queue=FaultyQueue(self.broker, self.plan))
            for _ in range(2)
        ]
        self.plan.other_worker = self._interleave
        self.in_flight: list[Delivery] = []

    def _interleave(self) -> None:
        """Let the second worker in while the first is mid-message (one level deep)."""
        if len(self.plan.handling) != 1:
            return
        current = self.in_flight[-1]
        delivery = self.broker.in_flight_copy(current) if self.rng.random() < 0.5 else self.broker.receive()
        if delivery is not None:
            self._deliver(self.workers[1], delivery, duplicate=delivery.message == current.message)

    def _deliver(self, worker: Services, delivery: Delivery, duplicate: bool = False) -> None:
        self.report.messages += 1
        message = delivery.message
        self.plan.handling.append((message.run_id, message.seq))
        self.in_flight.append(delivery)
        try:
            raw = message.model_dump_json()
            event = sqs_event([{"MessageId": f"m-{delivery.id}", "ReceiptHandle": f"r-{delivery.id}", "Body": raw,
                                "MD5OfBody": "-"}], "arn:aws:sqs:us-east-1:123456789012:chaos")
            result = handlers.handle_work_batch(event, worker)
        except BatchProcessingError:
            result = {"batchItemFailures": [{"itemIdentifier": f"m-{delivery.id}"}]}  # the whole batch failed
        except Crash:
            return  # the process died: the message stays invisible until its visibility timeout passes
        finally:
            self.plan.handling.pop()
            self.in_flight.pop()
        if duplicate:
            return  # a copy handed to the second worker; the original is acked by its own worker
        if result.get("batchItemFailures"):
            self.broker.nack(delivery)
        else:
            self.broker.ack(delivery)

    def start(self, scenario: Scenario, key: str) -> str:
        """Start like a client that retries until it gets an answer, with the same idempotency key."""
        for _ in range(MAX_START_ATTEMPTS):
            try:
                return start_run(self.workers[0], scenario.flow, scenario.input, idempotency_key=key).stored.run.run_id
            except Crash:
                continue
        raise AssertionError(f"could not start {scenario.flow} in {MAX_START_ATTEMPTS} attempts")

    def run(self, scenarios: list[Scenario], tag: str) -> None:
        run_ids = {self.start(s, f"{tag}-{i}"): s for i, s in enumerate(scenarios)}
        idle = 0
        for _ in range(MAX_STEPS_PER_EPISODE):
            if self.broker.dead_letters or any(n > 1 for n in self.plan.commits.values()):
                break  # a promise is already broken; the checks below report it
            delivery = self.broker.receive()
            if delivery is not None:
                self._deliver(self.rng.choice(self.workers), delivery)
                continue
            upcoming = self.broker.next_visible_at()
            if upcoming is not None:
                self.clock.advance_to(upcoming)
                continue
            if self._unfinished(run_ids) == 0 or idle >= MAX_IDLE_ROUNDS:
                break
            idle += 1
            # Nothing to deliver: skip to when the earliest running run is overdue, then sweep.
            due = next_due(self.clean)
            self.clock.advance_to(max(self.clock.now(), due or self.clock.now()) + GRACE)
            self.report.recovered += self.recovery(self.clean, self.clock.now())
        self._check(run_ids)

    def _unfinished(self, run_ids: dict[str, Scenario]) -> int:
        return sum(1 for run_id in run_ids
                   if (stored := self.clean.repository.get(run_id)) is None or not stored.run.status.finished)

    def _check(self, run_ids: dict[str, Scenario]) -> None:
        report, violations = self.report, self.report.violations
        report.runs += len(run_ids)
        report.crashes.update(self.plan.crashes)
        report.interleavings += self.plan.interleavings
        report.duplicates += self.broker.duplicates
        report.effects += sum(self.ledger.calls.values())
        for message in self.broker.dead_letters:
            violations.append(f"run {message.run_id}: message seq {message.seq} dead-lettered (failed every time)")
        for (run_id, seq), count in self.plan.commits.items():
            if count > 1:
                violations.append(f"run {run_id}: the message for version {seq} committed {count} transitions")
        for run_id, scenario in run_ids.items():
            stored = self.clean.repository.get(run_id)
            if stored is None:
                violations.append(f"run {run_id} ({scenario.flow}) vanished")
                continue
            run = stored.run
            if run.status is not scenario.status:
                violations.append(f"run {run_id} ({scenario.flow}) ended {run.status.value}, "
                                  f"expected {scenario.status.value} (at '{run.cursor}')")
            events = self.clean.repository.history(run_id, 0, 10_000)
            if [e.seq for e in events] != list(range(1, run.event_count + 1)):
                violations.append(f"run {run_id}: history seqs {[e.seq for e in events]} are not 1..{run.event_count}")
            finals = [e for e in events if e.type in (EventType.RUN_SUCCEEDED, EventType.RUN_FAILED)]
            if run.status.finished and (len(finals) != 1 or events[-1] is not finals[0]):
                violations.append(f"run {run_id}: {len(finals)} final events, not exactly one at the end")
            self._check_effects(run_id, events, violations)

    def _check_effects(self, run_id: str, events: list[Any], violations: list[str]) -> None:
        """Each task visit the history records was performed at least once, under its own stable key only."""
        flow_states = self.clean.flows.catalog
        committed = set()
        for event in events:
            if event.type is EventType.STATE_SUCCEEDED and event.state is not None:
                committed.add(f"{run_id}:{event.state}:{event.attempt}")
        performed = {key for key in self.ledger.calls if key.startswith(f"{run_id}:")}
        tasks = {key for key in committed if _is_task(flow_states, key.split(":")[1])}
        if not tasks <= performed:
            violations.append(f"run {run_id}: task visits {sorted(tasks - performed)} committed without an action call")
        if not performed <= tasks | _in_progress(self.clean, run_id):
            violations.append(f"run {run_id}: action calls under keys no committed visit has: "
                              f"{sorted(performed - tasks)}")


def _is_task(catalog: Any, state: str) -> bool:
    return any(getattr(flow.definition.states.get(state), "type", None) == "task" for flow in catalog)


def _in_progress(services: Services, run_id: str) -> set[str]:
    stored = services.repository.get(run_id)
    if stored is None or stored.run.cursor is None:
        return set()
    return {f"{run_id}:{stored.run.cursor}:{stored.run.attempt}"}


def run_chaos(
    seed: int,
    episodes: int,
    definitions: Path,
    *,
    recovery: Callable[[Services, datetime], int] = recover,
) -> ChaosReport:
    report = ChaosReport()
    for episode in range(episodes):
        clock = VirtualClock(EPOCH + timedelta(days=episode))
        with embedded_stack(definitions, start=EPOCH) as stack:
            scenarios = [SCENARIOS[(episode + i) % len(SCENARIOS)] for i in range(len(SCENARIOS))]
            _Episode(seed * 1000 + episode, definitions, stack.services.settings, report, recovery, clock).run(
                scenarios, f"e{episode}")
    return report


def no_recovery(services: Services, now: datetime) -> int:
    """Demonstration only: the sweeper switched off."""
    return 0

