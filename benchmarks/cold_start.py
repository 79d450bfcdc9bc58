"""Cold start: import time of the handler modules in fresh interpreters, next to bare ``import boto3``.

Each sample is a new ``python`` process (nothing cached in ``sys.modules``)
timing only its imports, so interpreter start-up is excluded for both sides.
The median of several samples smooths out a busy machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

__all__ = ["IMPORT_SETS", "median_import_ms", "worker_peak_rss_mb"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 7

# What each Lambda loads before its first line of work.
IMPORT_SETS: dict[str, str] = {
    "boto3": "import boto3",
    "app": "import app",
    # app.process_work's first call: the handler modules, plus boto3 for the SQS client services build.
    "app + worker": "import app, boto3, chalicelib.runtime.handlers, chalicelib.runtime.provider, chalicelib.config",
}


def _sample(statement: str) -> float:
    code = ("import time; began = time.perf_counter(); " + statement +
            "; print(time.perf_counter() - began)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    return float(out.stdout.strip()) * 1000


def median_import_ms(name: str, samples: int = SAMPLES) -> float:
    return statistics.median(_sample(IMPORT_SETS[name]) for _ in range(samples))


def worker_peak_rss_mb(transitions: int) -> dict[str, float]:
    """Peak RSS of a fresh process that imports the worker and works off ``transitions`` transitions."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.worker_rss", str(transitions)], cwd=REPO_ROOT,
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
