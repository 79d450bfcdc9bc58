"""Shared fixtures: the embedded moto stack built by the same factory the app uses, and a chalice test client.

Environment variables are set by ``embedded_stack`` before any client is created.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fakes import EPOCH, REPO_ROOT  # noqa: E402 - needs the repo root on sys.path first


@pytest.fixture
def definitions_dir() -> Path:
    """The flows a test runs; override in a module to use its own definitions."""
    return REPO_ROOT / "definitions"


@pytest.fixture
def stack(definitions_dir: Path) -> Iterator[Any]:
    from chalicelib.local.stack import embedded_stack

    with embedded_stack(definitions_dir, start=EPOCH) as local_stack:
        yield local_stack


@pytest.fixture
def client(stack: Any) -> Iterator[Any]:
    from chalice.test import Client

    import app

    with Client(app.app) as test_client:
        yield test_client


@pytest.fixture
def drain(stack: Any, client: Any) -> Callable[[], Any]:
    """Deliver queued work to the worker Lambda through the chalice test client until nothing is left."""
    return lambda: stack.driver.drain(lambda event: client.lambda_.invoke("process_work", event))
