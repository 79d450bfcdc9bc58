"""Example-based tests of the pure state machine: start, pending_action, advance."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.engine import (
    ActionFailed,
    ActionSucceeded,
    Decision,
    EngineError,
    ErrorName,
    EventType,
    Resume,
    RunStatus,
    ScheduleWork,
    StartedBy,
    WorkKind,
    advance,
    digest,
    pending_action,
    start,
)
from chalicelib.flows import Flow, parse_flow

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
SUCCEED = {"type": "succeed"}


def make_flow(states: dict[str, Any], start_at: str | None = None, **top: Any) -> Flow:
    document = {"name": "test-flow", "start": start_at or next(iter(states)), "states": states, **top}
    return parse_flow(document, "test-flow.yaml")


def seqs(*decisions: Decision) -> list[int]:
    return [event.seq for decision in decisions for event in decision.events]


def types(decision: Decision) -> list[EventType]:
    return [event.type for event in decision.events]


def assert_failed(decision: Decision, error: str, state: str) -> None:
    run = decision.run
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert (run.error.error, run.error.state) == (error, state)
    assert run.cursor is None
    assert run.wake_at is None
    assert run.finished_at == decision.run.updated_at
    assert decision.work is None
    last = decision.events[-1]
    assert last.type is EventType.RUN_FAILED
    assert last.error == run.error
    assert last.seq == run.event_count


class TestLinearRun:
    """GIVEN pass -> task -> succeed, WHEN each step is advanced, THEN the run walks the graph with a full history."""

    flow = make_flow(
        {
            "price": {"type": "pass", "transform": "sum(items[].price)", "result": "total", "next": "charge"},
            "charge": {"type": "task", "action": "http", "with": {"url": "https://erp"}, "timeout": "1m",
                       "input": "{amount: total}", "result": "receipt", "next": "done"},
            "done": SUCCEED,
        }
    )
    run_input = {"items": [{"price": 2}, {"price": 3}]}

    def test_start_enters_the_start_state_and_asks_for_an_immediate_step(self) -> None:
        decision = start(self.flow, "run-1", self.run_input, NOW, StartedBy(source="webhook", identity="ci"))

        run = decision.run
        assert (run.run_id, run.flow, run.flow_version) == ("run-1", "test-flow", self.flow.version)
        assert run.status is RunStatus.RUNNING
        assert run.cursor == "price"
        assert run.context == self.run_input
        assert run.attempt == 1
        assert run.started_at == run.updated_at == NOW
        assert run.started_by == StartedBy(source="webhook", identity="ci")
        assert decision.work == ScheduleWork(WorkKind.ADVANCE, NOW)
        assert decision.due_at == NOW
        [started] = decision.events
        assert (started.seq, started.type, started.next, started.time) == (1, EventType.RUN_STARTED, "price", NOW)
        assert started.detail["input"] == digest(self.run_input)
        assert started.detail["started_by"] == {"source": "webhook", "identity": "ci"}
        assert run.event_count == 1

    def test_walks_to_success(self) -> None:
        started = start(self.flow, "run-1", self.run_input, NOW)
        assert pending_action(self.flow, started.run) is None

        priced = advance(self.flow, started.run, Resume(), NOW + timedelta(seconds=1))
        assert priced.run.cursor == "charge"
        assert priced.run.context == {**self.run_input, "total": 5}
        assert types(priced) == [EventType.STATE_SUCCEEDED]
        assert (priced.events[0].state, priced.events[0].next) == ("price", "charge")

        request = pending_action(self.flow, priced.run)
        assert request is not None
        assert (request.action, request.params, request.input) == ("http", {"url": "https://erp"}, {"amount": 5})
        assert request.timeout_seconds == 60

        charged = advance(self.flow, priced.run, ActionSucceeded({"id": "r-9"}), NOW + timedelta(seconds=2))
        assert charged.run.cursor == "done"
        assert charged.run.context["receipt"] == {"id": "r-9"}
        assert charged.events[0].detail == {"output": digest({"id": "r-9"})}

        done = advance(self.flow, charged.run, Resume(), NOW + timedelta(seconds=3))
        assert done.run.status is RunStatus.SUCCEEDED
        assert done.run.cursor is None
        assert done.run.finished_at == NOW + timedelta(seconds=3)
        assert done.work is None
        assert types(done) == [EventType.RUN_SUCCEEDED]
        assert done.events[0].state == "done"

        assert seqs(started, priced, charged, done) == [1, 2, 3, 4]
        assert done.run.event_count == 4

    def test_advance_does_not_mutate_the_run_it_is_given(self) -> None:
        started = start(self.flow, "run-1", self.run_input, NOW)
        before = copy.deepcopy(started.run)

        advance(self.flow, started.run, Resume(), NOW)

        assert started.run == before

    def test_start_does_not_share_the_input_dict(self) -> None:
        run_input = {"items": []}

        decision = start(self.flow, "run-1", run_input, NOW)
        run_input["late"] = True

        assert "late" not in decision.run.context


class TestChoice:
    @staticmethod
    def choice_flow(rules: list[dict[str, Any]], default: str | None = None) -> Flow:
        choice: dict[str, Any] = {"type": "choice", "rules": rules}
        if default is not None:
            choice["default"] = default
        targets = {rule["next"]: SUCCEED for rule in rules}
        if default is not None:
            targets[default] = SUCCEED
        return make_flow({"route": choice, **targets}, "route")

    def route(self, flow: Flow, context: dict[str, Any]) -> Decision:
        return advance(flow, start(flow, "run-1", context, NOW).run, Resume(), NOW)

    def test_priority_one_beats_file_order_and_unprioritised_rules_go_last(self) -> None:
        flow = self.choice_flow([
            {"when": "`true`", "next": "a"},
            {"when": "`true`", "next": "b", "priority": 2},
            {"when": "`true`", "next": "c", "priority": 1},
        ])

        decision = self.route(flow, {})

        assert decision.run.cursor == "c"
        assert decision.events[0].detail == {"rule": 2}

    def test_lower_priority_wins_when_the_higher_does_not_match(self) -> None:
        flow = self.choice_flow([
            {"when": "`true`", "next": "a"},
            {"when": "`true`", "next": "b", "priority": 2},
            {"when": "big", "next": "c", "priority": 1},
        ])

        assert self.route(flow, {"big": False}).run.cursor == "b"

    def test_unprioritised_rules_match_in_file_order_after_prioritised_ones(self) -> None:
        flow = self.choice_flow([
            {"when": "x", "next": "a"},
            {"when": "y", "next": "b"},
            {"when": "z", "next": "c", "priority": 5},
        ])

        assert self.route(flow, {"x": 1, "y": 1}).run.cursor == "a"
        assert self.route(flow, {"y": 1}).run.cursor == "b"
        assert self.route(flow, {"x": 1, "y": 1, "z": 1}).run.cursor == "c"

    def test_equal_priorities_keep_file_order(self) -> None:
        flow = self.choice_flow([
            {"when": "`true`", "next": "b", "priority": 1},
            {"when": "`true`", "next": "a", "priority": 1},
        ])

        assert self.route(flow, {}).run.cursor == "b"

    def test_zero_is_truthy_in_a_rule(self) -> None:
        flow = self.choice_flow([{"when": "count", "next": "a"}], default="fallback")

        assert self.route(flow, {"count": 0}).run.cursor == "a"
        assert self.route(flow, {"count": []}).run.cursor == "fallback"

    def test_the_default_is_taken_when_no_rule_matches(self) -> None:
        flow = self.choice_flow([{"when": "amount > `10`", "next": "a"}], default="fallback")

        decision = self.route(flow, {"amount": 3})

        assert decision.run.cursor == "fallback"
        assert decision.events[0].detail == {"rule": None}

    def test_no_match_without_a_default_fails_the_run(self) -> None:
        flow = self.choice_flow([{"when": "amount > `10`", "next": "a"}])
        started = start(flow, "run-1", {"amount": 3}, NOW)

        decision = advance(flow, started.run, Resume(), NOW)

        assert_failed(decision, ErrorName.NO_CHOICE_MATCHED, "route")
        assert types(decision) == [EventType.RUN_FAILED]
        assert seqs(started, decision) == [1, 2]

    def test_rules_see_the_state_input(self) -> None:
        flow = make_flow({
            "route": {"type": "choice", "input": "order", "rules": [{"when": "total > `10`", "next": "a"}],
                      "default": "b"},
            "a": SUCCEED,
            "b": SUCCEED,
        })

        assert self.route(flow, {"order": {"total": 11}}).run.cursor == "a"

    def test_a_rule_that_errors_at_runtime_fails_the_run(self) -> None:
        flow = self.choice_flow([{"when": "length(amount) > `1`", "next": "a"}], default="fallback")

        decision = self.route(flow, {"amount": 5})

        assert_failed(decision, ErrorName.EXPRESSION_FAILED, "route")
        assert "rules.when" in decision.run.error.cause


    @pytest.mark.parametrize("amount", ["20000", "5"])
    def test_comparing_a_string_with_a_number_fails_the_run_rather_than_skipping_the_rule(self, amount: str) -> None:
        flow = self.choice_flow([{"when": "amount > `10000`", "next": "a"}], default="fallback")

        decision = self.route(flow, {"amount": amount})

        assert_failed(decision, ErrorName.EXPRESSION_FAILED, "route")
        assert "amount > `10000`" in decision.run.error.cause


class TestWait:
    flow = make_flow({"cool_off": {"type": "wait", "duration": "1h", "next": "done"}, "done": SUCCEED})

    def test_entering_a_wait_arms_a_timer(self) -> None:
        decision = start(self.flow, "run-1", {}, NOW)

        assert decision.run.cursor == "cool_off"
        assert decision.run.wake_at == NOW + timedelta(hours=1)
        assert decision.work == ScheduleWork(WorkKind.TIMER, NOW + timedelta(hours=1))

    def test_an_early_timer_hops_without_history(self) -> None:
        started = start(self.flow, "run-1", {}, NOW)
        early = NOW + timedelta(minutes=15)

        hop = advance(self.flow, started.run, Resume(), early)

        assert hop.events == ()
        assert hop.run.cursor == "cool_off"
        assert hop.run.event_count == started.run.event_count
        assert hop.run.wake_at == started.run.wake_at
        assert hop.run.updated_at == early
        assert hop.work == ScheduleWork(WorkKind.TIMER, NOW + timedelta(hours=1))

    def test_the_timer_moves_on_at_wake_time(self) -> None:
        started = start(self.flow, "run-1", {}, NOW)

        woke = advance(self.flow, started.run, Resume(), NOW + timedelta(hours=1))

        assert woke.run.cursor == "done"
        assert woke.run.wake_at is None
        assert woke.work == ScheduleWork(WorkKind.ADVANCE, NOW + timedelta(hours=1))
        assert seqs(started, woke) == [1, 2]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2026-02-01T00:00:00Z", datetime(2026, 2, 1, tzinfo=timezone.utc)),
            ("2026-02-01T02:00:00+02:00", datetime(2026, 2, 1, tzinfo=timezone.utc)),
            ("2026-02-01T00:00:00", datetime(2026, 2, 1, tzinfo=timezone.utc)),
        ],
    )
    def test_until_waits_for_the_time_the_expression_gives(self, value: str, expected: datetime) -> None:
        flow = make_flow({"hold": {"type": "wait", "until": "release_at", "next": "done"}, "done": SUCCEED})

        decision = start(flow, "run-1", {"release_at": value}, NOW)

        assert decision.run.wake_at == expected
        assert decision.work == ScheduleWork(WorkKind.TIMER, expected)

    @pytest.mark.parametrize("value", [None, 1767600000, "next tuesday", "", ["2026-02-01"]])
    def test_until_with_a_bad_value_fails_the_run(self, value: Any) -> None:
        flow = make_flow({"hold": {"type": "wait", "until": "release_at", "next": "done"}, "done": SUCCEED})

        decision = start(flow, "run-1", {"release_at": value}, NOW)

        assert_failed(decision, ErrorName.INVALID_WAIT_TIME, "hold")
        assert types(decision) == [EventType.RUN_STARTED, EventType.RUN_FAILED]
        assert seqs(decision) == [1, 2]

    def test_a_duration_beyond_the_calendar_fails_the_run_instead_of_raising(self) -> None:
        flow = make_flow({"forever": {"type": "wait", "duration": "99999999999d", "next": "done"}, "done": SUCCEED})

        decision = start(flow, "run-1", {}, NOW)

        assert_failed(decision, ErrorName.INVALID_WAIT_TIME, "forever")

    def test_a_wait_run_without_wake_at_is_a_caller_error(self) -> None:
        started = start(self.flow, "run-1", {}, NOW)
        broken = dataclasses.replace(started.run, wake_at=None)

        with pytest.raises(EngineError, match="without a wake_at"):
            advance(self.flow, broken, Resume(), NOW)


class TestGuards:
    flow = make_flow({
        "check": {"type": "pass", "next": "approve"},
        "approve": {"type": "task", "action": "emit", "requires": "approved_by", "next": "done"},
        "done": SUCCEED,
    })

    def test_a_false_guard_fails_the_run_naming_the_guarded_state(self) -> None:
        started = start(self.flow, "run-1", {"approved_by": ""}, NOW)

        decision = advance(self.flow, started.run, Resume(), NOW)

        assert_failed(decision, ErrorName.GUARD_FAILED, "approve")
        assert "approved_by" in decision.run.error.cause
        assert types(decision) == [EventType.STATE_SUCCEEDED, EventType.RUN_FAILED]
        assert seqs(started, decision) == [1, 2, 3]

    def test_a_true_guard_lets_the_run_in(self) -> None:
        started = start(self.flow, "run-1", {"approved_by": "ops"}, NOW)

        decision = advance(self.flow, started.run, Resume(), NOW)

        assert decision.run.status is RunStatus.RUNNING
        assert decision.run.cursor == "approve"

    def test_a_guard_that_errors_fails_the_run_as_an_expression_failure(self) -> None:
        flow = make_flow({"go": {"type": "pass", "requires": "level > `2`", "next": "done"}, "done": SUCCEED})

        decision = start(flow, "run-1", {"level": "high"}, NOW)

        assert_failed(decision, ErrorName.EXPRESSION_FAILED, "go")
        assert "'requires'" in decision.run.error.cause

    def test_a_guard_on_the_start_state_is_checked_at_start(self) -> None:
        flow = make_flow({"go": {"type": "pass", "requires": "ready", "next": "done"}, "done": SUCCEED})

        decision = start(flow, "run-1", {"ready": False}, NOW)

        assert_failed(decision, ErrorName.GUARD_FAILED, "go")
        assert seqs(decision) == [1, 2]


class TestTask:
    flow = make_flow({
        "charge": {"type": "task", "action": "http", "with": {"url": "https://erp"}, "next": "done"},
        "done": SUCCEED,
    })

    def test_an_action_failure_fails_the_run_with_gap_free_history(self) -> None:
        started = start(self.flow, "run-1", {}, NOW)

        decision = advance(self.flow, started.run, ActionFailed("HttpError", "502 from erp"), NOW)

        assert_failed(decision, "HttpError", "charge")
        assert decision.run.error.cause == "502 from erp"
        assert types(decision) == [EventType.STATE_FAILED, EventType.RUN_FAILED]
        assert decision.events[0].state == "charge"
        assert decision.events[0].attempt == 1
        assert seqs(started, decision) == [1, 2, 3]
        assert decision.run.event_count == 3

    def test_pending_action_carries_an_idempotency_key_of_run_state_and_attempt(self) -> None:
        run = start(self.flow, "run-42", {"id": 1}, NOW).run

        first = pending_action(self.flow, run)
        again = pending_action(self.flow, run)

        assert first is not None
        assert first.idempotency_key == "run-42:charge:1"
        assert again == first
        retried = dataclasses.replace(run, attempt=3)
        assert pending_action(self.flow, retried).idempotency_key == "run-42:charge:3"

    def test_pending_action_is_none_for_a_finished_run(self) -> None:
        run = start(self.flow, "run-1", {}, NOW).run
        failed = advance(self.flow, run, ActionFailed("Boom"), NOW).run

        assert pending_action(self.flow, failed) is None

    def test_pending_action_params_are_a_copy(self) -> None:
        run = start(self.flow, "run-1", {}, NOW).run

        pending_action(self.flow, run).params["url"] = "changed"

        assert pending_action(self.flow, run).params == {"url": "https://erp"}

    def test_a_task_input_that_errors_fails_the_run_on_entry(self) -> None:
        flow = make_flow({
            "charge": {"type": "task", "action": "http", "input": "length(amount)", "next": "done"},
            "done": SUCCEED,
        })

        decision = start(flow, "run-1", {"amount": 5}, NOW)

        assert_failed(decision, ErrorName.EXPRESSION_FAILED, "charge")
        assert "'input'" in decision.run.error.cause
        assert pending_action(flow, decision.run) is None

    @pytest.mark.parametrize("event", [Resume(), ActionSucceeded(None)])
    def test_events_that_do_not_fit_the_state_are_caller_errors(self, event: Any) -> None:
        flow = make_flow({"step": {"type": "pass", "next": "charge"}, **self.flow.document["states"]})
        on_pass = start(flow, "run-1", {}, NOW).run
        on_task = advance(flow, on_pass, Resume(), NOW).run

        target = on_task if isinstance(event, Resume) else on_pass
        with pytest.raises(EngineError):
            advance(flow, target, event, NOW)


class TestResultAndOutput:
    def run_task(self, task: dict[str, Any], result: Any, context: dict[str, Any] | None = None) -> Decision:
        flow = make_flow({"work": {"type": "task", "action": "emit", "next": "done", **task}, "done": SUCCEED})
        started = start(flow, "run-1", context or {"id": 1}, NOW)
        return advance(flow, started.run, ActionSucceeded(result), NOW)

    def test_without_a_result_path_the_result_is_not_kept(self) -> None:
        assert self.run_task({}, {"big": "payload"}).run.context == {"id": 1}

    def test_a_nested_result_path_creates_objects(self) -> None:
        decision = self.run_task({"result": "order.receipt"}, {"n": 7}, {"id": 1, "order": {"total": 5}})

        assert decision.run.context == {"id": 1, "order": {"total": 5, "receipt": {"n": 7}}}

    def test_dollar_replaces_the_context(self) -> None:
        assert self.run_task({"result": "$"}, {"fresh": True}).run.context == {"fresh": True}

    def test_dollar_with_a_non_object_fails_the_run(self) -> None:
        decision = self.run_task({"result": "$"}, [1, 2])

        assert_failed(decision, ErrorName.INVALID_RESULT, "work")

    def test_output_reshapes_the_context_after_the_result_lands(self) -> None:
        decision = self.run_task({"result": "receipt", "output": "{id: id, receipt_id: receipt.n}"}, {"n": 7})

        assert decision.run.context == {"id": 1, "receipt_id": 7}

    @pytest.mark.parametrize("output", ["receipt.n", "[id]", "missing"])
    def test_output_that_is_not_an_object_fails_the_run(self, output: str) -> None:
        decision = self.run_task({"result": "receipt", "output": output}, {"n": 7})

        assert_failed(decision, ErrorName.INVALID_RESULT, "work")
        assert "'output'" in decision.run.error.cause

    def test_a_pass_transform_lands_at_its_result(self) -> None:
        flow = make_flow({
            "shape": {"type": "pass", "input": "order", "transform": "{sku: sku}", "result": "line", "next": "done"},
            "done": SUCCEED,
        })
        started = start(flow, "run-1", {"order": {"sku": "A1", "qty": 2}}, NOW)

        decision = advance(flow, started.run, Resume(), NOW)

        assert decision.run.context == {"order": {"sku": "A1", "qty": 2}, "line": {"sku": "A1"}}

    def test_succeed_output_shapes_the_final_context(self) -> None:
        flow = make_flow({"done": {"type": "succeed", "output": "{id: id}"}})
        started = start(flow, "run-1", {"id": 1, "secret": "x"}, NOW)

        decision = advance(flow, started.run, Resume(), NOW)

        assert decision.run.status is RunStatus.SUCCEEDED
        assert decision.run.context == {"id": 1}
        assert decision.events[0].detail == {"output": digest({"id": 1})}


class TestEndStates:
    def test_a_fail_state_fails_with_its_error_and_cause(self) -> None:
        flow = make_flow({"rejected": {"type": "fail", "error": "OrderRejected", "cause": "too big"}})
        started = start(flow, "run-1", {}, NOW)

        decision = advance(flow, started.run, Resume(), NOW)

        assert_failed(decision, "OrderRejected", "rejected")
        assert decision.run.error.cause == "too big"
        assert seqs(started, decision) == [1, 2]

    @pytest.mark.parametrize("event", [Resume(), ActionSucceeded({}), ActionFailed("Boom")])
    @pytest.mark.parametrize("end", [SUCCEED, {"type": "fail"}])
    def test_advancing_a_finished_run_is_a_caller_error(self, event: Any, end: dict[str, Any]) -> None:
        flow = make_flow({"end": end})
        finished = advance(flow, start(flow, "run-1", {}, NOW).run, Resume(), NOW).run
        assert finished.status.finished

        with pytest.raises(EngineError, match="nothing to advance") as caught:
            advance(flow, finished, event, NOW)

        assert caught.value.code == "invalid_transition"
