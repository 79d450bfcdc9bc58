"""The embedded local stack: moto in-process, provisioned like AWS, wired through ``build_services``.

No AWS account and no Docker: ``flowctl`` and the tests run the real app and
handlers against it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.actions import ActionRegistry
from chalicelib.config import Settings
from chalicelib.local.parking_queue import ParkingQueue
from chalicelib.local.provision import provision, provision_events_queue
from chalicelib.local.runner import QueueDriver
from chalicelib.queue import MAX_DELAY_SECONDS, SqsWorkQueue
from chalicelib.runtime.clock import Clock, SystemClock, VirtualClock
from chalicelib.runtime.provider import install_services, reset_services
from chalicelib.runtime.services import Services, build_services, sqs_client

__all__ = ["LocalStack", "embedded_stack", "LOCAL_ENV"]

LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


@dataclass
class LocalStack:
    services: Services
    sqs: Any
    queue_url: str
    parking: ParkingQueue
    driver: QueueDriver
    clock: Clock
    events_url: str = ""
    events_driver: QueueDriver | None = None


@contextmanager
def embedded_stack(
    definitions_dir: Path | None = None,
    *,
    virtual_time: bool = True,
    follow_real_time: bool = False,
    start: datetime | None = None,
    settings: Settings | None = None,
    actions: ActionRegistry | None = None,
    tick: timedelta = timedelta(0),
    long_delays: bool = False,
) -> Iterator[LocalStack]:
    """Start moto, create the table and queues, and install services the app handlers will use.

    ``long_delays`` makes the parking queue honour delays over 900 s, standing in for the
    EventBridge Scheduler path (which never fires in moto); by default waits hop every 900 s.
    """
    from moto import mock_aws  # a dev dependency: only local runs and tests import it

    from chalicelib.local import moto_transactions

    moto_transactions.install()

    saved = {key: os.environ.get(key) for key in LOCAL_ENV}
    os.environ.update(LOCAL_ENV)
    try:
        with mock_aws():
            settings = settings or Settings.from_env()
            if definitions_dir is not None:
                settings = replace(settings, definitions_dir=definitions_dir)
            sqs = sqs_client(settings)
            queue_url = provision(settings, sqs)
            events_url = provision_events_queue(settings, sqs)
            clock: Clock = (VirtualClock(start, follow_real_time=follow_real_time, tick=tick) if virtual_time
                            else SystemClock())
            parking = ParkingQueue(SqsWorkQueue(sqs, queue_url), clock, None if long_delays else MAX_DELAY_SECONDS)
            services = build_services(settings, clock=clock, queue=parking, actions=actions)
            install_services(services)
            driver = QueueDriver(sqs, queue_url, parking, clock if isinstance(clock, VirtualClock) else None)
            try:
                yield LocalStack(services=services, sqs=sqs, queue_url=queue_url, parking=parking, driver=driver,
                                 clock=clock, events_url=events_url,
                                 events_driver=QueueDriver(sqs, events_url, None, None))
            finally:
                reset_services()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
