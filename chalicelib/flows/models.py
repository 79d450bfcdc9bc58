"""The definition language: pydantic models for a flow file.

Models are frozen and forbid unknown fields, so a typo in a definition is an
error at load instead of a silently ignored key. Expressions are compiled and
durations parsed while the model validates.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from chalicelib.flows.durations import parse_duration
from chalicelib.flows.expressions import ContextPathField, Expression, ExpressionField
from chalicelib.flows.triggers import Trigger

__all__ = [
    "Seconds",
    "StateBase",
    "TaskState",
    "ChoiceRule",
    "ChoiceState",
    "WaitState",
    "PassState",
    "SucceedState",
    "FailState",
    "State",
    "FlowDefinition",
    "NAME_PATTERN",
]

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,79}$"

Seconds = Annotated[int, BeforeValidator(parse_duration)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class StateBase(_Model):
    """Fields every state accepts.

    ``input`` selects what the state sees from the run context, ``result`` says
    where its result lands in the context, ``output`` reshapes the context
    afterwards, and ``requires`` guards entry into the state.
    """

    comment: str | None = None
    requires: ExpressionField | None = None
    input: ExpressionField | None = None
    result: ContextPathField | None = None
    output: ExpressionField | None = None

    def targets(self) -> list[tuple[str, str]]:
        """(field, state name) pairs this state can move to."""
        return []


class TaskState(StateBase):
    type: Literal["task"]
    action: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    timeout: Seconds = 30
    next: str

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next)]


class ChoiceRule(_Model):
    when: ExpressionField
    next: str
    priority: int | None = None


class ChoiceState(StateBase):
    """Rules are tried by ascending ``priority`` (unprioritised rules last, in file order); first match wins."""

    type: Literal["choice"]
    rules: list[ChoiceRule] = Field(min_length=1)
    default: str | None = None

    def ordered_rules(self) -> list[ChoiceRule]:
        indexed = list(enumerate(self.rules))
        indexed.sort(key=lambda pair: (pair[1].priority is None, pair[1].priority or 0, pair[0]))
        return [rule for _, rule in indexed]

    def targets(self) -> list[tuple[str, str]]:
        pairs = [(f"rules[{i}].next", rule.next) for i, rule in enumerate(self.rules)]
        if self.default is not None:
            pairs.append(("default", self.default))
        return pairs


class WaitState(StateBase):
    """Waits a fixed ``duration`` or ``until`` the ISO-8601 time an expression gives."""

    type: Literal["wait"]
    duration: Seconds | None = None
    until: ExpressionField | None = Field(default=None, validate_default=True)
    next: str

    @field_validator("until")
    @classmethod
    def _one_of_duration_or_until(cls, until: Expression | None, info: ValidationInfo) -> Expression | None:
        """Checked on ``until`` rather than the whole model so the load error names a field.

        ``validate_default`` makes this run when ``until`` is absent too. ``duration``
        is declared first, so it is in ``info.data`` unless it was invalid, and then
        its own error is the one to report.
        """
        if "duration" not in info.data:
            return until
        if (info.data["duration"] is None) == (until is None):
            raise ValueError("a wait needs exactly one of 'duration' or 'until'")
        return until

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next)]


class PassState(StateBase):
    """Transforms data: ``transform`` is applied to the state input and stored at ``result``."""

    type: Literal["pass"]
    transform: ExpressionField | None = None
    next: str

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next)]


class SucceedState(StateBase):
    type: Literal["succeed"]


class FailState(StateBase):
    type: Literal["fail"]
    error: str = "States.Fail"
    cause: str | None = None


State = Annotated[
    Union[TaskState, ChoiceState, WaitState, PassState, SucceedState, FailState],
    Field(discriminator="type"),
]


class FlowDefinition(_Model):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    version: str | None = None
    triggers: list[Trigger] = Field(default_factory=list)
    input_schema: dict[str, Any] | None = None
    sla: Seconds | None = None
    start: str
    states: dict[str, State] = Field(min_length=1)
