"""Deployment settings, read once from the environment (set per stage in .chalice/config.json)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings", "DEFAULT_TABLE", "DEFAULT_WORK_QUEUE", "DEFAULT_EVENTS_QUEUE"]

DEFAULT_TABLE = "inside-flow"
DEFAULT_WORK_QUEUE = "inside-flow-work"
DEFAULT_EVENTS_QUEUE = "inside-flow-events"
_PACKAGE_DIR = Path(__file__).resolve().parent


def _default_definitions_dir() -> Path:
    """The repo's ``definitions/`` when running from a checkout, else the copy bundled into the Lambda package."""
    checkout = _PACKAGE_DIR.parent / "definitions"
    return checkout if checkout.is_dir() else _PACKAGE_DIR / "definitions"


@dataclass(frozen=True)
class Settings:
    table_name: str = DEFAULT_TABLE
    work_queue: str = DEFAULT_WORK_QUEUE
    events_queue: str = DEFAULT_EVENTS_QUEUE
    region: str = "us-east-1"
    dynamodb_endpoint: str | None = None
    definitions_dir: Path = _PACKAGE_DIR / "definitions"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            table_name=environ.get("INSIDE_FLOW_TABLE", DEFAULT_TABLE),
            work_queue=environ.get("INSIDE_FLOW_WORK_QUEUE", DEFAULT_WORK_QUEUE),
            events_queue=environ.get("INSIDE_FLOW_EVENTS_QUEUE", DEFAULT_EVENTS_QUEUE),
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            dynamodb_endpoint=environ.get("INSIDE_FLOW_DYNAMODB_ENDPOINT") or None,
            definitions_dir=Path(environ["INSIDE_FLOW_DEFINITIONS"])
            if environ.get("INSIDE_FLOW_DEFINITIONS")
            else _default_definitions_dir(),
        )
