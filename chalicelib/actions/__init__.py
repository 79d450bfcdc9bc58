"""Actions a task state can perform, behind a small registry."""

from chalicelib.actions.builtins import register_builtins
from chalicelib.actions.errors import ActionError, ActionTimeout, HttpError
from chalicelib.actions.registry import ActionContext, ActionRegistry, RegisteredAction

__all__ = [
    "ActionContext",
    "ActionError",
    "ActionRegistry",
    "ActionTimeout",
    "HttpError",
    "RegisteredAction",
    "default_registry",
    "register_builtins",
]


def default_registry() -> ActionRegistry:
    return register_builtins(ActionRegistry())
