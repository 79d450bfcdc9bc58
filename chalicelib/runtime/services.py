"""The one factory that wires adapters to settings; the app, the local stack and the tests all use it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.actions import ActionRegistry, default_registry
from chalicelib.config import Settings
from chalicelib.flows import FlowCatalog
from chalicelib.queue import SqsWorkQueue, WorkQueue
from chalicelib.runtime.clock import Clock, SystemClock
from chalicelib.runtime.flow_versions import FlowVersions
from chalicelib.store import BranchStore, DynamoBranchStore, DynamoRunRepository, RunRepository, bind_models
from chalicelib.triggers.secrets import SecretSource, SsmSecrets

__all__ = ["Services", "build_services", "sqs_client"]


@dataclass(frozen=True)
class Services:
    settings: Settings
    repository: RunRepository
    queue: WorkQueue
    flows: FlowVersions
    actions: ActionRegistry
    clock: Clock
    branches: BranchStore
    secrets: SecretSource = field(default_factory=SsmSecrets)
    random: Callable[[], float] = field(default=random.random)


def sqs_client(settings: Settings) -> Any:
    import boto3

    return boto3.client("sqs", region_name=settings.region)


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    queue: WorkQueue | None = None,
    actions: ActionRegistry | None = None,
    secrets: SecretSource | None = None,
) -> Services:
    actions = actions or default_registry()
    models = bind_models(settings.table_name, settings.region, settings.dynamodb_endpoint)
    repository = DynamoRunRepository(models)
    if queue is None:
        client = sqs_client(settings)
        queue = SqsWorkQueue(client, client.get_queue_url(QueueName=settings.work_queue)["QueueUrl"])
    catalog = FlowCatalog.from_directory(settings.definitions_dir, actions.checks())
    return Services(
        settings=settings,
        repository=repository,
        queue=queue,
        flows=FlowVersions(catalog, repository, actions.checks()),
        actions=actions,
        clock=clock or SystemClock(),
        secrets=secrets or SsmSecrets(settings.region),
        branches=DynamoBranchStore(models),
    )
