"""The pure engine's control flow: retry back-off, catch, timeouts, compensation, groups, cancel, redrive."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.engine import (
    ActionFailed, ActionSucceeded, BranchOutcome, EngineError, ErrorName, EventType, Joined, Resume, RunError,
    RunNotRedrivable, RunStatus, Spawned, WorkKind, advance, cancel, pending_action, pending_spawn, redrive, start,
    start_branch,
)
from chalicelib.flows import Flow, parse_flow
from chalicelib.flows.models import RetryPolicy

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
DONE = {"type": "succeed"}


def make_flow(states: dict[str, Any], **top: Any) -> Flow:
    return parse_flow({"name": "f", "start": next(iter(states)), "states": states, **top}, "f.yaml")


@given(
    base=st.integers(1, 60), max_delay=st.integers(1, 3600), attempts=st.integers(1, 12),
    jitter=st.floats(0, 1), backoff=st.sampled_from(["exponential", "fixed"]),
)
def test_back_off_grows_never_exceeds_max_delay_and_full_jitter_stays_below_it(
    base: int, max_delay: int, attempts: int, jitter: float, backoff: str
) -> None:
    policy = RetryPolicy(base=base, max_delay=max_delay, backoff=backoff, jitter="none")
    delays = [policy.delay(n, jitter) for n in range(1, attempts + 1)]
    assert delays == sorted(delays)
    assert all(d <= max_delay for d in delays)
    jittered = RetryPolicy(base=base, max_delay=max_delay, backoff=backoff, jitter="full")
    assert all(0 <= jittered.delay(n, jitter) <= d for n, d in enumerate(delays, start=1))


TASK = {"type": "task", "action": "http", "with": {"url": "https://x"}, "next": "done"}


def test_a_retry_schedules_the_next_attempt_after_the_jittered_back_off() -> None:
    flow = make_flow({"call": {**TASK, "retry": [{"errors": ["Timeout"], "max_attempts": 2, "base": "10s"}]},
                      "done": DONE})
    run = start(flow, "r", {}, NOW).run
    decision = advance(flow, run, ActionFailed("Timeout", "slow"), NOW, jitter=0.5)
    assert decision.run.attempt == 2 and decision.run.status is RunStatus.RUNNING
    assert decision.work.kind is WorkKind.RETRY and decision.work.at == NOW + timedelta(seconds=5)
    assert pending_action(flow, decision.run, NOW + timedelta(seconds=4)) is None  # still backing off
    assert pending_action(flow, decision.run, NOW + timedelta(seconds=5)).idempotency_key == "r:call:2"
    last = advance(flow, decision.run, ActionFailed("Timeout", "slow"), NOW + timedelta(seconds=5))
    assert last.run.status is RunStatus.FAILED  # max_attempts counts the first attempt


def test_an_early_retry_message_hops_without_history() -> None:
    flow = make_flow({"call": {**TASK, "retry": {"base": "1h", "jitter": "none"}}, "done": DONE})
    waiting = advance(flow, start(flow, "r", {}, NOW).run, ActionFailed("HttpError"), NOW).run
    hop = advance(flow, waiting, Resume(), NOW + timedelta(minutes=15))
    assert hop.events == () and hop.work.at == NOW + timedelta(hours=1)


def test_errors_that_are_not_retryable_or_not_named_go_to_catch() -> None:
    flow = make_flow({
        "call": {**TASK, "retry": {"errors": ["HttpError"]},
                 "catch": [{"errors": ["Boom"], "next": "other"}, {"next": "fallback", "result": "err"}]},
        "fallback": DONE, "other": DONE, "done": DONE,
    })
    run = start(flow, "r", {"a": 1}, NOW).run
    permanent = advance(flow, run, ActionFailed("HttpError", "404", retryable=False), NOW)
    assert permanent.run.cursor == "fallback"
    assert permanent.run.context == {"a": 1, "err": {"error": "HttpError", "cause": "404", "state": "call"}}
    assert advance(flow, run, ActionFailed("Boom"), NOW).run.cursor == "other"


def test_an_expression_error_in_a_state_with_catch_is_caught() -> None:
    flow = make_flow({"call": {**TASK, "result": "$", "catch": [{"errors": ["InvalidResult"], "next": "done"}]},
                      "done": DONE})
    decision = advance(flow, start(flow, "r", {}, NOW).run, ActionSucceeded("not an object"), NOW)
    assert decision.run.cursor == "done"


def test_a_result_after_the_deadline_is_a_timeout() -> None:
    flow = make_flow({"call": {**TASK, "timeout": "30s", "catch": [{"errors": ["Timeout"], "next": "done"}]},
                      "done": DONE})
    run = start(flow, "r", {}, NOW).run
    assert run.deadline == NOW + timedelta(seconds=30)
    assert pending_action(flow, run, NOW + timedelta(seconds=20)).timeout_seconds == 10
    assert pending_action(flow, run, NOW + timedelta(seconds=30)) is None
    late = advance(flow, run, ActionSucceeded(1), NOW + timedelta(seconds=31))
    assert late.run.cursor == "done" and late.events[0].error.error == ErrorName.TIMEOUT


def test_the_flow_timeout_fails_the_run_at_the_next_timer() -> None:
    flow = make_flow({"nap": {"type": "wait", "duration": "1d", "next": "done"}, "done": DONE}, timeout="1h")
    entered = start(flow, "r", {}, NOW)
    assert entered.work.at == NOW + timedelta(hours=1)  # the timer is capped at the run's deadline
    ended = advance(flow, entered.run, Resume(), NOW + timedelta(hours=1))
    assert ended.run.status is RunStatus.FAILED and ended.run.error.error == ErrorName.TIMEOUT


COMPENSATED = {
    "a": {**TASK, "compensate": {"action": "http", "with": {"url": "https://undo-a"}}, "next": "b"},
    "b": {**TASK, "compensate": "undo_b", "next": "c"},
    "c": {**TASK, "next": "done"},
    "undo_b": {**TASK, "with": {"url": "https://undo-b"}},
    "done": DONE,
}


def test_an_uncaught_failure_undoes_completed_states_newest_first_then_fails() -> None:
    flow = make_flow(COMPENSATED)
    run = start(flow, "r", {}, NOW).run
    run = advance(flow, run, ActionSucceeded(1), NOW).run
    run = advance(flow, run, ActionSucceeded(2), NOW).run
    assert run.compensations == ("a", "b")
    unwinding = advance(flow, run, ActionFailed("HttpError", "down"), NOW).run
    assert unwinding.status is RunStatus.RUNNING and unwinding.unwinding.error == "HttpError"
    urls = []
    decision = None
    while unwinding.status is RunStatus.RUNNING:
        request = pending_action(flow, unwinding)
        urls.append(request.params["url"])
        decision = advance(flow, unwinding, ActionFailed("Oops") if len(urls) == 1 else ActionSucceeded(0), NOW)
        unwinding = decision.run
    assert urls == ["https://undo-b", "https://undo-a"]
    assert unwinding.status is RunStatus.FAILED and unwinding.error.error == "HttpError"
    assert [e.type for e in decision.events] == [EventType.COMPENSATION_SUCCEEDED, EventType.RUN_FAILED]


def test_cancel_with_compensate_rolls_back_and_ends_cancelled() -> None:
    flow = make_flow(COMPENSATED)
    run = advance(flow, start(flow, "r", {}, NOW).run, ActionSucceeded(1), NOW).run
    rolling = cancel(run, NOW, compensate=True).run
    ended = advance(flow, rolling, ActionSucceeded(0), NOW).run
    assert ended.status is RunStatus.CANCELLED and ended.error.error == ErrorName.CANCELLED


MAP = {
    "each": {"type": "map", "items": "xs", "max_concurrency": 2, "tolerated_failures": "50%",
             "iterator": {"start": "one", "states": {"one": {"type": "pass", "next": "ok"}, "ok": DONE}},
             "result": "out", "next": "done"},
    "done": DONE,
}


def test_a_map_spawns_one_branch_per_item_and_joins_results_in_item_order() -> None:
    flow = make_flow(MAP)
    run = start(flow, "r", {"xs": ["a", "b", "c"]}, NOW).run
    request = pending_spawn(flow, run, NOW)
    assert [b.context for b in request.branches] == [{"item": "a", "index": 0}, {"item": "b", "index": 1},
                                                    {"item": "c", "index": 2}]
    assert (request.max_concurrency, request.tolerated) == (2, 1)
    branch = start_branch(flow, run, request, request.branches[0], NOW).run
    assert (branch.branch, branch.cursor, branch.machine) == (f"{request.group}#000000", "one", "each")
    waiting = advance(flow, run, Spawned(request.group, 3), NOW)
    assert waiting.run.children == request.group and waiting.work.kind is WorkKind.JOIN
    assert pending_spawn(flow, waiting.run, NOW) is None
    outcomes = (BranchOutcome("000002", True, "C"), BranchOutcome("000000", True, "A"),
                BranchOutcome("000001", False, error=RunError("E", "x")))
    joined = advance(flow, waiting.run, Joined(outcomes, 3), NOW)
    assert joined.run.context["out"] == ["A", {"error": "E", "cause": "x", "state": None}, "C"]
    assert joined.close_group == request.group


def test_more_failures_than_tolerated_fail_the_map_and_close_its_join() -> None:
    flow = make_flow(MAP)
    run = start(flow, "r", {"xs": [1, 2]}, NOW).run
    waiting = advance(flow, run, Spawned("g", 2), NOW).run
    failed = advance(flow, waiting, Joined((BranchOutcome("000000", False, error=RunError("E")),
                                             BranchOutcome("000001", False, error=RunError("E"))), 2), NOW)
    assert failed.run.error.error == ErrorName.TOLERATED_FAILURES_EXCEEDED and failed.close_group == "g"


def test_a_group_past_its_timeout_fails_with_timeout_at_the_heartbeat() -> None:
    flow = make_flow({**MAP, "each": {**MAP["each"], "timeout": "1h"}})
    waiting = advance(flow, start(flow, "r", {"xs": [1]}, NOW).run, Spawned("g", 1), NOW)
    assert waiting.work.at == NOW + timedelta(minutes=15)
    still = advance(flow, waiting.run, Resume(), NOW + timedelta(minutes=15))
    assert still.events == () and still.run.children == "g"
    late = advance(flow, waiting.run, Resume(), NOW + timedelta(hours=1))
    assert late.run.error.error == ErrorName.TIMEOUT and late.close_group == "g"


def test_items_that_are_not_an_array_fail_the_map_on_entry() -> None:
    flow = make_flow(MAP)
    decision = start(flow, "r", {"xs": "nope"}, NOW)
    assert decision.run.status is RunStatus.FAILED and decision.run.error.error == ErrorName.INVALID_ITEMS


def test_redrive_re_enters_the_failed_state_with_a_patched_context() -> None:
    flow = make_flow({"a": {"type": "pass", "next": "b"}, "b": {"type": "pass", "requires": "ok", "next": "done"},
                      "done": DONE})
    run = start(flow, "r", {}, NOW).run
    failed = advance(flow, run, Resume(), NOW).run
    assert failed.status is RunStatus.FAILED and failed.error.state == "b"
    again = redrive(flow, failed, NOW, {"ok": True})
    assert again.run.status is RunStatus.RUNNING and again.run.cursor == "b" and again.run.error is None
    assert [e.type for e in again.events] == [EventType.RUN_REDRIVEN]
    assert again.events[0].seq == failed.event_count + 1
    with pytest.raises(RunNotRedrivable):
        redrive(flow, again.run, NOW)


def test_cancel_closes_the_join_of_a_waiting_group_and_rejects_finished_runs() -> None:
    flow = make_flow(MAP)
    waiting = advance(flow, start(flow, "r", {"xs": [1]}, NOW).run, Spawned("g", 1), NOW).run
    cancelled = cancel(waiting, NOW, "stop")
    assert cancelled.run.status is RunStatus.CANCELLED and cancelled.close_group == "g"
    assert cancelled.events[-1].type is EventType.RUN_CANCELLED
    with pytest.raises(EngineError):
        cancel(cancelled.run, NOW)


def test_parallel_branches_share_the_state_input_and_results_are_keyed_by_branch() -> None:
    branch = {"start": "s", "states": {"s": DONE}}
    flow = make_flow({"p": {"type": "parallel", "branches": {"x": branch, "y": branch}, "input": "{v: v}",
                            "result": "r", "next": "done"}, "done": DONE})
    run = start(flow, "r", {"v": 1, "w": 2}, NOW).run
    request = pending_spawn(flow, run, NOW)
    assert [(b.key, b.machine, b.context) for b in request.branches] == [("x", "p:x", {"v": 1}), ("y", "p:y", {"v": 1})]
    waiting = advance(flow, run, Spawned(request.group, 2), NOW).run
    joined = advance(flow, waiting, Joined((BranchOutcome("y", True, 2), BranchOutcome("x", True, 1)), 2), NOW)
    assert joined.run.context["r"] == {"x": 1, "y": 2}
    assert dataclasses.replace(joined.run).children is None
