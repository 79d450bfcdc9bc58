"""Lambda-facing entry points for event sources, kept out of app.py so it stays thin."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.queue import WorkMessage
from chalicelib.runtime.observability import metrics
from chalicelib.runtime.services import Services
from chalicelib.runtime.worker import Outcome, process_message

__all__ = ["handle_work_batch"]

_METRIC = {
    Outcome.ADVANCED: "Transitions",
    Outcome.STALE: "StaleMessages",
    Outcome.MISSING: "MissingRuns",
    Outcome.LOST_RACE: "LostRaces",
    Outcome.CANCELLED: "CancelledBranches",
}


def handle_work_batch(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """Process an SQS batch; failed records are reported one by one (ReportBatchItemFailures)."""
    outcomes: Counter[Outcome] = Counter()

    def record_handler(record: SQSRecord) -> str:
        outcome = process_message(services, WorkMessage.model_validate_json(record.body))
        outcomes[outcome] += 1
        return outcome.value

    try:
        # A batch whose every record failed is reported like any partial failure, not raised: the
        # event source mapping then retries only those records, and the invocation still succeeds.
        processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    finally:
        _publish(outcomes)


def _publish(outcomes: Counter[Outcome]) -> None:
    """One datapoint per outcome per batch keeps the EMF log small."""
    for outcome, count in outcomes.items():
        metrics.add_metric(name=_METRIC[outcome], unit=MetricUnit.Count, value=count)
    if outcomes:
        metrics.flush_metrics()
    metrics.clear_metrics()
