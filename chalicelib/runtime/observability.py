"""Powertools logger and metrics shared by every handler."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

__all__ = ["logger", "metrics"]

logger = Logger(service="inside-flow")
metrics = Metrics(namespace="InsideFlow", service="inside-flow")
