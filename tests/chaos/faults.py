"""Fault injection around the store and queue adapters: crash at every I/O boundary, or let the other worker in.

The wrappers implement the same protocols as the adapters they wrap
(``RunRepository``, ``WorkQueue``) and never change them. A :class:`Crash` is a
``BaseException`` on purpose: it models the Lambda process dying (timeout, OOM,
kill), so no ``except Exception`` in the worker or in Powertools' batch
processor may swallow it, just as nothing survives a dead process.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.engine import Decision, HistoryEvent
from chalicelib.flows import Flow
from chalicelib.queue import WorkMessage
from chalicelib.store import RunPage, RunRepository, StoredRun

__all__ = ["Crash", "FaultPlan", "FaultyRepository", "FaultyQueue", "BOUNDARIES"]

BOUNDARIES = (
    "get.before", "get.after",
    "create.before", "create.after",
    "commit.before", "commit.copy", "commit.after",
    "flush.before", "flush.after",
    "send.before", "send.after",
    "action.before", "action.after",
)


class Crash(BaseException):
    """The worker process died at ``boundary``; whatever was not yet committed is lost."""

    def __init__(self, boundary: str) -> None:
        super().__init__(boundary)
        self.boundary = boundary


@dataclass
class FaultPlan:
    """Seeded decisions for every boundary: crash here, or run the other worker now, or carry on."""

    rng: random.Random
    crash: float = 0.04
    interleave: float = 0.10
    enabled: bool = True
    crashes: Counter[str] = field(default_factory=Counter)
    interleavings: int = 0
    other_worker: Callable[[], None] | None = None
    # (run_id, branch, seq) of the message each nested worker is handling; the innermost is last.
    handling: list[tuple[str, str | None, int] | None] = field(default_factory=list)
    commits: Counter[tuple[str, str | None, int]] = field(default_factory=Counter)

    def at(self, boundary: str) -> None:
        if not self.enabled:
            return
        if self.other_worker is not None and self.rng.random() < self.interleave:
            self.interleavings += 1
            self.other_worker()
        if self.rng.random() < self.crash:
            self.crashes[boundary] += 1
            raise Crash(boundary)


class FaultyRepository:
    """Every method of ``RunRepository``, with a crash (or the other worker) possible either side of each write.

    ``commit.copy`` is the window an ordinary commit opened: the run item (carrying the transition's
    events in ``pending_events``) is written, but the events are not yet, or only partly, copied to
    their own items. The wrapper reaches it through ``copy_out``, the one seam of the adapter that
    copies events out (``DynamoRunRepository._put_events``): each worker gets its own adapter
    instance over the same table, whose copy-out crashes before any event with the plan's odds.
    """

    def __init__(self, inner: RunRepository, plan: FaultPlan) -> None:
        self._inner = inner
        self._plan = plan
        self._committing = False
        copy_out = getattr(inner, "_put_events", None)
        if copy_out is not None:
            def crashing_copy_out(run_id: str, branch: str | None, events: tuple[HistoryEvent, ...]) -> None:
                for event in events:  # one put per event, as the adapter does: a crash may land between them
                    if self._committing:
                        self._plan.at("commit.copy")
                    copy_out(run_id, branch, (event,))

            inner._put_events = crashing_copy_out  # type: ignore[attr-defined]

    def create(self, decision: Decision) -> int:
        self._plan.at("create.before")
        version = self._inner.create(decision)
        self._plan.at("create.after")
        return version

    def get(self, run_id: str, branch: str | None = None) -> StoredRun | None:
        self._plan.at("get.before")
        stored = self._inner.get(run_id, branch)
        self._plan.at("get.after")
        return stored

    def commit(self, decision: Decision, expected_version: int, successor: str | None = None,
               due_since: datetime | None = None) -> int:
        self._plan.at("commit.before")
        self._committing = True
        try:
            version = self._inner.commit(decision, expected_version, successor=successor, due_since=due_since)
        except Crash:
            self._count_commit()  # only commit.copy crashes inside: the run item is already written
            raise
        finally:
            self._committing = False
        self._count_commit()
        self._plan.at("commit.after")
        return version

    def _count_commit(self) -> None:
        message = self._plan.handling[-1] if self._plan.handling else None
        if message is not None:
            self._plan.commits[message] += 1

    def flush(self, stored: StoredRun) -> None:
        self._plan.at("flush.before")
        self._inner.flush(stored)
        self._plan.at("flush.after")

    def history(self, run_id: str, after_seq: int = 0, limit: int = 100,
                branch: str | None = None) -> list[HistoryEvent]:
        return self._inner.history(run_id, after_seq, limit, branch)

    def list_runs(self, flow: str | None, status: str | None, limit: int, next_token: str | None) -> RunPage:
        return self._inner.list_runs(flow, status, limit, next_token)

    def publish_definition(self, flow: Flow, now: datetime) -> None:
        self._inner.publish_definition(flow, now)

    def get_definition(self, name: str, version: str) -> dict[str, Any] | None:
        return self._inner.get_definition(name, version)


class FaultyQueue:
    def __init__(self, inner: Any, plan: FaultPlan) -> None:
        self._inner = inner
        self._plan = plan

    def send(self, message: WorkMessage, delay_seconds: int) -> None:
        self._plan.at("send.before")
        self._inner.send(message, delay_seconds)
        self._plan.at("send.after")
