"""Which schedule and event handlers app.py registers, read cheaply from the definition files at import.

Chalice learns a function's EventBridge rule from its decorator, so app.py must
know every scheduled flow when it is imported (that is how ``chalice package``
emits one rule per flow). Full validation needs pydantic and the loader; this
scan reads only ``name`` and ``triggers`` so ``import app`` stays fast.
Definitions are validated in full by ``flowctl validate`` and the tests.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.triggers.schedule_expressions import parse_cron, parse_rate

__all__ = ["TriggerHandler", "trigger_handlers", "handler_name"]

_SUFFIXES = (".yaml", ".yml", ".json")
# Lambda names are <= 64 characters and Chalice prefixes "<app>-<stage>-" (up to ~22).
_MAX_NAME = 40


@dataclass(frozen=True)
class TriggerHandler:
    """One Lambda function to register: ``kind`` is schedule (``expression``) or event (``pattern``)."""

    kind: str
    flow: str
    index: int
    name: str
    expression: str | None = None
    pattern: dict[str, Any] | None = None


def handler_name(kind: str, flow: str, index: int, only: bool) -> str:
    """``schedule_notification``, or ``schedule_notification_2`` when the flow has several of this kind."""
    name = f"{kind}_{flow.replace('-', '_')}" + ("" if only else f"_{index}")
    if len(name) > _MAX_NAME:
        name = f"{name[:_MAX_NAME - 9]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return name


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _expression(path: Path, index: int, schedule: Any) -> str:
    try:
        if isinstance(schedule.get("cron"), str):
            return parse_cron(schedule["cron"]).expression
        if isinstance(schedule.get("rate"), str):
            return parse_rate(schedule["rate"]).expression
        raise ValueError("a schedule needs 'cron' or 'rate'")
    except ValueError as exc:
        raise ValueError(f"{path}, field 'triggers[{index}].schedule': {exc}") from None


def trigger_handlers(directory: Path) -> list[TriggerHandler]:
    """Schedule and event handlers of every flow under ``directory``, in a stable order."""
    if not directory.is_dir():
        return []
    handlers: list[TriggerHandler] = []
    for path in sorted(p for p in directory.rglob("*") if p.suffix in _SUFFIXES and p.is_file()):
        document = _load(path)
        if not isinstance(document, dict) or not isinstance(document.get("triggers"), list):
            continue
        flow = str(document.get("name"))
        found: list[tuple[str, int, dict[str, Any]]] = [
            (kind, index, settings)
            for index, trigger in enumerate(document["triggers"]) if isinstance(trigger, dict)
            for kind, settings in trigger.items() if kind in ("schedule", "event") and isinstance(settings, dict)
        ]
        for kind, index, settings in found:
            only = sum(1 for other, _, _ in found if other == kind) == 1
            name = handler_name(kind, flow, index, only)
            if kind == "schedule":
                handlers.append(TriggerHandler(kind, flow, index, name, expression=_expression(path, index, settings)))
            elif isinstance(settings.get("pattern"), dict):
                handlers.append(TriggerHandler(kind, flow, index, name, pattern=settings["pattern"]))
    return handlers
