"""What happened to a run since the engine last looked: the input to ``advance``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

__all__ = ["ActionSucceeded", "ActionFailed", "Resume", "Event"]


@dataclass(frozen=True)
class ActionSucceeded:
    result: Any


@dataclass(frozen=True)
class ActionFailed:
    error: str
    cause: str | None = None


@dataclass(frozen=True)
class Resume:
    """A work message arrived for a state that needs no action (choice, pass, wait, end states)."""


Event = Union[ActionSucceeded, ActionFailed, Resume]
