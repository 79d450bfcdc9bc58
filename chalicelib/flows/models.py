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
    "RetryPolicy",
    "CatchRule",
    "CompensateAction",
    "StateBase",
    "TaskState",
    "ChoiceRule",
    "ChoiceState",
    "WaitState",
    "PassState",
    "SucceedState",
    "FailState",
    "MapState",
    "ParallelState",
    "SubflowState",
    "State",
    "Machine",
    "FlowDefinition",
    "ALL_ERRORS",
    "NAME_PATTERN",
]

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,79}$"

Seconds = Annotated[int, BeforeValidator(parse_duration)]

ALL_ERRORS = "States.ALL"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RetryPolicy(_Model):
    """Retry a failed state after ``base * 2**(n-1)`` seconds (capped), up to ``max_attempts`` attempts in all.

    ``States.ALL`` matches every error; errors marked non-retryable (an HTTP 4xx,
    a bad expression) are never retried, only caught.
    """

    errors: list[str] = Field(default_factory=lambda: [ALL_ERRORS], min_length=1)
    max_attempts: int = Field(default=3, ge=1, le=100)
    backoff: Literal["exponential", "fixed"] = "exponential"
    base: Seconds = 1
    max_delay: Seconds = 3600
    jitter: Literal["full", "none"] = "full"

    def matches(self, error: str) -> bool:
        return error in self.errors or ALL_ERRORS in self.errors

    def delay(self, attempt: int, jitter: float) -> float:
        """Seconds to wait after failed ``attempt`` (1-based); ``jitter`` is a uniform sample in [0, 1]."""
        growth = 2 ** (attempt - 1) if self.backoff == "exponential" else 1
        capped = min(float(self.max_delay), float(self.base) * growth)
        return capped * jitter if self.jitter == "full" else capped


class CatchRule(_Model):
    """Route the named errors to ``next``, with the error object stored at ``result`` if given."""

    errors: list[str] = Field(default_factory=lambda: [ALL_ERRORS], min_length=1)
    next: str
    result: ContextPathField | None = None

    def matches(self, error: str) -> bool:
        return error in self.errors or ALL_ERRORS in self.errors


class CompensateAction(_Model):
    """An action that undoes a completed state; runs once, best effort, when the run unwinds."""

    action: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    input: ExpressionField | None = None
    timeout: Seconds = 30


def _retry_list(value: Any) -> Any:
    """``retry`` may be one policy or a list of them; a single policy is the common case."""
    return [value] if isinstance(value, dict) else value


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


class _Recoverable(StateBase):
    """States that can fail on their own account: they retry, catch, time out and compensate."""

    retry: Annotated[list[RetryPolicy], BeforeValidator(_retry_list)] = Field(default_factory=list)
    catch: list[CatchRule] = Field(default_factory=list)
    compensate: str | CompensateAction | None = None

    def recovery_targets(self) -> list[tuple[str, str]]:
        return [(f"catch[{i}].next", rule.next) for i, rule in enumerate(self.catch)]


class TaskState(_Recoverable):
    type: Literal["task"]
    action: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    timeout: Seconds = 30
    next: str

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next), *self.recovery_targets()]


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


class Machine(_Model):
    """A state machine: a flow's top level, a parallel branch or a map iterator."""

    start: str
    states: dict[str, State] = Field(min_length=1)


class ParallelState(_Recoverable):
    """Runs every branch at once on the state input; the result maps branch names to their outputs."""

    type: Literal["parallel"]
    branches: dict[str, Machine] = Field(min_length=1)
    timeout: Seconds | None = None
    next: str

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next), *self.recovery_targets()]


class MapState(_Recoverable):
    """Runs ``iterator`` once per element of the ``items`` array; results keep item order.

    Each iteration's context is ``{item: <element>, index: <i>}``. ``tolerated_failures``
    is a count (``3``) or a percentage of the items (``"10%"``).
    """

    type: Literal["map"]
    items: ExpressionField
    iterator: Machine
    max_concurrency: int = Field(default=0, ge=0, le=10_000)
    tolerated_failures: int | str = 0
    timeout: Seconds | None = None
    next: str

    @field_validator("tolerated_failures")
    @classmethod
    def _count_or_percent(cls, value: int | str) -> int | str:
        if isinstance(value, bool) or (isinstance(value, int) and value < 0):
            raise ValueError("give a count of items (e.g. 3) or a percentage (e.g. '10%')")
        if isinstance(value, str):
            text = value.strip()
            if not text.endswith("%") or not text[:-1].replace(".", "", 1).isdigit() or float(text[:-1]) > 100:
                raise ValueError(f"'{value}' is not a count or a percentage between 0% and 100%")
        return value

    def tolerated(self, total: int) -> int:
        if isinstance(self.tolerated_failures, int):
            return self.tolerated_failures
        return int(total * float(self.tolerated_failures.strip()[:-1]) / 100)

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next), *self.recovery_targets()]


class SubflowState(_Recoverable):
    """Starts the flow ``flow`` as a child run and waits for it; its result is the child's output.

    The child gets the state input (``input``) as its run input, with ``params`` overlaid on the
    child flow's declared ``params`` (see :class:`FlowDefinition`). A failed or cancelled child
    fails this state with the child's error, so ``retry`` and ``catch`` name it as for a task.
    ``timeout`` (optional) bounds the wait; the child is cancelled when it passes.
    """

    type: Literal["subflow"]
    flow: str = Field(pattern=NAME_PATTERN)
    params: dict[str, Any] = Field(default_factory=dict)
    timeout: Seconds | None = None
    next: str

    def targets(self) -> list[tuple[str, str]]:
        return [("next", self.next), *self.recovery_targets()]


State = Annotated[
    Union[TaskState, ChoiceState, WaitState, PassState, ParallelState, MapState, SubflowState, SucceedState,
          FailState],
    Field(discriminator="type"),
]

Machine.model_rebuild()
ParallelState.model_rebuild()
MapState.model_rebuild()


class FlowDefinition(_Model):
    """A flow file. ``params`` makes it a template: named parameters with their defaults.

    A run of a flow that declares ``params`` sees ``context.params``: the defaults overlaid with
    the ``params`` object of its input (a ``subflow`` state's ``params``, or an API caller's), so
    several flows reuse one definition with different parameters through ``subflow``.
    """

    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    version: str | None = None
    triggers: list[Trigger] = Field(default_factory=list)
    input_schema: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    sla: Seconds | None = None
    timeout: Seconds | None = None
    start: str
    states: dict[str, State] = Field(min_length=1)
