"""The store contract runs against moto always, and against AWS's DynamoDB Local when one is given.

``make test-integration`` starts DynamoDB Local inside its own network
namespace and sets ``INSIDE_FLOW_DYNAMODB_LOCAL`` to its endpoint; without it
the ``dynamodb-local`` parameter is skipped, so ``make test`` stays offline.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

LOCAL_ENDPOINT = os.environ.get("INSIDE_FLOW_DYNAMODB_LOCAL")


@pytest.fixture(params=["moto", "dynamodb-local"])
def settings(request: pytest.FixtureRequest) -> Iterator[Any]:
    from chalicelib.config import Settings
    from chalicelib.local.stack import LOCAL_ENV

    table = f"contract-{uuid.uuid4().hex[:8]}"
    saved = {key: os.environ.get(key) for key in LOCAL_ENV}
    os.environ.update(LOCAL_ENV)
    try:
        if request.param == "moto":
            from moto import mock_aws

            with mock_aws():
                yield _provisioned(Settings(table_name=table))
        else:
            if not LOCAL_ENDPOINT:
                pytest.skip("no DynamoDB Local (make test-integration starts one)")
            yield _provisioned(Settings(table_name=table, dynamodb_endpoint=LOCAL_ENDPOINT))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _provisioned(settings: Any) -> Any:
    from chalicelib.store import bind_models

    models = bind_models(settings.table_name, settings.region, settings.dynamodb_endpoint)
    models.run.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
    return settings
