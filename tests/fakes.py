"""Constants and small fakes shared by the test suites."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
