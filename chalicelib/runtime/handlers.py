"""Lambda-facing entry points for event sources, kept out of app.py so it stays thin."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
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
    """Process an SQS batch of work messages, one transition each."""
    counts: Counter[str] = Counter()

    def record_handler(record: SQSRecord) -> str:
        outcome = process_message(services, WorkMessage.model_validate_json(record.body))
        counts[_METRIC[outcome]] += 1
        return outcome.value

    return _process_batch(event, record_handler, counts, context)


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

    return _process_batch(event, record_handler, counts, context)


def _process_batch(event: dict[str, Any], record_handler: Callable[[SQSRecord], Any], counts: Counter[str],
                   context: Any) -> dict[str, Any]:
    """Powertools' partial batch response: failed records are reported one by one (ReportBatchItemFailures).

    A batch whose every record failed is reported the same way, not raised: the event source mapping
    then retries only those records, and the DLQ depth plus the error log are the alarm.
    """
    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
    try:
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    finally:
        _publish(counts)


def _publish(counts: Counter[str]) -> None:
    """One datapoint per metric per batch keeps the EMF log small."""
    for name, count in counts.items():
        if count:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
    if any(counts.values()):
        metrics.flush_metrics()
    metrics.clear_metrics()
