"""Finding the trigger a registered handler was made for, in the flow as shipped now."""

from __future__ import annotations

from typing import Any

from chalicelib.flows import Flow
from chalicelib.triggers.errors import TriggerNotFound

__all__ = ["declared_trigger"]


def declared_trigger(flow: Flow, index: int, kind: str) -> Any:
    """``flow``'s ``triggers[index]`` of ``kind``; a handler can outlive the definition it was made from."""
    triggers = flow.definition.triggers
    trigger = getattr(triggers[index], kind) if 0 <= index < len(triggers) else None
    if trigger is None:
        raise TriggerNotFound(f"flow '{flow.name}' has no {kind} trigger at triggers[{index}]")
    return trigger
