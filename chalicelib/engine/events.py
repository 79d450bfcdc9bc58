"""What happened to a run since the engine last looked: the input to ``advance``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from chalicelib.engine.state import RunError

__all__ = ["ActionSucceeded", "ActionFailed", "Resume", "Spawned", "BranchOutcome", "Joined", "ChildStarted",
           "ChildFinished", "Event"]


@dataclass(frozen=True)
class ActionSucceeded:
    result: Any


@dataclass(frozen=True)
class ActionFailed:
    error: str
    cause: str | None = None
    retryable: bool = True


@dataclass(frozen=True)
class Resume:
    """A work message arrived for a state that needs no action (choice, pass, wait, a pending join, end states)."""


@dataclass(frozen=True)
class Spawned:
    """The runtime created the branches of a parallel/map state under the join ``group``."""

    group: str
    total: int


@dataclass(frozen=True)
class BranchOutcome:
    key: str
    succeeded: bool
    output: Any = None
    error: RunError | None = None


@dataclass(frozen=True)
class Joined:
    """The join of the current group is complete (or failed beyond tolerance): the finished branches, by key."""

    outcomes: tuple[BranchOutcome, ...]
    total: int = 0


@dataclass(frozen=True)
class ChildStarted:
    """The runtime started (or, on a redelivery, found) the child run of a subflow state."""

    run_id: str
    flow: str
    version: str


@dataclass(frozen=True)
class ChildFinished:
    """The child run of a subflow state finished; ``output`` is its final context when it succeeded."""

    run_id: str
    succeeded: bool
    output: Any = None
    error: RunError | None = None


Event = Union[ActionSucceeded, ActionFailed, Resume, Spawned, Joined, ChildStarted, ChildFinished]
