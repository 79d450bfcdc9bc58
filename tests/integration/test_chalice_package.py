"""``chalice package`` (the CLI, as `make package` runs it) emits one EventBridge rule per scheduled flow.

Runs pip download for Lambda wheels, so it needs the package registry: marked
``package`` (deselect with ``-m "not package"`` when offline).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chalicelib.triggers.index import trigger_handlers

REPO_ROOT = Path(__file__).resolve().parents[2]
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "definitions")


def _bundle(project: Path) -> None:
    """What `make bundle` does, in a copy: the definitions travel inside chalicelib/, not beside it."""
    project.mkdir()
    for name in ("app.py", "requirements.txt"):
        shutil.copy(REPO_ROOT / name, project / name)
    shutil.copytree(REPO_ROOT / "chalicelib", project / "chalicelib", ignore=_IGNORE)
    shutil.copytree(REPO_ROOT / "definitions", project / "chalicelib" / "definitions")
    shutil.copytree(REPO_ROOT / ".chalice", project / ".chalice", ignore=shutil.ignore_patterns("deployments", "venv"))
    shutil.copytree(REPO_ROOT / "infra", project / "infra")


@pytest.mark.package
def test_chalice_package_has_a_rule_per_scheduled_flow_and_keeps_batch_failures(tmp_path):
    project = tmp_path / "project"
    _bundle(project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSIDE_FLOW_")}
    env.update(INSIDE_FLOW_WORK_QUEUE="inside-flow-dev-work", INSIDE_FLOW_EVENTS_QUEUE="inside-flow-dev-events",
               AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", "us-east-1"))
    completed = subprocess.run(
        [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
         "package", "--stage", "dev", "--merge-template", "infra/resources-dev.json", str(tmp_path / "out")],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    template = json.loads((tmp_path / "out" / "sam.json").read_text())
    resources = template["Resources"]
    events = {name: event for resource in resources.values()
              for name, event in resource.get("Properties", {}).get("Events", {}).items()}
    schedules = sorted(e["Properties"]["Schedule"] for name, e in events.items()
                       if e["Type"] == "Schedule" and not name.startswith("Sweep"))
    expected = sorted(h.expression for h in trigger_handlers(REPO_ROOT / "definitions") if h.kind == "schedule")
    assert len(expected) >= 2 and schedules == expected
    assert resources["Sweep"]["Properties"]["Events"]["SweepEvent"]["Properties"]["Schedule"] == "rate(5 minutes)"
    assert "cron(0 9 ? * MON-FRI *)" in schedules

    for function in ("ProcessWork", "RouteEvents"):
        source = resources[function]["Properties"]["Events"][f"{function}SqsEventSource"]
        assert source["Type"] == "SQS"
        assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert source["Properties"]["Queue"]["Fn::Sub"].endswith(
            "inside-flow-dev-work" if function == "ProcessWork" else "inside-flow-dev-events")
    assert "EventsQueue" in resources and "EventsDeadLetterQueue" in resources

    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as package:
        names = set(package.namelist())
    assert "chalicelib/definitions/daily-report.yaml" in names
    assert "chalicelib/triggers/index.py" in names
