"""The action registry: names in a definition's ``action`` field mapped to Python callables.

Each action declares a pydantic model for its ``with`` block, so a bad block is a
definition error at load, and receives the parsed params, the state input and an
:class:`ActionContext` carrying the idempotency key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.actions.errors import ActionError
from chalicelib.engine import ActionFailed, ActionRequest, ActionSucceeded
from chalicelib.flows.loader import ActionCheck

__all__ = ["ActionContext", "ActionRegistry", "RegisteredAction"]

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class ActionContext:
    idempotency_key: str
    timeout_seconds: int


@dataclass(frozen=True)
class RegisteredAction(Generic[P]):
    name: str
    params: type[P]
    run: Callable[[P, Any, ActionContext], Any]

    def check(self, with_: Mapping[str, Any]) -> tuple[str, str] | None:
        try:
            self.params.model_validate(dict(with_))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            field = ".".join(str(part) for part in first["loc"])
            message = "is not a known field" if first["type"] == "extra_forbidden" else first["msg"]
            return field, message.removeprefix("Value error, ")
        return None


class ActionRegistry:
    def __init__(self) -> None:
        self._actions: dict[str, RegisteredAction[Any]] = {}

    def register(self, name: str, params: type[P], run: Callable[[P, Any, ActionContext], Any]) -> None:
        if name in self._actions:
            raise ValueError(f"action '{name}' is already registered")
        self._actions[name] = RegisteredAction(name=name, params=params, run=run)

    def checks(self) -> dict[str, ActionCheck]:
        """What the definition loader uses to reject unknown actions and bad ``with`` blocks."""
        return {name: action.check for name, action in self._actions.items()}

    def perform(self, request: ActionRequest) -> ActionSucceeded | ActionFailed:
        """Run an action and turn its outcome into an engine event; no exception escapes."""
        action = self._actions.get(request.action)
        if action is None:
            return ActionFailed("UnknownAction", f"no action named '{request.action}' is registered", retryable=False)
        context = ActionContext(idempotency_key=request.idempotency_key, timeout_seconds=request.timeout_seconds)
        try:
            params = action.params.model_validate(request.params)
            return ActionSucceeded(action.run(params, request.input, context))
        except ActionError as exc:
            return ActionFailed(exc.error_name, exc.message, retryable=exc.retryable)
        except Exception as exc:  # noqa: BLE001 - a crashing custom action fails the state, never the worker
            return ActionFailed(type(exc).__name__, str(exc) or repr(exc))
