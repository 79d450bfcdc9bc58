"""Run the example flows under faults and report every broken promise.

One *episode* is a fresh moto stack (moto copies a whole table on each
transaction, so small tables keep the suite fast) with a handful of runs.
Two workers share the hostile broker; each has its own fault-injecting
wrappers around the one real ``DynamoRunRepository`` and queue. Whenever a
worker reaches an I/O boundary the plan may crash it, or first let the other
worker handle a message, often a copy of the very message in flight (its
visibility timeout ran out), which is exactly the race the version check and
the stale-message check exist for. When nothing is left to deliver, time moves
past the sweeper's grace period and ``recover`` runs the real sweeper: the only
way out of a crash between a commit and its enqueue, or between a commit's run
item write and the copy of its events to their own items (``commit.copy``).

The flows are the examples in ``definitions/`` plus the control-flow flows in
``tests/chaos/flows/`` (retry, catch, parallel, map), loaded from one folder.
"""

from __future__ import annotations

import dataclasses
import random
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from pydantic import BaseModel

from chalicelib.actions import ActionContext, ActionRegistry
from chalicelib.actions.builtins import TransformParams, transform
from chalicelib.actions.errors import HttpError
from chalicelib.engine import EventType, HistoryEvent, RunStatus
from chalicelib.local.runner import sqs_event
from chalicelib.local.stack import embedded_stack
from chalicelib.runtime import handlers
from chalicelib.runtime.clock import VirtualClock
from chalicelib.runtime.services import Services, build_services
from chalicelib.runtime.starter import start_run
from chalicelib.store import StoredRun, bind_models
from chalicelib.store.models import branch_key, run_key
from chalicelib.store.repository import merge_pending
from tests.chaos.broker import Delivery, HostileBroker
from tests.chaos.faults import Crash, FaultPlan, FaultyQueue, FaultyRepository
from tests.chaos.recovery import GRACE, next_due, recover

__all__ = ["Scenario", "SCENARIOS", "ChaosReport", "run_chaos", "no_recovery"]

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
MAX_STEPS_PER_EPISODE = 20_000
MAX_IDLE_ROUNDS = 50
MAX_START_ATTEMPTS = 50
SWEEP_EVERY = timedelta(minutes=5)  # app.py schedules the sweeper at Rate(5, MINUTES)
CHAOS_FLOWS = Path(__file__).resolve().parent / "flows"
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
    Scenario("chaos-retry", {"id": "r-1"}, RunStatus.SUCCEEDED),
    Scenario("chaos-catch", {"id": "c-1"}, RunStatus.SUCCEEDED),
    Scenario("chaos-parallel", {"id": "p-1"}, RunStatus.SUCCEEDED),
    Scenario("chaos-map", {"items": [{"n": i} for i in range(5)]}, RunStatus.SUCCEEDED),
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


class FlakyParams(BaseModel):
    fail_times: int
    status: int = 503


def _counting_registry(ledger: _Ledger, plan: FaultPlan) -> ActionRegistry:
    """``transform`` and ``flaky`` with a side effect we can count; crashes may land either side of it.

    ``flaky`` fails attempts 1..fail_times (read from the idempotency key, so a redelivered attempt
    fails or succeeds exactly as the first delivery did) with an ``HttpError`` of ``status``.
    """

    def counted(params: TransformParams, state_input: Any, context: ActionContext) -> Any:
        plan.at("action.before")
        ledger.calls[context.idempotency_key] += 1
        plan.at("action.after")
        return transform(params, state_input, context)

    def flaky(params: FlakyParams, state_input: Any, context: ActionContext) -> Any:
        plan.at("action.before")
        ledger.calls[context.idempotency_key] += 1
        plan.at("action.after")
        attempt = int(context.idempotency_key.rsplit(":", 1)[1])
        if attempt <= params.fail_times:
            raise HttpError(f"attempt {attempt} answered {params.status}", status_code=params.status)
        return {"attempt": attempt}

    registry = ActionRegistry()
    registry.register("transform", TransformParams, counted)
    registry.register("flaky", FlakyParams, flaky)
    return registry


class _Episode:
    def __init__(self, seed: int, report: ChaosReport, recovery: Callable[[Services, datetime], int],
                 clock: VirtualClock) -> None:
        self.rng = random.Random(seed)
        self.report = report
        self.recovery = recovery
        self.clock = clock
        self.broker = HostileBroker(clock, self.rng)
        self.plan = FaultPlan(self.rng)
        self.ledger = _Ledger()
        self.registry = _counting_registry(self.ledger, self.plan)

    def attach(self, definitions: Path, settings: Any) -> None:
        """Wire the services once the episode's moto stack is up: one clean view, two faulty workers."""
        settings = dataclasses.replace(settings, definitions_dir=definitions)
        base = build_services(settings, clock=self.clock, queue=self.broker, actions=self.registry)
        self.clean = dataclasses.replace(base, random=self.rng.random)
        self.models = bind_models(settings.table_name, settings.region, settings.dynamodb_endpoint)
        # Each worker has its own adapter instance (same table) so its copy-out can crash on its own.
        self.workers = [
            dataclasses.replace(
                self.clean,
                repository=FaultyRepository(build_services(settings, clock=self.clock, queue=self.broker,
                                                           actions=self.registry).repository, self.plan),
                queue=FaultyQueue(self.broker, self.plan),
            )
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
        self.plan.handling.append((message.run_id, message.branch, message.seq))
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
        last_sweep = self.clock.now()
        for _ in range(MAX_STEPS_PER_EPISODE):
            if self.broker.dead_letters or any(n > 1 for n in self.plan.commits.values()):
                break  # a promise is already broken; the checks below report it
            delivery = self.broker.receive()
            if delivery is not None:
                self._deliver(self.rng.choice(self.workers), delivery)
                continue
            upcoming = self.broker.next_visible_at()
            if upcoming is not None:
                # The sweeper runs on a schedule (every SWEEP_EVERY), not only when the queue is empty:
                # a cursor stranded while other runs sleep for hours is swept soon after it is overdue.
                due = next_due(self.clean)
                if due is not None:
                    sweep_at = max(due + GRACE + timedelta(seconds=1), last_sweep + SWEEP_EVERY)
                    if sweep_at < upcoming:
                        self.clock.advance_to(sweep_at)
                        last_sweep = self.clock.now()
                        self.report.recovered += self.recovery(self.clean, last_sweep)
                        continue
                self.clock.advance_to(upcoming)
                continue
            if self._unfinished(run_ids) == 0 or idle >= MAX_IDLE_ROUNDS:
                break
            idle += 1
            # Nothing to deliver: skip past the grace period after the earliest running cursor was due, then sweep.
            due = next_due(self.clean)
            self.clock.advance_to(max(self.clock.now(), due or self.clock.now()) + GRACE + timedelta(seconds=1))
            last_sweep = self.clock.now()
            self.report.recovered += self.recovery(self.clean, last_sweep)
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
        for (run_id, branch, seq), count in self.plan.commits.items():
            if count > 1:
                where = f" branch {branch}" if branch else ""
                violations.append(f"run {run_id}{where}: the message for version {seq} committed {count} transitions")
        for run_id, scenario in run_ids.items():
            stored = self.clean.repository.get(run_id)
            if stored is None:
                violations.append(f"run {run_id} ({scenario.flow}) vanished")
                continue
            run = stored.run
            if run.status is not scenario.status:
                violations.append(f"run {run_id} ({scenario.flow}) ended {run.status.value}, "
                                  f"expected {scenario.status.value} (at '{run.cursor}')")
            events = self._check_history(run_id, None, stored, violations)
            finals = [e for e in events if e.type in (EventType.RUN_SUCCEEDED, EventType.RUN_FAILED)]
            if run.status.finished and (len(finals) != 1 or events[-1] is not finals[0]):
                violations.append(f"run {run_id}: {len(finals)} final events, not exactly one at the end")
            visits = self._task_visits(run_id, None, events, scenario.flow)
            cursors = [stored]
            for branch in self._branches(run_id):
                branch_stored = self.clean.repository.get(run_id, branch)
                if branch_stored is None:
                    violations.append(f"run {run_id} branch {branch} vanished")
                    continue
                cursors.append(branch_stored)
                branch_events = self._check_history(run_id, branch, branch_stored, violations)
                visits |= self._task_visits(run_id, branch, branch_events, scenario.flow)
            self._check_effects(run_id, visits, cursors, violations)

    def _branches(self, run_id: str) -> list[str]:
        branch = self.models.branch
        query = branch.query(run_key(run_id), branch.sk.startswith(branch_key("")), consistent_read=True)
        return [item.branch for item in query]

    def _check_history(self, run_id: str, branch: str | None, stored: StoredRun,
                       violations: list[str]) -> list[HistoryEvent]:
        """History as readers see it must be 1..n; once the cursor finished, the event items alone must be."""
        where = f" branch {branch}" if branch else ""
        items = self.clean.repository.history(run_id, 0, 10_000, branch)
        events = merge_pending(items, stored.pending_events, 0, 10_000)
        expected = list(range(1, stored.run.event_count + 1))
        if [e.seq for e in events] != expected:
            violations.append(f"run {run_id}{where}: history seqs (items + pending) {[e.seq for e in events]} "
                              f"are not 1..{stored.run.event_count}")
        elif stored.run.status.finished and [e.seq for e in items] != expected:
            violations.append(f"run {run_id}{where} finished but its event items {[e.seq for e in items]} "
                              f"are not 1..{stored.run.event_count} (events left only in the run item)")
        return events

    def _task_visits(self, run_id: str, branch: str | None, events: list[HistoryEvent], flow: str) -> set[str]:
        """Idempotency keys of the task visits the history committed (succeeded, or failed with the action's error)."""
        tasks = _task_names(self.clean.flows.catalog.get(flow).definition)
        where = f"{branch}:" if branch else ""
        return {f"{run_id}:{where}{e.state}:{e.attempt}" for e in events
                if e.type in (EventType.STATE_SUCCEEDED, EventType.STATE_FAILED) and e.state in tasks}

    def _check_effects(self, run_id: str, visits: set[str], cursors: list[StoredRun], violations: list[str]) -> None:
        """Each task visit the history records was performed at least once, under its own stable key only."""
        performed = {key for key in self.ledger.calls if key.startswith(f"{run_id}:")}
        if not visits <= performed:
            violations.append(f"run {run_id}: task visits {sorted(visits - performed)} "
                              "committed without an action call")
        in_progress = {_in_progress(c) for c in cursors} - {None}
        if not performed <= visits | in_progress:
            violations.append(f"run {run_id}: action calls under keys no committed visit has: "
                              f"{sorted(performed - visits - in_progress)}")


def _task_names(machine: Any) -> set[str]:
    """Names of the task states of a flow, at any depth (parallel branches, map iterators)."""
    names: set[str] = set()
    for name, state in machine.states.items():
        if state.type == "task":
            names.add(name)
        for nested in (getattr(state, "branches", None) or {}).values():
            names |= _task_names(nested)
        if getattr(state, "iterator", None) is not None:
            names |= _task_names(state.iterator)
    return names


def _in_progress(stored: StoredRun) -> str | None:
    """The key of the visit a cursor is at (its action may have run before a crash, uncommitted)."""
    run = stored.run
    if run.cursor is None or run.status.finished:
        return None
    where = f"{run.branch}:" if run.branch else ""
    return f"{run.run_id}:{where}{run.cursor}:{run.attempt}"


# Task timeouts run from entering the state (README, "Timeouts"), so any fault that
# delays a task's message past its timeout (a crash waits out the 60 s visibility timeout, a stranded
# cursor the sweeper's grace) rightly fails the visit with Timeout without calling the action. The
# suite checks delivery promises, not timeout arithmetic: its flows get task timeouts longer than any
# fault-induced delay, so "finishes as it would without faults" stays a fair expectation.
TASK_TIMEOUT_UNDER_CHAOS = "6h"


def _outlast_faults(machine: dict[str, Any]) -> None:
    for state in machine.get("states", {}).values():
        if state.get("type") == "task":
            state["timeout"] = TASK_TIMEOUT_UNDER_CHAOS
        for branch in (state.get("branches") or {}).values():
            _outlast_faults(branch)
        if isinstance(state.get("iterator"), dict):
            _outlast_faults(state["iterator"])


def run_chaos(
    seed: int,
    episodes: int,
    definitions: Path,
    *,
    recovery: Callable[[Services, datetime], int] = recover,
) -> ChaosReport:
    report = ChaosReport()
    with tempfile.TemporaryDirectory() as folder:
        flows = Path(folder)
        for source in [*sorted(definitions.glob("*.yaml")), *sorted(CHAOS_FLOWS.glob("*.yaml"))]:
            document = yaml.safe_load(source.read_text())
            _outlast_faults(document)
            (flows / source.name).write_text(yaml.safe_dump(document, sort_keys=False))
        for episode in range(episodes):
            clock = VirtualClock(EPOCH + timedelta(days=episode))
            chaos = _Episode(seed * 1000 + episode, report, recovery, clock)
            with embedded_stack(flows, start=EPOCH, actions=chaos.registry) as stack:
                chaos.attach(flows, stack.services.settings)
                scenarios = [SCENARIOS[(episode + i) % len(SCENARIOS)] for i in range(len(SCENARIOS))]
                chaos.run(scenarios, f"e{episode}")
    return report


def no_recovery(services: Services, now: datetime) -> int:
    """Demonstration only: the sweeper switched off."""
    return 0

