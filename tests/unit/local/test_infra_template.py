"""The committed CloudFormation matches the PynamoDB models and the IAM policies name the same resources."""

from __future__ import annotations

import json

import pytest

from chalicelib.local.infra_template import STAGES, render, stage_names
from tests.fakes import REPO_ROOT


@pytest.mark.parametrize("stage", STAGES)
def test_committed_infra_is_what_the_models_render(stage: str) -> None:
    committed = json.loads((REPO_ROOT / "infra" / f"resources-{stage}.json").read_text())
    assert committed == json.loads(json.dumps(render(stage))), (
        "infra is stale: run `python -m chalicelib.local.infra_template`")


@pytest.mark.parametrize("stage", STAGES)
def test_stage_config_policy_and_infra_agree_on_names(stage: str) -> None:
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    env = config["stages"][stage]["environment_variables"]
    names = stage_names(stage)
    assert env["INSIDE_FLOW_TABLE"] == names["table"] and env["INSIDE_FLOW_WORK_QUEUE"] == names["work_queue"]
    policy = json.dumps(json.loads((REPO_ROOT / ".chalice" / config["stages"][stage]["iam_policy_file"]).read_text()))
    assert f"table/{names['table']}" in policy and f"table/{names['table']}/index/*" in policy
    assert f"inside-flow-{stage}-*" in policy


def test_both_sqs_handlers_report_batch_item_failures_and_have_a_dlq():
    resources = render("dev")["Resources"]
    for function in ("ProcessWork", "RouteEvents"):
        source = resources[function]["Properties"]["Events"][f"{function}SqsEventSource"]
        assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert resources["EventsQueue"]["Properties"]["QueueName"] == "inside-flow-dev-events"
    assert resources["EventsQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
