"""A schedule or event handler whose trigger left the definition fails with a named error."""

from __future__ import annotations

import pytest

from chalicelib.flows import load_flow_file
from chalicelib.triggers.errors import TriggerNotFound
from chalicelib.triggers.lookup import declared_trigger
from tests.fakes import REPO_ROOT


def test_a_declared_trigger_is_found_and_a_missing_one_is_named():
    flow = load_flow_file(REPO_ROOT / "definitions" / "daily-report.yaml")
    assert declared_trigger(flow, 0, "schedule").cron is not None
    with pytest.raises(TriggerNotFound, match=r"no event trigger at triggers\[0\]"):
        declared_trigger(flow, 0, "event")
    with pytest.raises(TriggerNotFound, match=r"no schedule trigger at triggers\[7\]"):
        declared_trigger(flow, 7, "schedule")
