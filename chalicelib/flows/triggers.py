"""What starts a flow: webhook, schedule, queue and event triggers in a definition's ``triggers:`` list.

Each list item names exactly one kind, e.g. ``- schedule: {cron: "0 9 * * ? *"}``,
so a load error reads ``triggers[0].schedule.cron``. Expressions are compiled
and schedule expressions parsed here, at load, never when a delivery arrives.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from chalicelib.flows.durations import parse_duration
from chalicelib.flows.expressions import ExpressionField
from chalicelib.triggers.schedule_expressions import ScheduleExpression, parse_cron, parse_rate

__all__ = [
    "WebhookTrigger",
    "ScheduleTrigger",
    "QueueTrigger",
    "EventTrigger",
    "Trigger",
    "TRIGGER_KINDS",
    "DEFAULT_TOLERANCE_SECONDS",
]

DEFAULT_TOLERANCE_SECONDS = 300
TRIGGER_KINDS = ("webhook", "schedule", "queue", "event")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_param_name(value: Any) -> Any:
    if isinstance(value, str) and not value.startswith("/"):
        raise ValueError("an SSM parameter name starts with '/', e.g. /inside-flow/<flow>/webhook-secret")
    return value


class WebhookTrigger(_Model):
    """``POST /hooks/<flow>``, HMAC-SHA256 signed with the secret stored in SSM under ``secret_param``."""

    secret_param: Annotated[str, BeforeValidator(_check_param_name)]
    input: ExpressionField | None = None
    tolerance: Annotated[int, BeforeValidator(parse_duration), Field(gt=0, le=3600)] = DEFAULT_TOLERANCE_SECONDS


def _cron(value: Any) -> Any:
    return parse_cron(value) if isinstance(value, str) else value


def _rate(value: Any) -> Any:
    return parse_rate(value) if isinstance(value, str) else value


_AsExpression = PlainSerializer(lambda e: e.expression, return_type=str)


class ScheduleTrigger(_Model):
    """An EventBridge rule: ``cron`` (six fields, UTC) or ``rate``; ``input`` is the run input of every firing."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    cron: Annotated[Any, BeforeValidator(_cron), _AsExpression] = None
    rate: Annotated[Any, BeforeValidator(_rate), _AsExpression] = None
    input: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_expression(self) -> ScheduleTrigger:
        if (self.cron is None) == (self.rate is None):
            raise ValueError("a schedule needs exactly one of 'cron' or 'rate'")
        return self

    @property
    def expression(self) -> ScheduleExpression:
        return self.cron if self.cron is not None else self.rate


class QueueTrigger(_Model):
    """A message on the inbound events queue starts a run when ``match`` is truthy; ``input`` maps its body."""

    match: ExpressionField
    input: ExpressionField | None = None


class EventTrigger(_Model):
    """An EventBridge event pattern (as in a rule); ``input`` maps the whole event to the run input."""

    pattern: dict[str, Any] = Field(min_length=1)
    input: ExpressionField | None = None


class Trigger(_Model):
    webhook: WebhookTrigger | None = None
    schedule: ScheduleTrigger | None = None
    queue: QueueTrigger | None = None
    event: EventTrigger | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) != 1:
            raise ValueError(f"a trigger names exactly one of {', '.join(TRIGGER_KINDS)}, e.g. '- schedule: {{...}}'")
        if isinstance(data, dict) and next(iter(data.values())) is None:
            raise ValueError(f"trigger '{next(iter(data))}' needs its settings, e.g. '- schedule: {{cron: ...}}'")
        return data

    @property
    def kind(self) -> str:
        return next(kind for kind in TRIGGER_KINDS if getattr(self, kind) is not None)
