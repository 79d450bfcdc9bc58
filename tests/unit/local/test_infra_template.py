"""The committed infra/ templates are exactly what the renderer produces (regenerate with the module)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.local.infra_template import STAGES, render

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("stage", STAGES)
def test_committed_template_is_current(stage):
    committed = json.loads((REPO_ROOT / "infra" / f"resources-{stage}.json").read_text())
    assert committed == json.loads(json.dumps(render(stage))), \
        "run: python -m chalicelib.local.infra_template"


def test_both_sqs_handlers_report_batch_item_failures_and_have_a_dlq():
    resources = render("dev")["Resources"]
    for function in ("ProcessWork", "RouteEvents"):
        source = resources[function]["Properties"]["Events"][f"{function}SqsEventSource"]
        assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert resources["EventsQueue"]["Properties"]["QueueName"] == "inside-flow-dev-events"
    assert resources["EventsQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
