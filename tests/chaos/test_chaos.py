"""Chaos: crashes at every I/O boundary, duplicates, reordering, delays and two workers; promises still hold.

GIVEN hundreds of runs of the example flows under a fixed seed
WHEN workers crash before/after every read, commit, enqueue and action call,
     20% of messages are redelivered, delivery order is random, sends are delayed
     and a second worker handles messages (often the same one) mid-flight
THEN every run finishes as it would without faults (the sweeper helps), no work
     message commits two transitions, every history is 1..n without gaps with one
     final event, and each task visit called its action at least once, only ever
     under its own stable idempotency key.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chalicelib.runtime import handlers
from tests.chaos.faults import BOUNDARIES
from tests.chaos.harness import no_recovery, run_chaos
from tests.chaos.mutations import MUTATIONS, process_message_without_stale_check

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = REPO_ROOT / "definitions"
SEED = 20260105
EPISODES = 15  # x 14 runs

BREAK = os.environ.get("CHAOS_BREAK", "")
assert BREAK in ("", *MUTATIONS), f"CHAOS_BREAK must be one of {MUTATIONS}"


def _run(monkeypatch: pytest.MonkeyPatch, episodes: int, mutation: str = ""):
    if mutation == "stale-check":
        monkeypatch.setattr(handlers, "process_message", process_message_without_stale_check)
    kwargs = {"recovery": no_recovery} if mutation == "sweeper" else {}
    return run_chaos(SEED, episodes, DEFINITIONS, **kwargs)


def test_every_run_finishes_exactly_once_under_crashes_duplicates_and_two_workers(monkeypatch):
    report = _run(monkeypatch, EPISODES, BREAK)
    print(report.summary())
    assert report.violations == [], f"{len(report.violations)} violations:\n" + "\n".join(report.violations[:12])
    assert report.runs >= 200
    assert set(report.crashes) == set(BOUNDARIES), "every I/O boundary must have crashed at least once"
    assert report.duplicates > 0 and report.interleavings > 0 and report.recovered > 0


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_the_suite_catches_a_runtime_without_each_safeguard(monkeypatch, mutation):
    report = _run(monkeypatch, 3, mutation)
    assert report.violations, f"removing the {mutation} went unnoticed: {report.summary()}"
