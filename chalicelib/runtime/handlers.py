"""Lambda-facing entry points for event sources, kept out of app.py so it stays thin."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.queue import WorkMessage
from chalicelib.runtime.observability import logger, metrics
from chalicelib.runtime.services import Services
from chalicelib.runtime.worker import Outcome, process_message

__all__ = ["handle_work_batch", "handle_events_batch"]

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


def handle_events_batch(event: dict[str, Any], services: Services, context: Any = None) -> dict[str, Any]:
    """Route inbound events to flows' queue triggers; a malformed message fails alone and reaches the DLQ."""
    from chalicelib.triggers.inbound import route_message

    counts: Counter[str] = Counter()

    def record_handler(record: SQSRecord) -> int:
        started = route_message(services, record.message_id, record.body, record.event_source_arn)
        if not started:
            counts["UnmatchedEvents"] += 1
            logger.info("inbound event matched no flow", extra={"message_id": record.message_id})
        counts["RunsStartedByEvents"] += sum(1 for result in started if result.created)
        counts["DuplicateEvents"] += sum(1 for result in started if not result.created)
        return len(started)

    # A batch of only poison messages is reported record by record too (not raised): the effect on SQS is the
    # same, and the DLQ depth plus the error log are the alarm, not Lambda's error count.
    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        _publish_counts(counts)


def _publish_counts(counts: Counter[str]) -> None:
    for name, count in counts.items():
        if count:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
    if any(counts.values()):
        metrics.flush_metrics()
    metrics.clear_metrics()
